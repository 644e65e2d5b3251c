// Training colour transfer (ct_mode): the Lab conversion round-trips and hits known values; RCT
// and LCT move the source faces' masked statistics onto the reference's; pixels outside the mask
// do not count; input and target get the same map; "none" changes nothing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/Error.h"
#include "models/TrainingColorTransfer.h"

using namespace doppel::models;

namespace {

constexpr int kSide = 32;

// Faces with a per-sample colour cast inside a centred square mask and `outside` elsewhere.
AugmentedBatch castFaces(int n, double castScale, uint64_t seed, double outside) {
    torch::manual_seed(seed);
    AugmentedBatch b;
    b.mask = torch::zeros({n, 1, kSide, kSide});
    b.mask.narrow(2, 8, 16).narrow(3, 8, 16).fill_(1.0);
    const torch::Tensor base = 0.25 + 0.5 * torch::rand({n, 3, 1, 1});
    const torch::Tensor texture = castScale * (torch::rand({n, 3, kSide, kSide}) - 0.5);
    b.target = torch::where(b.mask > 0.5, (base + texture).clamp(0, 1),
                            torch::full({n, 3, kSide, kSide}, outside));
    b.input = b.target.clone();
    b.eyesMouth = torch::zeros_like(b.mask);
    return b;
}

torch::Tensor maskedMean(const torch::Tensor& x, const torch::Tensor& mask) {
    return (x * mask).sum({2, 3}) / mask.sum({2, 3});
}

torch::Tensor maskedStd(const torch::Tensor& x, const torch::Tensor& mask) {
    const torch::Tensor mean = maskedMean(x, mask).unsqueeze(-1).unsqueeze(-1);
    return (((x - mean).square() * mask).sum({2, 3}) / mask.sum({2, 3})).sqrt();
}

torch::Tensor maskedCovariance(const torch::Tensor& x, const torch::Tensor& mask) {
    const torch::Tensor c = (x - maskedMean(x, mask).unsqueeze(-1).unsqueeze(-1)) * mask;
    return torch::einsum("nihw,njhw->nij", {c, c}) / mask.sum({1, 2, 3}).view({-1, 1, 1});
}

}  // namespace

TEST(TrainingColorTransfer, LabRoundTripsAndMatchesKnownValues) {
    torch::manual_seed(1);
    const torch::Tensor bgr = torch::rand({4, 3, 16, 16});
    EXPECT_LT((labToBgr(bgrToLab(bgr)) - bgr).abs().max().item<double>(), 1e-4);

    // sRGB red (BGR 0,0,1) is Lab (53.24, 80.09, 67.20); white is (100, 0, 0).
    const torch::Tensor red = torch::tensor({0.f, 0.f, 1.f}).view({1, 3, 1, 1});
    const torch::Tensor lab = bgrToLab(red).flatten();
    EXPECT_NEAR(lab[0].item<double>(), 53.24, 0.05);
    EXPECT_NEAR(lab[1].item<double>(), 80.09, 0.1);
    EXPECT_NEAR(lab[2].item<double>(), 67.20, 0.1);
    const torch::Tensor white = bgrToLab(torch::ones({1, 3, 1, 1})).flatten();
    EXPECT_NEAR(white[0].item<double>(), 100.0, 0.01);
    EXPECT_NEAR(white[1].item<double>(), 0.0, 0.05);
    EXPECT_NEAR(white[2].item<double>(), 0.0, 0.05);
}

TEST(TrainingColorTransfer, RctMatchesTheReferenceLabStatisticsInsideTheMask) {
    AugmentedBatch faces = castFaces(6, 0.2, 2, /*outside=*/0.0);
    const AugmentedBatch reference = castFaces(6, 0.3, 3, /*outside=*/1.0);
    const torch::Tensor before = faces.target.clone();
    transferBatchColors(faces, reference, "rct");

    const torch::Tensor want = bgrToLab(reference.target), got = bgrToLab(faces.target);
    const torch::Tensor meanError =
        (maskedMean(got, faces.mask) - maskedMean(want, reference.mask)).abs();
    const torch::Tensor stdError =
        (maskedStd(got, faces.mask) - maskedStd(want, reference.mask)).abs();
    EXPECT_LT(meanError.max().item<double>(), 1.0) << meanError;  // Lab units (L in 0..100)
    EXPECT_LT(stdError.max().item<double>(), 1.0) << stdError;
    EXPECT_GT((faces.target - before).abs().mean().item<double>(), 0.02);  // it did move
    EXPECT_TRUE(torch::equal(faces.input, faces.target));                  // same map on the input
}

TEST(TrainingColorTransfer, PixelsOutsideTheMaskDoNotCount) {
    for (const char* mode : {"rct", "lct"}) {
        SCOPED_TRACE(mode);
        AugmentedBatch dark = castFaces(3, 0.2, 4, /*outside=*/0.0);
        AugmentedBatch bright = castFaces(3, 0.2, 4, /*outside=*/1.0);
        const AugmentedBatch reference = castFaces(3, 0.2, 5, 0.5);
        transferBatchColors(dark, reference, mode);
        transferBatchColors(bright, reference, mode);
        const torch::Tensor inside = dark.mask > 0.5;
        EXPECT_LT((dark.target - bright.target)
                      .abs()
                      .masked_select(inside.expand_as(dark.target))
                      .max()
                      .item<double>(),
                  1e-5);
    }
}

TEST(TrainingColorTransfer, LctMatchesTheReferenceMeanAndCovariance) {
    AugmentedBatch faces = castFaces(5, 0.2, 6, 0.0);
    const AugmentedBatch reference = castFaces(5, 0.35, 7, 0.0);
    faces.input = faces.input.flip(3);  // a different (warped) input: mapped, not copied
    transferBatchColors(faces, reference, "lct");
    EXPECT_LT((maskedMean(faces.target, faces.mask) - maskedMean(reference.target, reference.mask))
                  .abs()
                  .max()
                  .item<double>(),
              0.01);
    const torch::Tensor want = maskedCovariance(reference.target, reference.mask);
    const torch::Tensor got = maskedCovariance(faces.target, faces.mask);
    EXPECT_LT((got - want).abs().max().item<double>(), 0.05 * want.abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(faces.input.flip(3), faces.target, 1e-5, 1e-5));
}

TEST(TrainingColorTransfer, NoneLeavesTheBatchAloneAndUnknownModesAreRefused) {
    AugmentedBatch faces = castFaces(2, 0.2, 8, 0.0);
    const AugmentedBatch reference = castFaces(2, 0.2, 9, 0.0);
    const torch::Tensor before = faces.target.clone();
    transferBatchColors(faces, reference, "none");
    EXPECT_TRUE(torch::equal(faces.target, before));
    EXPECT_THROW(transferBatchColors(faces, reference, "sot"), doppel::Error);
    EXPECT_TRUE(isTrainingColorTransferMode("lct"));
    EXPECT_FALSE(isTrainingColorTransferMode("mkl"));
}
