#pragma once
// Measures used to sort aligned faces in review (the GUI's Faces page), so that blurry,
// profile, tiny or odd-looking faces end up together and can be deleted in one go:
//   blur     variance of the Laplacian of the grey face (higher = sharper)
//   yaw      head turn in degrees (positive = facing the viewer's left), from the 68 landmarks
//   pitch    head nod in degrees (positive = looking up)
//   size     face size in frame pixels (the landmark extent)
//   histogram  a normalised per-channel colour histogram, for "histogram similarity" ordering
//   thumbnail  a small normalised grey copy, for "odd ones out first" (likeness to the others)
// OpenCV only; no Qt.
#include <array>
#include <cstddef>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

struct FaceSortKeys {
    double blur = 0;
    double yawDegrees = 0;
    double pitchDegrees = 0;
    double size = 0;
    std::vector<float> histogram;
    cv::Mat thumbnail;  ///< normalizedThumbnail of the aligned face
};

/// Variance of the Laplacian over the central 80 % of a BGR or grey 8-bit image.
double blurScore(const cv::Mat& image);

/// Yaw and pitch in degrees from 68 iBUG landmarks (any pixel space) by fitting a generic 3D
/// face with solvePnP; `imageSize` sets the pinhole camera. Throws Error(InvalidInput) when
/// fewer than 68 points are given.
std::array<double, 2> headYawPitchDegrees(const std::vector<std::array<float, 2>>& landmarks,
                                          cv::Size imageSize);

/// The diagonal of the landmarks' bounding box.
double landmarkExtent(const std::vector<std::array<float, 2>>& landmarks);

/// `bins` per channel, each channel normalised to sum 1 (3 * bins values).
std::vector<float> colorHistogram(const cv::Mat& bgr, int bins = 32);

/// Histogram intersection in 0..1 (1 = identical) of two colorHistogram results.
double histogramSimilarity(const std::vector<float>& a, const std::vector<float>& b);

/// An order of the faces in which neighbours look alike: start with the first face, repeatedly
/// append the most similar face not yet placed (greedy nearest neighbour).
std::vector<size_t> orderByHistogramSimilarity(const std::vector<std::vector<float>>& histograms);

/// A 32x32 grey copy of an aligned face with zero mean and unit variance (float).
cv::Mat normalizedThumbnail(const cv::Mat& alignedBgr);

/// For each face, how much it looks like the faces of its set: the correlation (-1..1) of its
/// thumbnail with the mean of all thumbnails. Aligned faces of one person score high (GRID:
/// 0.98 and up); a crop where the landmark model lost the face (background, collar, an ear)
/// scores far lower (measured on GRID: the collar below a face 0.41, crops from boxes beside the
/// face -0.26..0.31), and so do faces unlike the rest (other light, another person). Sorting by it
/// ascending puts the odd ones out first, like DeepFaceLab's "dissimilar histogram" sort but with
/// the face's layout.
std::vector<double> likenessToTheSet(const std::vector<cv::Mat>& thumbnails);

/// The mean of normalizedThumbnail results, normalised again (zero mean, unit variance); an
/// empty Mat when there are none or they cancel out.
cv::Mat meanThumbnail(const std::vector<cv::Mat>& thumbnails);
/// The correlation (-1..1) of two normalised thumbnails.
double thumbnailLikeness(const cv::Mat& a, const cv::Mat& b);

/// All keys of one aligned face (its image, its landmarks in frame pixels and the frame size).
FaceSortKeys computeFaceSortKeys(const cv::Mat& alignedBgr,
                                 const std::vector<std::array<float, 2>>& frameLandmarks,
                                 cv::Size frameSize);

}  // namespace doppel
