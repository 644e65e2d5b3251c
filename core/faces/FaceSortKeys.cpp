#include "faces/FaceSortKeys.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"

namespace doppel {
namespace {

// A generic head in millimetres-like units (nose tip at the origin, y up, z towards the
// camera), for the six landmarks least disturbed by expression: nose tip (30), chin (8), outer
// eye corners (36, 45) and mouth corners (48, 54). Commonly used average proportions.
const std::array<cv::Point3d, 6> kModelPoints = {
    cv::Point3d(0.0, 0.0, 0.0),          cv::Point3d(0.0, -330.0, -65.0),
    cv::Point3d(-225.0, 170.0, -135.0),  cv::Point3d(225.0, 170.0, -135.0),
    cv::Point3d(-150.0, -150.0, -125.0), cv::Point3d(150.0, -150.0, -125.0),
};
const std::array<int, 6> kLandmarkIndex = {30, 8, 36, 45, 48, 54};

constexpr double kRadToDeg = 180.0 / 3.14159265358979323846;

}  // namespace

double blurScore(const cv::Mat& image) {
    if (image.empty()) return 0;
    cv::Mat grey;
    if (image.channels() == 3)
        cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    else if (image.channels() == 4)
        cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
    else
        grey = image;
    // The border of an aligned face is often padding or background: measure the centre.
    int mx = grey.cols / 10, my = grey.rows / 10;
    cv::Mat centre = grey(cv::Rect(mx, my, grey.cols - 2 * mx, grey.rows - 2 * my));
    cv::Mat laplacian;
    cv::Laplacian(centre, laplacian, CV_64F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(laplacian, mean, stddev);
    return stddev[0] * stddev[0];
}

std::array<double, 2> headYawPitchDegrees(const std::vector<std::array<float, 2>>& landmarks,
                                          cv::Size imageSize) {
    if (landmarks.size() < 68)
        throw Error(ErrorCode::InvalidInput,
                    "head pose needs 68 landmarks, got " + std::to_string(landmarks.size()));
    std::vector<cv::Point3d> object(kModelPoints.begin(), kModelPoints.end());
    std::vector<cv::Point2d> image;
    for (int index : kLandmarkIndex)
        image.emplace_back(landmarks[size_t(index)][0], landmarks[size_t(index)][1]);
    double focal = std::max(imageSize.width, imageSize.height);
    if (focal <= 0) focal = landmarkExtent(landmarks) * 3;
    cv::Mat camera = (cv::Mat_<double>(3, 3) << focal, 0, imageSize.width / 2.0, 0, focal,
                      imageSize.height / 2.0, 0, 0, 1);
    cv::Mat rvec, tvec;
    cv::solvePnP(object, image, camera, cv::Mat(), rvec, tvec, false, cv::SOLVEPNP_ITERATIVE);
    cv::Mat rotation;
    cv::Rodrigues(rvec, rotation);
    // The model's y axis points up while image y points down, so the fitted rotation carries a
    // 180 degree turn about x; decompose R = Rx(pitch') Ry(yaw) Rz(roll) and fold pitch' back.
    double r20 = rotation.at<double>(2, 0);
    double yaw = std::asin(std::clamp(-r20, -1.0, 1.0)) * kRadToDeg;
    double pitch = std::atan2(rotation.at<double>(2, 1), rotation.at<double>(2, 2)) * kRadToDeg;
    pitch = pitch > 0 ? 180.0 - pitch : -180.0 - pitch;
    return {yaw, pitch};
}

double landmarkExtent(const std::vector<std::array<float, 2>>& landmarks) {
    if (landmarks.empty()) return 0;
    float minX = std::numeric_limits<float>::max(), minY = minX, maxX = -minX, maxY = -minX;
    for (const auto& p : landmarks) {
        minX = std::min(minX, p[0]);
        maxX = std::max(maxX, p[0]);
        minY = std::min(minY, p[1]);
        maxY = std::max(maxY, p[1]);
    }
    return std::hypot(double(maxX - minX), double(maxY - minY));
}

std::vector<float> colorHistogram(const cv::Mat& bgr, int bins) {
    std::vector<float> out(size_t(3 * bins), 0.f);
    if (bgr.empty() || bgr.depth() != CV_8U) return out;
    cv::Mat colour = bgr;
    if (bgr.channels() == 1) cv::cvtColor(bgr, colour, cv::COLOR_GRAY2BGR);
    for (int y = 0; y < colour.rows; ++y) {
        const uint8_t* row = colour.ptr<uint8_t>(y);
        for (int x = 0; x < colour.cols; ++x)
            for (int c = 0; c < 3; ++c)
                out[size_t(c * bins + row[x * colour.channels() + c] * bins / 256)] += 1.f;
    }
    float pixels = float(colour.rows) * float(colour.cols);
    if (pixels > 0)
        for (float& v : out) v /= pixels;
    return out;
}

double histogramSimilarity(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) return 0;
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += std::min(a[i], b[i]);
    return sum / 3.0;  // three channels, each summing to 1
}

std::vector<size_t> orderByHistogramSimilarity(const std::vector<std::vector<float>>& histograms) {
    size_t n = histograms.size();
    std::vector<size_t> order;
    if (n == 0) return order;
    std::vector<bool> placed(n, false);
    size_t current = 0;
    placed[0] = true;
    order.push_back(0);
    for (size_t step = 1; step < n; ++step) {
        size_t best = n;
        double bestScore = -1;
        for (size_t j = 0; j < n; ++j) {
            if (placed[j]) continue;
            double score = histogramSimilarity(histograms[current], histograms[j]);
            if (score > bestScore) {
                bestScore = score;
                best = j;
            }
        }
        placed[best] = true;
        order.push_back(best);
        current = best;
    }
    return order;
}

cv::Mat normalizedThumbnail(const cv::Mat& alignedBgr) {
    if (alignedBgr.empty()) return cv::Mat::zeros(32, 32, CV_32F);
    cv::Mat grey = alignedBgr, small, values;
    if (alignedBgr.channels() == 3) cv::cvtColor(alignedBgr, grey, cv::COLOR_BGR2GRAY);
    cv::resize(grey, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
    small.convertTo(values, CV_32F);
    cv::Scalar mean, deviation;
    cv::meanStdDev(values, mean, deviation);
    return (values - mean[0]) / std::max(1e-3, deviation[0]);
}

std::vector<double> likenessToTheSet(const std::vector<cv::Mat>& thumbnails) {
    std::vector<double> likeness(thumbnails.size(), 0.0);
    const cv::Mat mean = meanThumbnail(thumbnails);
    if (mean.empty()) return likeness;
    for (size_t i = 0; i < thumbnails.size(); ++i)
        likeness[i] = thumbnailLikeness(thumbnails[i], mean);
    return likeness;
}

cv::Mat meanThumbnail(const std::vector<cv::Mat>& thumbnails) {
    if (thumbnails.empty()) return {};
    cv::Mat mean = cv::Mat::zeros(32, 32, CV_32F);
    for (const cv::Mat& t : thumbnails) mean += t;
    mean /= double(thumbnails.size());
    cv::Scalar average, deviation;
    cv::meanStdDev(mean, average, deviation);
    if (deviation[0] < 1e-6) return {};
    return (mean - average[0]) / deviation[0];
}

double thumbnailLikeness(const cv::Mat& a, const cv::Mat& b) {
    return a.dot(b) / double(a.total());
}

FaceSortKeys computeFaceSortKeys(const cv::Mat& alignedBgr,
                                 const std::vector<std::array<float, 2>>& frameLandmarks,
                                 cv::Size frameSize) {
    FaceSortKeys keys;
    keys.blur = blurScore(alignedBgr);
    keys.histogram = colorHistogram(alignedBgr);
    keys.thumbnail = normalizedThumbnail(alignedBgr);
    keys.size = landmarkExtent(frameLandmarks);
    if (frameLandmarks.size() >= 68) {
        auto yawPitch = headYawPitchDegrees(frameLandmarks, frameSize);
        keys.yawDegrees = yawPitch[0];
        keys.pitchDegrees = yawPitch[1];
    }
    return keys;
}

}  // namespace doppel
