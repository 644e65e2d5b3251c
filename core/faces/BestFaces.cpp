#include "faces/BestFaces.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace doppel {

std::vector<size_t> pickBestFaces(const std::vector<FaceSortKeys>& keys, size_t count) {
    std::vector<size_t> all(keys.size());
    std::iota(all.begin(), all.end(), 0);
    if (count >= keys.size()) return all;
    if (count == 0) return {};

    // The sharpest four fifths (or as many as asked for, if that is more) are the candidates.
    std::vector<size_t> bySharpness = all;
    std::stable_sort(bySharpness.begin(), bySharpness.end(),
                     [&](size_t a, size_t b) { return keys[a].blur > keys[b].blur; });
    const size_t candidates = std::max(count, keys.size() - keys.size() / 5);
    bySharpness.resize(candidates);

    double yawMin = keys[bySharpness[0]].yawDegrees, yawMax = yawMin;
    double pitchMin = keys[bySharpness[0]].pitchDegrees, pitchMax = pitchMin;
    for (size_t i : bySharpness) {
        yawMin = std::min(yawMin, keys[i].yawDegrees),
        yawMax = std::max(yawMax, keys[i].yawDegrees);
        pitchMin = std::min(pitchMin, keys[i].pitchDegrees);
        pitchMax = std::max(pitchMax, keys[i].pitchDegrees);
    }
    // About `count` bins, yaw cut twice as finely as pitch.
    const int pitchBins = std::max(1, int(std::lround(std::sqrt(double(count) / 2))));
    const int yawBins = std::max(1, int(std::ceil(double(count) / pitchBins)));
    auto binOf = [](double value, double low, double high, int bins) {
        if (high <= low) return 0;
        return std::clamp(int((value - low) / (high - low) * bins), 0, bins - 1);
    };
    // Visiting candidates sharpest first fills each bin in sharpness order.
    std::vector<std::vector<size_t>> bins(size_t(yawBins) * size_t(pitchBins));
    for (size_t i : bySharpness)
        bins[size_t(binOf(keys[i].yawDegrees, yawMin, yawMax, yawBins)) * size_t(pitchBins) +
             size_t(binOf(keys[i].pitchDegrees, pitchMin, pitchMax, pitchBins))]
            .push_back(i);

    std::vector<size_t> kept;
    kept.reserve(count);
    for (size_t round = 0; kept.size() < count; ++round)
        for (const auto& bin : bins) {
            if (round < bin.size()) kept.push_back(bin[round]);
            if (kept.size() == count) break;
        }
    std::sort(kept.begin(), kept.end());
    return kept;
}

}  // namespace doppel
