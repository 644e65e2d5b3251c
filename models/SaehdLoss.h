#pragma once
// The SAEHD loss (algorithms doc 2.3): DSSIM (Gaussian window, one or two scales by resolution)
// + MSE, masked training with the blurred soft mask, learned-mask MSE, eyes/mouth priority; and
// DeepFaceLab's optional face-style and background-style terms on the swap.
#include <torch/torch.h>

namespace doppel::models {

struct LossOptions {
    int resolution = 128;
    bool maskedTraining = true;
    bool eyesMouthPriority = false;
    /// DeepFaceLab's face_style_power / bg_style_power, percent (0..100; 0 = off): the swap
    /// (destination through the source path) answers to the destination's colour and light
    /// inside the face and to its background outside (styleTerms).
    double faceStylePower = 0;
    double bgStylePower = 0;

    bool styleTermsOn() const { return faceStylePower > 0 || bgStylePower > 0; }
};

struct LossTerms {
    torch::Tensor total;      ///< scalar, what backward() runs on
    torch::Tensor image;      ///< scalar, DSSIM + MSE part (what the progress line shows)
    torch::Tensor perSample;  ///< N, every term per sample (detached); total = perSample.sum()
};

/// target/pred: N3HW in [0,1]; targetMask/predMask: N1HW; eyesMouth: N1HW (may be undefined).
/// `total` is the batch sum of the per-sample losses, as DeepFaceLab's gradients are.
LossTerms saehdLoss(const torch::Tensor& target, const torch::Tensor& pred,
                    const torch::Tensor& targetMask, const torch::Tensor& predMask,
                    const torch::Tensor& eyesMouth, const LossOptions& options);

/// (1 - SSIM) / 2 with a Gaussian window of `windowSize`, sigma 1.5, "valid" convolution.
/// Returns one value per sample (N): SSIM averaged over channels and positions.
torch::Tensor dssim(const torch::Tensor& a, const torch::Tensor& b, int windowSize);

/// The masked-training weight: the mask blurred with sigma max(1, res/32) (DeepFaceLab's kernel
/// size), clipped to [0, 0.5], times 2.
torch::Tensor softTrainingMask(const torch::Tensor& mask, int resolution);

/// The style terms' mask: the destination mask blurred as softTrainingMask blurs (sigma
/// max(1, res/32)) but not clipped, so it stays in [0, 1] and falls off smoothly across the
/// face edge; the face term looks inside it, the background term outside (1 - mask).
torch::Tensor styleMask(const torch::Tensor& mask, int resolution);

/// Face style, unweighted, per sample (N): both images blurred with sigma res/16, then per
/// channel the spatial mean and std (sqrt(var + 1e-5)); the squared differences of both summed
/// over channels, divided by the channel count.
torch::Tensor faceStyleDistance(const torch::Tensor& a, const torch::Tensor& b, int resolution);

/// Background style, unweighted, per sample (N): 5 x DSSIM(window res/11.6) + 10 x MSE.
torch::Tensor backgroundStyleDistance(const torch::Tensor& a, const torch::Tensor& b,
                                      int resolution);

struct StyleTerms {
    torch::Tensor face;        ///< N, weighted; undefined when face_style_power is 0
    torch::Tensor background;  ///< N, weighted; undefined when bg_style_power is 0
    torch::Tensor perSample;   ///< N, their sum (with gradients)
};

/// The weighted style terms of the swap against the destination target (both N3HW), with the
/// destination's target mask (N1HW): face = faceStyleDistance(swap x m, target x m) x 10000 x
/// p/100, background = backgroundStyleDistance(swap x (1 - m), target x (1 - m)) x 10 x p/100,
/// m = styleMask. Call only when options.styleTermsOn().
StyleTerms styleTerms(const torch::Tensor& swap, const torch::Tensor& dstTarget,
                      const torch::Tensor& dstMask, const LossOptions& options);

}  // namespace doppel::models
