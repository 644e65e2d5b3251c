// Batched random-warp augmentation: shapes, ranges, determinism with a seed, the identity case,
// flips, the warp touching only the input, and resizing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/Error.h"
#include "models/WarpAugment.h"

using doppel::models::augmentBatch;
using doppel::models::AugmentOptions;

namespace {

struct Faceset {
    torch::Tensor faces;  // NHW3 uint8
    torch::Tensor masks;  // NHW2 uint8
};

/// Smooth random "faces" with a centred square face mask and a small eyes/mouth square.
Faceset makeFaceset(int64_t n, int64_t res, uint64_t seed) {
    torch::manual_seed(seed);
    auto coarse = torch::rand({n, 3, 6, 6});
    auto smooth =
        torch::nn::functional::interpolate(coarse, torch::nn::functional::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{res, res})
                                                       .mode(torch::kBilinear)
                                                       .align_corners(false));
    Faceset set;
    set.faces = (smooth * 255).round().to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
    set.masks = torch::zeros({n, res, res, 2}, torch::kUInt8);
    set.masks.slice(1, res / 4, 3 * res / 4).slice(2, res / 4, 3 * res / 4).select(3, 0).fill_(255);
    set.masks.slice(1, res / 3, res / 2).slice(2, res / 3, res / 2).select(3, 1).fill_(255);
    return set;
}

torch::Generator seeded(uint64_t seed) {
    return torch::make_generator<at::CPUGeneratorImpl>(seed);
}

AugmentOptions noGeometry() {
    AugmentOptions o;
    o.randomWarp = false;
    o.randomFlip = false;
    o.rotationDegrees = 0;
    o.scaleRange = 0;
    o.translateFraction = 0;
    return o;
}

}  // namespace

TEST(WarpAugment, ShapesAndRanges) {
    auto set = makeFaceset(6, 64, 1);
    auto indices = torch::tensor({0, 3, 5, 3}, torch::kInt64);
    AugmentOptions options;
    options.randomFlip = true;
    options.colorJitter = true;
    auto batch = augmentBatch(set.faces, set.masks, indices, 64, options, seeded(1));
    const std::vector<std::pair<torch::Tensor, int64_t>> outputs = {
        {batch.input, 3}, {batch.target, 3}, {batch.mask, 1}, {batch.eyesMouth, 1}};
    for (const auto& [t, channels] : outputs) {
        EXPECT_EQ(t.sizes(), (std::vector<int64_t>{4, channels, 64, 64}));
        EXPECT_EQ(t.scalar_type(), torch::kFloat32);
        EXPECT_GE(t.min().item<float>(), 0.0f);
        EXPECT_LE(t.max().item<float>(), 1.0f);
    }
    // Each sample's eyes/mouth mask is renormalised to peak 1.
    EXPECT_TRUE(torch::allclose(batch.eyesMouth.amax({1, 2, 3}), torch::ones({4})));
    // Face masks keep most of the square (the affine moves it by a few percent).
    auto coverage = batch.mask.mean({1, 2, 3});
    EXPECT_GT(coverage.min().item<float>(), 0.15f);
    EXPECT_LT(coverage.max().item<float>(), 0.40f);
    EXPECT_FALSE(batch.input.requires_grad());
}

TEST(WarpAugment, SameSeedSameBatchOtherSeedOtherBatch) {
    auto set = makeFaceset(5, 64, 2);
    auto indices = torch::tensor({4, 1, 2}, torch::kInt64);
    AugmentOptions options;
    options.randomFlip = true;
    auto a = augmentBatch(set.faces, set.masks, indices, 64, options, seeded(42));
    auto b = augmentBatch(set.faces, set.masks, indices, 64, options, seeded(42));
    auto c = augmentBatch(set.faces, set.masks, indices, 64, options, seeded(43));
    EXPECT_TRUE(torch::equal(a.input, b.input));
    EXPECT_TRUE(torch::equal(a.target, b.target));
    EXPECT_TRUE(torch::equal(a.mask, b.mask));
    EXPECT_FALSE(torch::allclose(a.input, c.input));
    EXPECT_FALSE(torch::allclose(a.target, c.target));
}

TEST(WarpAugment, NoGeometryIsTheIdentity) {
    auto set = makeFaceset(3, 64, 3);
    auto indices = torch::tensor({2, 0}, torch::kInt64);
    auto batch = augmentBatch(set.faces, set.masks, indices, 64, noGeometry(), seeded(1));
    auto expected =
        set.faces.index_select(0, indices).permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0;
    EXPECT_LT((batch.target - expected).abs().max().item<float>(), 1e-4f);
    EXPECT_LT((batch.input - expected).abs().max().item<float>(), 1e-4f);
    auto expectedMask =
        set.masks.index_select(0, indices).select(3, 0).unsqueeze(1).to(torch::kFloat32) / 255.0;
    EXPECT_LT((batch.mask - expectedMask).abs().max().item<float>(), 1e-4f);
}

