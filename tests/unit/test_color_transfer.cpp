// Colour transfer: inside the mask the statistics of the result match the target's (RCT: Lab
// mean/std; LCT, MKL: BGR mean/covariance); pixels outside the mask are untouched; only masked
// target pixels count.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "merge/ColorTransfer.h"
#include "support/TestSupport.h"

using namespace doppel;

namespace {

struct Scene {
    cv::Mat face, target, mask;
};

// Two different real-image crops, the target darker and tinted, and a soft elliptical mask.
Scene makeScene() {
    cv::Mat photo =
        cv::imread(test::dataFile("photos/grace_hopper.jpg").string(), cv::IMREAD_COLOR);
    EXPECT_FALSE(photo.empty());
    Scene s;
    cv::Mat a = photo(cv::Rect(photo.cols / 4, photo.rows / 6, photo.cols / 2, photo.cols / 2));
    cv::Mat b = photo(cv::Rect(photo.cols / 5, photo.rows / 5, photo.cols / 2, photo.cols / 2));
    cv::resize(a, a, {128, 128}, 0, 0, cv::INTER_AREA);
    cv::resize(b, b, {128, 128}, 0, 0, cv::INTER_AREA);
    a.convertTo(s.face, CV_32FC3, 1.0 / 255.0);
    b.convertTo(s.target, CV_32FC3, 0.7 / 255.0);
    s.target += cv::Scalar(0.02, 0.08, 0.15);
    s.mask = cv::Mat::zeros(128, 128, CV_32FC1);
    cv::ellipse(s.mask, {64, 64}, {40, 50}, 0, 0, 360, cv::Scalar(1.0), cv::FILLED);
    cv::GaussianBlur(s.mask, s.mask, {9, 9}, 0);
    return s;
}

cv::Mat statsMask(const Scene& s) {
    return s.mask >= 0.5f;
}

void expectOutsideUntouched(const cv::Mat& before, const cv::Mat& after, const cv::Mat& mask) {
    cv::Mat outside = mask <= 0.0f;
    ASSERT_GT(cv::countNonZero(outside), 1000);
    EXPECT_EQ(cv::norm(before, after, cv::NORM_INF, outside), 0.0);
}

void meanCov(const cv::Mat& img, const cv::Mat& where, cv::Vec3d& mean, cv::Matx33d& cov) {
    std::vector<cv::Vec3f> px;
    for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x)
            if (where.at<uint8_t>(y, x)) px.push_back(img.at<cv::Vec3f>(y, x));
    cv::Mat data(int(px.size()), 3, CV_32F, px.data()), c, m;
    cv::calcCovarMatrix(data, c, m, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE, CV_64F);
    mean = cv::Vec3d(m.at<double>(0), m.at<double>(1), m.at<double>(2));
    cov = cv::Matx33d(c);
}

}  // namespace

TEST(ColorTransfer, RctMatchesLabMeanAndStdInsideTheMask) {
    Scene s = makeScene();
    cv::Mat result = s.face.clone();
    applyColorTransfer(result, s.target, s.mask, ColorMode::Rct);
    expectOutsideUntouched(s.face, result, s.mask);
    cv::Mat labResult, labTarget;
    cv::cvtColor(result, labResult, cv::COLOR_BGR2Lab);
    cv::cvtColor(s.target, labTarget, cv::COLOR_BGR2Lab);
    cv::Scalar mr, sr, mt, st;
    cv::meanStdDev(labResult, mr, sr, statsMask(s));
    cv::meanStdDev(labTarget, mt, st, statsMask(s));
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(mr[c], mt[c], 1.0) << "Lab channel " << c;
        EXPECT_NEAR(sr[c] / st[c], 1.0, 0.08) << "Lab channel " << c;
    }
}

TEST(ColorTransfer, LctAndMklMatchMeanAndCovariance) {
    for (ColorMode mode : {ColorMode::Lct, ColorMode::Mkl}) {
        Scene s = makeScene();
        cv::Mat result = s.face.clone();
        applyColorTransfer(result, s.target, s.mask, mode);
        expectOutsideUntouched(s.face, result, s.mask);
        cv::Vec3d mr, mt;
        cv::Matx33d cr, ct;
        meanCov(result, statsMask(s), mr, cr);
        meanCov(s.target, statsMask(s), mt, ct);
        for (int c = 0; c < 3; ++c) EXPECT_NEAR(mr[c], mt[c], 0.01) << colorModeName(mode);
        double err = cv::norm(cr - ct) / cv::norm(ct);
        EXPECT_LT(err, 0.08) << colorModeName(mode);
    }
}

TEST(ColorTransfer, NonLinearModesMoveTheMeanTowardTheTarget) {
    for (ColorMode mode : {ColorMode::Idt, ColorMode::Sot, ColorMode::HistMatch}) {
        Scene s = makeScene();
        cv::Mat result = s.face.clone();
        applyColorTransfer(result, s.target, s.mask, mode);
        expectOutsideUntouched(s.face, result, s.mask);
        cv::Scalar before = cv::mean(s.face, statsMask(s)), after = cv::mean(result, statsMask(s)),
                   target = cv::mean(s.target, statsMask(s));
        double d0 = cv::norm(before - target), d1 = cv::norm(after - target);
        EXPECT_LT(d1, d0 * 0.25) << colorModeName(mode) << " before " << d0 << " after " << d1;
    }
}

TEST(ColorTransfer, MaskedOutTargetPixelsDoNotCount) {
    Scene s = makeScene();
    cv::Mat noisyTarget = s.target.clone();
    noisyTarget.setTo(cv::Scalar(0, 1, 0), s.mask < 0.5f);  // garish green outside the mask
    for (ColorMode mode : {ColorMode::Rct, ColorMode::Lct, ColorMode::Mkl, ColorMode::Idt,
                           ColorMode::Sot, ColorMode::HistMatch}) {
        cv::Mat a = s.face.clone(), b = s.face.clone();
        applyColorTransfer(a, s.target, s.mask, mode);
        applyColorTransfer(b, noisyTarget, s.mask, mode);
        EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0) << colorModeName(mode);
    }
}

TEST(ColorTransfer, SmoothedStatisticsBlendAndApply) {
    Scene s = makeScene();
    ColorStatsPair current = measureColorStats(s.face, s.target, s.mask, ColorMode::Rct);
    ASSERT_TRUE(current.valid());
    ColorStatsPair previous = current;
    previous.target.mean += cv::Vec3d(10, 0, 0);
    ColorStatsPair mixed = blendColorStats(previous, current, 0.5);
    EXPECT_NEAR(mixed.target.mean[0], current.target.mean[0] + 5, 1e-9);
    // A brighter smoothed target gives a brighter result than the frame's own statistics.
    cv::Mat own = s.face.clone(), smoothed = s.face.clone();
    applyColorTransfer(own, s.target, s.mask, ColorMode::Rct);
    applyColorTransfer(smoothed, s.target, s.mask, ColorMode::Rct, &mixed);
    EXPECT_GT(cv::mean(smoothed, statsMask(s))[0], cv::mean(own, statsMask(s))[0]);
    // An empty mask leaves the face alone.
    cv::Mat untouched = s.face.clone();
    applyColorTransfer(untouched, s.target, cv::Mat::zeros(128, 128, CV_32FC1), ColorMode::Rct);
    EXPECT_EQ(cv::norm(untouched, s.face, cv::NORM_INF), 0.0);
}
