#pragma once
// The two halves of a GAN's cross-entropy, from a discriminator's logits (any shape N x ...):
// shared by the patch discriminator (faces) and the code discriminator (true face).
#include <torch/torch.h>

namespace doppel::models {

/// Per-sample (N) non-saturating generator term: softplus(-logit) averaged over each sample's
/// logits, i.e. cross-entropy of the fakes against the label "real".
inline torch::Tensor generatorTermFromLogits(const torch::Tensor& fakeLogits) {
    return torch::nn::functional::softplus(-fakeLogits).flatten(1).mean(1);
}

/// The discriminator's loss: reals against "real", fakes against "fake", each averaged over a
/// sample's logits and summed over the batch (the scale of the SAEHD loss).
inline torch::Tensor discriminatorLossFromLogits(const torch::Tensor& realLogits,
                                                 const torch::Tensor& fakeLogits) {
    namespace F = torch::nn::functional;
    return F::softplus(-realLogits).flatten(1).mean(1).sum() +
           F::softplus(fakeLogits).flatten(1).mean(1).sum();
}

}  // namespace doppel::models
