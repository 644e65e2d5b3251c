#pragma once
// Colour transfer of the swapped face toward the destination face (algorithms.md §3.2).
//
// Images are CV_32FC3 BGR in 0..1, the mask CV_32FC1 in 0..1, all the same size (aligned space).
// Statistics are measured ONLY where mask >= 0.5 (DFL's masked RCT also counts masked-out pixels,
// which drags the face toward the background). The transform is applied where mask > 0; pixels
// with mask == 0 are left exactly as they were.
//
// The linear modes (RCT, LCT, MKL) are split into measure + apply so that the merge stage can
// smooth the statistics across frames (against flicker) before applying them.
#include <cstdint>

#include <opencv2/core.hpp>

#include "merge/MergeSettings.h"

namespace doppel {

/// Mean and covariance of the masked pixels in the colour space of the mode
/// (Lab for RCT, BGR for LCT and MKL).
struct ColorStats {
    cv::Vec3d mean{0, 0, 0};
    cv::Matx33d cov = cv::Matx33d::eye();
    int64_t count = 0;  ///< pixels measured; 0 = no usable statistics
};

struct ColorStatsPair {
    ColorStats source;  ///< the swapped face
    ColorStats target;  ///< the destination face
    bool valid() const { return source.count > 0 && target.count > 0; }
};

struct ColorTransferParams {
    int histThreshold = 255;  ///< HistMatch: clip bins at threshold/255 of the tallest
    int idtIterations = 20;   ///< IDT rotations
    int sotSteps = 10;        ///< SOT steps
    int sotDirections = 30;   ///< SOT random directions per step
    uint64_t seed = 0x5eed;   ///< random rotations/directions: deterministic output
};

/// True for RCT, LCT, MKL: the modes whose statistics can be measured, smoothed and applied.
bool colorModeHasStats(ColorMode mode);

/// Measures the statistics `mode` needs; count == 0 on both when too few masked pixels.
ColorStatsPair measureColorStats(const cv::Mat& face, const cv::Mat& target, const cv::Mat& mask,
                                 ColorMode mode);

/// previous * weight + current * (1 - weight), for temporal smoothing; invalid inputs pass through.
ColorStatsPair blendColorStats(const ColorStatsPair& previous, const ColorStatsPair& current,
                               double weight);

/// Transfers colour in place. For RCT/LCT/MKL `stats` may carry (smoothed) statistics; when null
/// they are measured here. Needs at least a few dozen masked pixels, else leaves `face` unchanged.
void applyColorTransfer(cv::Mat& face, const cv::Mat& target, const cv::Mat& mask, ColorMode mode,
                        const ColorStatsPair* stats = nullptr,
                        const ColorTransferParams& params = {});

}  // namespace doppel
