#pragma once
// DeepFaceLab's `uniform_yaw`: draw training faces so that every head-turn angle present in the
// faceset comes up about equally often, instead of in proportion to how many faces have it (a
// talking-head video is mostly frontal, and its few side views train blurry).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace doppel::models {

/// A yaw proxy per face from its 68 landmarks in aligned coordinates (count * 68 * 2 floats):
/// the nose tip's offset from the middle of the jaw line, over half the jaw width, clamped to
/// [-1, 1]; 0 is frontal. Faces without usable landmarks (jaw narrower than a pixel) get 0.
std::vector<float> yawFromLandmarks(const std::vector<float>& landmarks, int64_t count);

/// Sampling weights (float, one per face, summing to 1) that make each occupied bin of `bins`
/// equal yaw bins over [-1, 1] equally likely; faces within a bin equally likely.
torch::Tensor uniformYawWeights(const std::vector<float>& yaw, int bins = 32);

/// How many of the `bins` yaw bins hold at least one face (for the log).
int occupiedYawBins(const std::vector<float>& yaw, int bins = 32);

}  // namespace doppel::models
