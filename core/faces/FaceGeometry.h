#pragma once
// Alignment geometry (algorithms.md §1.2-1.3): the 51-point mean face, a least-squares similarity
// fit (Umeyama 1991) and the face-type crop presets that turn 68 landmarks into the 2x3 affine
// matrix from frame pixels to aligned pixels.
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

enum class FaceType { Half, MidFull, Full, WholeFace, Head };

/// "half", "mid_full", "full", "whole_face", "head"; throws Error(BadOption) otherwise.
FaceType parseFaceType(const std::string& name);
const char* faceTypeName(FaceType type);
/// Padding of the preset (algorithms §1.3 table).
double faceTypePadding(FaceType type);
/// Side of the crop relative to the mean-face unit square: 1 + 2 * padding * sqrt(2).
double faceTypeCropRatio(FaceType type);

/// Mean-face position of landmark `index` (17..67) in the unit square; throws for other indices.
cv::Point2d meanFacePoint(int index);
/// The 33 landmark indices fitted to the mean face: 17..47 plus the mouth corners 48 and 54.
const std::vector<int>& alignmentLandmarkIndices();

/// Least-squares similarity (rotation, uniform scale, translation) mapping `from` onto `to`.
/// Throws Error(InvalidInput) for fewer than two points or a degenerate (single-point) set.
cv::Matx23d umeyamaSimilarity(const std::vector<cv::Point2d>& from,
                              const std::vector<cv::Point2d>& to);

/// Frame -> unit mean-face square, fitted on the 33 alignment landmarks of 68 frame points.
cv::Matx23d frameToMeanFace(const std::vector<std::array<float, 2>>& landmarks68);

/// Frame -> aligned pixels for a crop of `size` x `size` of the given face type.
cv::Matx23d alignmentMatrix(const std::vector<std::array<float, 2>>& landmarks68, int size,
                            FaceType type);

/// Side length, in frame pixels, of the crop `matrix` takes (size / scale of the matrix).
double cropSideInFrame(const cv::Matx23d& matrix, int size);

/// Applies a 2x3 affine to points.
std::vector<std::array<float, 2>> transformPoints(const cv::Matx23d& matrix,
                                                  const std::vector<std::array<float, 2>>& points);

}  // namespace doppel
