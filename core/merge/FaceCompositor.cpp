#include "merge/FaceCompositor.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include "common/Error.h"
#include "faces/HullMask.h"
#include "merge/MergeMask.h"
#include "merge/Watermark.h"

namespace doppel {
namespace {

// The inverse-warp matrix with the face scaled about the aligned centre: sampling the predicted
// face at c + (q - c) / s draws it s times larger in the frame.
cv::Matx23d scaledAbout(const cv::Matx23d& m, double s, double centre) {
    cv::Matx23d out;
    for (int r = 0; r < 2; ++r) {
        for (int c = 0; c < 3; ++c) out(r, c) = m(r, c) / s;
        out(r, 2) += centre - centre / s;
    }
    return out;
}

cv::Matx23d invert(const cv::Matx23d& m) {
    cv::Matx23d out;
    cv::invertAffineTransform(m, out);
    return out;
}

// Frame-pixel bounding box of an aligned-space rectangle, clipped to the frame.
cv::Rect frameRegion(const cv::Matx23d& frameToAligned, const cv::Rect2d& alignedBox,
                     const cv::Size& frameSize) {
    cv::Matx23d back = invert(frameToAligned);
    double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
    for (cv::Point2d q :
         {alignedBox.tl(), cv::Point2d(alignedBox.x + alignedBox.width, alignedBox.y),
          alignedBox.br(), cv::Point2d(alignedBox.x, alignedBox.y + alignedBox.height)}) {
        cv::Vec3d h(q.x, q.y, 1.0);
        cv::Vec2d p = back * h;
        x0 = std::min(x0, p[0]), y0 = std::min(y0, p[1]), x1 = std::max(x1, p[0]),
        y1 = std::max(y1, p[1]);
    }
    cv::Rect r(int(std::floor(x0)) - 2, int(std::floor(y0)) - 2, int(std::ceil(x1 - x0)) + 5,
               int(std::ceil(y1 - y0)) + 5);
    return r & cv::Rect(0, 0, frameSize.width, frameSize.height);
}

// The matrix mapping region pixels to aligned pixels (for WARP_INVERSE_MAP).
cv::Matx23d regionToAligned(const cv::Matx23d& frameToAligned, const cv::Point& origin,
                            double extraScale) {
    cv::Matx23d a = frameToAligned;
    a(0, 2) += a(0, 0) * origin.x + a(0, 1) * origin.y;
    a(1, 2) += a(1, 0) * origin.x + a(1, 1) * origin.y;
    return a * extraScale;
}

void sharpenOrBlur(cv::Mat& face, int amount) {
    if (amount == 0) return;
    const double unit = face.cols / 256.0;
    if (amount > 0) {
        cv::Mat blurred;
        cv::GaussianBlur(face, blurred, cv::Size(), std::max(0.8, 1.5 * unit));
        double k = amount / 50.0;  // 100 -> twice the detail
        cv::addWeighted(face, 1 + k, blurred, -k, 0, face);
    } else {
        cv::GaussianBlur(face, face, cv::Size(), std::max(0.3, -amount / 100.0 * 4.0 * unit));
    }
    cv::min(cv::max(face, 0.0), 1.0, face);
}

// Linear blur along the face's motion (frame pixels), so a fast-moving swapped face is as
// smeared as the frame around it.
void motionBlur(cv::Mat& region, const cv::Vec2d& motion, int percent) {
    double length = std::min(64.0, cv::norm(motion) * percent / 100.0);
    if (length < 1.5) return;
    int size = 2 * int(std::ceil(length / 2)) + 1;
    cv::Mat kernel = cv::Mat::zeros(size, size, CV_32F);
    cv::Point2d dir = cv::Point2d(motion[0], motion[1]) * (1.0 / cv::norm(motion));
    cv::Point2d c(size / 2.0, size / 2.0);
    cv::line(kernel, c - dir * (length / 2), c + dir * (length / 2), cv::Scalar(1.0), 1,
             cv::LINE_AA);
    kernel /= cv::sum(kernel)[0];
    cv::filter2D(region, region, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
}

cv::Rect2d maskBoundsInModel(const cv::Mat& maskModel) {
    cv::Mat nonZero;
    cv::threshold(maskModel, nonZero, 0.0, 255, cv::THRESH_BINARY);
    nonZero.convertTo(nonZero, CV_8U);
    cv::Rect box = cv::boundingRect(nonZero);
    return cv::Rect2d(box.x - 1.0, box.y - 1.0, box.width + 2.0, box.height + 2.0);
}

}  // namespace

cv::Mat toMat(const ImageU8& image) {
    if (image.empty()) return {};
    return cv::Mat(image.height, image.width, CV_8UC(image.channels),
                   const_cast<uint8_t*>(image.pixels.data()))
        .clone();
}

cv::Mat toMat(const ImageF32& image) {
    if (image.empty()) return {};
    return cv::Mat(image.height, image.width, CV_32FC(image.channels),
                   const_cast<float*>(image.pixels.data()))
        .clone();
}

ImageU8 toImageU8(const cv::Mat& mat) {
    if (mat.depth() != CV_8U) throw Error(ErrorCode::Internal, "toImageU8 needs an 8-bit image");
    ImageU8 out(mat.cols, mat.rows, mat.channels());
    cv::Mat view(mat.rows, mat.cols, mat.type(), out.pixels.data());
    mat.copyTo(view);
    return out;
}

cv::Matx23d FaceCompositor::frameToModelMatrix(const AlignedFace& face, int resolution) {
    if (face.size <= 0)
        throw Error(ErrorCode::InvalidInput, "aligned face " + face.metaName() + " has no size");
    const double k = double(resolution) / double(face.size);
    const auto& m = face.frameToAligned;
    return cv::Matx23d(m[0] * k, m[1] * k, m[2] * k, m[3] * k, m[4] * k, m[5] * k);
}

cv::Mat FaceCompositor::warpToAligned(const cv::Mat& frame, const AlignedFace& face,
                                      int resolution) {
    cv::Mat out;
    cv::warpAffine(frame, out, frameToModelMatrix(face, resolution),
                   cv::Size(resolution, resolution), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    return out;
}

PreparedFace FaceCompositor::prepare(const FaceMergeInput& input, const MergeSettings& settings) {
    const int res = input.alignedDst.cols;
    const SwapPrediction& pred = input.prediction;
    if (input.alignedDst.type() != CV_8UC3 || input.alignedDst.rows != res)
        throw Error(ErrorCode::Internal, "aligned destination face must be square CV_8UC3");
    if (pred.face.width != res || pred.face.height != res || pred.face.channels != 3)
        throw Error(ErrorCode::Incompatible, "the model returned a " +
                                                 std::to_string(pred.face.width) + "x" +
                                                 std::to_string(pred.face.height) + " face for a " +
                                                 std::to_string(res) + " px input");
    PreparedFace p;
    p.frameToModel = frameToModelMatrix(input.face, res);
    p.motion = input.motion;
    p.face = toMat(pred.face);
    input.alignedDst.convertTo(p.target, CV_32FC3, 1.0 / 255.0);

    const int side = MergeMask::workSide(res, settings.supersample);
    auto landmarks = input.face.alignedLandmarks();
    cv::Mat drawn;
    if (input.face.hasDrawnMask())
        drawn = drawnFaceMask(input.face.maskPolygons, input.face.size, side);
    p.maskWork =
        MergeMask::build(settings.mask, side, landmarks, input.face.size, toMat(pred.predictedMask),
                         toMat(pred.dstMask), drawn, input.segmentation);
    MergeMask::erodeAndFeather(p.maskWork, settings.erode, settings.blur);
    cv::resize(p.maskWork, p.maskModel, cv::Size(res, res), 0, 0,
               side == res ? cv::INTER_NEAREST : cv::INTER_AREA);
    if (colorModeHasStats(settings.color))
        p.stats = measureColorStats(p.face, p.target, p.maskModel, settings.color);
    return p;
}

cv::Rect FaceCompositor::composite(cv::Mat& frame, cv::Mat& frameMask, const PreparedFace& prepared,
                                   const MergeSettings& settings, const ColorStatsPair* stats) {
    if (frame.type() != CV_8UC3 || frameMask.type() != CV_8UC1 || frame.size() != frameMask.size())
        throw Error(ErrorCode::Internal,
                    "composite needs a CV_8UC3 frame and a CV_8UC1 mask of the same size");
    const int res = prepared.face.cols;
    const bool raw = settings.blend == BlendMode::Raw;

    cv::Mat face = prepared.face.clone();
    if (!raw) {
        ColorTransferParams params;
        params.histThreshold = settings.histThreshold;
        applyColorTransfer(face, prepared.target, prepared.maskModel, settings.color,
                           stats ? stats : &prepared.stats, params);
        sharpenOrBlur(face, settings.sharpen);
    }

    const cv::Matx23d toFace =
        scaledAbout(prepared.frameToModel, 1.0 + settings.faceScale / 100.0, res / 2.0);
    cv::Rect2d bounds = raw ? cv::Rect2d(0, 0, res, res) : maskBoundsInModel(prepared.maskModel);
    if (bounds.width <= 2 || bounds.height <= 2) return {};
    cv::Rect region = frameRegion(toFace, bounds, frame.size());
    if (region.empty()) return {};

    // Warp only the face's region: cost follows the face size, not the frame size.
    cv::Mat faceRegion, maskRegion;
    cv::warpAffine(face, faceRegion, regionToAligned(toFace, region.tl(), 1.0), region.size(),
                   cv::INTER_CUBIC | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    if (raw) {
        cv::Mat ones(res, res, CV_32FC1, cv::Scalar(1.0));
        cv::warpAffine(ones, maskRegion, regionToAligned(toFace, region.tl(), 1.0), region.size(),
                       cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                       cv::Scalar(0));
    } else {
        double workScale = double(prepared.maskWork.cols) / double(res);
        cv::warpAffine(prepared.maskWork, maskRegion,
                       regionToAligned(toFace, region.tl(), workScale), region.size(),
                       cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(0));
    }
    if (!raw && settings.motionBlur > 0)
        motionBlur(faceRegion, prepared.motion, settings.motionBlur);

    cv::Mat frameRoi = frame(region);
    cv::Mat base;  // what the soft mask blends the face onto: the frame, or its Poisson clone
    frameRoi.convertTo(base, CV_32FC3, 1.0 / 255.0);
    if (settings.blend == BlendMode::Seamless) {
        cv::Mat hard, face8, cloned;
        cv::threshold(maskRegion, hard, 0.5, 255, cv::THRESH_BINARY);
        hard.convertTo(hard, CV_8U);
        // seamlessClone ignores the outer pixel of the mask; do it here so the bounding box
        // (and therefore the placement centre below) is the one it uses.
        hard.row(0).setTo(0), hard.row(hard.rows - 1).setTo(0), hard.col(0).setTo(0),
            hard.col(hard.cols - 1).setTo(0);
        cv::Rect box = cv::boundingRect(hard);
        if (box.width > 4 && box.height > 4) {
            faceRegion.convertTo(face8, CV_8UC3, 255.0);
            cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
            cv::seamlessClone(face8, frameRoi, hard, centre, cloned, cv::NORMAL_CLONE);
            cloned.convertTo(faceRegion, CV_32FC3, 1.0 / 255.0);
        }
    }
    // out = frame * (1 - m) + face * m; where m == 0 the frame's value comes back exactly.
    cv::Mat out(region.size(), CV_8UC3);
    for (int y = 0; y < region.height; ++y) {
        const cv::Vec3f* f = faceRegion.ptr<cv::Vec3f>(y);
        const cv::Vec3f* b = base.ptr<cv::Vec3f>(y);
        const float* m = maskRegion.ptr<float>(y);
        const cv::Vec3b* orig = frameRoi.ptr<cv::Vec3b>(y);
        cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
        uint8_t* fm = frameMask.ptr<uint8_t>(region.y + y) + region.x;
        for (int x = 0; x < region.width; ++x) {
            float a = std::clamp(m[x], 0.0f, 1.0f);
            if (a <= 0.0f) {
                o[x] = orig[x];
                continue;
            }
            for (int c = 0; c < 3; ++c)
                o[x][c] = cv::saturate_cast<uint8_t>((b[x][c] * (1 - a) + f[x][c] * a) * 255.0f);
            fm[x] = std::max<uint8_t>(fm[x], cv::saturate_cast<uint8_t>(a * 255.0f));
        }
    }
    out.copyTo(frameRoi);
    return region;
}

void FaceCompositor::finishFrame(cv::Mat& frame, const MergeSettings& settings, int facesMerged) {
    // The whole frame rather than the face region: ~6x the cells, which is what lets the mark
    // survive CRF 35 and half size + CRF 28 on a small 360x288 clip (docs/synthetic-media.md).
    if (facesMerged > 0 && settings.watermark) Watermark::embedFrame(frame);
}

std::vector<SwapPrediction> FaceCompositor::predictBatched(FaceSwapper& swapper,
                                                           const std::vector<cv::Mat>& faces,
                                                           int batch) {
    const int res = swapper.resolution();
    std::vector<SwapPrediction> out;
    out.reserve(faces.size());
    for (size_t start = 0; start < faces.size(); start += size_t(std::max(1, batch))) {
        size_t end = std::min(faces.size(), start + size_t(std::max(1, batch)));
        std::vector<ImageU8> input;
        for (size_t i = start; i < end; ++i) input.push_back(toImageU8(faces[i]));
        std::vector<SwapPrediction> predicted = swapper.predict(input);
        if (predicted.size() != input.size())
            throw Error(ErrorCode::Internal,
                        "the model returned " + std::to_string(predicted.size()) +
                            " predictions for " + std::to_string(input.size()) + " faces");
        for (auto& p : predicted) {
            if (p.face.width != res || p.face.height != res || p.face.channels != 3)
                throw Error(ErrorCode::Incompatible,
                            "the model (" + swapper.describe() + ") returned a " +
                                std::to_string(p.face.width) + "x" + std::to_string(p.face.height) +
                                " face, expected " + std::to_string(res));
            out.push_back(std::move(p));
        }
    }
    return out;
}

cv::Vec2d FaceCompositor::landmarkMotion(const AlignedFace* previous, const AlignedFace& current,
                                         const AlignedFace* next) {
    auto centroid = [](const AlignedFace& f) {
        cv::Vec2d c(0, 0);
        for (const auto& p : f.landmarks) c += cv::Vec2d(p[0], p[1]);
        return f.landmarks.empty() ? c : c / double(f.landmarks.size());
    };
    if (previous && next) return (centroid(*next) - centroid(*previous)) / 2.0;
    if (next) return centroid(*next) - centroid(current);
    if (previous) return centroid(current) - centroid(*previous);
    return {0, 0};
}

}  // namespace doppel
