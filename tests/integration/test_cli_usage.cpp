// What the command line refuses, through the real `doppel`: a switch with a value it cannot mean
// (--visible-label=maybe), a word no command asked for, an option given twice with different
// values, a training length of 0 (it used to mean "for ever"); a `new` that fails half way
// leaves no workspace behind, so the corrected command works at once; a second run of a stage
// (or extract beside align of the same side) while one is running is refused, and status tells
// a killed run from a running one.
#include <gtest/gtest.h>

#include "common/StageLock.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::quoted;
using doppel::test::runCli;

namespace {

void expectUsageError(const CliRun& run, const std::string& says) {
    EXPECT_EQ(run.exitCode, 2) << run.output();
    EXPECT_NE(run.err.find(says), std::string::npos) << run.err;
}

}  // namespace

TEST(CliUsage, RefusesWhatItCannotMeanAndLeavesNoHalfMadeWorkspace) {
    const fs::path dir = test::scratchDir("cli_usage");
    const fs::path ws = dir / "ws";
    const std::string clip = quoted(dataFile("video/grid_sbia1a_75f_audio.mp4"));
    const std::string photo = quoted(dataFile("photos/lisa3.jpg"));

    // The same source twice: refused, and nothing is left of the workspace.
    const CliRun twice = runCli(dir, "new --workspace " + quoted(ws) + " --src " + photo +
                                         " --src " + photo + " --dst " + clip);
    EXPECT_NE(twice.exitCode, 0);
    EXPECT_FALSE(fs::exists(ws));
    expectUsageError(runCli(dir, "new --workspace " + quoted(ws) + " --src " + photo + " --dst " +
                                     clip + " --dst " + photo),
                     "--dst given more than once");
    EXPECT_FALSE(fs::exists(ws / "project.json"));
    ASSERT_EQ(runCli(dir, "new --workspace " + quoted(ws) + " --src " + photo + " --dst " + clip)
                  .exitCode,
              0);

    expectUsageError(runCli(dir, "extract --workspace " + quoted(ws) + " --side dst stray"),
                     "unexpected argument 'stray'");
    expectUsageError(runCli(dir, "extract --workspace " + quoted(ws) + " --side src --side dst"),
                     "--side given more than once ('src' and 'dst')");
    expectUsageError(runCli(dir, "export --workspace " + quoted(ws) + " --visible-label=maybe"),
                     "--visible-label is a switch");
    expectUsageError(runCli(dir, "train --workspace " + quoted(ws) + " --iters 0"),
                     "--iters takes 1 to 10^12");
    expectUsageError(runCli(dir, "xseg-train --workspace " + quoted(ws) + " --minutes 0"),
                     "--iters takes 1 to 10^12");
}

TEST(CliUsage, OneRunPerStageAndStatusTellsAKilledRunFromARunningOne) {
    const fs::path dir = test::scratchDir("cli_stage_lock");
    const fs::path ws = dir / "ws";
    const std::string clip = quoted(dataFile("video/grid_sbia1a_75f_audio.mp4"));
    ASSERT_EQ(
        runCli(dir, "new --workspace " + quoted(ws) + " --src " + clip + " --dst " + clip).exitCode,
        0);
    const Workspace workspace = Workspace::open(ws);
    {
        // Another process extracting the destination (here: this one, holding its lock).
        const StageLock other(workspace.stageLockFile("extract.dst"), "extract dst");
        workspace.setStageStatus("extract.dst", "running");
        const CliRun second = runCli(dir, "extract --workspace " + quoted(ws) + " --side dst");
        EXPECT_EQ(second.exitCode, 1) << second.output();
        EXPECT_NE(second.err.find("extract dst is being run by another process (pid "),
                  std::string::npos)
            << second.err;
        EXPECT_NE(runCli(dir, "status --workspace " + quoted(ws)).out.find("(extract running)"),
                  std::string::npos);
    }
    {
        // Align of the same side: extract would remove the frames it reads.
        const StageLock aligning(workspace.stageLockFile("align.dst"), "align dst");
        const CliRun beside = runCli(dir, "extract --workspace " + quoted(ws) + " --side dst");
        EXPECT_EQ(beside.exitCode, 1) << beside.output();
        EXPECT_NE(beside.err.find("align dst is being run by another process (pid "),
                  std::string::npos)
            << beside.err;
        EXPECT_NE(beside.err.find("extract dst cannot run beside it"), std::string::npos)
            << beside.err;
    }
    {
        // A merge reads the destination's frames and faces: neither is made anew under it.
        const StageLock merging(workspace.stageLockFile("merge"), "merge");
        for (const char* command : {"extract", "align"}) {
            const CliRun under =
                runCli(dir, std::string(command) + " --workspace " + quoted(ws) + " --side dst");
            EXPECT_EQ(under.exitCode, 1) << under.output();
            EXPECT_NE(under.err.find("merge is being run by another process (pid "),
                      std::string::npos)
                << under.err;
        }
    }
    {
        // A source extract reads the list of inputs at its start: none is added under it.
        const StageLock extracting(workspace.stageLockFile("extract.src"), "extract src");
        const CliRun add = runCli(dir, "add-source --workspace " + quoted(ws) + " " +
                                           quoted(dataFile("video/grid_s2_150f.mp4")));
        EXPECT_NE(add.exitCode, 0) << add.output();
        EXPECT_NE(add.err.find("extract src is being run by another process"), std::string::npos)
            << add.err;
    }
    // That process gone without finishing: interrupted, and a new run goes ahead.
    EXPECT_NE(runCli(dir, "status --workspace " + quoted(ws)).out.find("(extract interrupted)"),
              std::string::npos);
    EXPECT_EQ(runCli(dir, "extract --workspace " + quoted(ws) + " --side dst --set fps=5").exitCode,
              0);
    EXPECT_EQ(workspace.stageStatus("extract.dst"), "done");
}
