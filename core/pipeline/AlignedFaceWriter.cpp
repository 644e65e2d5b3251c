#include "pipeline/AlignedFaceWriter.h"

#include <algorithm>
#include <chrono>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "common/ParallelFor.h"
#include "faces/FaceGeometry.h"
#include "media/ImageIO.h"

namespace doppel {

namespace {

/// A photo's face (a faceset made elsewhere) may be cropped tighter than the face type asks.
constexpr double kMostOutsidePhoto = 0.1;

double msSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

/// The share of an aligned face of `size` px that `frameToAligned` takes from outside an image
/// of `imageSize`.
double shareOutsideImage(cv::Size imageSize, const cv::Matx23d& frameToAligned, int size) {
    cv::Mat inside;
    cv::warpAffine(cv::Mat(imageSize, CV_8U, cv::Scalar(255)), inside, frameToAligned,
                   cv::Size(size, size), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
    return 1.0 - double(cv::countNonZero(inside)) / (double(size) * size);
}

cv::Rect2f boxOf(const AlignedFace& face) {
    return cv::Rect2f(face.box[0], face.box[1], face.box[2], face.box[3]);
}

/// Whether `box` is a face deleted in review in this frame (IoU >= 0.5 with its box).
bool deletedHere(const std::map<int64_t, std::vector<cv::Rect2f>>& deletedBoxes, int64_t frame,
                 const cv::Rect2f& box) {
    const auto it = deletedBoxes.find(frame);
    if (it == deletedBoxes.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const cv::Rect2f& gone) { return boxIoU(gone, box) >= 0.5; });
}

void drawDebug(cv::Mat& canvas, const AlignedFace& face, const cv::Matx23d& matrix) {
    cv::rectangle(canvas, boxOf(face), {0, 0, 255}, 2);
    for (const auto& p : face.landmarks)
        cv::circle(canvas, cv::Point2f(p[0], p[1]), 2, {0, 255, 0}, cv::FILLED);
    cv::Matx23d toFrame;
    cv::invertAffineTransform(matrix, toFrame);
    float s = float(face.size);
    auto outline = transformPoints(toFrame, {{0, 0}, {s, 0}, {s, s}, {0, s}});
    std::vector<cv::Point> polygon;
    for (const auto& p : outline) polygon.emplace_back(cvRound(p[0]), cvRound(p[1]));
    cv::polylines(canvas, polygon, true, {255, 128, 0}, 2);
    cv::putText(canvas, std::to_string(face.faceIndex), polygon[0], cv::FONT_HERSHEY_SIMPLEX, 0.8,
                {255, 128, 0}, 2);
}

}  // namespace

AlignedFaceWriter::AlignedFaceWriter(const AlignOptions& options,
                                     const std::filesystem::path& outDir,
                                     const std::filesystem::path& debugDir,
                                     const std::map<int64_t, FrameEmbeddedFace>& embedded,
                                     const EarlierWork& earlier, AlignStepTimes& times)
    : options_(options),
      outDir_(outDir),
      debugDir_(debugDir),
      embedded_(embedded),
      earlier_(earlier),
      times_(times) {}

void AlignedFaceWriter::run(const std::vector<FrameFile>& frames, const std::vector<bool>& videoAt,
                            const FaceTimeline& timeline,
                            const std::vector<AlignFrameState>& states, DecodedFrameCache& decoded,
                            const FrameDone& frameDone, const CancelToken& cancel) {
    // Each frame is independent.
    parallelFor(int64_t(frames.size()), options_.threads, [&](int64_t position, int) {
        if (cancel.isCancelled()) return;
        const size_t i = size_t(position);
        if (states[i].resumed) return;
        const auto& faces = timeline[i];
        const bool anyKept =
            std::any_of(faces.begin(), faces.end(), [](const TrackedFace& f) { return f.keep; });
        cv::Mat image = decoded.take(i);  // taken either way: frees a frame with no face now
        if (!states[i].unreadable && anyKept) {
            if (image.empty()) {
                const auto start = std::chrono::steady_clock::now();
                image = cv::imread(frames[i].path.string(), cv::IMREAD_COLOR);
                times_.add(times_.decode, msSince(start));
            }
            if (image.empty())
                throw Error(ErrorCode::Io,
                            frames[i].path.string() + ": frame became unreadable during align");
            writeFrame(frames[i], videoAt[i], timeline, i, image);
        }
        frameDone(frames[i]);
    });
}

void AlignedFaceWriter::writeFrame(const FrameFile& frame, bool video, const FaceTimeline& timeline,
                                   size_t i, const cv::Mat& image) {
    const auto& faces = timeline[i];
    cv::Mat debugCanvas = options_.debug ? image.clone() : cv::Mat();
    int faceIndex = 0;
    for (size_t k = 0; k < faces.size(); ++k) {
        if (!faces[k].keep) continue;
        auto start = std::chrono::steady_clock::now();
        AlignedFace out;
        out.sourceFrame = frame.path.filename().string();
        out.frameIndex = frame.index;
        out.faceIndex = faceIndex++;
        out.trackId = video ? faces[k].trackId : -1;
        const DetectedFace& d = faces[k].face;
        if (deletedHere(earlier_.deletedBoxes, out.frameIndex, d.box)) {
            ++keptDeleted_;  // deleted in review: a redo must not bring it back
            continue;
        }
        out.box = {d.box.x, d.box.y, d.box.width, d.box.height};
        out.detectorScore = d.score;
        out.placement = faces[k].placedByHand ? "manual"
                        : faces[k].gapFilled  ? "interpolated"
                        : faces[k].imported   ? "imported"
                                              : "detected";
        out.rollDegrees = d.rollDegrees;
        // Stored landmarks stay the detected ones (exact per frame, for masks); only the crop is
        // fitted on smoothed landmarks, which is what removes the jitter.
        out.landmarks = d.landmarks;
        out.faceType = faceTypeName(options_.faceType);
        out.size = options_.size;
        out.frameWidth = image.cols;
        out.frameHeight = image.rows;
        const cv::Matx23d matrix = alignmentMatrix(
            video ? smoothedLandmarks(timeline, i, k, options_.smooth) : d.landmarks, options_.size,
            options_.faceType);
        for (int r = 0; r < 6; ++r) out.frameToAligned[size_t(r)] = matrix.val[r];
        if (auto it = earlier_.drawnMasks.find(out.frameIndex); it != earlier_.drawnMasks.end())
            for (const AlignedFace& before : it->second)
                if (boxIoU(d.box, boxOf(before)) >= 0.5)
                    out.maskPolygons = carriedMaskPolygons(before, out);
        if (faces[k].imported) {
            const FrameEmbeddedFace& given = embedded_.at(out.frameIndex);
            if (out.maskPolygons.empty())  // drawn in DeepFaceLab
                out.maskPolygons = polygonsInAligned(given, matrix);
            // A faceset cropped tighter than this face type leaves part of the crop outside the
            // photo: filled by repeating its edge, which training learns.
            if (shareOutsideImage(image.size(), matrix, options_.size) > kMostOutsidePhoto)
                ++pastPhotoEdge_;
            // DeepFaceLab's applied XSeg mask, where xseg-apply would put one.
            const cv::Mat mask = maskInAligned(given, matrix, options_.size);
            if (!mask.empty()) writeImageAtomic(outDir_ / out.xsegMaskName(), mask);
        }
        cv::Mat aligned;
        cv::warpAffine(image, aligned, matrix, cv::Size(options_.size, options_.size),
                       cv::INTER_CUBIC, cv::BORDER_REPLICATE);
        times_.add(times_.align, msSince(start));

        start = std::chrono::steady_clock::now();
        // Image first, sidecar last: a sidecar is the mark of a finished face on resume.
        writeImageAtomic(outDir_ / out.imageName(), aligned, options_.jpegQuality);
        writeAlignedFace(outDir_ / out.metaName(), out);
        times_.add(times_.write, msSince(start));
        if (options_.debug) drawDebug(debugCanvas, out, matrix);
        ++written_;
        if (faces[k].imported) ++imported_;
    }
    if (options_.debug)
        writeImageAtomic(debugDir_ / (frameStem(frame.index) + ".jpg"), debugCanvas, 90);
}

}  // namespace doppel
