// Bringing a faceset from elsewhere (faces/EmbeddedFace, pipeline/EmbeddedFrameFaces): a folder
// of DeepFaceLab aligned faces (tests/data/dfl, made by make_dfl_faces.py with Python's pickle
// and numpy) as the source input keeps the landmarks each face carries (not detected again),
// its drawn XSeg polygons become the face's drawn mask and its applied XSeg mask its xseg mask, a
// face whose metadata is damaged is detected instead with a warning naming it; a redo gives the
// same; a face type wider than the faceset's crops is warned about. Another workspace's aligned
// faces added with `doppel add-source` keep their landmarks, drawn masks and XSeg masks too (their
// XSeg mask files are not taken for photos).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "common/Progress.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "faces/FaceDetector.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "pipeline/FrameFiles.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::dataFile;
using doppel::test::quoted;
using doppel::test::runCli;

namespace {

double distance(const std::array<float, 2>& a, const std::array<float, 2>& b) {
    return std::hypot(double(a[0] - b[0]), double(a[1] - b[1]));
}

/// The DeepFaceLab faces' frames are numbered in name order: 00001_0 -> 1, 00026_0 -> 2 (its
/// pickle cut short), 00051_0 -> 3, 00101_0 -> 4 (XSeg polygons), 00126_0 -> 5 (protocol 3).
Workspace extractedDeepFaceLabFaceset(const fs::path& dir) {
    Workspace ws =
        Workspace::create(dir / "ws", dataFile("dfl"), dataFile("video/grid_sbia1a_75f_audio.mp4"));
    NullProgressSink progress;
    CancelToken cancel;
    EXPECT_TRUE(ExtractStage::run(ws, Side::Src, nlohmann::json::object(), progress, cancel).ok());
    return ws;
}

StageResult alignSource(const Workspace& ws, const nlohmann::json& options) {
    NullProgressSink progress;
    CancelToken cancel;
    return AlignStage::run(ws, Side::Src, options, progress, cancel);
}

}  // namespace

