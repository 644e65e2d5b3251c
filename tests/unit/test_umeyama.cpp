// Umeyama similarity fit: recovers a known rotation + scale + translation exactly, stays a proper
// rotation for mirrored input, and rejects degenerate point sets.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "common/Error.h"
#include "faces/FaceGeometry.h"

using namespace doppel;

namespace {
cv::Point2d applyKnown(double scale, double degrees, cv::Point2d t, cv::Point2d p) {
    double a = degrees * CV_PI / 180, c = std::cos(a), s = std::sin(a);
    return {scale * (c * p.x - s * p.y) + t.x, scale * (s * p.x + c * p.y) + t.y};
}
}  // namespace

TEST(Umeyama, RecoversKnownSimilarityExactly) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> coord(-50, 50);
    std::vector<cv::Point2d> from, to;
    for (int i = 0; i < 33; ++i) {
        from.emplace_back(coord(rng), coord(rng));
        to.push_back(applyKnown(2.5, 30.0, {10, -5}, from.back()));
    }
    cv::Matx23d m = umeyamaSimilarity(from, to);
    double c = 2.5 * std::cos(CV_PI / 6), s = 2.5 * std::sin(CV_PI / 6);
    EXPECT_NEAR(m(0, 0), c, 1e-9);
    EXPECT_NEAR(m(0, 1), -s, 1e-9);
    EXPECT_NEAR(m(1, 0), s, 1e-9);
    EXPECT_NEAR(m(1, 1), c, 1e-9);
    EXPECT_NEAR(m(0, 2), 10, 1e-9);
    EXPECT_NEAR(m(1, 2), -5, 1e-9);
}

TEST(Umeyama, NoisyPointsGiveCloseFit) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> coord(0, 1);
    std::normal_distribution<double> noise(0, 0.002);
    std::vector<cv::Point2d> from, to;
    for (int i = 0; i < 200; ++i) {
        from.emplace_back(coord(rng), coord(rng));
        cv::Point2d q = applyKnown(0.01, -75.0, {0.3, 0.2}, from.back() * 100.0);
        to.emplace_back(q.x + noise(rng) * 0.01, q.y + noise(rng) * 0.01);
    }
    cv::Matx23d m = umeyamaSimilarity(from, to);
    double scale = std::sqrt(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0));
    EXPECT_NEAR(scale, 1.0, 1e-3);
    EXPECT_NEAR(std::atan2(m(1, 0), m(0, 0)) * 180 / CV_PI, -75.0, 0.1);
}

TEST(Umeyama, MirroredTargetStillGivesProperRotation) {
    std::vector<cv::Point2d> from = {{0, 0}, {1, 0}, {0, 2}, {3, 1}, {-1, 4}};
    std::vector<cv::Point2d> to;
    for (auto p : from) to.emplace_back(-p.x, p.y);  // a reflection no similarity can reproduce
    cv::Matx23d m = umeyamaSimilarity(from, to);
    EXPECT_GT(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0), 0.0);
}

TEST(Umeyama, RejectsDegenerateInput) {
    std::vector<cv::Point2d> same = {{1, 1}, {1, 1}, {1, 1}};
    EXPECT_THROW(umeyamaSimilarity(same, same), Error);
    EXPECT_THROW(umeyamaSimilarity({{0, 0}}, {{1, 1}}), Error);
    EXPECT_THROW(umeyamaSimilarity({{0, 0}, {1, 0}}, {{1, 1}}), Error);
}

TEST(Umeyama, MeanFaceLandmarksMapOntoTheMeanFace) {
    // Landmarks that are an exact similarity of the mean face fit it with zero residual.
    std::vector<std::array<float, 2>> landmarks(68, {0.f, 0.f});
    for (int i = 0; i < 17; ++i) landmarks[i] = {float(i), 200.f};
    for (int i = 17; i < 68; ++i) {
        cv::Point2d q = applyKnown(180.0, 12.0, {40, 60}, meanFacePoint(i));
        landmarks[i] = {float(q.x), float(q.y)};
    }
    cv::Matx23d toUnit = frameToMeanFace(landmarks);
    for (int i : alignmentLandmarkIndices()) {
        auto p = transformPoints(toUnit, {landmarks[i]})[0];
        EXPECT_NEAR(p[0], meanFacePoint(i).x, 1e-4) << i;
        EXPECT_NEAR(p[1], meanFacePoint(i).y, 1e-4) << i;
    }
}
