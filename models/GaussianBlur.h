#pragma once
// Separable Gaussian blurs on the training device (a horizontal and a vertical depthwise 1-D
// conv: 2k instead of k*k MACs per pixel), shared by the loss (DSSIM window, soft training mask)
// and the augmentation (blur_out_mask). Kernels are cached per size, sigma, device and dtype, so
// an iteration does no host-to-device copy. Internal to models/.
#include <torch/torch.h>

namespace doppel::models {

/// How a blur treats the border: "valid" output only, zero padding, or the edge replicated.
enum class BlurBorder { Valid, Zero, Replicate };

/// Normalised 1-D Gaussian of `size` taps centred between the middle taps for even sizes, as
/// the 2-D window exp(-(dx^2+dy^2)/(2 sigma^2)) / sum factorises into it.
torch::Tensor gaussian1d(int size, double sigma, torch::Device device, torch::ScalarType dtype);

/// Every channel of NCHW `x` convolved with `k1d` along both axes.
torch::Tensor separableBlur(const torch::Tensor& x, const torch::Tensor& k1d, BlurBorder border);

/// DeepFaceLab's gaussian_blur kernel size: max(3, int(4 sigma)), made odd.
int blurKernelSize(double sigma);

/// DeepFaceLab's gaussian_blur of every channel: sigma, kernel blurKernelSize(sigma).
torch::Tensor gaussianBlur(const torch::Tensor& x, double sigma, BlurBorder border);

}  // namespace doppel::models
