// The pack stage end to end (new + extract + align + pack via the CLI): array shapes, ids,
// landmarks at the packed resolution, hull and eyes+mouth masks, deleted faces dropping out.

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/PackedFaceset.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::runCli;
using doppel::test::scratchDir;

namespace {}  // namespace

TEST(PackCli, PacksAlignedFacesMasksLandmarksAndIds) {
    fs::path scratch = scratchDir("pack_grid");
    fs::path ws = scratch / "ws";
    std::string clip = dataFile("video/grid_s2_150f.mp4").string();
    std::string at = " --workspace '" + ws.string() + "' --side src";
    ASSERT_EQ(runCli(scratch, "new --workspace '" + ws.string() + "' --src '" + clip + "' --dst '" +
                                  clip + "'")
                  .exitCode,
              0);
    CliRun packTooEarly = runCli(scratch, "pack" + at);
    EXPECT_EQ(packTooEarly.exitCode, 1);
    EXPECT_NE(packTooEarly.err.find("doppel align"), std::string::npos) << packTooEarly.err;
    ASSERT_EQ(runCli(scratch, "extract" + at + " --set end=0.8").exitCode, 0);
    CliRun aligned = runCli(scratch, "align" + at);
    ASSERT_EQ(aligned.exitCode, 0) << aligned.err;
    CliRun packed = runCli(scratch, "pack" + at + " --set resolution=128");
    ASSERT_EQ(packed.exitCode, 0) << packed.err;

    Workspace workspace = Workspace::open(ws);
    auto faces = listAlignedFaces(workspace.alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 20u);
    PackedFaceset set = readPackedFaceset(workspace.packedDir(Side::Src));
    ASSERT_EQ(set.count(), 20);
    EXPECT_EQ(set.resolution, 128);
    EXPECT_EQ(set.faceType, "full");
    EXPECT_EQ(set.side, "src");
    ASSERT_EQ(set.names.size(), 20u);
    EXPECT_EQ(set.names[0], "000001_0.jpg");
    const size_t r = 128;
    for (int64_t i = 0; i < set.count(); ++i) {
        EXPECT_EQ(set.ids[size_t(i)],
                  faces[size_t(i)].frameIndex * 100 + faces[size_t(i)].faceIndex);
        // Landmarks are the sidecar's aligned landmarks scaled from 256 to 128 px.
        auto aligned = faces[size_t(i)].alignedLandmarks();
        for (size_t k = 0; k < 68; ++k) {
            EXPECT_NEAR(set.landmarks[size_t(i) * 136 + 2 * k], aligned[k][0] * 0.5f, 1e-3);
            EXPECT_NEAR(set.landmarks[size_t(i) * 136 + 2 * k + 1], aligned[k][1] * 0.5f, 1e-3);
        }
        // Masks: binary; hull covers a plausible share of the crop and contains the nose tip;
        // eyes+mouth is smaller and lies inside the hull.
        const uint8_t* m = set.masks.data() + size_t(i) * r * r * 2;
        size_t hull = 0, eyesMouth = 0, outsideHull = 0, nonBinary = 0;
        for (size_t p = 0; p < r * r; ++p) {
            uint8_t h = m[2 * p], e = m[2 * p + 1];
            hull += h == 255;
            eyesMouth += e == 255;
            outsideHull += e == 255 && h == 0;
            nonBinary += (h != 0 && h != 255) + (e != 0 && e != 255);
        }
        EXPECT_EQ(nonBinary, 0u);
        EXPECT_GT(hull, r * r * 25 / 100);
        EXPECT_LT(hull, r * r * 60 / 100);
        EXPECT_GT(eyesMouth, r * r / 100);
        EXPECT_LT(eyesMouth, hull / 3);
        EXPECT_LT(outsideHull, eyesMouth / 10);
        size_t nx = size_t(set.landmarks[size_t(i) * 136 + 60]),
               ny = size_t(set.landmarks[size_t(i) * 136 + 61]);
        EXPECT_EQ(m[2 * (ny * r + nx)], 255);
    }
    // Faces are the aligned images, resized: a bright-ish face, not an empty buffer.
    double mean = 0;
    for (size_t p = 0; p < r * r * 3; ++p) mean += set.faces[p];
    EXPECT_GT(mean / (r * r * 3), 40.0);

    // A face deleted in review drops out of the next pack.
    fs::remove(workspace.alignedDir(Side::Src) / "000005_0.jpg");
    ASSERT_EQ(runCli(scratch, "pack" + at).exitCode, 0);
    PackedFaceset after = readPackedFaceset(workspace.packedDir(Side::Src));
    EXPECT_EQ(after.count(), 19);
    EXPECT_EQ(after.resolution, 128);  // the saved option is reused
    EXPECT_EQ(std::find(after.names.begin(), after.names.end(), "000005_0.jpg"), after.names.end());
    EXPECT_EQ(std::find(after.ids.begin(), after.ids.end(), 500), after.ids.end());
    EXPECT_EQ(workspace.stageStatus("pack.src"), "done");

    // A face with a drawn mask (mask editor) packs that mask in place of its hull: the left half
    // of the 256 px face, with a hand-sized hole excluded.
    AlignedFace drawnFace = readAlignedFace(workspace.alignedDir(Side::Src) / "000002_0.json");
    drawnFace.maskPolygons = {{true, {{0, 0}, {128, 0}, {128, 256}, {0, 256}}},
                              {false, {{32, 96}, {96, 96}, {96, 160}, {32, 160}}}};
    writeAlignedFace(workspace.alignedDir(Side::Src) / "000002_0.json", drawnFace);
    CliRun withDrawn = runCli(scratch, "pack" + at);
    ASSERT_EQ(withDrawn.exitCode, 0) << withDrawn.err;
    EXPECT_NE(withDrawn.out.find("1 with drawn masks"), std::string::npos) << withDrawn.out;
    PackedFaceset drawnSet = readPackedFaceset(workspace.packedDir(Side::Src));
    EXPECT_EQ(drawnSet.extra.value("drawn_masks", -1), 1);
    ASSERT_EQ(drawnSet.names[1], "000002_0.jpg");
    const uint8_t* m = drawnSet.masks.data() + r * r * 2;  // face 1, channel 0 below
    size_t covered = 0;
    for (size_t p = 0; p < r * r; ++p) covered += m[2 * p] == 255;
    EXPECT_NEAR(double(covered), 64.0 * 128 - 32.0 * 32, 130.0);
    EXPECT_EQ(m[2 * (20 * r + 10)], 255);  // left half
    EXPECT_EQ(m[2 * (20 * r + 100)], 0);   // right half
    EXPECT_EQ(m[2 * (64 * r + 32)], 0);    // the hole
}

TEST(PackCli, UsageErrors) {
    fs::path scratch = scratchDir("pack_usage");
    EXPECT_EQ(runCli(scratch, "pack --side src").exitCode, 2);
    CliRun help = runCli(scratch, "pack --help");
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_NE(help.out.find("resolution"), std::string::npos);
}
