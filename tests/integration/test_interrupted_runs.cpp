// Stopped runs lose nothing that was finished before them: an align redo cancelled half way
// keeps the faces from before (drawn masks included) instead of having deleted them up front;
// a redo that finishes swaps the new faces in whole, without the faces deleted in review. An
// extract whose start lies past the end of the clip is refused before the frames of the old
// settings are removed, and options that cannot work are not saved for later runs. Frames extracted
// anew with other settings do not inherit the faces of the old frames that had their numbers (set
// aside, not deleted).
#include <gtest/gtest.h>

#include <atomic>

#include "common/FolderSwap.h"
#include "common/Progress.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "pipeline/FacesetReview.h"
#include "pipeline/FrameFiles.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

namespace {

/// Cancels its token after `after` progress reports: the user pressing Stop mid-run.
class CancelAfter : public ProgressSink {
  public:
    CancelAfter(CancelToken& token, int after) : token_(token), left_(after) {}
    void report(const ProgressEvent&) override {
        if (--left_ == 0) token_.cancel();
    }

  private:
    CancelToken& token_;
    std::atomic<int> left_;
};

Workspace extractedWorkspace(const fs::path& dir) {
    const fs::path clip = test::dataFile("video/grid_sbia1a_75f_audio.mp4");
    Workspace ws = Workspace::create(dir / "ws", clip, clip);
    NullProgressSink progress;
    CancelToken cancel;
    EXPECT_TRUE(ExtractStage::run(ws, Side::Dst, {{"fps", 10}}, progress, cancel).ok());
    return ws;
}

}  // namespace

TEST(InterruptedRuns, ACancelledAlignRedoKeepsTheFacesFromBefore) {
    const fs::path dir = test::scratchDir("interrupted_align_redo");
    const Workspace ws = extractedWorkspace(dir);
    NullProgressSink quiet;
    CancelToken never;
    ASSERT_TRUE(AlignStage::run(ws, Side::Dst, nlohmann::json::object(), quiet, never).ok());
    std::vector<AlignedFace> before = listAlignedFaces(ws.alignedDir(Side::Dst));
    ASSERT_GE(before.size(), 25u);
    // The user's work on one face: a drawn mask.
    AlignedFace drawn = before[3];
    drawn.maskPolygons = {{true, {{40, 40}, {200, 40}, {200, 220}, {40, 220}}}};
    writeAlignedFace(ws.alignedDir(Side::Dst) / drawn.metaName(), drawn);

    CancelToken stop;
    CancelAfter stopMidway(stop, 12);
    const StageResult cancelled =
        AlignStage::run(ws, Side::Dst, {{"redo", true}}, stopMidway, stop);
    ASSERT_EQ(cancelled.status, StageStatus::Cancelled) << cancelled.message;
    EXPECT_NE(cancelled.message.find("the faces from before are kept"), std::string::npos)
        << cancelled.message;
    const std::vector<AlignedFace> after = listAlignedFaces(ws.alignedDir(Side::Dst));
    ASSERT_EQ(after.size(), before.size());
    EXPECT_EQ(readAlignedFace(ws.alignedDir(Side::Dst) / drawn.metaName()).maskPolygons,
              drawn.maskPolygons);
    EXPECT_FALSE(fs::exists(stagingFolder(ws.alignedDir(Side::Dst))));

    // A redo that runs to the end replaces them all and carries the drawn mask over; a face
    // deleted in review stays deleted.
    const AlignedFace deleted = before[9];
    ASSERT_EQ(FacesetReview::trashFaces(ws, Side::Dst, {deleted}), 1);
    const StageResult redone = AlignStage::run(ws, Side::Dst, {{"redo", true}}, quiet, never);
    ASSERT_TRUE(redone.ok()) << redone.message;
    EXPECT_EQ(redone.summary["faces_kept_deleted"], 1);
    EXPECT_EQ(listAlignedFaces(ws.alignedDir(Side::Dst)).size(), before.size() - 1);
    for (const AlignedFace& face : listAlignedFaces(ws.alignedDir(Side::Dst)))
        EXPECT_NE(face.frameIndex, deleted.frameIndex);
    EXPECT_TRUE(readAlignedFace(ws.alignedDir(Side::Dst) / drawn.metaName()).hasDrawnMask());
    EXPECT_FALSE(fs::exists(stagingFolder(ws.alignedDir(Side::Dst))));
    EXPECT_FALSE(fs::exists(ws.alignedDir(Side::Dst).string() + ".old"));
}

