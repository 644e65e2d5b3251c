// `doppel train` on a workspace that holds only what training reads: project.json and the two
// packed facesets (what a user copies to a GPU host). Runs in both builds: the full one, and the
// engine-only one whose doppel has just `train` (no Qt, OpenCV, dlib or FFmpeg).
#include <gtest/gtest.h>

#include <fstream>

#include "SyntheticFaces.h"
#include "common/AtomicFile.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::quoted;
using doppel::test::runCli;

namespace {

/// project.json plus data_src/packed and data_dst/packed, nothing else (the inputs are removed
/// as a copy for training would leave them out).
Workspace trainingOnlyWorkspace(const std::string& name) {
    const fs::path scratch = test::scratchDir("train_cli_" + name);
    const fs::path input = scratch / "input.txt";
    std::ofstream(input) << "not needed for training";
    Workspace ws = Workspace::create(scratch / "ws", input, input);
    for (Side side : {Side::Src, Side::Dst}) fs::remove(ws.inputPath(side));
    test::writeSyntheticPair(ws.root(), 64, 12);  // into data_src/packed and data_dst/packed
    return ws;
}

const std::string kTinyModel =
    " --archi df-ud --res 64 --batch 2 --set ae_dims=32 --set e_dims=16 --set d_dims=16"
    " --set d_mask_dims=8 --set device=cpu --set threads=2 --set preview_every=5";

}  // namespace

TEST(TrainCli, TrainsAndResumesOnAWorkspaceOfPackedFacesOnly) {
    Workspace ws = trainingOnlyWorkspace("resume");
    const std::string workspace = " --workspace " + quoted(ws.root());

    CliRun first = runCli(ws.root(), "train" + workspace + kTinyModel + " --iters 6");
    ASSERT_EQ(first.exitCode, 0) << first.output();
    EXPECT_NE(first.out.find("device: CPU"), std::string::npos) << first.out;
    nlohmann::json info = readJsonFile(ws.modelDir("default") / "latest.json");
    EXPECT_EQ(info["iteration"].get<int64_t>(), 6);
    EXPECT_EQ(info["options"]["archi"], "df-ud");
    EXPECT_TRUE(fs::exists(ws.modelDir("default") / "previews")) << "no preview folder";
    EXPECT_EQ(ws.stageStatus("train"), "done");

    // A resume continues the count; options not given keep the model's own.
    CliRun again = runCli(ws.root(), "train" + workspace + " --set threads=2 --iters 4");
    ASSERT_EQ(again.exitCode, 0) << again.output();
    EXPECT_NE(again.out.find("resuming at iteration 6"), std::string::npos) << again.out;
    info = readJsonFile(ws.modelDir("default") / "latest.json");
    EXPECT_EQ(info["iteration"].get<int64_t>(), 10);
    EXPECT_EQ(info["options"]["ae_dims"].get<int>(), 32);

    // The resolution of an existing model cannot change: refused with the reason, model kept.
    CliRun resized = runCli(ws.root(), "train" + workspace + " --res 96 --iters 1");
    EXPECT_EQ(resized.exitCode, 2) << resized.output();
    EXPECT_NE(resized.err.find("resolution"), std::string::npos) << resized.err;
    EXPECT_EQ(readJsonFile(ws.modelDir("default") / "latest.json")["iteration"].get<int64_t>(), 10);
}

TEST(TrainCli, EstimateAndMissingFacesets) {
    Workspace ws = trainingOnlyWorkspace("estimate");
    const std::string workspace = " --workspace " + quoted(ws.root());
    CliRun estimate = runCli(ws.root(), "train" + workspace + kTinyModel + " --estimate");
    ASSERT_EQ(estimate.exitCode, 0) << estimate.output();
    EXPECT_NE(estimate.out.find("estimate_bytes: "), std::string::npos) << estimate.out;
    EXPECT_FALSE(fs::exists(ws.modelDir("default") / "latest.json"));

    // A copy that forgot the destination faceset: the error names the folder and the fix.
    removeTree(ws.packedDir(Side::Dst));
    CliRun missing = runCli(ws.root(), "train" + workspace + kTinyModel + " --iters 1");
    EXPECT_EQ(missing.exitCode, 1) << missing.output();
    EXPECT_NE(missing.err.find(ws.packedDir(Side::Dst).string()), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("doppel pack"), std::string::npos) << missing.err;
}