TEST(FacesetImport, DeepFaceLabFacesKeepTheirLandmarksAndDrawnMasks) {
    const fs::path dir = test::scratchDir("faceset_import_dfl");
    const Workspace ws = extractedDeepFaceLabFaceset(dir);
    const StageResult result = alignSource(ws, nlohmann::json::object());
    ASSERT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.summary.value("faces_with_given_landmarks", 0), 4);
    bool warned = false;
    for (const std::string& w : result.warnings)
        warned |= w.find("00026_0.jpg") != std::string::npos &&
                  w.find("truncated") != std::string::npos &&
                  w.find("detected instead") != std::string::npos;
    EXPECT_TRUE(warned) << "no warning names the face with the damaged metadata";

    const std::vector<AlignedFace> faces = listAlignedFaces(ws.alignedDir(Side::Src));
    ASSERT_EQ(faces.size(), 5u);
    for (const AlignedFace& face : faces)
        EXPECT_EQ(face.placement, face.frameIndex == 2 ? "detected" : "imported") << face.stem();
    // The landmarks are the file's, to the float (make_dfl_faces.py printed them).
    const AlignedFace& first = faces[0];
    EXPECT_NEAR(first.landmarks[30][0], 126.31255, 1e-3);
    EXPECT_NEAR(first.landmarks[30][1], 131.98850, 1e-3);
    EXPECT_NEAR(first.landmarks[8][0], 126.25248, 1e-3);
    EXPECT_NEAR(first.landmarks[8][1], 230.80249, 1e-3);
    EXPECT_EQ(first.faceType, "full");  // aligned the workspace's way, from DFL's whole_face
    // ...and in the right place: the detector run on the same picture finds nearly the same.
    FaceDetector detector;
    const std::vector<DetectedFace> found =
        detector.detect(cv::imread(dataFile("dfl/00001_0.jpg").string(), cv::IMREAD_COLOR));
    ASSERT_EQ(found.size(), 1u);
    double sum = 0;
    for (size_t i = 0; i < 68; ++i) sum += distance(found[0].landmarks[i], first.landmarks[i]);
    EXPECT_LT(sum / 68, 4.0) << "the given landmarks are not where the face is";

    // Face 4's XSeg polygons: the include (face outline, from landmark 0) and the exclude
    // (mouth, landmarks 48-59) in the aligned face's pixels.
    const AlignedFace& drawn = faces[3];
    ASSERT_EQ(drawn.maskPolygons.size(), 2u);
    EXPECT_TRUE(drawn.maskPolygons[0].include);
    EXPECT_FALSE(drawn.maskPolygons[1].include);
    const auto aligned = drawn.alignedLandmarks();
    EXPECT_LT(distance(drawn.maskPolygons[0].points[0], aligned[0]), 0.01);
    ASSERT_EQ(drawn.maskPolygons[1].points.size(), 12u);
    for (size_t i = 0; i < 12; ++i)
        EXPECT_LT(distance(drawn.maskPolygons[1].points[i], aligned[48 + i]), 0.01);
    for (const AlignedFace& face : faces)
        if (face.frameIndex != 4) EXPECT_FALSE(face.hasDrawnMask()) << face.stem();

    // Face 5's applied XSeg mask (128 px, face in the left half of DeepFaceLab's crop) is where
    // xseg-apply puts one, warped like the face; the others have none.
    for (const AlignedFace& face : faces) {
        const fs::path maskPath = ws.alignedDir(Side::Src) / face.xsegMaskName();
        ASSERT_EQ(fs::exists(maskPath), face.frameIndex == 5) << face.stem();
        if (face.frameIndex != 5) continue;
        const cv::Mat mask = cv::imread(maskPath.string(), cv::IMREAD_GRAYSCALE);
        ASSERT_EQ(mask.size(), cv::Size(face.size, face.size));
        EXPECT_EQ(mask.at<uchar>(face.size / 2, face.size / 4), 255);
        EXPECT_EQ(mask.at<uchar>(face.size / 2, face.size * 3 / 4), 0);
    }

    // A redo reads the same metadata again: the same landmarks, still imported.
    ASSERT_TRUE(alignSource(ws, {{"redo", true}}).ok());
    const std::vector<AlignedFace> again = listAlignedFaces(ws.alignedDir(Side::Src));
    ASSERT_EQ(again.size(), 5u);
    EXPECT_EQ(again[0].placement, "imported");
    EXPECT_EQ(again[0].landmarks, first.landmarks);
    EXPECT_EQ(again[3].maskPolygons, drawn.maskPolygons);
    EXPECT_TRUE(std::none_of(result.warnings.begin(), result.warnings.end(),
                             [](const std::string& w) { return w.find("tighter") != w.npos; }));

    // DeepFaceLab's whole_face crops are tighter than a head crop: the user is told.
    const StageResult head = alignSource(ws, {{"redo", true}, {"face_type", "head"}});
    ASSERT_TRUE(head.ok());
    EXPECT_TRUE(std::any_of(head.warnings.begin(), head.warnings.end(), [](const std::string& w) {
        return w.find("4 face(s) from photos") != w.npos && w.find("tighter") != w.npos;
    }));
}

