// AlignedFace sidecars: JSON round trip, atomic write + read, listing with deleted images
// dropping out, clear errors on broken metadata.
#include <fstream>

#include <gtest/gtest.h>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"

using namespace doppel;

namespace {
AlignedFace sampleFace(int64_t frame, int face) {
    AlignedFace f;
    f.sourceFrame = "000042.png";
    f.frameIndex = frame;
    f.faceIndex = face;
    f.trackId = 3;
    f.box = {10.5f, 20.25f, 100.f, 110.f};
    f.detectorScore = 1.25;
    f.placement = "interpolated";
    f.maskPolygons = {{true, {{10, 10}, {200, 12}, {180, 220}}},
                      {false, {{50, 60}, {90, 60}, {70, 99.5f}}}};
    f.rollDegrees = -25;
    for (int k = 0; k < 68; ++k) f.landmarks.push_back({float(k) * 1.5f, float(k) * 0.5f + 3.f});
    f.faceType = "whole_face";
    f.size = 512;
    f.frameToAligned = {2.0, 0.1, -30.0, -0.1, 2.0, -40.0};
    f.frameWidth = 360;
    f.frameHeight = 288;
    return f;
}
}  // namespace

TEST(AlignedFace, NamesFollowFrameAndFace) {
    AlignedFace f = sampleFace(7, 2);
    EXPECT_EQ(f.imageName(), "000007_2.jpg");
    EXPECT_EQ(f.metaName(), "000007_2.json");
}

TEST(AlignedFace, JsonRoundTripKeepsEveryField) {
    AlignedFace a = sampleFace(42, 1);
    AlignedFace b = alignedFaceFromJson(nlohmann::json::parse(toJson(a).dump()));
    EXPECT_EQ(b.sourceFrame, a.sourceFrame);
    EXPECT_EQ(b.frameIndex, a.frameIndex);
    EXPECT_EQ(b.faceIndex, a.faceIndex);
    EXPECT_EQ(b.trackId, a.trackId);
    EXPECT_EQ(b.box, a.box);
    EXPECT_DOUBLE_EQ(b.detectorScore, a.detectorScore);
    EXPECT_EQ(b.placement, a.placement);
    EXPECT_EQ(b.maskPolygons, a.maskPolygons);
    EXPECT_TRUE(b.hasDrawnMask());
    // A face without a drawn mask writes no key for it (older sidecars stay byte-identical).
    a.maskPolygons.clear();
    EXPECT_FALSE(toJson(a).contains("mask_polygons"));
    EXPECT_DOUBLE_EQ(b.rollDegrees, a.rollDegrees);
    EXPECT_EQ(b.landmarks, a.landmarks);
    EXPECT_EQ(b.faceType, a.faceType);
    EXPECT_EQ(b.size, a.size);
    EXPECT_EQ(b.frameToAligned, a.frameToAligned);
    EXPECT_EQ(b.frameWidth, a.frameWidth);
    EXPECT_EQ(b.frameHeight, a.frameHeight);
}

TEST(AlignedFace, AlignedLandmarksApplyTheMatrix) {
    AlignedFace f = sampleFace(1, 0);
    auto aligned = f.alignedLandmarks();
    ASSERT_EQ(aligned.size(), 68u);
    float x = f.landmarks[10][0], y = f.landmarks[10][1];
    EXPECT_NEAR(aligned[10][0], 2.0 * x + 0.1 * y - 30.0, 1e-4);
    EXPECT_NEAR(aligned[10][1], -0.1 * x + 2.0 * y - 40.0, 1e-4);
}

TEST(AlignedFace, MissingFieldIsAClearError) {
    nlohmann::json j = toJson(sampleFace(1, 0));
    j.erase("frame_to_aligned");
    try {
        alignedFaceFromJson(j);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
        EXPECT_NE(std::string(e.what()).find("frame_to_aligned"), std::string::npos);
    }
    j = toJson(sampleFace(1, 0));
    j["landmarks"] = nlohmann::json::array({{1, 2}});
    EXPECT_THROW(alignedFaceFromJson(j), Error);
}

TEST(AlignedFace, FolderListingSortsAndDropsDeletedFaces) {
    auto dir = test::scratchDir("aligned_face_listing");
    for (auto [frame, face] : {std::pair<int64_t, int>{12, 0}, {3, 1}, {3, 0}, {100, 0}}) {
        AlignedFace f = sampleFace(frame, face);
        writeAlignedFace(dir / f.metaName(), f);
        writeFileAtomic(dir / f.imageName(), "jpeg bytes");
    }
    std::filesystem::remove(dir / "000012_0.jpg");  // deleted in review
    auto faces = listAlignedFaces(dir);
    ASSERT_EQ(faces.size(), 3u);
    EXPECT_EQ(faces[0].imageName(), "000003_0.jpg");
    EXPECT_EQ(faces[1].imageName(), "000003_1.jpg");
    EXPECT_EQ(faces[2].imageName(), "000100_0.jpg");
    EXPECT_EQ(readAlignedFace(dir / "000100_0.json").landmarks, sampleFace(100, 0).landmarks);
    EXPECT_FALSE(std::filesystem::exists(dir / "000100_0.json.tmp"));
}

TEST(AlignedFace, CorruptSidecarErrorNamesTheFile) {
    auto dir = test::scratchDir("aligned_face_corrupt");
    std::ofstream(dir / "000001_0.json") << "{\"source_frame\": ";
    try {
        readAlignedFace(dir / "000001_0.json");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("000001_0.json"), std::string::npos) << e.what();
    }
}

TEST(AlignedFace, BadMaskPolygonIsAClearError) {
    nlohmann::json json = toJson(sampleFace(1, 0));
    json["mask_polygons"] = {{{"mode", "sideways"}, {"points", {{1, 2}, {3, 4}, {5, 6}}}}};
    EXPECT_THROW(alignedFaceFromJson(json), Error);
    json["mask_polygons"] = {{{"mode", "exclude"}}};
    EXPECT_THROW(alignedFaceFromJson(json), Error);
    json["mask_polygons"] = "not a list";
    EXPECT_THROW(alignedFaceFromJson(json), Error);
}
