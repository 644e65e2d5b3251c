// The align stage end to end with the real CLI (new + extract + align): one face in every frame
// of the GRID clip with the eyes where the mean face puts them, rolled/small/multiple faces in
// stills, no-face and missing-model errors, resume, thread-count independence, a face lost for a
// few frames filled in, cancellation.

#include <cmath>
#include <cstdlib>
#include <map>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "faces/FaceGeometry.h"
#include "pipeline/AlignStage.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::runCli;
using doppel::test::scratchDir;

namespace {

/// A workspace with `input` as src, its frames extracted by the real CLI.
fs::path extractedWorkspace(const std::string& name, const fs::path& input,
                            const std::string& extractSets = "") {
    fs::path scratch = scratchDir(name);
    fs::path ws = scratch / "ws";
    CliRun made = runCli(scratch, "new --workspace '" + ws.string() + "' --src '" + input.string() +
                                      "' --dst '" + input.string() + "'");
    EXPECT_EQ(made.exitCode, 0) << made.err;
    CliRun extracted =
        runCli(scratch, "extract --workspace '" + ws.string() + "' --side src " + extractSets);
    EXPECT_EQ(extracted.exitCode, 0) << extracted.err;
    return ws;
}

CliRun align(const fs::path& ws, const std::string& sets = "", const std::string& env = "") {
    return runCli(ws.parent_path(), "align --workspace '" + ws.string() + "' --side src " + sets,
                  env);
}

std::map<std::string, std::string> folderBytes(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        files[e.path().filename().string()] = test::readWholeFile(e.path());
    return files;
}

std::array<double, 2> centreOf(const std::vector<std::array<float, 2>>& points, int first,
                               int last) {
    double x = 0, y = 0;
    for (int k = first; k <= last; ++k) x += points[k][0], y += points[k][1];
    return {x / (last - first + 1), y / (last - first + 1)};
}

}  // namespace

TEST(AlignCli, GridClipGivesOneFacePerFrameWithEyesOnTheMeanFace) {
    fs::path ws = extractedWorkspace("align_grid", dataFile("video/grid_s2_150f.mp4"));
    CliRun run = align(ws);
    ASSERT_EQ(run.exitCode, 0) << run.err << run.out;
    Workspace workspace = Workspace::open(ws);
    auto faces = listAlignedFaces(workspace.alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 150u) << run.out;
    // Where the mean face's eye centres land in a 256 px `full` crop: the unit square is centred
    // with side 256 / (1 + 2 * 0.2109375 * sqrt 2).
    const double side = 256.0 / (1.0 + 2.0 * 0.2109375 * std::sqrt(2.0));
    std::array<double, 2> meanRight{0, 0}, meanLeft{0, 0};
    for (int k = 36; k <= 41; ++k)
        meanRight = {meanRight[0] + meanFacePoint(k).x / 6, meanRight[1] + meanFacePoint(k).y / 6};
    for (int k = 42; k <= 47; ++k)
        meanLeft = {meanLeft[0] + meanFacePoint(k).x / 6, meanLeft[1] + meanFacePoint(k).y / 6};
    auto toAligned = [&](std::array<double, 2> u) {
        return std::array<double, 2>{128 + (u[0] - 0.5) * side, 128 + (u[1] - 0.5) * side};
    };
    auto expectRight = toAligned(meanRight), expectLeft = toAligned(meanLeft);
    double worst = 0, sum = 0;
    for (size_t i = 0; i < faces.size(); ++i) {
        const AlignedFace& f = faces[i];
        EXPECT_EQ(f.frameIndex, int64_t(i + 1));
        EXPECT_EQ(f.faceIndex, 0);
        EXPECT_GE(f.trackId, 0);
        EXPECT_EQ(f.faceType, "full");
        EXPECT_EQ(f.size, 256);
        EXPECT_TRUE(fs::exists(workspace.alignedDir(Side::Src) / f.imageName()));
        auto aligned = f.alignedLandmarks();
        auto right = centreOf(aligned, 36, 41), left = centreOf(aligned, 42, 47);
        double e = std::max(std::hypot(right[0] - expectRight[0], right[1] - expectRight[1]),
                            std::hypot(left[0] - expectLeft[0], left[1] - expectLeft[1]));
        worst = std::max(worst, e);
        sum += e;
    }
    EXPECT_LT(sum / faces.size(), 4.0);
    EXPECT_LT(worst, 8.0);
    EXPECT_EQ(workspace.stageStatus("align.src"), "done");
    EXPECT_EQ(workspace.stageOptions("align.src").value("face_type", ""), "full");

    // Resume: everything is kept, nothing rewritten.
    auto before = fs::last_write_time(workspace.alignedDir(Side::Src) / "000075_0.jpg");
    CliRun again = align(ws);
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_NE(again.out.find("150 frame(s) kept from before"), std::string::npos) << again.out;
    EXPECT_EQ(fs::last_write_time(workspace.alignedDir(Side::Src) / "000075_0.jpg"), before);

    // A drawn mask (mask editor) on one face, to see that a redo keeps it.
    const fs::path drawnPath = workspace.alignedDir(Side::Src) / "000011_0.json";
    AlignedFace drawn = readAlignedFace(drawnPath);
    drawn.maskPolygons = {{true, {{40, 40}, {200, 50}, {128, 230}}}};
    writeAlignedFace(drawnPath, drawn);

    // A changed crop cannot be mixed with the old faces: everything is redone.
    CliRun resized = align(ws, "--set size=128 --set smooth=0");
    ASSERT_EQ(resized.exitCode, 0) << resized.err;
    EXPECT_NE(resized.err.find("redoing every frame"), std::string::npos) << resized.err;
    auto small = listAlignedFaces(workspace.alignedDir(Side::Src));
    ASSERT_EQ(small.size(), 150u);
    EXPECT_EQ(small[10].size, 128);
    // The drawn mask came along, moved into the new crop: the same frame pixels as before.
    ASSERT_EQ(small[10].maskPolygons.size(), 1u);
    EXPECT_FALSE(small[9].hasDrawnMask());
    for (size_t k = 0; k < 3; ++k) {
        auto before = drawn.alignedToFrame(drawn.maskPolygons[0].points[k]);
        auto after = small[10].alignedToFrame(small[10].maskPolygons[0].points[k]);
        EXPECT_NEAR(before[0], after[0], 0.05) << k;
        EXPECT_NEAR(before[1], after[1], 0.05) << k;
    }
}

