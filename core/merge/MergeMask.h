#pragma once
// The blend mask of one face, built in aligned space (algorithms.md §3.1 step 3-4).
//
// Work happens in a "mask space": the aligned square at workSide() pixels, i.e. at least 256 px
// (supersampled for low-resolution models so that erosion and the hull edge do not alias).
// Erode/blur amounts are given in pixels of a 256 px aligned face and scaled to the work side,
// so a setting looks the same at any model resolution and any face size in the frame.
// The mask always fades to zero a little inside the crop edge (never a hard crop line).
#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "merge/MergeSettings.h"

namespace doppel {

class MergeMask {
  public:
    /// Side of the mask work space for a model of `resolution` px.
    static int workSide(int resolution, int supersample);
    /// Width of the always-zero band along the crop edge, in work-space pixels.
    static int borderBand(int side);

    /// The raw mask (CV_32FC1, 0..1, side x side) from `source`. `alignedLandmarks` are the 68
    /// points in aligned pixels of an aligned image of `landmarkSpace` px; the learned masks are
    /// CV_32FC1 at the model resolution (may be empty when the source does not need them).
    /// `drawn` (the face's drawn mask, CV_8U 0/255 at `side`, or empty) stands in for the hull
    /// in the sources that use it, and limits the learned-only sources: what the user drew off
    /// the face (a hand) is never swapped. `segmentation` (the face's XSeg mask, CV_8U at any
    /// size, or empty) is the xseg sources' mask; where a face has none they use the hull.
    static cv::Mat build(MaskSource source, int side,
                         const std::vector<std::array<float, 2>>& alignedLandmarks,
                         int landmarkSpace, const cv::Mat& predictedMask, const cv::Mat& dstMask,
                         const cv::Mat& drawn = cv::Mat(), const cv::Mat& segmentation = cv::Mat());

    /// Landmark hull (face, brows raised as in DFL) filled with 1 at `side` px.
    static cv::Mat hull(int side, const std::vector<std::array<float, 2>>& alignedLandmarks,
                        int landmarkSpace);

    /// Erodes (>0) / dilates (<0) with an elliptical kernel, zeroes the border band, then
    /// feathers with a blur whose ramp is about `blur` px wide; amounts in 256 px-face units.
    static void erodeAndFeather(cv::Mat& mask, int erode, int blur);
};

}  // namespace doppel
