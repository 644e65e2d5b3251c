#pragma once
// Face detection and 68-point landmarks with dlib (algorithms.md §1.1), behind a dlib-free
// header so that the pipeline never sees dlib. One FaceDetector per worker thread: dlib's HOG
// detector keeps scratch buffers and is not safe to share; the landmark model (~100 MB) is
// loaded once per process and shared read-only (shape_predictor's operator() is const).
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

struct DetectorSettings {
    int detectLongSide = 640;  ///< HOG runs on a copy whose longer side is about this long
    int minFaceSize = 40;      ///< boxes narrower than this (frame pixels) are dropped
    bool rotations = true;     ///< retry on +-25, 90, 270, 180 degree copies when nothing is found
    bool upsample = true;  ///< retry on a 2x copy when faces of minFaceSize are below HOG's window
    double maxCropToBox = 4.0;  ///< drop faces whose `full` crop side exceeds this many box sides
};

struct DetectedFace {
    cv::Rect2f box;          ///< frame pixels (axis-aligned, of the rotated box for rolled faces)
    double score = 0;        ///< dlib detection confidence
    double rollDegrees = 0;  ///< rotation of the copy the face was found on
    std::vector<std::array<float, 2>> landmarks;  ///< 68 points, frame pixels
};

/// A face the user pointed at with a box (manual placement), see FaceDetector::fitInBox.
struct BoxFit {
    DetectedFace face;
    bool byDetector =
        false;  ///< the detector found it near the box (else the landmark model alone)
};

/// Where the landmark model is looked for: $DOPPEL_LANDMARK_MODEL, else libdlib-data's file.
std::string landmarkModelPath();
/// Loads the shared landmark model now; throws Error(MissingDependency) naming the package.
void preloadLandmarkModel();

/// Intersection over union of two boxes (0 when either is empty).
double boxIoU(const cv::Rect2f& a, const cv::Rect2f& b);

class FaceDetector {
  public:
    explicit FaceDetector(DetectorSettings settings = {});
    ~FaceDetector();
    FaceDetector(const FaceDetector&) = delete;
    FaceDetector& operator=(const FaceDetector&) = delete;

    /// Full search of a BGR or grey frame: downscaled upright pass, then the retries. Faces are
    /// sorted left to right.
    std::vector<DetectedFace> detect(const cv::Mat& frame);

    /// Cheap search near a face of the previous frame (video): only the region around `previous`
    /// is scanned, scaled so the face is just above HOG's window. Returns the face overlapping
    /// `previous` best (IoU >= 0.3), or nothing when tracking is lost.
    std::vector<DetectedFace> detectNear(const cv::Mat& frame, const DetectedFace& previous);

    /// The face inside `box` (frame pixels, drawn around the face as loosely as a user draws):
    /// for DeepFaceLab's manual extraction, where the detector missed a face or got it wrong.
    /// First the detector searches the region around the box and the face overlapping the box
    /// most (IoU >= 0.25) is taken; if there is none (blur, a hand, a profile) the landmark
    /// model runs in the box and is run again twice in the box its own landmarks imply, so a
    /// box drawn off-centre or too large settles where the detector would have put it. Throws
    /// Error(InvalidInput) for a box under 8 px or outside the frame.
    BoxFit fitInBox(const cv::Mat& frame, const cv::Rect2f& box);

    /// Milliseconds spent in HOG and in the landmark model since construction.
    double detectMilliseconds() const { return detectMs_; }
    double landmarkMilliseconds() const { return landmarkMs_; }

  private:
    struct View;
    std::vector<DetectedFace> detectInView(const cv::Mat& grey, const View& view);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    DetectorSettings settings_;
    double detectMs_ = 0, landmarkMs_ = 0;
};

}  // namespace doppel
