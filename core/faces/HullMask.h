#pragma once
// Face masks from 68 landmarks in aligned space (algorithms.md §1.5), as CV_8U 0/255 images of
// size x size. The hull mask is the merge's "hull" mask source and channel 0 of a packed faceset;
// the eyes+mouth mask is channel 1 (the trainer weights those regions up).
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/AlignedFace.h"

namespace doppel {

using LandmarkPoints = std::vector<std::array<float, 2>>;

/// The brows moved up by `amount` x (brow - eye top), so the mask covers the lower forehead.
LandmarkPoints expandEyebrows(const LandmarkPoints& landmarks68, float amount = 0.5f);

/// Union of the convex hulls of jaw, brow, eye-region and nose parts, with expanded brows.
/// `landmarks68` are in the mask's pixel coordinates. Throws Error(InvalidInput) unless 68 points.
cv::Mat landmarkHullMask(const LandmarkPoints& landmarks68, int size);

/// A face's drawn mask (AlignedFace::maskPolygons, in pixels of an aligned image of `space` px)
/// at `size` px: the polygons filled in order, include with 255 and exclude with 0, on black.
cv::Mat drawnFaceMask(const std::vector<MaskPolygon>& polygons, int space, int size);

/// Hulls of both eyes and the inner mouth, dilated by size/32 and rounded by a size/16 blur,
/// thresholded back to 0/255.
cv::Mat eyesMouthMask(const LandmarkPoints& landmarks68, int size);

}  // namespace doppel