TEST(TrainCli, TheEngineOnlyBuildSaysWhereTheOtherStagesRun) {
    const fs::path scratch = test::scratchDir("train_cli_help");
    CliRun help = runCli(scratch, "--help");
    ASSERT_EQ(help.exitCode, 0) << help.output();
    EXPECT_NE(help.out.find("\n  train "), std::string::npos) << help.out;
    const bool engineOnly = help.out.find("Engine-only build") != std::string::npos;
    CliRun merge = runCli(scratch, "merge --help");
    if (engineOnly) {
        EXPECT_EQ(help.out.find("\n  merge "), std::string::npos) << help.out;
        EXPECT_EQ(merge.exitCode, 2);
        EXPECT_NE(merge.err.find("engine-only build"), std::string::npos) << merge.err;
    } else {
        EXPECT_NE(help.out.find("\n  merge "), std::string::npos) << help.out;
        EXPECT_EQ(merge.exitCode, 0) << merge.output();
    }
}

TEST(TrainCli, ANewModelStartsFromATrainedOneOfAnotherWorkspace) {
    Workspace first = trainingOnlyWorkspace("reuse_first");
    CliRun trained = runCli(
        first.root(), "train --workspace " + quoted(first.root()) + kTinyModel + " --iters 4");
    ASSERT_EQ(trained.exitCode, 0) << trained.output();
    const std::string weights = test::readWholeFile(
        first.modelDir("default") / "checkpoints" /
        readJsonFile(first.modelDir("default") / "latest.json")["checkpoint"].get<std::string>() /
        "model.pt");

    // A second workspace (a new destination) starts from the first one's model, by workspace.
    Workspace second = trainingOnlyWorkspace("reuse_second");
    const std::string workspace = " --workspace " + quoted(second.root());
    CliRun reused = runCli(second.root(), "train" + workspace + " --model reused --from " +
                                              quoted(first.root()) + " --set threads=2 --iters 2");
    ASSERT_EQ(reused.exitCode, 0) << reused.output();
    EXPECT_NE(reused.out.find("starts from a copy of"), std::string::npos) << reused.out;
    EXPECT_NE(reused.out.find("resuming at iteration 4"), std::string::npos) << reused.out;
    nlohmann::json info = readJsonFile(second.modelDir("reused") / "latest.json");
    EXPECT_EQ(info["iteration"].get<int64_t>(), 6);
    EXPECT_EQ(info["options"]["ae_dims"].get<int>(), 32);  // the reused model's own options
    EXPECT_FALSE(fs::exists(second.modelsDir() / "reused.copying"));
    // The first model is untouched.
    EXPECT_EQ(readJsonFile(first.modelDir("default") / "latest.json")["iteration"].get<int64_t>(),
              4);
    EXPECT_EQ(
        test::readWholeFile(first.modelDir("default") / "checkpoints" /
                            readJsonFile(first.modelDir("default") / "latest.json")["checkpoint"]
                                .get<std::string>() /
                            "model.pt"),
        weights);

    // Not over an existing model; not from a folder without one; a model folder works too.
    CliRun again = runCli(second.root(), "train" + workspace + " --model reused --from " +
                                             quoted(first.root()) + " --iters 1");
    EXPECT_EQ(again.exitCode, 2) << again.output();
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
    CliRun nothing = runCli(second.root(), "train" + workspace + " --model other --from " +
                                               quoted(second.packedDir(Side::Src)) + " --iters 1");
    EXPECT_EQ(nothing.exitCode, 1) << nothing.output();
    EXPECT_NE(nothing.err.find("no trained model in"), std::string::npos) << nothing.err;
    EXPECT_FALSE(fs::exists(second.modelDir("other")));
    CliRun byFolder =
        runCli(second.root(), "train" + workspace + " --model direct --from " +
                                  quoted(first.modelDir("default")) + " --set threads=2 --iters 1");
    ASSERT_EQ(byFolder.exitCode, 0) << byFolder.output();
    EXPECT_EQ(readJsonFile(second.modelDir("direct") / "latest.json")["iteration"].get<int64_t>(),
              5);
}