TEST(FacesetImport, AnotherWorkspacesAlignedFacesAddedAsSourceKeepLandmarksAndMasks) {
    const fs::path dir = test::scratchDir("faceset_import_doppel");
    const Workspace first = extractedDeepFaceLabFaceset(dir / "first");
    ASSERT_TRUE(alignSource(first, {{"face_type", "whole_face"}}).ok());
    const std::vector<AlignedFace> theirs = listAlignedFaces(first.alignedDir(Side::Src));
    ASSERT_EQ(theirs.size(), 5u);

    // xseg-apply's masks lie next to the faces: not photos (a face's picture under that name
    // would be found as a sixth face if it were taken for one).
    fs::copy_file(first.alignedDir(Side::Src) / theirs[0].imageName(),
                  first.alignedDir(Side::Src) / theirs[0].xsegMaskName());

    // A second workspace of the same person brings the first one's faceset in.
    const fs::path second = dir / "second";
    ASSERT_EQ(runCli(dir, "new --workspace " + quoted(second) + " --src " +
                              quoted(dataFile("photos/lisa3.jpg")) + " --dst " +
                              quoted(dataFile("video/grid_sbia1a_75f_audio.mp4")))
                  .exitCode,
              0);
    const test::CliRun added = runCli(dir, "add-source --workspace " + quoted(second) + " " +
                                               quoted(first.alignedDir(Side::Src)));
    ASSERT_EQ(added.exitCode, 0) << added.output();
    const test::CliRun extracted =
        runCli(dir, "extract --workspace " + quoted(second) + " --side src");
    ASSERT_EQ(extracted.exitCode, 0) << extracted.output();
    const test::CliRun aligned = runCli(dir, "align --workspace " + quoted(second) + " --side src");
    ASSERT_EQ(aligned.exitCode, 0) << aligned.output();
    EXPECT_NE(aligned.output().find("5 face(s) with the landmarks their photos came with"),
              std::string::npos)
        << aligned.output();

    std::vector<AlignedFace> ours;
    for (const AlignedFace& face : listAlignedFaces(Workspace::open(second).alignedDir(Side::Src)))
        if (face.frameIndex >= firstFrameOfInput(1)) ours.push_back(face);
    ASSERT_EQ(ours.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE(theirs[i].stem());
        EXPECT_EQ(ours[i].placement, "imported");
        const auto given = theirs[i].alignedLandmarks();  // their aligned image is our photo
        for (size_t k = 0; k < 68; ++k) EXPECT_LT(distance(ours[i].landmarks[k], given[k]), 1e-3);
        EXPECT_EQ(ours[i].maskPolygons.size(), theirs[i].maskPolygons.size());
        // The XSeg mask next to theirs comes along (face 5's, and face 1's copied above).
        EXPECT_EQ(
            fs::exists(Workspace::open(second).alignedDir(Side::Src) / ours[i].xsegMaskName()),
            i == 0 || i == 4);
    }
    EXPECT_EQ(ours[3].maskPolygons.size(), 2u);  // the mask drawn in DeepFaceLab, twice carried
}

TEST(FacesetImport, FpsPicksVideoFramesAndKeepsEveryPhoto) {
    const fs::path dir = test::scratchDir("faceset_import_fps");
    // A video and a faceset on the source; 5 frames/s is meant for the video only.
    Workspace ws = Workspace::create(dir / "ws", dataFile("video/grid_s2_150f.mp4"),
                                     dataFile("video/grid_sbia1a_75f_audio.mp4"));
    ws.addInput(Side::Src, dataFile("dfl"));
    NullProgressSink progress;
    CancelToken cancel;
    ASSERT_TRUE(ExtractStage::run(ws, Side::Src, {{"fps", 5}}, progress, cancel).ok());
    size_t video = 0, photos = 0;
    for (const FrameFile& frame : listFrames(ws.framesDir(Side::Src)))
        (frame.index >= firstFrameOfInput(1) ? photos : video) += 1;
    EXPECT_EQ(video, 30u);  // 6 s at 5 frames/s
    EXPECT_EQ(photos, 5u);  // every face of the faceset
    // Another fps re-extracts the video only: the photos' frames (and faces) stay.
    const auto photoFrame = ws.framesDir(Side::Src) / "1000001.png";
    const auto before = fs::last_write_time(photoFrame);
    ASSERT_TRUE(ExtractStage::run(ws, Side::Src, {{"fps", 10}}, progress, cancel).ok());
    EXPECT_EQ(fs::last_write_time(photoFrame), before);
    EXPECT_EQ(listFrames(ws.framesDir(Side::Src)).size(), 65u);
}
