// SAEHD loss: DSSIM behaviour, masking, the learned-mask and eyes/mouth terms, two-scale DSSIM.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/SaehdLoss.h"

using doppel::models::dssim;
using doppel::models::LossOptions;
using doppel::models::saehdLoss;

namespace {

/// Smooth images (so SSIM is meaningful): low-resolution noise upsampled.
torch::Tensor smoothImages(int64_t n, int64_t res, uint64_t seed) {
    torch::manual_seed(seed);
    auto coarse = torch::rand({n, 3, res / 8, res / 8});
    return torch::nn::functional::interpolate(coarse,
                                              torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{res, res})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
}

torch::Tensor centreMask(int64_t n, int64_t res, int64_t from, int64_t to) {
    auto m = torch::zeros({n, 1, res, res});
    m.slice(2, from, to).slice(3, from, to).fill_(1.0);
    return m;
}

}  // namespace

TEST(SaehdLoss, DssimIsZeroForIdenticalImagesAndGrowsWithNoise) {
    auto a = smoothImages(3, 64, 1);
    auto same = dssim(a, a.clone(), 5);
    ASSERT_EQ(same.sizes(), (std::vector<int64_t>{3}));
    EXPECT_LT(same.abs().max().item<float>(), 1e-6f);
    torch::manual_seed(7);
    auto noise = torch::randn_like(a);
    const float small = dssim(a, (a + 0.02 * noise).clamp(0, 1), 5).mean().item<float>();
    const float large = dssim(a, (a + 0.2 * noise).clamp(0, 1), 5).mean().item<float>();
    EXPECT_GT(small, 1e-4f);
    EXPECT_GT(large, small * 3);
    EXPECT_LE(large, 1.0f);
    // Symmetric in its arguments.
    auto b = (a + 0.1 * noise).clamp(0, 1);
    EXPECT_TRUE(torch::allclose(dssim(a, b, 5), dssim(b, a, 5), 1e-5, 1e-7));
}

TEST(SaehdLoss, MaskedLossIgnoresChangesOutsideTheMask) {
    const int res = 64;
    auto target = smoothImages(2, res, 2);
    auto pred = smoothImages(2, res, 3);
    auto mask = centreMask(2, res, 24, 40);
    auto predMask = torch::full({2, 1, res, res}, 0.3);
    LossOptions options;
    options.resolution = res;
    const auto base = saehdLoss(target, pred, mask, predMask, {}, options);
    // The soft mask is the mask blurred with sigma 2 (9-tap kernel): zero beyond 4 px of it.
    auto pred2 = pred.clone();
    pred2.slice(3, 0, 16).uniform_(0, 1);
    const auto changed = saehdLoss(target, pred2, mask, predMask, {}, options);
    EXPECT_EQ(base.total.item<float>(), changed.total.item<float>());
    EXPECT_EQ(base.image.item<float>(), changed.image.item<float>());
    // Inside the mask a change does count.
    auto pred3 = pred.clone();
    pred3.slice(2, 28, 36).slice(3, 28, 36).uniform_(0, 1);
    EXPECT_NE(saehdLoss(target, pred3, mask, predMask, {}, options).total.item<float>(),
              base.total.item<float>());
    // Without masked training the outside change counts too.
    options.maskedTraining = false;
    EXPECT_NE(saehdLoss(target, pred, mask, predMask, {}, options).total.item<float>(),
              saehdLoss(target, pred2, mask, predMask, {}, options).total.item<float>());
}

TEST(SaehdLoss, SoftMaskIsBlurredClippedAndDoubled) {
    auto mask = centreMask(1, 64, 16, 48);
    auto soft = doppel::models::softTrainingMask(mask, 64);
    EXPECT_FLOAT_EQ(soft[0][0][32][32].item<float>(), 1.0f);  // deep inside: 0.5 clip x 2
    EXPECT_FLOAT_EQ(soft[0][0][2][2].item<float>(), 0.0f);    // far outside
    const float edge = soft[0][0][32][14].item<float>();      // just outside the edge: partial
    EXPECT_GT(edge, 0.0f);
    EXPECT_LT(edge, 1.0f);
    EXPECT_LE(soft.max().item<float>(), 1.0f);
}

TEST(SaehdLoss, TermsAddUpAsSpecified) {
    const int res = 64;
    auto target = smoothImages(2, res, 4);
    auto pred = smoothImages(2, res, 5);
    auto mask = centreMask(2, res, 10, 54);
    auto predMask = torch::full({2, 1, res, res}, 0.25);
    LossOptions options;
    options.resolution = res;
    options.maskedTraining = false;
    auto terms = saehdLoss(target, pred, mask, predMask, {}, options);
    // window int(64 / 11.6) = 5; 10 DSSIM + 10 MSE + 10 mask MSE, summed over the batch.
    auto image = 10 * dssim(target, pred, 5) + 10 * (target - pred).square().mean({1, 2, 3});
    auto maskTerm = 10 * (mask - predMask).square().mean({1, 2, 3});
    EXPECT_NEAR(terms.total.item<float>(), (image + maskTerm).sum().item<float>(), 1e-4);
    EXPECT_NEAR(terms.image.item<float>(), image.mean().item<float>(), 1e-5);
    ASSERT_EQ(terms.perSample.sizes(), (std::vector<int64_t>{2}));

    // Eyes/mouth priority adds 300 x mean |t - p| inside that mask.
    auto eyesMouth = centreMask(2, res, 20, 30);
    options.eyesMouthPriority = true;
    auto withPriority = saehdLoss(target, pred, mask, predMask, eyesMouth, options);
    auto priority = 300 * (target * eyesMouth - pred * eyesMouth).abs().mean({1, 2, 3});
    EXPECT_NEAR(withPriority.total.item<float>(),
                terms.total.item<float>() + priority.sum().item<float>(), 1e-3);
}

TEST(SaehdLoss, TwoScaleDssimFrom256) {
    const int res = 256;
    auto target = smoothImages(1, res, 6);
    auto pred = smoothImages(1, res, 7);
    auto mask = torch::ones({1, 1, res, res});
    LossOptions options;
    options.resolution = res;
    options.maskedTraining = false;
    auto terms = saehdLoss(target, pred, mask, mask, {}, options);
    // windows int(256/11.6) = 22 and int(256/23.2) = 11, 5 each.
    auto expected = 5 * dssim(target, pred, 22) + 5 * dssim(target, pred, 11) +
                    10 * (target - pred).square().mean();
    EXPECT_NEAR(terms.total.item<float>(), expected.sum().item<float>(), 1e-4);
}

TEST(SaehdLoss, GradientsReachThePrediction) {
    auto target = smoothImages(2, 64, 8);
    auto pred = smoothImages(2, 64, 9).requires_grad_(true);
    auto predMask = torch::full({2, 1, 64, 64}, 0.5).requires_grad_(true);
    LossOptions options;
    options.resolution = 64;
    auto terms = saehdLoss(target, pred, centreMask(2, 64, 8, 56), predMask, {}, options);
    terms.total.backward();
    EXPECT_GT(pred.grad().abs().sum().item<float>(), 0.0f);
    EXPECT_GT(predMask.grad().abs().sum().item<float>(), 0.0f);
    EXPECT_FALSE(terms.image.requires_grad());
}
