#include "faces/HullMask.h"

#include <cmath>
#include <initializer_list>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"

namespace doppel {
namespace {

void requireSixtyEight(const LandmarkPoints& points) {
    if (points.size() != 68)
        throw Error(ErrorCode::InvalidInput,
                    "face mask needs 68 landmarks, got " + std::to_string(points.size()));
}

cv::Point2f at(const LandmarkPoints& p, int i) {
    return {p[i][0], p[i][1]};
}

void fillHull(cv::Mat& mask, const std::vector<cv::Point2f>& points) {
    std::vector<cv::Point2f> hull;
    cv::convexHull(points, hull);
    // Sub-pixel vertices (4 fractional bits) keep small masks from shifting by half a pixel.
    std::vector<cv::Point> fixedPoint;
    for (const auto& p : hull) fixedPoint.emplace_back(cvRound(p.x * 16), cvRound(p.y * 16));
    cv::fillConvexPoly(mask, fixedPoint, cv::Scalar(255), cv::LINE_AA, 4);
}

std::vector<cv::Point2f> pick(const LandmarkPoints& p,
                              std::initializer_list<std::pair<int, int>> ranges) {
    std::vector<cv::Point2f> out;
    for (auto [first, last] : ranges)
        for (int i = first; i <= last; ++i) out.push_back(at(p, i));
    return out;
}

}  // namespace

LandmarkPoints expandEyebrows(const LandmarkPoints& landmarks68, float amount) {
    requireSixtyEight(landmarks68);
    LandmarkPoints out = landmarks68;
    auto mid = [](cv::Point2f a, cv::Point2f b) { return (a + b) * 0.5f; };
    // Reference "eye top" under each brow point. The outermost brow point has no eye corner below
    // it, so it uses a point a quarter of the way from the eye corner to the jaw's side.
    cv::Point2f rightOuter = mid(at(landmarks68, 36), mid(at(landmarks68, 36), at(landmarks68, 0)));
    cv::Point2f leftOuter = mid(at(landmarks68, 45), mid(at(landmarks68, 45), at(landmarks68, 16)));
    const cv::Point2f rightRefs[5] = {rightOuter, at(landmarks68, 36), at(landmarks68, 37),
                                      at(landmarks68, 38), at(landmarks68, 39)};
    const cv::Point2f leftRefs[5] = {at(landmarks68, 42), at(landmarks68, 43), at(landmarks68, 44),
                                     at(landmarks68, 45), leftOuter};
    for (int k = 0; k < 5; ++k) {
        cv::Point2f r = at(landmarks68, 17 + k), l = at(landmarks68, 22 + k);
        cv::Point2f r2 = r + (r - rightRefs[k]) * amount, l2 = l + (l - leftRefs[k]) * amount;
        out[17 + k] = {r2.x, r2.y};
        out[22 + k] = {l2.x, l2.y};
    }
    return out;
}

cv::Mat drawnFaceMask(const std::vector<MaskPolygon>& polygons, int space, int size) {
    cv::Mat mask = cv::Mat::zeros(size, size, CV_8UC1);
    if (space <= 0) return mask;
    // Sub-pixel vertices (8 fractional bits), so a polygon drawn at 256 px lands exactly at 1024.
    constexpr int kShift = 8;
    const double scale = double(size) / double(space) * (1 << kShift);
    for (const auto& polygon : polygons) {
        if (polygon.points.size() < 3) continue;
        std::vector<cv::Point> points;
        for (const auto& p : polygon.points)
            points.emplace_back(int(std::lround(p[0] * scale)), int(std::lround(p[1] * scale)));
        cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{points},
                     cv::Scalar(polygon.include ? 255 : 0), cv::LINE_AA, kShift);
    }
    // Anti-aliased edges are grey; a mask is 0/255 like the hull.
    cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
    return mask;
}

cv::Mat landmarkHullMask(const LandmarkPoints& landmarks68, int size) {
    LandmarkPoints p = expandEyebrows(landmarks68);
    cv::Mat mask(size, size, CV_8U, cv::Scalar(0));
    fillHull(mask, pick(p, {{0, 8}, {17, 17}}));
    fillHull(mask, pick(p, {{8, 16}, {26, 26}}));
    fillHull(mask, pick(p, {{17, 19}, {8, 8}}));
    fillHull(mask, pick(p, {{24, 26}, {8, 8}}));
    fillHull(mask, pick(p, {{19, 24}, {8, 8}}));
    fillHull(mask, pick(p, {{17, 21}, {27, 27}, {31, 35}, {8, 8}}));
    fillHull(mask, pick(p, {{22, 26}, {27, 27}, {31, 35}, {8, 8}}));
    fillHull(mask, pick(p, {{27, 30}, {31, 35}}));
    // Anti-aliased edges are grey; the packed mask is binary by contract.
    cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
    return mask;
}

cv::Mat eyesMouthMask(const LandmarkPoints& landmarks68, int size) {
    requireSixtyEight(landmarks68);
    cv::Mat mask(size, size, CV_8U, cv::Scalar(0));
    fillHull(mask, pick(landmarks68, {{36, 41}}));
    fillHull(mask, pick(landmarks68, {{42, 47}}));
    fillHull(mask, pick(landmarks68, {{60, 67}}));
    int grow = std::max(1, size / 32);
    cv::dilate(mask, mask,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * grow + 1, 2 * grow + 1}));
    int blur = std::max(3, (size / 16) | 1);
    cv::GaussianBlur(mask, mask, {blur, blur}, 0);
    cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
    return mask;
}

}  // namespace doppel