TEST(AlignCli, OneAndTwoThreadsWriteIdenticalFiles) {
    fs::path ws = extractedWorkspace("align_threads", dataFile("video/grid_sbia1a_75f_audio.mp4"),
                                     "--set end=1.2");
    CliRun one = align(ws, "--set threads=1 --set debug=true");
    ASSERT_EQ(one.exitCode, 0) << one.err;
    Workspace workspace = Workspace::open(ws);
    auto firstRun = folderBytes(workspace.alignedDir(Side::Src));
    auto firstDebug = folderBytes(workspace.alignedDebugDir(Side::Src));
    ASSERT_EQ(firstRun.size(), 60u);  // 30 frames, an image and a sidecar each
    EXPECT_EQ(firstDebug.size(), 30u);
    CliRun two = align(ws, "--set threads=2 --set redo=true --set debug=true");
    ASSERT_EQ(two.exitCode, 0) << two.err;
    auto secondRun = folderBytes(workspace.alignedDir(Side::Src));
    ASSERT_EQ(secondRun.size(), firstRun.size());
    for (const auto& [name, bytes] : firstRun)
        EXPECT_TRUE(secondRun[name] == bytes) << name << " differs";
    EXPECT_TRUE(folderBytes(workspace.alignedDebugDir(Side::Src)) == firstDebug);
    // redo is a one-off request, never saved as a setting.
    EXPECT_EQ(workspace.stageOptions("align.src").value("redo", true), false);
}

