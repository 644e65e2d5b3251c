#pragma once
// Conversions between plain image buffers (common/Image.h) and torch tensors, shared by the
// trainer's previews and the swapper (internal to models/).
#include <torch/torch.h>

#include <vector>

#include "common/Image.h"
#include "models/SaehdModel.h"
#include "models/TrainOptions.h"

namespace doppel::models {

/// The network configuration the options describe (validated by ModelConfig::validate).
ModelConfig modelConfigFrom(const TrainOptions& options);

/// NHWC uint8 (faces or masks, any channel count) -> NCHW float in [0, 1] at `resolution`
/// (area-resampled when it differs), on the tensor's device.
torch::Tensor toFloatNchw(const torch::Tensor& nhwcU8, int resolution);
/// Throws Error(Incompatible) naming `who` unless every face is `resolution` px square BGR.
void requireFaces(const std::vector<ImageU8>& faces, int resolution, const std::string& who);
/// BGR uint8 faces of one size -> NHWC uint8 tensor on `device`.
torch::Tensor stackImages(const std::vector<ImageU8>& images, const torch::Device& device);
/// NCHW float [0, 1] -> one ImageU8 per sample (1 or 3 channels).
std::vector<ImageU8> toImagesU8(const torch::Tensor& nchw);
/// NCHW float -> one ImageF32 per sample.
std::vector<ImageF32> toImagesF32(const torch::Tensor& nchw);

}  // namespace doppel::models
