// SAEHD loss (algorithms doc 2.3). Both Gaussian filters (the DSSIM window and the soft
// training mask) are the separable ones of GaussianBlur.h.
#include "models/SaehdLoss.h"

#include <cmath>

#include "common/Error.h"
#include "models/GaussianBlur.h"

namespace doppel::models {

namespace {

constexpr double kSsimSigma = 1.5;
constexpr double kSsimC1 = 0.01 * 0.01;
constexpr double kSsimC2 = 0.03 * 0.03;

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
    auto stats = separableBlur(torch::cat({a, b, a * b, a * a + b * b}, 1), k, BlurBorder::Valid);
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
    return gaussianBlur(mask, sigma, BlurBorder::Zero).clamp(0.0, 0.5) * 2.0;
}

torch::Tensor styleMask(const torch::Tensor& mask, int resolution) {
    // The training mask's blur without its clip-and-double: that one is 1 right up to the hull's
    // edge, so the background term would start at the edge with no overlap; unclipped, the mask
    // is 0.5 on the edge and the two terms share the rim smoothly.
    return gaussianBlur(mask, std::max(1, resolution / 32), BlurBorder::Zero);
}

torch::Tensor faceStyleDistance(const torch::Tensor& a, const torch::Tensor& b, int resolution) {
    TORCH_CHECK(a.dim() == 4 && a.sizes() == b.sizes(),
                "faceStyleDistance: a and b must be NCHW of the same shape");
    // The blur (DFL's radius res/16) makes the statistics those of the colour and light, not of
    // the detail; zero borders as DFL pads.
    const double sigma = std::max(1, resolution / 16);
    auto blurred = gaussianBlur(torch::cat({a, b}, 0), sigma, BlurBorder::Zero);
    auto halves = blurred.chunk(2, 0);
    auto moments = [](const torch::Tensor& x) {
        auto mean = x.mean(torch::IntArrayRef{2, 3});
        auto var = (x - mean.unsqueeze(-1).unsqueeze(-1)).square().mean(torch::IntArrayRef{2, 3});
        return std::make_pair(mean, (var + 1e-5).sqrt());
    };
    const auto [meanA, stdA] = moments(halves[0]);
    const auto [meanB, stdB] = moments(halves[1]);
    const double channels = double(a.size(1));
    return ((meanA - meanB).square() + (stdA - stdB).square()).sum(1) / channels;
}

torch::Tensor backgroundStyleDistance(const torch::Tensor& a, const torch::Tensor& b,
                                      int resolution) {
    return 5.0 * dssim(a, b, int(resolution / 11.6)) + 10.0 * perSampleMean((a - b).square());
}

StyleTerms styleTerms(const torch::Tensor& swap, const torch::Tensor& dstTarget,
                      const torch::Tensor& dstMask, const LossOptions& options) {
    TORCH_CHECK(options.styleTermsOn(), "styleTerms: both style powers are 0");
    TORCH_CHECK(swap.dim() == 4 && swap.sizes() == dstTarget.sizes(),
                "styleTerms: swap/target shape mismatch");
    const torch::Tensor mask = styleMask(dstMask, options.resolution);
    StyleTerms terms;
    terms.perSample = torch::zeros({swap.size(0)}, swap.options());
    if (options.faceStylePower > 0) {
        terms.face = faceStyleDistance(swap * mask, dstTarget * mask, options.resolution) *
                     (10000.0 * options.faceStylePower / 100.0);
        terms.perSample = terms.perSample + terms.face;
    }
    if (options.bgStylePower > 0) {
        const torch::Tensor anti = 1.0 - mask;
        terms.background =
            backgroundStyleDistance(swap * anti, dstTarget * anti, options.resolution) *
            (10.0 * options.bgStylePower / 100.0);
        terms.perSample = terms.perSample + terms.background;
    }
    return terms;
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
