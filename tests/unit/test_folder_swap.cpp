// Replacing a folder as a whole (common/FolderSwap): the staging folder is swapped in complete;
// whatever a killed process left is finished or undone by the next writer, never mixed; and
// stage locks (common/StageLock): one run at a time, a free lock once its holder is gone, and a
// stage recorded as running with no run holding its lock reads "interrupted".
#include <gtest/gtest.h>

#include <fstream>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/FolderSwap.h"
#include "common/StageLock.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

namespace {

void writeText(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string readText(const fs::path& path) {
    return test::readWholeFile(path);
}

}  // namespace

TEST(FolderSwap, SwapsTheNewContentInWholeAndDropsTheOld) {
    const fs::path dir = test::scratchDir("folder_swap_commit");
    const fs::path target = dir / "packed";
    writeText(target / "faces.npy", "old faces");
    writeText(target / "masks.npy", "old masks");
    const fs::path staging = startFolderSwap(target);
    EXPECT_EQ(staging, dir / "packed.new");
    writeText(staging / "faces.npy", "new faces");
    // Until the commit, readers see the old content only.
    EXPECT_EQ(readText(target / "faces.npy"), "old faces");
    commitFolderSwap(target);
    EXPECT_EQ(readText(target / "faces.npy"), "new faces");
    EXPECT_FALSE(fs::exists(target / "masks.npy"));  // nothing of the old one is mixed in
    EXPECT_FALSE(fs::exists(dir / "packed.new"));
    EXPECT_FALSE(fs::exists(dir / "packed.old"));

    // A first swap, with no folder there yet.
    writeText(startFolderSwap(dir / "fresh") / "a", "1");
    commitFolderSwap(dir / "fresh");
    EXPECT_EQ(readText(dir / "fresh" / "a"), "1");
}

TEST(FolderSwap, RecoversWhatAKilledSwapLeft) {
    const fs::path dir = test::scratchDir("folder_swap_recover");
    // Killed while writing the staging folder: the old content stays, the partial one goes.
    writeText(dir / "a" / "f", "old");
    writeText(dir / "a.new" / "f", "half");
    recoverFolderSwap(dir / "a");
    EXPECT_EQ(readText(dir / "a" / "f"), "old");
    EXPECT_FALSE(fs::exists(dir / "a.new"));

    // Killed between the two renames: the complete new content is put in place.
    writeText(dir / "b.old" / "f", "old");
    writeText(dir / "b.new" / "f", "new");
    recoverFolderSwap(dir / "b");
    EXPECT_EQ(readText(dir / "b" / "f"), "new");
    EXPECT_FALSE(fs::exists(dir / "b.old"));
    EXPECT_FALSE(fs::exists(dir / "b.new"));

    // Killed before removing the old content.
    writeText(dir / "c" / "f", "new");
    writeText(dir / "c.old" / "f", "old");
    recoverFolderSwap(dir / "c");
    EXPECT_EQ(readText(dir / "c" / "f"), "new");
    EXPECT_FALSE(fs::exists(dir / "c.old"));

    // An abandoned swap leaves the folder as it was.
    writeText(startFolderSwap(dir / "c") / "f", "never");
    abandonFolderSwap(dir / "c");
    EXPECT_EQ(readText(dir / "c" / "f"), "new");
    EXPECT_FALSE(fs::exists(dir / "c.new"));
}

TEST(StageLock, OneRunAtATimeAndFreeOnceItsHolderIsGone) {
    const fs::path dir = test::scratchDir("stage_lock");
    const fs::path file = dir / ".locks" / "align.src.lock";
    EXPECT_FALSE(StageLock::isHeld(file));
    {
        const StageLock first(file, "align src");
        EXPECT_TRUE(StageLock::isHeld(file));
        try {
            const StageLock second(file, "align src");
            ADD_FAILURE() << "a second run took the lock";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::Busy);
            const std::string what = e.what();
            EXPECT_NE(what.find("align src is being run by another process (pid "),
                      std::string::npos)
                << what;
        }
    }
    EXPECT_FALSE(StageLock::isHeld(file));
    const StageLock again(file, "align src");  // free again
    EXPECT_TRUE(StageLock::isHeld(file));
}

TEST(StageLock, ARunningStageWithoutItsRunReadsInterrupted) {
    const fs::path dir = test::scratchDir("stage_lock_status");
    const fs::path clip = test::dataFile("video/grid_sbia1a_75f_audio.mp4");
    const Workspace ws = Workspace::create(dir / "ws", clip, clip);
    {
        const StageLock lock(ws.stageLockFile("align.dst"), "align dst");
        ws.setStageStatus("align.dst", "running");
        EXPECT_EQ(ws.stageStatus("align.dst"), "running");
    }
    // Its process is gone (here: the lock released) but project.json still says running.
    EXPECT_EQ(ws.stageStatus("align.dst"), "interrupted");
    EXPECT_NE(
        ws.project()["stages"]["align.dst"]["message"].get<std::string>().find("run it again"),
        std::string::npos);
    EXPECT_EQ(readJsonFile(ws.projectFile())["stages"]["align.dst"]["status"], "running");
}