TEST(InterruptedRuns, AnExtractThatCannotWorkRemovesNothingAndSavesNothing) {
    const fs::path dir = test::scratchDir("interrupted_extract_options");
    const Workspace ws = extractedWorkspace(dir);
    const size_t frames = listFrames(ws.framesDir(Side::Dst)).size();
    ASSERT_EQ(frames, 30u);  // 3 s at 10 frames/s
    NullProgressSink quiet;
    CancelToken never;

    // Past the end of the 3-second clip, with other settings (which would remove the frames).
    const StageResult past =
        ExtractStage::run(ws, Side::Dst, {{"fps", 5}, {"start", 1e7}}, quiet, never);
    EXPECT_FALSE(past.ok());
    EXPECT_NE(past.message.find("past the end"), std::string::npos) << past.message;
    EXPECT_EQ(listFrames(ws.framesDir(Side::Dst)).size(), frames);

    const StageResult backwards =
        ExtractStage::run(ws, Side::Dst, {{"start", 2}, {"end", 1}}, quiet, never);
    EXPECT_FALSE(backwards.ok());
    // Neither was saved: the next plain run uses the settings that worked.
    const nlohmann::json saved = ws.stageOptions("extract.dst");
    EXPECT_EQ(saved["fps"], 10);
    EXPECT_EQ(saved["start"], 0);
    EXPECT_EQ(saved["end"], 0);
    EXPECT_TRUE(ExtractStage::run(ws, Side::Dst, saved, quiet, never).ok());
    EXPECT_EQ(listFrames(ws.framesDir(Side::Dst)).size(), frames);
}

TEST(InterruptedRuns, FramesExtractedAnewDoNotKeepTheOldFramesFaces) {
    const fs::path dir = test::scratchDir("reextract_sets_faces_aside");
    const Workspace ws = extractedWorkspace(dir);  // 30 frames at 10 frames/s
    NullProgressSink quiet;
    CancelToken never;
    ASSERT_TRUE(AlignStage::run(ws, Side::Dst, nlohmann::json::object(), quiet, never).ok());
    const size_t before = listAlignedFaces(ws.alignedDir(Side::Dst)).size();
    ASSERT_GE(before, 25u);
    AlignedFace drawn = listAlignedFaces(ws.alignedDir(Side::Dst))[5];
    drawn.maskPolygons = {{true, {{40, 40}, {200, 40}, {200, 220}}}};
    writeAlignedFace(ws.alignedDir(Side::Dst) / drawn.metaName(), drawn);

    // 5 frames/s: frame 6 is now the picture at 1.0 s, not at 0.5 s.
    ASSERT_TRUE(ExtractStage::run(ws, Side::Dst, {{"fps", 5}}, quiet, never).ok());
    EXPECT_TRUE(listAlignedFaces(ws.alignedDir(Side::Dst)).empty());
    const fs::path replaced = ws.sideDir(Side::Dst) / "replaced";
    ASSERT_TRUE(fs::is_directory(replaced));
    const fs::path aside = fs::directory_iterator(replaced)->path() / "aligned";
    EXPECT_EQ(listAlignedFaces(aside).size(), before);  // kept, with the drawn mask
    EXPECT_TRUE(readAlignedFace(aside / drawn.metaName()).hasDrawnMask());

    // Align looks at every new frame instead of keeping the old faces for them.
    const StageResult again =
        AlignStage::run(ws, Side::Dst, nlohmann::json::object(), quiet, never);
    ASSERT_TRUE(again.ok()) << again.message;
    EXPECT_EQ(again.summary["frames_resumed"], 0);
    const std::vector<AlignedFace> faces = listAlignedFaces(ws.alignedDir(Side::Dst));
    EXPECT_GE(faces.size(), 13u);
    EXPECT_LE(faces.size(), 15u);
    for (const AlignedFace& face : faces) EXPECT_FALSE(face.hasDrawnMask()) << face.stem();
}
