// SAEHD loss (algorithms doc 2.3). Both Gaussian filters are separable, so each runs as a
// horizontal and a vertical depthwise 1-D conv (2k instead of k*k MACs per pixel), with the
// kernels cached per device so an iteration does no host-to-device copy.
#include "models/SaehdLoss.h"

#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "common/Error.h"

namespace doppel::models {

namespace F = torch::nn::functional;

namespace {

constexpr double kSsimSigma = 1.5;
constexpr double kSsimC1 = 0.01 * 0.01;
constexpr double kSsimC2 = 0.03 * 0.03;

/// Normalised 1-D Gaussian of `size` taps centred between the middle taps for even sizes, as
/// the 2-D window exp(-(dx^2+dy^2)/(2 sigma^2)) / sum factorises into it.
torch::Tensor gaussian1d(int size, double sigma, torch::Device device, torch::ScalarType dtype) {
    static std::mutex mutex;
    static std::map<std::tuple<int, double, std::string, int>, torch::Tensor> cache;
    const auto key = std::make_tuple(size, sigma, device.str(), int(dtype));
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto x = torch::arange(size, torch::kFloat64) - (size - 1) / 2.0;
    auto k = torch::exp(-x * x / (2.0 * sigma * sigma));
    k = (k / k.sum()).to(dtype).to(device);
    cache.emplace(key, k);
    return k;
}

/// Depthwise separable Gaussian: "valid" (no padding), or "same" (zero padding) when `same`.
torch::Tensor separableBlur(const torch::Tensor& x, const torch::Tensor& k1d, bool same) {
    const int64_t c = x.size(1), k = k1d.size(0);
    auto horizontal = k1d.view({1, 1, 1, k}).expand({c, 1, 1, k});
    auto vertical = k1d.view({1, 1, k, 1}).expand({c, 1, k, 1});
    auto y = F::conv2d(x, horizontal,
                       F::Conv2dFuncOptions().groups(c).padding(same ? torch::IntArrayRef{0, k / 2}
                                                                     : torch::IntArrayRef{0, 0}));
    return F::conv2d(y, vertical,
                     F::Conv2dFuncOptions().groups(c).padding(same ? torch::IntArrayRef{k / 2, 0}
                                                                   : torch::IntArrayRef{0, 0}));
}

/// DeepFaceLab's gaussian_blur kernel size: max(3, int(4 sigma)), made odd.
int blurKernelSize(double sigma) {
    int size = std::max(3, int(4 * sigma));
    return size % 2 == 0 ? size + 1 : size;
}

/// Per-sample mean over C, H, W.
torch::Tensor perSampleMean(const torch::Tensor& x) {
    return x.mean(torch::IntArrayRef{1, 2, 3});
}

torch::Tensor imageLoss(const torch::Tensor& t, const torch::Tensor& p, int resolution) {
    torch::Tensor loss;
    if (resolution < 256) {
        loss = 10.0 * dssim(t, p, int(resolution / 11.6));
    } else {
        loss =
            5.0 * dssim(t, p, int(resolution / 11.6)) + 5.0 * dssim(t, p, int(resolution / 23.2));
    }
    return loss + 10.0 * perSampleMean((t - p).square());
}

}  // namespace

torch::Tensor dssim(const torch::Tensor& a, const torch::Tensor& b, int windowSize) {
    TORCH_CHECK(a.dim() == 4 && a.sizes() == b.sizes(),
                "dssim: a and b must be NCHW of the same shape");
    const int size = std::max(1, windowSize);
    TORCH_CHECK(a.size(2) >= size && a.size(3) >= size, "dssim: image smaller than the window");
    const int64_t c = a.size(1);
    auto k = gaussian1d(size, kSsimSigma, a.device(), a.scalar_type());
    // One depthwise pass over the four statistics' inputs instead of four convolutions.
    auto stats = separableBlur(torch::cat({a, b, a * b, a * a + b * b}, 1), k, /*same=*/false);
    auto chunks = stats.split(c, 1);
    const auto &muA = chunks[0], &muB = chunks[1], &eAB = chunks[2], &eSq = chunks[3];
    auto num0 = muA * muB * 2.0;
    auto den0 = muA * muA + muB * muB;
    auto luminance = (num0 + kSsimC1) / (den0 + kSsimC1);
    auto contrastStructure = (eAB * 2.0 - num0 + kSsimC2) / (eSq - den0 + kSsimC2);
    auto ssim = perSampleMean(luminance * contrastStructure);
    return (1.0 - ssim) / 2.0;
}

torch::Tensor softTrainingMask(const torch::Tensor& mask, int resolution) {
    const double sigma = std::max(1, resolution / 32);
    auto k = gaussian1d(blurKernelSize(sigma), sigma, mask.device(), mask.scalar_type());
    return separableBlur(mask, k, /*same=*/true).clamp(0.0, 0.5) * 2.0;
}

LossTerms saehdLoss(const torch::Tensor& target, const torch::Tensor& pred,
                    const torch::Tensor& targetMask, const torch::Tensor& predMask,
                    const torch::Tensor& eyesMouth, const LossOptions& options) {
    TORCH_CHECK(target.dim() == 4 && target.sizes() == pred.sizes(),
                "saehdLoss: target/pred shape mismatch");
    TORCH_CHECK(targetMask.defined() && targetMask.size(1) == 1,
                "saehdLoss: targetMask must be N1HW");
    torch::Tensor image;
    if (options.maskedTraining) {
        auto soft = softTrainingMask(targetMask, options.resolution);
        image = imageLoss(target * soft, pred * soft, options.resolution);
    } else {
        image = imageLoss(target, pred, options.resolution);
    }
    auto perSample = image;
    if (options.eyesMouthPriority && eyesMouth.defined())
        perSample =
            perSample + 300.0 * perSampleMean((target * eyesMouth - pred * eyesMouth).abs());
    if (predMask.defined())
        perSample = perSample + 10.0 * perSampleMean((targetMask - predMask).square());
    LossTerms terms;
    // DeepFaceLab differentiates the per-sample loss vector, i.e. the sum over the batch.
    terms.total = perSample.sum();
    terms.image = image.mean().detach();
    terms.perSample = perSample.detach();
    return terms;
}

}  // namespace doppel::models
