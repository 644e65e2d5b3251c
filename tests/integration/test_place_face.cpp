// Faces placed by hand (`doppel place-face`, FacePlacer): frames without a face are listed, a
// loosely drawn box gives the landmarks the detector would have given, a blurred face the
// detector misses is still placed, align keeps placed faces and does not bring deleted ones
// back, and placing a destination face makes its frame merge again; `doppel status` reports such
// a workspace and the next command.

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "pipeline/FacePlacer.h"
#include "support/CliWorkspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::runCli;
using doppel::test::scratchDir;

namespace {

/// 30 frames of a GRID clip on both sides, the source aligned.
fs::path alignedWorkspace(const std::string& name) {
    const fs::path clip = dataFile("video/grid_sbia1a_75f_audio.mp4");
    return test::cliWorkspace(scratchDir(name), clip, clip, "--set end=1.2", "src");
}

std::string stem(int frame, int face = 0) {
    char name[32];
    std::snprintf(name, sizeof name, "%06d_%d", frame, face);
    return name;
}

/// What the Faces page's Delete does: sidecar and image into trash/.
void deleteFace(const Workspace& ws, Side side, int frame) {
    fs::create_directories(ws.trashDir(side));
    for (const char* ext : {".json", ".jpg"})
        fs::rename(ws.alignedDir(side) / (stem(frame) + ext),
                   ws.trashDir(side) / (stem(frame) + ext));
}

double meanLandmarkDistance(const std::vector<std::array<float, 2>>& a,
                            const std::vector<std::array<float, 2>>& b) {
    double sum = 0;
    for (size_t k = 0; k < 68; ++k) sum += std::hypot(a[k][0] - b[k][0], a[k][1] - b[k][1]);
    return sum / 68;
}

/// The detector's box moved by a fifth of its side and made 1.3x larger: a loose user box.
cv::Rect2f looseBox(const AlignedFace& face) {
    const float side = face.box[2];
    return {face.box[0] + 0.2f * side - 0.15f * side, face.box[1] - 0.1f * side - 0.15f * side,
            1.3f * side, 1.3f * side};
}

std::string boxArgument(const cv::Rect2f& box) {
    return std::to_string(box.x) + "," + std::to_string(box.y) + "," + std::to_string(box.width) +
           "," + std::to_string(box.height);
}

}  // namespace

TEST(PlaceFaceCli, DeletedFacesAreListedAndPlacedBackFromALooseBox) {
    const fs::path ws = alignedWorkspace("place_loose");
    const Workspace workspace = Workspace::open(ws);
    const fs::path aligned = workspace.alignedDir(Side::Src);
    const AlignedFace detected = readAlignedFace(aligned / (stem(8) + ".json"));
    deleteFace(workspace, Side::Src, 8);
    deleteFace(workspace, Side::Src, 21);

    CliRun missing = runCli(ws.parent_path(),
                            "place-face --workspace '" + ws.string() + "' --side src --missing");
    ASSERT_EQ(missing.exitCode, 0) << missing.err;
    EXPECT_NE(missing.out.find("src: 2 of 30 frames without a face"), std::string::npos)
        << missing.out;
    EXPECT_NE(missing.out.find("8\t000008.png"), std::string::npos) << missing.out;
    EXPECT_NE(missing.out.find("21\t000021.png"), std::string::npos) << missing.out;

    CliRun placed = runCli(ws.parent_path(), "place-face --workspace '" + ws.string() +
                                                 "' --side src --frame 8 --box " +
                                                 boxArgument(looseBox(detected)));
    ASSERT_EQ(placed.exitCode, 0) << placed.err << placed.out;
    EXPECT_NE(placed.out.find("placed face 000008_1"), std::string::npos) << placed.out;
    // Index 1: 000008_0 is in the trash, and restoring it must not overwrite the placed face.
    const AlignedFace face = readAlignedFace(aligned / (stem(8, 1) + ".json"));
    EXPECT_TRUE(fs::exists(aligned / (stem(8, 1) + ".jpg")));
    EXPECT_EQ(face.placement, "manual");
    EXPECT_EQ(face.faceType, detected.faceType);
    EXPECT_EQ(face.size, detected.size);
    EXPECT_EQ(face.trackId, detected.trackId);  // continues the neighbours' track
    const double error = meanLandmarkDistance(face.landmarks, detected.landmarks);
    std::printf("loose box on a sharp face: mean landmark distance %.2f px\n", error);
    EXPECT_LT(error, 2.0);

    // Align again: the placed face stays, the deleted face of frame 21 does not come back.
    const std::string placedSidecar = test::readWholeFile(aligned / (stem(8, 1) + ".json"));
    CliRun again = runCli(ws.parent_path(), "align --workspace '" + ws.string() + "' --side src");
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(test::readWholeFile(aligned / (stem(8, 1) + ".json")), placedSidecar);
    EXPECT_FALSE(fs::exists(aligned / (stem(21) + ".json")));
    EXPECT_EQ(listAlignedFaces(aligned).size(), 29u);

    CliRun bad = runCli(ws.parent_path(), "place-face --workspace '" + ws.string() +
                                              "' --side src --frame 99 --box 1,1,50,50");
    EXPECT_EQ(bad.exitCode, 1);
    EXPECT_NE(bad.err.find("no frame 99"), std::string::npos) << bad.err;
    CliRun badBox = runCli(ws.parent_path(), "place-face --workspace '" + ws.string() +
                                                 "' --side src --frame 3 --box 1,1,-5,50");
    EXPECT_EQ(badBox.exitCode, 2);
    EXPECT_NE(badBox.err.find("--box takes X,Y,WIDTH,HEIGHT"), std::string::npos) << badBox.err;
    // A box mostly past the frame's corner would become a sliver of a face: refused.
    const size_t before = listAlignedFaces(aligned).size();
    CliRun outside = runCli(ws.parent_path(), "place-face --workspace '" + ws.string() +
                                                  "' --side src --frame 3 --box -100,-100,120,120");
    EXPECT_EQ(outside.exitCode, 1) << outside.output();
    EXPECT_NE(outside.err.find("mostly outside"), std::string::npos) << outside.err;
    EXPECT_EQ(listAlignedFaces(aligned).size(), before);
}

