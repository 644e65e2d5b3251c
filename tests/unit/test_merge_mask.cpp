// Mask geometry: erosion/dilation move the edge by the expected distance (scaled with the work
// side), the blur feathers it, and the mask is always zero along the crop border.
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "merge/MergeMask.h"
#include "merge/MergeSettings.h"

using namespace doppel;

namespace {

cv::Mat disk(int side, double radius) {
    cv::Mat m = cv::Mat::zeros(side, side, CV_32FC1);
    cv::circle(m, {side / 2, side / 2}, int(radius), cv::Scalar(1.0), cv::FILLED);
    return m;
}

double area(const cv::Mat& m, double threshold = 0.5) {
    return cv::countNonZero(m > threshold);
}

}  // namespace

TEST(MergeMask, WorkSideIsAtLeast256AndSupersamples) {
    EXPECT_EQ(MergeMask::workSide(64, 1), 256);
    EXPECT_EQ(MergeMask::workSide(320, 1), 320);
    EXPECT_EQ(MergeMask::workSide(128, 2), 512);
}

TEST(MergeMask, ErodeAndDilateMoveTheEdgeByTheExpectedDistance) {
    for (int side : {256, 512}) {
        const double unit = side / 256.0, r = 80 * unit;
        cv::Mat eroded = disk(side, r);
        MergeMask::erodeAndFeather(eroded, 10, 0);
        double expected = CV_PI * std::pow(r - 10 * unit, 2);
        EXPECT_NEAR(area(eroded) / expected, 1.0, 0.04) << "side " << side;

        cv::Mat dilated = disk(side, r);
        MergeMask::erodeAndFeather(dilated, -10, 0);
        expected = CV_PI * std::pow(r + 10 * unit, 2);
        EXPECT_NEAR(area(dilated) / expected, 1.0, 0.04) << "side " << side;
    }
}

TEST(MergeMask, BlurFeathersTheEdgeOverAboutTheBlurWidth) {
    cv::Mat m = disk(256, 80);
    MergeMask::erodeAndFeather(m, 0, 32);
    // Half-way level stays on the original edge; the area at 0.5 barely changes.
    EXPECT_NEAR(area(m) / (CV_PI * 80 * 80), 1.0, 0.05);
    EXPECT_FLOAT_EQ(m.at<float>(128, 128), 1.0f);
    // Along a ray from the centre the mask falls monotonically from 1 to 0 over ~32 px.
    int first = -1, last = -1;
    float prev = 1.0f;
    for (int x = 128; x < 256; ++x) {
        float v = m.at<float>(128, x);
        EXPECT_LE(v, prev + 1e-5f);
        prev = v;
        if (v < 0.95f && first < 0) first = x;
        if (v > 0.05f) last = x;
    }
    int width = last - first;
    EXPECT_GE(width, 16);
    EXPECT_LE(width, 40);
}

TEST(MergeMask, MaskIsZeroAlongTheCropBorder) {
    for (int blur : {0, 10, 60}) {
        cv::Mat full(256, 256, CV_32FC1, cv::Scalar(1.0));
        MergeMask::erodeAndFeather(full, -20, blur);
        int band = MergeMask::borderBand(256);
        cv::Rect inner(band, band, 256 - 2 * band, 256 - 2 * band);
        cv::Mat border = full.clone();
        border(inner).setTo(0);
        EXPECT_EQ(cv::countNonZero(border), 0) << "blur " << blur;
        EXPECT_FLOAT_EQ(full.at<float>(128, 128), 1.0f);
    }
}

TEST(MergeMask, LearnedSourcesNeedTheModelMasks) {
    std::vector<std::array<float, 2>> none;
    cv::Mat predicted(64, 64, CV_32FC1, cv::Scalar(0.5)), dst(64, 64, CV_32FC1, cv::Scalar(0.5));
    cv::Mat m = MergeMask::build(MaskSource::PredictedTimesDst, 256, none, 256, predicted, dst);
    EXPECT_EQ(m.cols, 256);
    EXPECT_NEAR(m.at<float>(100, 100), 0.25f, 1e-5f);
    EXPECT_THROW(MergeMask::build(MaskSource::Predicted, 256, none, 256, cv::Mat(), dst), Error);
    EXPECT_THROW(MergeMask::build(MaskSource::Hull, 256, none, 256, predicted, dst), Error);
}