TEST(AlignCli, AFaceLostForAFewFramesIsFilledIn) {
    fs::path ws = extractedWorkspace("align_gaps", dataFile("video/grid_sbia1a_75f_audio.mp4"),
                                     "--set end=1.2");
    Workspace workspace = Workspace::open(ws);
    const fs::path aligned = workspace.alignedDir(Side::Src);
    ASSERT_EQ(align(ws).exitCode, 0);
    std::map<int, AlignedFace> sharp;
    for (const auto& face : listAlignedFaces(aligned)) sharp[int(face.frameIndex)] = face;
    ASSERT_EQ(sharp.size(), 30u);

    // Frames 10-12 blurred until the detector misses the face (as motion blur does).
    for (int frame = 10; frame <= 12; ++frame) {
        char name[16];
        std::snprintf(name, sizeof name, "%06d.png", frame);
        const fs::path path = workspace.framesDir(Side::Src) / name;
        cv::Mat image = cv::imread(path.string());
        cv::GaussianBlur(image, image, cv::Size(0, 0), 16);
        ASSERT_TRUE(cv::imwrite(path.string(), image));
    }
    CliRun off = align(ws, "--set fill_gaps=0 --set redo=true");
    ASSERT_EQ(off.exitCode, 0) << off.err;
    EXPECT_NE(off.out.find("3 frame(s) without a face"), std::string::npos) << off.out;
    EXPECT_EQ(listAlignedFaces(aligned).size(), 27u);

    CliRun filled = align(ws, "--set fill_gaps=3 --set redo=true");
    ASSERT_EQ(filled.exitCode, 0) << filled.err;
    EXPECT_NE(filled.out.find("3 frame(s) where the face was lost filled in"), std::string::npos)
        << filled.out;
    std::map<int, AlignedFace> placed;
    for (const auto& face : listAlignedFaces(aligned)) placed[int(face.frameIndex)] = face;
    ASSERT_EQ(placed.size(), 30u);
    for (int frame = 10; frame <= 12; ++frame) {
        const AlignedFace& face = placed[frame];
        EXPECT_EQ(face.placement, "interpolated") << frame;
        EXPECT_EQ(face.trackId, placed[9].trackId) << frame;
        // Where the landmarks were in the sharp frame: within a few pixels (the face is ~110 px).
        double distance = 0;
        for (size_t k = 0; k < 68; ++k)
            distance += std::hypot(face.landmarks[k][0] - sharp[frame].landmarks[k][0],
                                   face.landmarks[k][1] - sharp[frame].landmarks[k][1]);
        EXPECT_LT(distance / 68, 3.0) << frame;
    }
    EXPECT_EQ(placed[9].placement, "detected");
    EXPECT_EQ(placed[13].trackId, placed[9].trackId);  // one track through the gap

    // Three lost frames are more than fill_gaps=1 fills.
    CliRun tight = align(ws, "--set fill_gaps=1 --set redo=true");
    ASSERT_EQ(tight.exitCode, 0) << tight.err;
    EXPECT_EQ(listAlignedFaces(aligned).size(), 27u);
}

TEST(AlignCli, RolledFaceInLisaIsFound) {
    fs::path ws = extractedWorkspace("align_lisa", dataFile("photos/lisa3.jpg"));
    CliRun run = align(ws, "--set debug=true");
    ASSERT_EQ(run.exitCode, 0) << run.err << run.out;
    Workspace workspace = Workspace::open(ws);
    auto faces = listAlignedFaces(workspace.alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 1u);
    EXPECT_EQ(faces[0].trackId, -1);  // a still
    EXPECT_GT(faces[0].box[2], 100.f);
    // The head is rolled ~20 degrees: the eyes' line in the frame says so, the aligned eyes are
    // level.
    auto frameEyesR = centreOf(faces[0].landmarks, 36, 41),
         frameEyesL = centreOf(faces[0].landmarks, 42, 47);
    double roll =
        std::atan2(frameEyesL[1] - frameEyesR[1], frameEyesL[0] - frameEyesR[0]) * 180 / CV_PI;
    EXPECT_GT(std::abs(roll), 10.0) << roll;
    auto aligned = faces[0].alignedLandmarks();
    auto r = centreOf(aligned, 36, 41), l = centreOf(aligned, 42, 47);
    EXPECT_LT(std::abs(r[1] - l[1]), 4.0);
    EXPECT_TRUE(fs::exists(workspace.alignedDebugDir(Side::Src) / "000001.jpg"));
}

// An upside-down photo: weak hits of a small roll must not win over the 180 degree view that
// finds the face surely (they gave garbage crops, reported as success).
TEST(AlignCli, AnUpsideDownFaceIsFoundTheRightWayUp) {
    const fs::path scratch = scratchDir("align_upside_down");
    cv::Mat photo = cv::imread(dataFile("photos/grace_hopper.jpg").string());
    ASSERT_FALSE(photo.empty());
    cv::rotate(photo, photo, cv::ROTATE_180);
    const fs::path upsideDown = scratch / "upside_down.png";
    ASSERT_TRUE(cv::imwrite(upsideDown.string(), photo));
    fs::path ws = extractedWorkspace("align_upside_down_ws", upsideDown);
    ASSERT_EQ(align(ws).exitCode, 0);
    auto faces = listAlignedFaces(Workspace::open(ws).alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 1u);
    EXPECT_EQ(faces[0].rollDegrees, 180.0);
    EXPECT_GT(faces[0].detectorScore, 0.5);
    // In the aligned face the eyes are above the mouth.
    const auto aligned = faces[0].alignedLandmarks();
    EXPECT_LT(centreOf(aligned, 36, 47)[1] + 20, centreOf(aligned, 48, 67)[1]);
}