TEST(PlaceFaceCli, ABlurredFaceTheDetectorMissesIsPlacedAndSurvivesARedo) {
    const fs::path ws = alignedWorkspace("place_blurred");
    const Workspace workspace = Workspace::open(ws);
    const fs::path aligned = workspace.alignedDir(Side::Src);
    const AlignedFace sharp = readAlignedFace(aligned / (stem(15) + ".json"));
    const fs::path framePath = workspace.framesDir(Side::Src) / "000015.png";
    cv::Mat image = cv::imread(framePath.string());
    cv::GaussianBlur(image, image, cv::Size(0, 0), 16);  // as motion blur does: HOG misses it
    ASSERT_TRUE(cv::imwrite(framePath.string(), image));

    FacePlacer placer(workspace, Side::Src);
    const cv::Mat blurred = placer.loadFrame(15);
    // A loose box: the landmark model cannot see this face, so it does not chase its own guess.
    const cv::Rect2f loose = looseBox(sharp);
    BoxFit looseFit = placer.fit(blurred, loose);
    EXPECT_FALSE(looseFit.byDetector);
    EXPECT_EQ(looseFit.face.box, loose);
    // Lined up on the face (in the studio, by eye against the landmarks shown).
    const cv::Rect2f lined(sharp.box[0], sharp.box[1], sharp.box[2], sharp.box[3]);
    BoxFit fit = placer.fit(blurred, lined);
    EXPECT_FALSE(fit.byDetector);
    ASSERT_EQ(fit.face.landmarks.size(), 68u);
    const double error = meanLandmarkDistance(fit.face.landmarks, sharp.landmarks);
    std::printf(
        "box lined up on a blurred face (landmark model alone): mean distance %.2f px "
        "(face box %.0f px)\n",
        error, sharp.box[2]);
    EXPECT_LT(error, 8.0);  // 6.6 px measured (sigma 16 blur); lost, it is 20-30 px
    AlignedFace face = placer.place(15, blurred, fit.face);
    EXPECT_EQ(face.faceIndex, 0);  // replaced the face detected before the blur
    EXPECT_EQ(face.placement, "manual");

    // A redo detects every frame again: the blurred frame keeps the face placed by hand.
    CliRun redo = runCli(ws.parent_path(), "align --workspace '" + ws.string() +
                                               "' --side src --set redo=true --set fill_gaps=0");
    ASSERT_EQ(redo.exitCode, 0) << redo.err;
    const AlignedFace kept = readAlignedFace(aligned / (stem(15) + ".json"));
    EXPECT_EQ(kept.placement, "manual");
    EXPECT_EQ(kept.landmarks, face.landmarks);
    EXPECT_EQ(listAlignedFaces(aligned).size(), 30u);
}

