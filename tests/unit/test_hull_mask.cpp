// Landmark hull and eyes+mouth masks on a synthetic mean face: binary, the right area, the right
// parts inside and outside, brows expanded upward.
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "common/Error.h"
#include "faces/FaceGeometry.h"
#include "faces/HullMask.h"

using namespace doppel;

namespace {
// Mean face (17..67) plus a U-shaped jaw, in a size x size image with the unit square centred at
// 60 % of the side (about what `full` alignment gives).
LandmarkPoints meanFaceLandmarks(int size) {
    double side = size * 0.6, offset = size * 0.2;
    LandmarkPoints out(68);
    for (int k = 0; k < 17; ++k) {
        double t = k / 16.0;
        out[k] = {float(offset + side * (0.49 - 0.5 * std::cos(CV_PI * t))),
                  float(offset + side * (0.25 + 0.75 * std::sin(CV_PI * t)))};
    }
    for (int k = 17; k < 68; ++k)
        out[k] = {float(offset + side * meanFacePoint(k).x),
                  float(offset + side * meanFacePoint(k).y)};
    return out;
}

bool inside(const cv::Mat& mask, std::array<float, 2> p) {
    return mask.at<uchar>(cvRound(p[1]), cvRound(p[0])) == 255;
}
}  // namespace

TEST(HullMask, IsBinaryAndCoversTheFace) {
    const int size = 256;
    auto points = meanFaceLandmarks(size);
    cv::Mat mask = landmarkHullMask(points, size);
    ASSERT_EQ(mask.type(), CV_8U);
    ASSERT_EQ(mask.size(), cv::Size(size, size));
    EXPECT_EQ(cv::countNonZero(mask == 0) + cv::countNonZero(mask == 255), size * size);
    double area = cv::countNonZero(mask) / double(size * size);
    // The face (jaw U + expanded brows) covers a bit less than the 0.6 x ~0.85 box around it.
    EXPECT_GT(area, 0.30);
    EXPECT_LT(area, 0.50);
    for (int k : {30, 33, 36, 45, 51, 57, 8}) EXPECT_TRUE(inside(mask, points[k])) << k;
    EXPECT_FALSE(inside(mask, {2.f, 2.f}));
    EXPECT_FALSE(inside(mask, {253.f, 253.f}));
    EXPECT_FALSE(inside(mask, {128.f, 252.f}));  // below the chin
}

TEST(HullMask, BrowsAreExpandedUpward) {
    auto points = meanFaceLandmarks(256);
    auto expanded = expandEyebrows(points);
    for (int k = 17; k <= 26; ++k) EXPECT_LT(expanded[k][1], points[k][1] - 1.0f) << k;
    for (int k : {0, 8, 30, 36, 48}) EXPECT_EQ(expanded[k], points[k]);
    // A point just above the middle brows is inside only because of the expansion.
    cv::Mat mask = landmarkHullMask(points, 256);
    std::array<float, 2> aboveBrow = {points[19][0], points[19][1] - 6.f};
    EXPECT_TRUE(inside(mask, aboveBrow));
}

TEST(HullMask, EyesMouthMaskHoldsEyesAndMouthOnly) {
    const int size = 256;
    auto points = meanFaceLandmarks(size);
    cv::Mat mask = eyesMouthMask(points, size);
    ASSERT_EQ(mask.type(), CV_8U);
    EXPECT_EQ(cv::countNonZero(mask == 0) + cv::countNonZero(mask == 255), size * size);
    auto centre = [&](int first, int last) {
        std::array<float, 2> c{0, 0};
        for (int k = first; k <= last; ++k) c = {c[0] + points[k][0], c[1] + points[k][1]};
        return std::array<float, 2>{c[0] / (last - first + 1), c[1] / (last - first + 1)};
    };
    EXPECT_TRUE(inside(mask, centre(36, 41)));
    EXPECT_TRUE(inside(mask, centre(42, 47)));
    EXPECT_TRUE(inside(mask, centre(60, 67)));
    EXPECT_FALSE(inside(mask, points[30]));  // nose tip
    EXPECT_FALSE(inside(mask, points[8]));   // chin
    double area = cv::countNonZero(mask) / double(size * size);
    EXPECT_GT(area, 0.01);
    EXPECT_LT(area, 0.12);
    // Dilation: bigger than the bare eye hull, reaching past the eye corners.
    EXPECT_TRUE(inside(mask, {points[36][0] - 3.f, points[36][1]}));
}

TEST(HullMask, ScalesWithResolution) {
    double small = cv::countNonZero(landmarkHullMask(meanFaceLandmarks(64), 64)) / (64.0 * 64);
    double large = cv::countNonZero(landmarkHullMask(meanFaceLandmarks(512), 512)) / (512.0 * 512);
    EXPECT_NEAR(small, large, 0.03);  // edge pixels weigh more at 64 px
}

TEST(HullMask, RejectsWrongLandmarkCount) {
    EXPECT_THROW(landmarkHullMask(LandmarkPoints(5), 64), Error);
    EXPECT_THROW(eyesMouthMask(LandmarkPoints(70), 64), Error);
}

TEST(HullMask, DrawnMaskFillsPolygonsInOrderAtAnySize) {
    auto square = [](float a, float b, bool include) {
        MaskPolygon p;
        p.include = include;
        p.points = {{a, a}, {b, a}, {b, b}, {a, b}};
        return p;
    };
    // Drawn on a 256 px face: the face square, a hand over its lower right quarter.
    std::vector<MaskPolygon> polygons = {square(64, 192, true), square(128, 192, false)};
    cv::Mat mask = drawnFaceMask(polygons, 256, 128);
    ASSERT_EQ(mask.size(), cv::Size(128, 128));
    EXPECT_EQ(cv::countNonZero(mask != 0 & mask != 255), 0) << "not binary";
    EXPECT_NEAR(cv::countNonZero(mask), 64 * 64 - 32 * 32, 2 * 64);
    EXPECT_EQ(mask.at<uint8_t>(40, 40), 255);
    EXPECT_EQ(mask.at<uint8_t>(80, 80), 0);  // the hand
    EXPECT_EQ(mask.at<uint8_t>(10, 10), 0);  // outside
    // Later polygons win: the same hand drawn first is covered again by the face.
    std::vector<MaskPolygon> reversed = {square(128, 192, false), square(64, 192, true)};
    EXPECT_EQ(cv::countNonZero(drawnFaceMask(reversed, 256, 128)),
              cv::countNonZero(drawnFaceMask({square(64, 192, true)}, 256, 128)));
    // At 4x the size the area scales by 16 (vertices are placed with sub-pixel precision).
    EXPECT_NEAR(cv::countNonZero(drawnFaceMask(polygons, 256, 512)), 16.0 * cv::countNonZero(mask),
                0.02 * 16 * cv::countNonZero(mask));
    // Fewer than three points draw nothing.
    MaskPolygon line;
    line.points = {{0, 0}, {255, 255}};
    EXPECT_EQ(cv::countNonZero(drawnFaceMask({line}, 256, 64)), 0);
}