TEST(AlignCli, ThreePeopleGiveThreeFacesWithKeepAll) {
    fs::path ws = extractedWorkspace("align_three", dataFile("photos/three_people.png"));
    CliRun run = align(ws, "--set keep=all");
    ASSERT_EQ(run.exitCode, 0) << run.err << run.out;
    Workspace workspace = Workspace::open(ws);
    auto faces = listAlignedFaces(workspace.alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 3u) << run.out;
    for (int k = 0; k < 3; ++k) EXPECT_EQ(faces[k].faceIndex, k);
    EXPECT_LT(faces[0].box[0], faces[1].box[0]);  // left to right
    EXPECT_LT(faces[1].box[0], faces[2].box[0]);

    CliRun largest = align(ws, "--set keep=largest --set redo=true");
    ASSERT_EQ(largest.exitCode, 0) << largest.err;
    EXPECT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).size(), 1u);
}

TEST(AlignCli, NoFaceStillEndsCleanlyWithNonZeroExit) {
    fs::path ws = extractedWorkspace("align_noface", dataFile("bad/tiny_16x16_noface.png"));
    CliRun run = align(ws);
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_NE(run.err.find("no faces found"), std::string::npos) << run.err;
    EXPECT_EQ(Workspace::open(ws).stageStatus("align.src"), "failed");
}

TEST(AlignCli, MissingLandmarkModelNamesThePackage) {
    fs::path ws = extractedWorkspace("align_nomodel", dataFile("photos/grace_hopper.jpg"));
    CliRun run = align(ws, "", "DOPPEL_LANDMARK_MODEL=/nonexistent/shape_predictor.dat");
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_NE(run.err.find("apt-get install libdlib-data"), std::string::npos) << run.err;
}

TEST(AlignCli, BeforeExtractSaysWhatToRun) {
    fs::path scratch = scratchDir("align_noframes");
    fs::path ws = scratch / "ws";
    auto clip = dataFile("photos/grace_hopper.jpg").string();
    ASSERT_EQ(runCli(scratch, "new --workspace '" + ws.string() + "' --src '" + clip + "' --dst '" +
                                  clip + "'")
                  .exitCode,
              0);
    CliRun run = align(ws);
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_NE(run.err.find("doppel extract"), std::string::npos) << run.err;
    EXPECT_EQ(align(ws, "--set face_type=wide").exitCode, 2);
}

TEST(AlignStageApi, CancelledBeforeStartIsAnOutcome) {
    fs::path ws = extractedWorkspace("align_cancel", dataFile("photos/grace_hopper.jpg"));
    Workspace workspace = Workspace::open(ws);
    CancelToken cancel;
    cancel.cancel();
    NullProgressSink progress;
    StageResult result = AlignStage::run(workspace, Side::Src,
                                         AlignStage::optionSchema().defaults(), progress, cancel);
    EXPECT_EQ(result.status, StageStatus::Cancelled);
    EXPECT_EQ(result.exitCode(), 130);
    EXPECT_EQ(workspace.stageStatus("align.src"), "cancelled");
    EXPECT_TRUE(listAlignedFaces(workspace.alignedDir(Side::Src)).empty());
}

// A redo stopped half way keeps the faces from before, and with them their settings: recorded at
// the start, the next run saw the new settings as done and kept the old faces under them.
TEST(AlignStageApi, AStoppedRedoKeepsTheSettingsOfTheFacesFromBefore) {
    fs::path ws = extractedWorkspace("align_stopped_redo", dataFile("photos/grace_hopper.jpg"));
    Workspace workspace = Workspace::open(ws);
    NullProgressSink progress;
    CancelToken never;
    ASSERT_TRUE(AlignStage::run(workspace, Side::Src, AlignStage::optionSchema().defaults(),
                                progress, never)
                    .ok());
    ASSERT_EQ(workspace.stageOptions("align.src").value("size", 0), 256);

    nlohmann::json smaller = AlignStage::optionSchema().defaults();
    smaller["size"] = 128;
    CancelToken stop;
    stop.cancel();
    EXPECT_EQ(AlignStage::run(workspace, Side::Src, smaller, progress, stop).status,
              StageStatus::Cancelled);
    EXPECT_EQ(workspace.stageOptions("align.src").value("size", 0), 256);
    EXPECT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).at(0).size, 256);

    // Asked again, the redo happens.
    ASSERT_TRUE(AlignStage::run(workspace, Side::Src, smaller, progress, never).ok());
    EXPECT_EQ(workspace.stageOptions("align.src").value("size", 0), 128);
    EXPECT_EQ(listAlignedFaces(workspace.alignedDir(Side::Src)).at(0).size, 128);
}
