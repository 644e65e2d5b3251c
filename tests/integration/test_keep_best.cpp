// Thinning a faceset (`doppel keep-best`, FacesetReview): the N kept faces are the sharp ones
// and span the head turns of the whole set, the others go to trash/ and come back with
// restoreFaces; deleting a destination face drops its frame's merged image so merge redoes it;
// the "odd ones out" sort puts a crop where the landmarks missed the face before every face.
#include <gtest/gtest.h>

#include <algorithm>

#include <opencv2/imgcodecs.hpp>

#include "common/Progress.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "faces/FaceSortKeys.h"
#include "media/ImageIO.h"
#include "pipeline/FacesetReview.h"
#include "support/CliWorkspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::quoted;
using doppel::test::runCli;

namespace {

/// The lowest and highest head turn among the source's aligned faces.
std::pair<double, double> yawSpan(const Workspace& ws) {
    double lowest = 1e9, highest = -1e9;
    for (const AlignedFace& face : listAlignedFaces(ws.alignedDir(Side::Src))) {
        const double yaw =
            computeFaceSortKeys(loadImage(ws.alignedDir(Side::Src) / face.imageName()),
                                face.landmarks, cv::Size(face.frameWidth, face.frameHeight))
                .yawDegrees;
        lowest = std::min(lowest, yaw), highest = std::max(highest, yaw);
    }
    return {lowest, highest};
}

/// 50 frames of a GRID clip on both sides, extracted and aligned with the real CLI.
fs::path alignedGridWorkspace(const std::string& name) {
    const fs::path clip = dataFile("video/grid_s2_150f.mp4");
    return test::cliWorkspace(test::scratchDir(name), clip, clip, "--set end=2", "src dst");
}

}  // namespace

TEST(KeepBest, KeepsSharpFacesSpanningTheTurnsAndTrashesTheRest) {
    const fs::path ws = alignedGridWorkspace("keep_best");
    const fs::path scratch = ws.parent_path();
    Workspace workspace = Workspace::open(ws);
    ASSERT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).size(), 50u);
    const auto [lowest, highest] = yawSpan(workspace);
    workspace.setStageStatus("pack.src", "done");

    CliRun kept = runCli(scratch, "keep-best --workspace " + quoted(ws) + " --count 10");
    ASSERT_EQ(kept.exitCode, 0) << kept.output();
    EXPECT_NE(kept.out.find("kept the 10 best of 50 faces"), std::string::npos) << kept.out;
    ASSERT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).size(), 10u);
    const auto [keptLowest, keptHighest] = yawSpan(workspace);
    std::printf("yaw of all faces %.1f..%.1f, of the 10 kept %.1f..%.1f\n", lowest, highest,
                keptLowest, keptHighest);
    EXPECT_GE(keptHighest - keptLowest, 0.7 * (highest - lowest));
    EXPECT_EQ(workspace.stageStatus("pack.src"), "stale");
    EXPECT_EQ(FacesetReview::restoreFaces(workspace, Side::Src), 40);
    EXPECT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).size(), 50u);

    CliRun usage = runCli(scratch, "keep-best --workspace " + quoted(ws) + " --count 0");
    EXPECT_EQ(usage.exitCode, 2);
    // Every destination face is a frame to swap: thinning them is refused, nothing moves.
    const size_t dstFaces = listAlignedFaces(workspace.alignedDir(Side::Dst)).size();
    CliRun dst = runCli(scratch, "keep-best --workspace " + quoted(ws) + " --side dst --count 2");
    EXPECT_EQ(dst.exitCode, 1) << dst.output();
    EXPECT_NE(dst.output().find("thins the source faceset"), std::string::npos) << dst.output();
    EXPECT_EQ(listAlignedFaces(workspace.alignedDir(Side::Dst)).size(), dstFaces);

    // A destination face deleted after merging: its frame is merged again, the others are not.
    fs::create_directories(workspace.mergedDir());
    const cv::Mat grey(8, 8, CV_8UC3, cv::Scalar(90, 90, 90));
    for (const char* name : {"000003.png", "000004.png"})
        ASSERT_TRUE(cv::imwrite((workspace.mergedDir() / name).string(), grey));
    workspace.setStageStatus("merge", "done");
    const AlignedFace dst3 = readAlignedFace(workspace.alignedDir(Side::Dst) / "000003_0.json");
    EXPECT_EQ(FacesetReview::trashFaces(workspace, Side::Dst, {dst3}), 1);
    EXPECT_FALSE(fs::exists(workspace.mergedDir() / "000003.png"));
    EXPECT_TRUE(fs::exists(workspace.mergedDir() / "000004.png"));
    EXPECT_EQ(workspace.stageStatus("merge"), "stale");
    EXPECT_TRUE(fs::exists(workspace.trashDir(Side::Dst) / "000003_0.jpg"));
}

TEST(FaceReviewSorts, ACropWhereTheLandmarksMissedTheFaceIsTheOddOneOut) {
    const fs::path ws = alignedGridWorkspace("odd_one_out");
    const Workspace workspace = Workspace::open(ws);
    std::vector<cv::Mat> thumbnails;
    for (const AlignedFace& face : listAlignedFaces(workspace.alignedDir(Side::Src)))
        thumbnails.push_back(
            normalizedThumbnail(loadImage(workspace.alignedDir(Side::Src) / face.imageName())));
    ASSERT_EQ(thumbnails.size(), 50u);
    // What a lost landmark model gives: the crop below the face (collar and shirt).
    const AlignedFace face = listAlignedFaces(workspace.alignedDir(Side::Src)).front();
    const cv::Mat frame = loadImage(workspace.framesDir(Side::Src) / face.sourceFrame);
    const cv::Rect below(int(face.box[0]), int(face.box[1] + face.box[3]), int(face.box[2]),
                         std::min(int(face.box[3]), frame.rows - int(face.box[1] + face.box[3])));
    thumbnails.push_back(normalizedThumbnail(frame(below)));

    const std::vector<double> likeness = likenessToTheSet(thumbnails);
    const double faces = *std::min_element(likeness.begin(), likeness.end() - 1);
    std::printf("likeness: faces %.2f and up, the crop below the face %.2f\n", faces,
                likeness.back());
    EXPECT_GT(faces, 0.8);
    EXPECT_LT(likeness.back(), faces - 0.3);  // measured 0.41 against 0.98: first in the sort
}