TEST(PlaceFaceApi, ADestinationFacePlacedMakesItsFrameMergeAgain) {
    const fs::path ws = alignedWorkspace("place_dst");
    const Workspace workspace = Workspace::open(ws);
    // A merged frame and a finished merge, as if merge ran before the face was placed.
    fs::create_directories(workspace.mergedDir());
    fs::create_directories(workspace.mergedMaskDir());
    cv::Mat grey(8, 8, CV_8UC3, cv::Scalar(90, 90, 90));
    ASSERT_TRUE(cv::imwrite((workspace.mergedDir() / "000004.png").string(), grey));
    ASSERT_TRUE(cv::imwrite((workspace.mergedMaskDir() / "000004.png").string(), grey));
    ASSERT_TRUE(cv::imwrite((workspace.mergedDir() / "000005.png").string(), grey));
    workspace.setStageStatus("merge", "done");
    workspace.setStageStatus("pack.dst", "done");

    FacePlacer placer(workspace, Side::Dst);
    EXPECT_EQ(placer.framesWithoutFace().size(), 30u);  // the destination was never aligned
    const AlignedFace src = readAlignedFace(workspace.alignedDir(Side::Src) / (stem(4) + ".json"));
    cv::Mat frame = placer.loadFrame(4);
    BoxFit fit = placer.fit(frame, looseBox(src));
    EXPECT_TRUE(fit.byDetector);
    placer.place(4, frame, fit.face);
    EXPECT_EQ(placer.framesWithoutFace().size(), 29u);
    EXPECT_FALSE(fs::exists(workspace.mergedDir() / "000004.png"));
    EXPECT_FALSE(fs::exists(workspace.mergedMaskDir() / "000004.png"));
    EXPECT_TRUE(fs::exists(workspace.mergedDir() / "000005.png"));  // other frames stay merged
    EXPECT_EQ(workspace.stageStatus("merge"), "stale");
    EXPECT_EQ(workspace.stageStatus("pack.dst"), "stale");
    EXPECT_THROW(placer.fit(frame, cv::Rect2f(-50, -50, 20, 20)), Error);
}

TEST(PlaceFaceApi, ATiltedHeadIsFoundByTheDetectorTurnedWithIt) {
    const fs::path ws = alignedWorkspace("place_tilted");
    const Workspace workspace = Workspace::open(ws);
    const AlignedFace upright =
        readAlignedFace(workspace.alignedDir(Side::Src) / (stem(6) + ".json"));
    FacePlacer placer(workspace, Side::Src);
    // The frame turned 50 degrees about the face: the detector's upright pass misses such a roll.
    const cv::Point2f centre(upright.box[0] + upright.box[2] / 2,
                             upright.box[1] + upright.box[3] / 2);
    const cv::Mat turn = cv::getRotationMatrix2D(centre, 50, 1.0);
    cv::Mat tilted;
    cv::warpAffine(placer.loadFrame(6), tilted, turn, placer.loadFrame(6).size(), cv::INTER_CUBIC,
                   cv::BORDER_REPLICATE);
    std::vector<std::array<float, 2>> expected;
    for (const auto& p : upright.landmarks)
        expected.push_back({float(turn.at<double>(0, 0) * p[0] + turn.at<double>(0, 1) * p[1] +
                                  turn.at<double>(0, 2)),
                            float(turn.at<double>(1, 0) * p[0] + turn.at<double>(1, 1) * p[1] +
                                  turn.at<double>(1, 2))});
    const float side = upright.box[2] * 1.2f;
    BoxFit fit =
        placer.fit(tilted, cv::Rect2f(centre.x - side / 2, centre.y - side / 2, side, side));
    EXPECT_TRUE(fit.byDetector);
    const double error = meanLandmarkDistance(fit.face.landmarks, expected);
    std::printf("box around a head tilted 50 degrees: mean landmark distance %.2f px (%s)\n", error,
                fit.byDetector ? "detector" : "landmark model alone");
    EXPECT_LT(error, 3.0);
    EXPECT_NE(fit.face.rollDegrees, 0.0);
}

TEST(StatusCli, SaysWhereAWorkspaceStandsAndWhatToRunNext) {
    const fs::path ws = alignedWorkspace("status");
    const Workspace workspace = Workspace::open(ws);
    deleteFace(workspace, Side::Src, 8);
    FacePlacer placer(workspace, Side::Dst);
    const AlignedFace src = readAlignedFace(workspace.alignedDir(Side::Src) / (stem(4) + ".json"));
    placer.place(4, placer.loadFrame(4), placer.fit(placer.loadFrame(4), looseBox(src)).face);

    CliRun status = runCli(ws.parent_path(), "status --workspace '" + ws.string() + "'");
    ASSERT_EQ(status.exitCode, 0) << status.output();
    for (const char* line :
         {"frames: 30 (extract done)", "faces: 29 (align done), 1 deleted (in trash/)",
          "faces: 1 (align not run), 1 manual",
          "frames without a face: not known until align has run",
          "29 destination frame(s) will not be swapped", "models: none",
          "merged: 0 of 30 frames (merge not run)"})
        EXPECT_NE(status.out.find(line), std::string::npos) << line << "\n" << status.out;
    // Both sides have faces; neither is packed: the source first.
    EXPECT_NE(status.out.find("next: doppel pack --workspace " + ws.string() + " --side src"),
              std::string::npos)
        << status.out;
}
