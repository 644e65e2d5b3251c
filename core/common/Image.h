#pragma once
// Plain image buffers for the boundaries between layers (core <-> models <-> ui): no OpenCV,
// Qt or Torch types cross them. Pixels are row-major, interleaved HxWxC; colour images are BGR.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace doppel {

template <typename T>
struct ImageBuffer {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<T> pixels;  ///< width * height * channels values

    ImageBuffer() = default;
    ImageBuffer(int w, int h, int c, T fill = T())
        : width(w), height(h), channels(c), pixels(size_t(w) * h * c, fill) {}
    bool empty() const { return pixels.empty(); }
    T* row(int y) { return pixels.data() + size_t(y) * width * channels; }
    const T* row(int y) const { return pixels.data() + size_t(y) * width * channels; }
    T& at(int y, int x, int c = 0) { return pixels[(size_t(y) * width + x) * channels + c]; }
    const T& at(int y, int x, int c = 0) const {
        return pixels[(size_t(y) * width + x) * channels + c];
    }
};

using ImageU8 = ImageBuffer<uint8_t>;  ///< 0..255, BGR or grey
using ImageF32 = ImageBuffer<float>;   ///< 0..1, BGR or grey (masks)

}  // namespace doppel