TEST(WarpAugment, FlipMirrorsSomeSamples) {
    auto set = makeFaceset(1, 32, 4);
    auto indices = torch::zeros({40}, torch::kInt64);
    auto options = noGeometry();
    options.randomFlip = true;
    auto batch = augmentBatch(set.faces, set.masks, indices, 32, options, seeded(5));
    auto original = set.faces[0].permute({2, 0, 1}).to(torch::kFloat32) / 255.0;
    auto mirrored = original.flip({2});
    int flipped = 0, kept = 0;
    for (int64_t i = 0; i < 40; ++i) {
        if ((batch.target[i] - original).abs().max().item<float>() < 1e-4f)
            ++kept;
        else if ((batch.target[i] - mirrored).abs().max().item<float>() < 1e-4f)
            ++flipped;
    }
    EXPECT_EQ(kept + flipped, 40);
    EXPECT_GE(flipped, 6);  // p = 0.4 of 40: 16 expected
    EXPECT_GE(kept, 12);
}

TEST(WarpAugment, WarpChangesOnlyTheInput) {
    auto set = makeFaceset(2, 64, 5);
    auto indices = torch::tensor({0, 1, 0, 1}, torch::kInt64);
    auto options = noGeometry();
    options.randomWarp = true;
    auto batch = augmentBatch(set.faces, set.masks, indices, 64, options, seeded(6));
    auto expected =
        set.faces.index_select(0, indices).permute({0, 3, 1, 2}).to(torch::kFloat32) / 255.0;
    EXPECT_LT((batch.target - expected).abs().max().item<float>(), 1e-4f);
    const auto perSample = (batch.input - expected).abs().mean({1, 2, 3});
    EXPECT_GT(perSample.min().item<float>(), 1e-3f);  // every sample is warped
    // Smooth and bounded: the warped face stays close to the original on average.
    EXPECT_LT(perSample.max().item<float>(), 0.15f);
    // Border control points are fixed: the corners barely move.
    EXPECT_LT((batch.input.select(2, 0).select(2, 0) - expected.select(2, 0).select(2, 0))
                  .abs()
                  .max()
                  .item<float>(),
              1e-3f);
}

TEST(WarpAugment, ResizesToTheRequestedResolution) {
    auto set = makeFaceset(2, 128, 6);
    auto batch = augmentBatch(set.faces, set.masks, torch::tensor({1, 0}, torch::kInt64), 64,
                              AugmentOptions{}, seeded(7));
    EXPECT_EQ(batch.input.sizes(), (std::vector<int64_t>{2, 3, 64, 64}));
    EXPECT_EQ(batch.mask.sizes(), (std::vector<int64_t>{2, 1, 64, 64}));
}

TEST(WarpAugment, RejectsWrongLayouts) {
    auto set = makeFaceset(2, 32, 7);
    auto idx = torch::tensor({0}, torch::kInt64);
    EXPECT_THROW(augmentBatch(set.faces.to(torch::kFloat32), set.masks, idx, 32, {}, seeded(1)),
                 doppel::Error);
    EXPECT_THROW(augmentBatch(set.faces.permute({0, 3, 1, 2}), set.masks, idx, 32, {}, seeded(1)),
                 doppel::Error);
    EXPECT_THROW(augmentBatch(set.faces, set.masks.slice(3, 0, 1), idx, 32, {}, seeded(1)),
                 doppel::Error);
}

// blur_out_mask: detail outside the face mask is smoothed away, the face itself is untouched, and
// input and target get the same background.
TEST(WarpAugment, BlurOutMaskSmoothsOnlyTheBackground) {
    const int64_t res = 64;
    auto set = makeFaceset(2, res, 4);
    torch::manual_seed(5);  // pixel noise everywhere: detail a blur removes
    set.faces =
        (set.faces.to(torch::kInt16) + torch::randint(-40, 41, set.faces.sizes(), torch::kInt16))
            .clamp(0, 255)
            .to(torch::kUInt8);
    auto indices = torch::tensor({0, 1}, torch::kInt64);
    AugmentOptions o = noGeometry();
    const auto plain = augmentBatch(set.faces, set.masks, indices, res, o, seeded(1));
    o.blurOutMask = true;
    const auto blurred = augmentBatch(set.faces, set.masks, indices, res, o, seeded(1));

    // Inside: the face square (16..48) shrunk by a few pixels for the soft edge.
    auto inside = [&](const torch::Tensor& x) { return x.slice(2, 20, 44).slice(3, 20, 44); };
    auto outside = [&](const torch::Tensor& x) { return x.slice(2, 0, 10); };  // top rows
    EXPECT_LT((inside(blurred.target) - inside(plain.target)).abs().max().item<double>(), 1e-4);
    // Neighbouring-pixel differences measure detail: far lower outside after the blur.
    auto detail = [](const torch::Tensor& x) {
        return (x.slice(3, 1) - x.slice(3, 0, -1)).abs().mean().item<double>();
    };
    EXPECT_LT(detail(outside(blurred.target)), 0.25 * detail(outside(plain.target)));
    EXPECT_TRUE(torch::equal(blurred.input, blurred.target));  // no warp: the same image
    EXPECT_TRUE(torch::equal(blurred.mask, plain.mask));       // masks are not blurred
}
