#pragma once
// Puts one swapped face back into its destination frame (algorithms.md §3.1):
//   prepare():   aligned space, model resolution R: mask (work space), colour statistics.
//   composite(): colour transfer, sharpen, inverse warp of ONLY the face's bounding region,
//                motion blur, overlay / seamless / raw blend.
//   finishFrame(): once a frame's faces are in, the synthetic-media watermark over the frame.
// The split lets the merge stage smooth colour statistics across frames between the two steps.
//
// Thread use: all functions are pure (no shared state); different faces/frames may be processed
// on different threads. Compositing two faces of one frame must happen on one thread, in order.
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "common/FaceSwapper.h"
#include "common/Image.h"
#include "faces/AlignedFace.h"
#include "merge/ColorTransfer.h"
#include "merge/MergeSettings.h"

namespace doppel {

/// One face ready to be merged: aligned at the model resolution, prediction in hand.
struct FaceMergeInput {
    AlignedFace face;           ///< metadata: frame->aligned matrix, landmarks
    cv::Mat alignedDst;         ///< CV_8UC3, R x R: the destination face (warpToAligned)
    SwapPrediction prediction;  ///< the swapper's output for alignedDst
    cv::Vec2d motion{0, 0};     ///< landmark centroid motion in frame px per frame (motion blur)
    cv::Mat segmentation;       ///< CV_8UC1: the face's XSeg mask (xseg-apply), or empty
};

struct PreparedFace {
    cv::Mat face;              ///< CV_32FC3, R x R: predicted face, colour not yet transferred
    cv::Mat target;            ///< CV_32FC3, R x R: destination face
    cv::Mat maskWork;          ///< CV_32FC1, work side: final (eroded, feathered) mask
    cv::Mat maskModel;         ///< CV_32FC1, R x R: the same mask at the model resolution
    cv::Matx23d frameToModel;  ///< frame px -> aligned px at R
    cv::Vec2d motion{0, 0};
    ColorStatsPair stats;  ///< measured for the colour mode (invalid for non-linear modes)
};

class FaceCompositor {
  public:
    /// The stored frame->aligned matrix rescaled from the aligned image size to `resolution`.
    static cv::Matx23d frameToModelMatrix(const AlignedFace& face, int resolution);
    /// The destination face at `resolution` (cubic), as the model needs it.
    static cv::Mat warpToAligned(const cv::Mat& frame, const AlignedFace& face, int resolution);
    /// Mask + statistics; throws Error(Incompatible) when the prediction has the wrong size.
    static PreparedFace prepare(const FaceMergeInput& input, const MergeSettings& settings);
    /// Blends `prepared` into `frame` (CV_8UC3) and raises `frameMask` (CV_8UC1, same size) to
    /// the face's mask. `stats` overrides the prepared statistics (temporal smoothing).
    /// Returns the frame region that was changed (empty when the face is off-frame).
    static cv::Rect composite(cv::Mat& frame, cv::Mat& frameMask, const PreparedFace& prepared,
                              const MergeSettings& settings, const ColorStatsPair* stats = nullptr);

    /// After the faces of a frame are composited: embeds the watermark over the whole frame
    /// (Watermark::embedFrame) when `facesMerged` > 0 and settings.watermark is on.
    static void finishFrame(cv::Mat& frame, const MergeSettings& settings, int facesMerged);

    /// Runs the swapper over `alignedFaces` (CV_8UC3 at swapper.resolution()) in batches of
    /// `batch`; checks every prediction's size. Call from one thread (FaceSwapper is not
    /// thread-safe).
    static std::vector<SwapPrediction> predictBatched(FaceSwapper& swapper,
                                                      const std::vector<cv::Mat>& alignedFaces,
                                                      int batch);

    /// Centroid motion of a tracked face, frame px per frame, from its neighbours (either may be
    /// null).
    static cv::Vec2d landmarkMotion(const AlignedFace* previous, const AlignedFace& current,
                                    const AlignedFace* next);
};

/// Plain-buffer <-> OpenCV conversions (deep copies).
cv::Mat toMat(const ImageU8& image);
cv::Mat toMat(const ImageF32& image);
ImageU8 toImageU8(const cv::Mat& mat);

}  // namespace doppel