TEST(MergeSettings, OverridesApplyToTheirFrameRangeOnly) {
    nlohmann::json base = mergeOptionSchema().defaults();
    auto overrides = parseMergeOverrides(
        nlohmann::json::parse(R"([{"first":120,"last":180,"set":{"erode":30}}])"));
    EXPECT_EQ(MergeSettings::fromJson(optionsForFrame(base, overrides, 119)).erode, 0);
    EXPECT_EQ(MergeSettings::fromJson(optionsForFrame(base, overrides, 120)).erode, 30);
    EXPECT_EQ(MergeSettings::fromJson(optionsForFrame(base, overrides, 180)).erode, 30);
    EXPECT_EQ(MergeSettings::fromJson(optionsForFrame(base, overrides, 181)).erode, 0);
    EXPECT_THROW(parseMergeOverrides(nlohmann::json::parse(R"([{"first":5,"last":2,"set":{}}])")),
                 Error);
    EXPECT_THROW(
        parseMergeOverrides(nlohmann::json::parse(R"([{"first":1,"last":2,"set":{"erode":999}}])")),
        Error);
    MergeSettings s = MergeSettings::fromJson({{"color", "mkl"}, {"blend", "seamless"}});
    EXPECT_EQ(s.color, ColorMode::Mkl);
    EXPECT_EQ(s.blend, BlendMode::Seamless);
    EXPECT_EQ(MergeSettings::fromJson(s.toJson()).toJson(), s.toJson());
}

TEST(MergeMask, ADrawnMaskReplacesTheHullAndLimitsLearnedMasks) {
    const int side = 256;
    std::vector<std::array<float, 2>> noLandmarks;  // not needed when a drawn mask is given
    cv::Mat drawn = cv::Mat::zeros(side, side, CV_8UC1);
    drawn(cv::Rect(0, 0, 128, 256)).setTo(255);  // the left half is face
    cv::Mat hull = MergeMask::build(MaskSource::Hull, side, noLandmarks, 256, {}, {}, drawn);
    EXPECT_EQ(area(hull), 128.0 * 256);
    cv::Mat learned(64, 64, CV_32FC1, cv::Scalar(1.0f));  // a model that masks everything
    cv::Mat predicted =
        MergeMask::build(MaskSource::Predicted, side, noLandmarks, 256, learned, learned, drawn);
    EXPECT_EQ(area(predicted), 128.0 * 256);
    EXPECT_FLOAT_EQ(predicted.at<float>(10, 200), 0.0f);
    cv::Mat both = MergeMask::build(MaskSource::PredictedTimesDst, side, noLandmarks, 256, learned,
                                    learned, drawn);
    EXPECT_EQ(area(both), 128.0 * 256);
    // Without one, the learned mask is used as it is.
    EXPECT_EQ(
        area(MergeMask::build(MaskSource::Predicted, side, noLandmarks, 256, learned, learned)),
        256.0 * 256);
    EXPECT_THROW(MergeMask::build(MaskSource::Hull, side, noLandmarks, 256, {}, {},
                                  cv::Mat::zeros(10, 10, CV_8UC1)),
                 Error);
}

TEST(MergeMask, XSegSourcesUseTheFacesSegmentationThenDrawnThenHull) {
    const int side = 256;
    std::vector<std::array<float, 2>> noLandmarks;
    cv::Mat segmentation = cv::Mat::zeros(64, 64, CV_8UC1);  // the model's resolution
    segmentation(cv::Rect(0, 0, 64, 32)).setTo(255);         // the top half is face
    cv::Mat xseg =
        MergeMask::build(MaskSource::XSeg, side, noLandmarks, 256, {}, {}, {}, segmentation);
    EXPECT_NEAR(area(xseg), 256.0 * 128, 256.0);
    cv::Mat learned(64, 64, CV_32FC1, cv::Scalar(0.0f));
    learned(cv::Rect(0, 0, 32, 64)).setTo(1.0f);  // the swap's own mask: the left half
    cv::Mat both = MergeMask::build(MaskSource::XSegTimesPredicted, side, noLandmarks, 256, learned,
                                    learned, {}, segmentation);
    EXPECT_NEAR(area(both), 128.0 * 128, 256.0);
    // A drawn mask wins over the predicted one.
    cv::Mat drawn = cv::Mat::zeros(side, side, CV_8UC1);
    drawn(cv::Rect(0, 0, 64, 64)).setTo(255);
    EXPECT_EQ(area(MergeMask::build(MaskSource::XSeg, side, noLandmarks, 256, {}, {}, drawn,
                                    segmentation)),
              64.0 * 64);
}
