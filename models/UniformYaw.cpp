#include "models/UniformYaw.h"

#include <algorithm>
#include <cmath>

namespace doppel::models {
namespace {

constexpr int kJawLeft = 0, kJawRight = 16, kNoseTip = 30;

int binOf(float yaw, int bins) {
    const int bin = int(std::floor((yaw + 1.0f) * 0.5f * float(bins)));
    return std::clamp(bin, 0, bins - 1);
}

}  // namespace

std::vector<float> yawFromLandmarks(const std::vector<float>& landmarks, int64_t count) {
    std::vector<float> yaw(size_t(std::max<int64_t>(count, 0)), 0.0f);
    if (landmarks.size() < size_t(count) * 68 * 2) return yaw;
    for (int64_t i = 0; i < count; ++i) {
        const float* p = landmarks.data() + i * 68 * 2;
        const float left = p[2 * kJawLeft], right = p[2 * kJawRight], nose = p[2 * kNoseTip];
        const float halfWidth = 0.5f * (right - left);
        if (!(std::abs(halfWidth) >= 0.5f)) continue;  // no landmarks (or NaN): frontal
        yaw[size_t(i)] = std::clamp((nose - 0.5f * (left + right)) / halfWidth, -1.0f, 1.0f);
    }
    return yaw;
}

torch::Tensor uniformYawWeights(const std::vector<float>& yaw, int bins) {
    std::vector<int64_t> perBin(size_t(bins), 0);
    for (float y : yaw) ++perBin[size_t(binOf(y, bins))];
    int occupied = 0;
    for (int64_t n : perBin) occupied += n > 0;
    std::vector<float> weights(yaw.size());
    for (size_t i = 0; i < yaw.size(); ++i)
        weights[i] = 1.0f / (float(occupied) * float(perBin[size_t(binOf(yaw[i], bins))]));
    return torch::tensor(weights, torch::kFloat32);
}

int occupiedYawBins(const std::vector<float>& yaw, int bins) {
    std::vector<bool> seen(size_t(bins), false);
    for (float y : yaw) seen[size_t(binOf(y, bins))] = true;
    return int(std::count(seen.begin(), seen.end(), true));
}

}  // namespace doppel::models
