// A source made of several inputs (clips and photos of one person): `new --src A --src B` and
// `add-source` copy them in, extract numbers each input's frames in a block of its own and keeps
// what is already extracted when an input is added, align follows faces within a clip but never
// from one clip into the next, the destination takes one input only, and a broken added input
// is named (with the file it was copied from and how to take it out) while the frames already
// extracted stay; taken out, its block stays unused.
#include <gtest/gtest.h>

#include <set>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::quoted;
using doppel::test::runCli;

namespace {

std::set<std::string> frameNames(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".png") names.insert(e.path().filename().string());
    return names;
}

}  // namespace

TEST(MoreSources, ClipsAndPhotosOfOnePersonAreExtractedAndAlignedApart) {
    const fs::path scratch = test::scratchDir("more_sources");
    const fs::path ws = scratch / "ws";
    const fs::path clipA = dataFile("video/grid_s2_150f.mp4");
    const fs::path clipB = dataFile("video/grid_sbia1a_75f_audio.mp4");
    const fs::path photos = dataFile("photos");
    CliRun made = runCli(scratch, "new --workspace " + quoted(ws) + " --src " + quoted(clipA) +
                                      " --src " + quoted(clipB) + " --dst " + quoted(clipB));
    ASSERT_EQ(made.exitCode, 0) << made.output();
    CliRun added = runCli(scratch, "add-source --workspace " + quoted(ws) + " " + quoted(photos));
    ASSERT_EQ(added.exitCode, 0) << added.output();
    EXPECT_NE(added.out.find("input_3"), std::string::npos) << added.out;
    Workspace workspace = Workspace::open(ws);
    ASSERT_EQ(workspace.inputPaths(Side::Src).size(), 3u);
    EXPECT_THROW(workspace.addInput(Side::Dst, clipA), Error);  // the scene is one video
    CliRun twice = runCli(scratch, "add-source --workspace " + quoted(ws) + " " +
                                       quoted(workspace.inputPaths(Side::Src)[1]));
    EXPECT_NE(twice.exitCode, 0);
    EXPECT_NE(twice.err.find("already an input"), std::string::npos) << twice.err;
    CliRun original = runCli(scratch, "add-source --workspace " + quoted(ws) + " " + quoted(clipA));
    EXPECT_NE(original.exitCode, 0);
    EXPECT_NE(original.err.find("already an input"), std::string::npos) << original.err;

    // Each input in a block of its own: clip A 1.., clip B 1000001.., the photos 2000001..
    const std::string extract = "extract --workspace " + quoted(ws) + " --side src --set end=0.4";
    CliRun first = runCli(scratch, extract);
    ASSERT_EQ(first.exitCode, 0) << first.output();
    const fs::path frames = workspace.framesDir(Side::Src);
    const std::set<std::string> names = frameNames(frames);
    EXPECT_EQ(names.size(), 23u);
    for (const char* name :
         {"000001.png", "000010.png", "1000001.png", "1000010.png", "2000001.png", "2000003.png"})
        EXPECT_TRUE(names.count(name)) << name;
    const nlohmann::json index = readJsonFile(frames / "index.json");
    ASSERT_EQ(index["segments"].size(), 3u);
    EXPECT_EQ(index["segments"][0]["kind"], "video");
    EXPECT_EQ(index["segments"][1]["first"].get<int64_t>(), 1000001);
    EXPECT_EQ(index["segments"][1]["last"].get<int64_t>(), 1000010);
    EXPECT_NE(index["segments"][2]["kind"], "video");

    // Another input later: the frames already there are kept, only its own are written.
    ASSERT_EQ(runCli(scratch, "add-source --workspace " + quoted(ws) + " " +
                                  quoted(dataFile("photos/grace_hopper.jpg")))
                  .exitCode,
              0);
    EXPECT_EQ(workspace.stageStatus("extract.src"), "stale");
    CliRun more = runCli(scratch, extract);
    ASSERT_EQ(more.exitCode, 0) << more.output();
    EXPECT_NE(more.out.find("24 frames"), std::string::npos) << more.out;
    EXPECT_NE(more.out.find("(1 written, 23 kept)"), std::string::npos) << more.out;
    EXPECT_TRUE(fs::exists(frames / "3000001.png"));

    // Align: one track per clip, none carried from clip A's last frame into clip B's first (the
    // two speakers sit at the same place in the frame, IoU 0.9: box overlap alone would join
    // them), stills untracked.
    CliRun aligned =
        runCli(scratch, "align --workspace " + quoted(ws) + " --side src --set keep=all");
    ASSERT_EQ(aligned.exitCode, 0) << aligned.output();
    std::set<int> tracksA, tracksB;
    int stills = 0;
    for (const AlignedFace& face : listAlignedFaces(workspace.alignedDir(Side::Src))) {
        if (face.frameIndex < 1000000) tracksA.insert(face.trackId);
        if (face.frameIndex > 1000000 && face.frameIndex < 2000000) tracksB.insert(face.trackId);
        if (face.frameIndex > 2000000) {
            EXPECT_EQ(face.trackId, -1);
            ++stills;
        }
    }
    ASSERT_EQ(tracksA.size(), 1u);
    ASSERT_EQ(tracksB.size(), 1u);
    EXPECT_NE(*tracksA.begin(), *tracksB.begin());
    EXPECT_GE(*tracksA.begin(), 0);
    EXPECT_EQ(stills, 6);  // grace_hopper (twice), lisa3 and the 3 people of three_people.png

    // Clip B taken out again: its faces go to the trash and its frames with the next extract.
    CliRun removed =
        runCli(scratch, "add-source --workspace " + quoted(ws) + " --remove " + quoted(clipB));
    ASSERT_EQ(removed.exitCode, 0) << removed.output();
    EXPECT_NE(removed.out.find("10 of its aligned faces moved"), std::string::npos) << removed.out;
    for (const AlignedFace& face : listAlignedFaces(workspace.alignedDir(Side::Src)))
        EXPECT_TRUE(face.frameIndex < 1000000 || face.frameIndex > 2000000) << face.frameIndex;
    CliRun without = runCli(scratch, extract);
    ASSERT_EQ(without.exitCode, 0) << without.output();
    EXPECT_NE(without.out.find("14 frames"), std::string::npos) << without.out;
    EXPECT_NE(without.out.find("(0 written, 14 kept)"), std::string::npos) << without.out;
    EXPECT_FALSE(fs::exists(frames / "1000001.png"));

    // Other extract options: every block is made again.
    CliRun changed = runCli(scratch, extract + " --set max_side=256");
    ASSERT_EQ(changed.exitCode, 0) << changed.output();
    EXPECT_NE(changed.out.find("(14 written, 0 kept)"), std::string::npos) << changed.out;
}

