#pragma once
// Faces placed by hand: DeepFaceLab's manual extraction and "re-extract deleted". Where the
// detector found no face in a frame (blur, a hand, a profile, a face turned away) or found it
// wrong (landmarks on the ear, another person), that frame of the destination stays unswapped
// and the original face flashes in the result. The user draws a box around the face; the
// detector looks near it, else the landmark model runs in it (FaceDetector::fitInBox); the face
// is aligned with the side's align options and written like any aligned face, marked
// `placement: "manual"` so that align's redo keeps it.
#include <map>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "faces/FaceDetector.h"
#include "pipeline/FrameFiles.h"

namespace doppel {

class FacePlacer {
  public:
    /// Throws Error(NotFound) when the side has no extracted frames.
    FacePlacer(const Workspace& workspace, Side side);
    ~FacePlacer();

    Side side() const { return side_; }
    const std::vector<FrameFile>& frames() const { return frames_; }
    /// Throws Error(NotFound) naming the frame and the range there is.
    const FrameFile& frame(int64_t index) const;
    /// Frames with no face in aligned/: never found, or every face deleted in review, in frame
    /// order.
    std::vector<FrameFile> framesWithoutFace() const;
    /// The aligned faces of a frame now on disk (deleted ones excluded), by face index.
    std::vector<AlignedFace> facesOf(int64_t frameIndex) const;
    /// The frame's pixels (BGR); throws Error naming the file when it is unreadable.
    cv::Mat loadFrame(int64_t frameIndex) const;

    /// The face inside `box` (frame pixels); see FaceDetector::fitInBox.
    BoxFit fit(const cv::Mat& frameImage, const cv::Rect2f& box);

    /// Aligns `face` (landmarks in frameImage's pixels) like align does and writes it into
    /// aligned/ with placement "manual". It replaces the frame's face it overlaps (box IoU >= 0.3;
    /// that face's drawn mask is carried over, its predicted mask dropped), else it is added as
    /// a new face of the frame. The side's pack becomes stale; on the destination the frame's
    /// merged image is removed so that the next merge swaps it, and merge becomes stale.
    AlignedFace place(int64_t frameIndex, const cv::Mat& frameImage, const DetectedFace& face);

    /// The face type, size and JPEG quality placed faces get: the side's align options.
    std::string faceType() const { return faceType_; }
    int faceSize() const { return size_; }

  private:
    /// The track of the face overlapping `box` within 3 frames (video), else -1.
    int trackIdNear(int64_t frameIndex, const cv::Rect2f& box) const;

    Workspace workspace_;
    Side side_;
    std::vector<FrameFile> frames_;
    std::string faceType_ = "full";
    int size_ = 256;
    int jpegQuality_ = 95;
    std::vector<bool> video_;  ///< per frame: from a video input (tracks) or a still
    /// aligned/'s sidecars by frame, listed once and kept up to date by place(): the faces do
    /// not change under a placer otherwise (the studio's dialog is modal, the CLI one-shot).
    std::map<int64_t, std::vector<std::filesystem::path>> aligned_;
    std::unique_ptr<FaceDetector> detector_;  ///< made on first use (loads the landmark model)
};

}  // namespace doppel
