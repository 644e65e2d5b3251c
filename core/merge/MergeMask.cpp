#include "merge/MergeMask.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "faces/HullMask.h"

namespace doppel {
namespace {

constexpr double kUnitSide = 256.0;  // settings are in pixels of a 256 px aligned face

cv::Mat resizedLearnedMask(const cv::Mat& mask, int side, const char* what) {
    if (mask.empty())
        throw Error(ErrorCode::Incompatible,
                    std::string("mask source needs the ") + what +
                        " mask, but the model returned none (use mask=hull)");
    cv::Mat out;
    cv::resize(mask, out, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
    return out;
}

}  // namespace

int MergeMask::workSide(int resolution, int supersample) {
    return std::max(256, resolution) * std::max(1, supersample);
}

int MergeMask::borderBand(int side) {
    return std::max(1, side / 64);
}

cv::Mat MergeMask::hull(int side, const std::vector<std::array<float, 2>>& lm, int landmarkSpace) {
    // The faces module owns the hull recipe (§1.5) so that packed training masks and merge
    // masks agree; here it is only drawn at the work side.
    const float scale = float(side) / float(std::max(1, landmarkSpace));
    LandmarkPoints scaled;
    scaled.reserve(lm.size());
    for (const auto& p : lm) scaled.push_back({p[0] * scale, p[1] * scale});
    cv::Mat out;
    landmarkHullMask(scaled, side).convertTo(out, CV_32F, 1.0 / 255.0);
    return out;
}

cv::Mat MergeMask::build(MaskSource source, int side,
                         const std::vector<std::array<float, 2>>& landmarks, int landmarkSpace,
                         const cv::Mat& predictedMask, const cv::Mat& dstMask, const cv::Mat& drawn,
                         const cv::Mat& segmentation) {
    cv::Mat drawnFloat;
    if (!drawn.empty()) {
        if (drawn.type() != CV_8UC1 || drawn.rows != side || drawn.cols != side)
            throw Error(ErrorCode::Internal, "drawn mask must be CV_8UC1 at the work side");
        drawn.convertTo(drawnFloat, CV_32F, 1.0 / 255.0);
    }
    auto hullOrDrawn = [&] {
        return drawnFloat.empty() ? hull(side, landmarks, landmarkSpace) : drawnFloat;
    };
    // The face's own mask for the xseg sources: drawn beats predicted beats the hull.
    auto xsegOrHull = [&]() -> cv::Mat {
        if (!drawnFloat.empty() || segmentation.empty()) return hullOrDrawn();
        if (segmentation.type() != CV_8UC1)
            throw Error(ErrorCode::Internal, "xseg mask must be CV_8UC1");
        cv::Mat resized, out;
        cv::resize(segmentation, resized, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
        resized.convertTo(out, CV_32F, 1.0 / 255.0);
        return out;
    };
    auto limited = [&](cv::Mat learned) {
        return drawnFloat.empty() ? learned : cv::Mat(learned.mul(drawnFloat));
    };
    switch (source) {
        case MaskSource::Hull:
            return hullOrDrawn();
        case MaskSource::Predicted:
            return limited(resizedLearnedMask(predictedMask, side, "predicted"));
        case MaskSource::Dst:
            return limited(resizedLearnedMask(dstMask, side, "dst"));
        case MaskSource::PredictedTimesDst:
            return limited(resizedLearnedMask(predictedMask, side, "predicted")
                               .mul(resizedLearnedMask(dstMask, side, "dst")));
        case MaskSource::HullTimesLearned:
            return hullOrDrawn()
                .mul(resizedLearnedMask(predictedMask, side, "predicted"))
                .mul(resizedLearnedMask(dstMask, side, "dst"));
        case MaskSource::XSeg:
            return xsegOrHull();
        case MaskSource::XSegTimesPredicted:
            return xsegOrHull().mul(resizedLearnedMask(predictedMask, side, "predicted"));
    }
    throw Error(ErrorCode::Internal, "unknown mask source");
}

void MergeMask::erodeAndFeather(cv::Mat& mask, int erode, int blur) {
    if (mask.type() != CV_32FC1 || mask.rows != mask.cols)
        throw Error(ErrorCode::Internal, "merge mask must be a square CV_32FC1 image");
    const int side = mask.cols;
    const double unit = side / kUnitSide;

    int radius = int(std::lround(std::abs(erode) * unit));
    if (radius > 0) {
        cv::Mat kernel =
            cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
        if (erode > 0)
            cv::erode(mask, mask, kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(0));
        else
            cv::dilate(mask, mask, kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT,
                       cv::Scalar(0));
    }

    // Two box passes of width b make a smooth (piecewise quadratic) ramp about 2b wide; box
    // filters cost the same at any width, which matters at 512-1024 px mask spaces.
    int box = blur > 0 ? 2 * int(std::lround(blur * unit / 4.0)) + 1 : 0;
    int spread = box > 1 ? box - 1 : 0;  // how far the two passes push mask outward
    int band = std::min(side / 2, borderBand(side) + spread);
    // Zero a band along the crop edge before feathering: after the blur the mask is still zero
    // on the outer borderBand() pixels, so the crop outline can never show in the frame.
    mask.rowRange(0, band).setTo(0);
    mask.rowRange(side - band, side).setTo(0);
    mask.colRange(0, band).setTo(0);
    mask.colRange(side - band, side).setTo(0);
    if (box > 1) {
        cv::blur(mask, mask, cv::Size(box, box), cv::Point(-1, -1), cv::BORDER_CONSTANT);
        cv::blur(mask, mask, cv::Size(box, box), cv::Point(-1, -1), cv::BORDER_CONSTANT);
    }
}

}  // namespace doppel