TEST(MoreSources, ABrokenAddedInputIsNamedAndTheFramesAlreadyExtractedStay) {
    const fs::path scratch = test::scratchDir("more_sources_broken");
    const fs::path ws = scratch / "ws";
    const fs::path clip = dataFile("video/grid_s2_150f.mp4");
    ASSERT_EQ(runCli(scratch, "new --workspace " + quoted(ws) + " --src " + quoted(clip) +
                                  " --dst " + quoted(clip))
                  .exitCode,
              0);
    const std::string extract = "extract --workspace " + quoted(ws) + " --side src --set end=0.4";
    ASSERT_EQ(runCli(scratch, extract).exitCode, 0);
    const Workspace workspace = Workspace::open(ws);
    const std::string firstFrame =
        test::readWholeFile(workspace.framesDir(Side::Src) / "000001.png");

    // A file that is no video is refused when it is added, naming it; nothing is copied in.
    const fs::path broken = dataFile("bad/notavideo.mp4");
    CliRun refused = runCli(scratch, "add-source --workspace " + quoted(ws) + " " + quoted(broken));
    EXPECT_EQ(refused.exitCode, 1) << refused.output();
    EXPECT_NE(refused.err.find("notavideo.mp4"), std::string::npos) << refused.err;
    EXPECT_FALSE(fs::exists(ws / "data_src" / "input_2.mp4"));
    // One that breaks after it was added (a disk error, a file replaced) is named at extract.
    const fs::path second = dataFile("video/grid_sbia1a_75f_audio.mp4");
    ASSERT_EQ(
        runCli(scratch, "add-source --workspace " + quoted(ws) + " " + quoted(second)).exitCode, 0);
    fs::copy_file(broken, ws / "data_src" / "input_2.mp4", fs::copy_options::overwrite_existing);
    CliRun failed = runCli(scratch, extract);
    EXPECT_EQ(failed.exitCode, 1) << failed.output();
    // The message names the workspace copy and the file the user gave.
    EXPECT_NE(failed.err.find("input_2.mp4"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("copied from " + fs::absolute(second).lexically_normal().string()),
              std::string::npos)
        << failed.err;
    EXPECT_NE(failed.err.find("add-source --remove input_2.mp4"), std::string::npos) << failed.err;
    EXPECT_EQ(frameNames(workspace.framesDir(Side::Src)).size(), 10u);
    EXPECT_EQ(test::readWholeFile(workspace.framesDir(Side::Src) / "000001.png"), firstFrame);

    // Taken out again, as the message says: extract works and keeps the first input's frames.
    CliRun removed =
        runCli(scratch, "add-source --workspace " + quoted(ws) + " --remove input_2.mp4");
    ASSERT_EQ(removed.exitCode, 0) << removed.output();
    EXPECT_FALSE(fs::exists(ws / "data_src" / "input_2.mp4"));
    CliRun again = runCli(scratch, extract);
    ASSERT_EQ(again.exitCode, 0) << again.output();
    EXPECT_NE(again.out.find("(0 written, 10 kept)"), std::string::npos) << again.out;
    // A later input gets a block of its own: the removed one's numbers are never reused.
    ASSERT_EQ(runCli(scratch, "add-source --workspace " + quoted(ws) + " " +
                                  quoted(dataFile("photos/lisa3.jpg")))
                  .exitCode,
              0);
    CliRun third = runCli(scratch, extract);
    ASSERT_EQ(third.exitCode, 0) << third.output();
    EXPECT_TRUE(fs::exists(workspace.framesDir(Side::Src) / "2000001.png"));
    EXPECT_NE(third.out.find("(1 written, 10 kept)"), std::string::npos) << third.out;
    CliRun first = runCli(scratch, "add-source --workspace " + quoted(ws) + " --remove input.mp4");
    EXPECT_NE(first.exitCode, 0);
    EXPECT_NE(first.err.find("first input"), std::string::npos) << first.err;

    // A folder whose copy fails half way (a broken link in it) leaves nothing behind: the next
    // input is not mixed with its files, and the error names the file.
    const fs::path folder = scratch / "photos_with_a_broken_link";
    fs::create_directories(folder);
    fs::copy_file(dataFile("photos/grace_hopper.jpg"), folder / "a.jpg");
    fs::create_symlink(scratch / "nowhere.jpg", folder / "z.jpg");
    CliRun halfCopied =
        runCli(scratch, "add-source --workspace " + quoted(ws) + " " + quoted(folder));
    EXPECT_EQ(halfCopied.exitCode, 1) << halfCopied.output();
    EXPECT_NE(halfCopied.err.find("z.jpg"), std::string::npos) << halfCopied.err;
    for (const auto& entry : fs::directory_iterator(ws / "data_src"))
        EXPECT_EQ(entry.path().filename().string().find("input_4"), std::string::npos)
            << entry.path();
    // A workspace inside its input folder would copy itself into itself: refused, nothing made.
    CliRun nested = runCli(scratch, "new --workspace " + quoted(folder / "ws") + " --src " +
                                        quoted(folder) + " --dst " + quoted(clip));
    EXPECT_EQ(nested.exitCode, 2) << nested.output();
    EXPECT_FALSE(fs::exists(folder / "ws"));
    // A link to an input is that input.
    fs::create_symlink(clip, scratch / "same_clip.mp4");
    CliRun linked = runCli(
        scratch, "add-source --workspace " + quoted(ws) + " " + quoted(scratch / "same_clip.mp4"));
    EXPECT_NE(linked.err.find("already an input"), std::string::npos) << linked.err;
}
