#include "models/TensorImages.h"

#include <cstring>

#include "common/Error.h"

namespace doppel::models {

ModelConfig modelConfigFrom(const TrainOptions& o) {
    ModelConfig c;
    c.archi = o.archi;
    c.resolution = o.resolution;
    c.aeDims = o.aeDims;
    c.eDims = o.eDims;
    c.dDims = o.dDims;
    c.dMaskDims = o.dMaskDims;
    c.validate();
    return c;
}

torch::Tensor toFloatNchw(const torch::Tensor& nhwcU8, int resolution) {
    torch::Tensor x = nhwcU8.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0);
    if (x.size(2) != resolution || x.size(3) != resolution) {
        namespace F = torch::nn::functional;
        auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{resolution, resolution});
        // Area when shrinking (no aliasing), bilinear when enlarging.
        if (x.size(2) > resolution)
            opts.mode(torch::kArea);
        else
            opts.mode(torch::kBilinear).align_corners(false);
        x = F::interpolate(x, opts);
    }
    return x.contiguous();
}

void requireFaces(const std::vector<ImageU8>& faces, int resolution, const std::string& who) {
    for (const auto& f : faces)
        if (f.width != resolution || f.height != resolution || f.channels != 3)
            throw Error(ErrorCode::Incompatible, who + " expects " + std::to_string(resolution) +
                                                     "x" + std::to_string(resolution) +
                                                     " BGR faces, got " + std::to_string(f.width) +
                                                     "x" + std::to_string(f.height) + "x" +
                                                     std::to_string(f.channels));
}

torch::Tensor stackImages(const std::vector<ImageU8>& images, const torch::Device& device) {
    if (images.empty()) return torch::empty({0, 0, 0, 3}, torch::kUInt8);
    const int w = images[0].width, h = images[0].height, c = images[0].channels;
    torch::Tensor out = torch::empty({int64_t(images.size()), h, w, c}, torch::kUInt8);
    for (size_t i = 0; i < images.size(); ++i) {
        const ImageU8& im = images[i];
        if (im.width != w || im.height != h || im.channels != c ||
            im.pixels.size() != size_t(w) * h * c)
            throw Error(ErrorCode::InvalidInput, "faces in one batch differ in size or channels");
        std::memcpy(out[int64_t(i)].data_ptr<uint8_t>(), im.pixels.data(), im.pixels.size());
    }
    return out.to(device);
}

std::vector<ImageU8> toImagesU8(const torch::Tensor& nchw) {
    torch::Tensor t = nchw.detach()
                          .to(torch::kFloat32)
                          .mul(255.0)
                          .round()
                          .clamp(0, 255)
                          .to(torch::kUInt8)
                          .permute({0, 2, 3, 1})
                          .contiguous()
                          .cpu();
    std::vector<ImageU8> out;
    for (int64_t i = 0; i < t.size(0); ++i) {
        ImageU8 im(int(t.size(2)), int(t.size(1)), int(t.size(3)));
        std::memcpy(im.pixels.data(), t[i].data_ptr<uint8_t>(), im.pixels.size());
        out.push_back(std::move(im));
    }
    return out;
}

std::vector<ImageF32> toImagesF32(const torch::Tensor& nchw) {
    torch::Tensor t = nchw.detach().to(torch::kFloat32).permute({0, 2, 3, 1}).contiguous().cpu();
    std::vector<ImageF32> out;
    for (int64_t i = 0; i < t.size(0); ++i) {
        ImageF32 im(int(t.size(2)), int(t.size(1)), int(t.size(3)));
        std::memcpy(im.pixels.data(), t[i].data_ptr<float>(), im.pixels.size() * sizeof(float));
        out.push_back(std::move(im));
    }
    return out;
}

}  // namespace doppel::models
