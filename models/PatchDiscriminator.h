#pragma once
// The optional GAN of SAEHD training (DeepFaceLab's `gan_power`): a patch discriminator in the
// style of pix2pix's PatchGAN (Isola et al. 2017) judges, per overlapping patch, whether a source
// face is real or the source decoder's reconstruction. Its adversarial term, added to the source
// loss with weight gan_power, pushes the decoder toward real skin texture and detail that DSSIM +
// MSE blur away; DeepFaceLab users switch it on late in training. Internal to models/.
#include <torch/torch.h>

namespace doppel::models {

class PatchDiscriminatorImpl : public torch::nn::Module {
  public:
    /// `resolution`: the face side (64..512); the number of stride-2 layers grows with it so a
    /// patch (the receptive field of one logit) covers about a quarter to a third of the face.
    explicit PatchDiscriminatorImpl(int resolution, int dims = 16);  // PatchDiscriminatorLayout
    /// N3HW in [0,1] -> N1hw logits (one per patch; positive = "real").
    torch::Tensor forward(const torch::Tensor& faces);
    /// Side in pixels of the patch one logit sees.
    int receptiveField() const { return receptiveField_; }

  private:
    torch::nn::Sequential layers_;
    int receptiveField_ = 0;
};
TORCH_MODULE(PatchDiscriminator);

/// Per-sample (N) non-saturating generator term: softplus(-logit) averaged over patches, i.e.
/// binary cross-entropy of the fakes against the label "real".
torch::Tensor generatorAdversarialLoss(PatchDiscriminator& discriminator,
                                       const torch::Tensor& fakes);

/// Scalar discriminator loss: cross-entropy of reals against "real" and fakes against "fake",
/// each averaged over patches and summed over the batch (the scale of the SAEHD loss).
torch::Tensor discriminatorLoss(PatchDiscriminator& discriminator, const torch::Tensor& reals,
                                const torch::Tensor& fakes);

}  // namespace doppel::models
