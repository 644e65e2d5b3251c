#pragma once
// The SAEHD loss (algorithms doc 2.3): DSSIM (Gaussian window, one or two scales by resolution)
// + MSE, masked training with the blurred soft mask, learned-mask MSE, eyes/mouth priority.
#include <torch/torch.h>

namespace doppel::models {

struct LossOptions {
    int resolution = 128;
    bool maskedTraining = true;
    bool eyesMouthPriority = false;
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

}  // namespace doppel::models
