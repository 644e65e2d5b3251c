#pragma once
// The face-segmentation network (DeepFaceLab's XSeg role): a U-Net (Ronneberger et al. 2015) on
// the aligned face: five levels of two 3x3 convolutions with group norm and leaky ReLU, halving
// the size and doubling the channels (capped at 8x `dims`) on the way down, nearest-neighbour
// upsampling and skip connections on the way up, one logit per pixel (face or not). About 5 M
// parameters at dims 32.
#include <torch/torch.h>

#include <filesystem>
#include <memory>

#include "common/SegmentationEngine.h"

namespace doppel::models {

struct XSegConfig {
    int resolution = 128;  ///< multiple of 16 (four halvings)
    int dims = 32;         ///< channels of the first level
};

/// resolution and dims from the model's saved options (keys "resolution", "dims").
XSegConfig xsegConfigFrom(const nlohmann::json& options);

class XSegNetImpl : public torch::nn::Module {
  public:
    explicit XSegNetImpl(const XSegConfig& config);
    /// N3HW float in [0,1] (BGR, as packed) -> N1HW logits.
    torch::Tensor forward(const torch::Tensor& x);
    int64_t parameterCount() const;

  private:
    static constexpr int kLevels = 5;
    torch::nn::Sequential down_[kLevels];
    torch::nn::Sequential up_[kLevels - 1];
    torch::nn::Conv2d out_{nullptr};
};
TORCH_MODULE(XSegNet);

/// A trained XSeg model loaded for prediction (eval mode, no grad; CUDA when available).
class XSegPredictor : public MaskPredictor {
  public:
    explicit XSegPredictor(const std::filesystem::path& modelDir);
    ~XSegPredictor() override;
    int resolution() const override;
    std::string describe() const override;
    std::vector<ImageF32> predict(const std::vector<ImageU8>& alignedFaces) override;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace doppel::models
