#pragma once
// What the merge reads from a workspace: the destination frames (frames/index.json, else the
// frame files themselves) and the aligned faces grouped by frame. Shared by MergeStage,
// MergePreviewer and `doppel bench merge`. Immutable after construction: safe to read from
// several threads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"

namespace doppel {

struct MergeFrame {
    int64_t index = 0;               ///< 1-based frame number
    std::filesystem::path file;      ///< data_dst/frames/NNNNNN.png
    std::vector<AlignedFace> faces;  ///< aligned faces of this frame (empty: passes through)
    /// merged/<stem>.png
    std::string outputName() const { return file.stem().string() + ".png"; }
};

class MergeSource {
  public:
    /// Throws Error(NotFound) when the destination has no frames or no aligned faces at all.
    explicit MergeSource(const Workspace& workspace);
    /// For tests and the benchmark: frames and faces given directly.
    MergeSource(std::vector<MergeFrame> frames);

    const std::vector<MergeFrame>& frames() const { return frames_; }
    const MergeFrame* find(int64_t index) const;
    int64_t faceCount() const;
    /// The face type of the aligned faces ("full", ...); "" when there are none.
    std::string faceType() const;

    /// Reads a frame as BGR 8-bit; throws Error(InvalidInput) naming the file when unreadable.
    static cv::Mat loadFrame(const MergeFrame& frame);
    /// The face's XSeg mask (aligned/NNNNNN_K_xseg.png, CV_8UC1), empty when it has none.
    cv::Mat segmentationOf(const AlignedFace& face) const;
    /// Per-frame motion of `face` (same track in the previous / next frame), frame px.
    cv::Vec2d motionOf(const MergeFrame& frame, const AlignedFace& face) const;

  private:
    const AlignedFace* sameTrack(int64_t frameIndex, const AlignedFace& face) const;
    std::vector<MergeFrame> frames_;
    std::filesystem::path alignedDir_;  ///< empty for sources built from frames directly
};

}  // namespace doppel
