#pragma once
// The patch discriminator's layer table, torch-free, shared by the network (PatchDiscriminator)
// and the memory estimate: `downscales` 4x4 stride-2 convs (LeakyReLU 0.2), one 4x4 stride-1
// conv, one 4x4 stride-1 conv to a logit per patch; channels double from `dims` up to 8 x dims.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace doppel::models {

struct PatchDiscriminatorLayout {
    static constexpr int kKernel = 4;
    static constexpr int kDefaultDims = 16;

    /// 1 at res 64, 2 at 128, 3 at 256, 4 at 512: the receptive field of a logit (16, 34, 70,
    /// 142 pixels) stays at a quarter to a third of the face side.
    static int downscales(int resolution) {
        const int steps = int(std::lround(std::log2(std::max(resolution, 64) / 64.0))) + 1;
        return std::clamp(steps, 1, 4);
    }
    /// Output channels of hidden layer `layer` (0-based; the stride-1 hidden conv is last).
    static int channels(int layer, int dims) { return std::min(dims << layer, dims * 8); }

    static int64_t parameters(int resolution, int dims = kDefaultDims) {
        const int hidden = downscales(resolution) + 1;
        int64_t count = 0, in = 3;
        for (int layer = 0; layer < hidden; ++layer) {
            const int64_t out = channels(layer, dims);
            count += in * out * kKernel * kKernel + out;
            in = out;
        }
        return count + in * kKernel * kKernel + 1;
    }

    /// Elements of the maps one sample leaves for backward (conv output + activation per layer).
    static double mapElementsPerSample(int resolution, int dims = kDefaultDims) {
        const int d = downscales(resolution);
        double elements = 0, side = resolution;
        for (int layer = 0; layer <= d; ++layer) {
            if (layer < d) side /= 2;
            elements += 2.0 * side * side * channels(layer, dims);
        }
        return elements;
    }
};

}  // namespace doppel::models
