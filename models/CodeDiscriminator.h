#pragma once
// DeepFaceLab's "true face" option for the DF architecture (`true_face_power`): a small
// discriminator on the shared code (the inter's output that both decoders read) learns to tell
// source codes from destination codes, and the encoder is pushed to make destination codes look
// like source ones. The swap (a destination code through the source decoder) then keeps more of
// the source identity. Internal to models/.
#include <torch/torch.h>

namespace doppel::models {

class CodeDiscriminatorImpl : public torch::nn::Module {
  public:
    /// `channels`: the code's channels (DF: ae_dims); the code map is res/8 on a side.
    explicit CodeDiscriminatorImpl(int64_t channels);
    /// N x C x S x S code -> N x 1 x S/4 x S/4 logits (positive = "a source code").
    torch::Tensor forward(const torch::Tensor& code);

    /// Parameters for `channels` (torch-free figure for the memory estimate).
    static int64_t parameterCount(int64_t channels);

  private:
    torch::nn::Sequential layers_;
};
TORCH_MODULE(CodeDiscriminator);

}  // namespace doppel::models
