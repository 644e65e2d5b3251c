// The face-mask (XSeg) commands end to end with the real CLI: clear errors before there is
// anything to train on or apply, training on the faces with drawn masks, resume and a refused
// resolution change, masks written for every face, pack using them where no mask was drawn, and
// --remove. (That the network learns is engine_test_xseg; merge's xseg source is unit-tested.)
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "common/AtomicFile.h"
#include "common/PackedFaceset.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::runCli;

TEST(XSegCli, TrainsOnDrawnMasksAndAppliesToEveryFace) {
    const fs::path scratch = test::scratchDir("xseg_cli");
    const fs::path ws = scratch / "ws";
    const std::string clip = test::dataFile("video/grid_s2_150f.mp4").string();
    const std::string at = " --workspace '" + ws.string() + "'";
    ASSERT_EQ(runCli(scratch, "new" + at + " --src '" + clip + "' --dst '" + clip + "'").exitCode,
              0);
    ASSERT_EQ(runCli(scratch, "extract" + at + " --side src --set end=0.8").exitCode, 0);
    ASSERT_EQ(runCli(scratch, "align" + at + " --side src").exitCode, 0);
    Workspace workspace = Workspace::open(ws);
    const fs::path aligned = workspace.alignedDir(Side::Src);
    auto faces = listAlignedFaces(aligned);
    ASSERT_EQ(faces.size(), 20u);

    // Nothing drawn, nothing trained: each command says what to do first.
    CliRun nothingDrawn = runCli(scratch, "xseg-train" + at + " --iters 2");
    EXPECT_EQ(nothingDrawn.exitCode, 1);
    EXPECT_NE(nothingDrawn.err.find("no face has a drawn mask"), std::string::npos)
        << nothingDrawn.err;
    CliRun untrained = runCli(scratch, "xseg-apply" + at);
    EXPECT_EQ(untrained.exitCode, 1);
    EXPECT_NE(untrained.err.find("xseg-train"), std::string::npos) << untrained.err;

    // Three faces with a drawn mask: the lower two thirds of the crop.
    for (size_t i : {0u, 9u, 19u}) {
        const float s = float(faces[i].size);
        faces[i].maskPolygons = {{true,
                                  {{0.2f * s, 0.3f * s},
                                   {0.8f * s, 0.3f * s},
                                   {0.8f * s, 0.95f * s},
                                   {0.2f * s, 0.95f * s}}}};
        writeAlignedFace(aligned / faces[i].metaName(), faces[i]);
    }
    const std::string tiny = " --set resolution=64 --set dims=8 --set threads=2";
    CliRun trained = runCli(scratch, "xseg-train" + at + " --iters 4" + tiny);
    ASSERT_EQ(trained.exitCode, 0) << trained.err;
    EXPECT_NE(trained.out.find("3 faces with drawn masks (3 src, 0 dst)"), std::string::npos)
        << trained.out;
    EXPECT_EQ(readJsonFile(workspace.xsegDir() / "latest.json")["iteration"].get<int>(), 4);
    CliRun resumed = runCli(scratch, "xseg-train" + at + " --iters 2");
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    EXPECT_NE(resumed.out.find("resuming at iteration 4"), std::string::npos) << resumed.out;
    EXPECT_EQ(readJsonFile(workspace.xsegDir() / "latest.json")["iteration"].get<int>(), 6);
    CliRun resized = runCli(scratch, "xseg-train" + at + " --iters 1 --set resolution=96");
    EXPECT_EQ(resized.exitCode, 2);
    EXPECT_NE(resized.err.find("resolution"), std::string::npos) << resized.err;
    // The face-swap model list is not confused by the mask model.
    EXPECT_EQ(workspace.latestModelName(), "");

    CliRun applied = runCli(scratch, "xseg-apply" + at + " --side src");
    ASSERT_EQ(applied.exitCode, 0) << applied.err;
    for (const auto& face : faces) {
        cv::Mat mask = cv::imread((aligned / face.xsegMaskName()).string(), cv::IMREAD_UNCHANGED);
        ASSERT_FALSE(mask.empty()) << face.xsegMaskName();
        EXPECT_EQ(mask.type(), CV_8UC1);
        EXPECT_EQ(mask.cols, 64);
    }
    EXPECT_EQ(listAlignedFaces(aligned).size(), 20u);  // the masks are not taken for faces

    ASSERT_EQ(runCli(scratch, "pack" + at + " --side src --set resolution=64").exitCode, 0);
    PackedFaceset packed = readPackedFaceset(workspace.packedDir(Side::Src));
    EXPECT_EQ(packed.extra.value("drawn_masks", -1), 3);
    EXPECT_EQ(packed.extra.value("xseg_masks", -1), 17);

    CliRun removed = runCli(scratch, "xseg-apply" + at + " --side src --remove");
    ASSERT_EQ(removed.exitCode, 0) << removed.err;
    EXPECT_NE(removed.out.find("removed 20"), std::string::npos) << removed.out;
    EXPECT_FALSE(fs::exists(aligned / faces[1].xsegMaskName()));

    // Aligning again (another crop) drops predicted masks, which fit the old crops only, and
    // keeps the drawn ones.
    ASSERT_EQ(runCli(scratch, "xseg-apply" + at + " --side src").exitCode, 0);
    CliRun realigned = runCli(scratch, "align" + at + " --side src --set size=128");
    ASSERT_EQ(realigned.exitCode, 0) << realigned.err;
    EXPECT_FALSE(fs::exists(aligned / faces[1].xsegMaskName()));
    EXPECT_TRUE(readAlignedFace(aligned / faces[0].metaName()).hasDrawnMask());
}
