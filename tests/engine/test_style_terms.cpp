// DeepFaceLab's face_style_power and bg_style_power: the style terms' values (zero for equal
// images, growing with a colour shift, each blind to the other's region, weighted by the power),
// their gradients (the source decoder's, never the destination decoder's), how the step adds
// them (source loss only, sequential path, nothing changed with both powers 0), the memory
// estimate, and a short training run in which each term moves the swap toward the destination.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>

#include "TinyTrainingData.h"
#include "models/MemoryEstimate.h"
#include "models/SaehdLoss.h"
#include "models/TrainStep.h"

using namespace doppel;
using namespace doppel::models;
using doppel::test::randomBatch;
using doppel::test::tinyConfig;

namespace {

constexpr int kRes = 64;

// A disc of radius `radius` px in the middle of a kRes square: N1HW.
torch::Tensor discMask(int n, double radius) {
    auto coords = torch::arange(kRes, torch::kFloat32) - (kRes - 1) / 2.0;
    auto r2 = coords.view({1, -1}).square() + coords.view({-1, 1}).square();
    return (r2 <= radius * radius).to(torch::kFloat32).expand({n, 1, kRes, kRes}).contiguous();
}

// Per-sample (N) mean of `x` (N3HW) weighted by `weight` (N1HW), per channel: N x 3.
torch::Tensor weightedChannelMeans(const torch::Tensor& x, const torch::Tensor& weight) {
    return (x * weight).sum({2, 3}) / weight.sum({2, 3});
}

// Drawn faces of one person against one scene: a shaded disc of `skin` (jittered in place and
// size) on a `background` with a soft horizontal gradient; input = target (no warp).
struct Scene {
    torch::Tensor faces, masks;  // pool x 3 x R x R, pool x 1 x R x R
};

Scene drawScene(int pool, std::array<float, 3> skin, std::array<float, 3> background,
                uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto coords = torch::arange(kRes, torch::kFloat32) / float(kRes);
    auto x = coords.view({1, 1, 1, -1}), y = coords.view({1, 1, -1, 1});
    auto centre = 0.5 + 0.08 * (torch::rand({pool, 2, 1, 1}, gen) - 0.5);
    auto radius = 0.27 + 0.04 * torch::rand({pool, 1, 1, 1}, gen);
    auto dx = x - centre.narrow(1, 0, 1), dy = y - centre.narrow(1, 1, 1);
    auto r2 = (dx.square() + dy.square()) / radius.square();
    Scene s;
    s.masks = (r2 <= 1.0).to(torch::kFloat32);
    auto skinT = torch::tensor({skin[0], skin[1], skin[2]}).view({1, 3, 1, 1});
    auto bgT = torch::tensor({background[0], background[1], background[2]}).view({1, 3, 1, 1});
    auto face = skinT * (1.0 - 0.3 * r2.clamp_max(1.0));
    auto scene = (bgT + 0.15 * (x - 0.5)).expand({pool, 3, kRes, kRes});
    s.faces = (face * s.masks + scene * (1.0 - s.masks)).clamp(0, 1).contiguous();
    return s;
}

AugmentedBatch batchOf(const Scene& s, const torch::Tensor& indices) {
    AugmentedBatch b;
    b.input = s.faces.index_select(0, indices);
    b.target = b.input;
    b.mask = s.masks.index_select(0, indices);
    b.eyesMouth = torch::zeros_like(b.mask);
    return b;
}

// A tiny DF model (seed 5) trained `steps` iterations on src/dst scenes with `configure`'s
// settings; returns it.
SaehdModel trainTiny(const Scene& src, const Scene& dst, int steps,
                     const std::function<void(StepSettings&)>& configure) {
    torch::manual_seed(5);
    SaehdModel model(tinyConfig("df-ud"));
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(5e-4));
    StepSettings settings;
    settings.loss.resolution = kRes;
    configure(settings);
    TrainStep step(settings);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
    const int64_t pool = src.faces.size(0);
    for (int i = 0; i < steps; ++i) {
        optimizer.zero_grad();
        const auto s = step.run(model, batchOf(src, torch::randint(pool, {4}, gen)),
                                batchOf(dst, torch::randint(pool, {4}, gen)));
        EXPECT_TRUE(s.finite) << "step " << i;
        optimizer.step();
    }
    return model;
}

}  // namespace

TEST(StyleTerms, FaceTermIsZeroForEqualImagesAndGrowsWithAColourShift) {
    const torch::Tensor target = randomBatch(2, 1).target;
    EXPECT_LT(faceStyleDistance(target, target, kRes).abs().max().item<double>(), 1e-10);
    auto shifted = [&](double by) {
        torch::Tensor t = target.clone();
        t.select(1, 2).add_(by);  // a warmer red: the colour, not the detail, changes
        return faceStyleDistance(t, target, kRes);
    };
    const torch::Tensor small = shifted(0.05), large = shifted(0.2);
    EXPECT_TRUE((small > 1e-5).all().item<bool>());
    EXPECT_TRUE((large > 4 * small).all().item<bool>());  // squared: ~16x for 4x the shift
    // Lower contrast on a smooth image (the blur keeps its spread): the std moves.
    const torch::Tensor ramp =
        torch::linspace(0, 1, kRes).view({1, 1, 1, kRes}).expand({2, 3, kRes, kRes});
    const torch::Tensor flat = 0.5 + 0.2 * (ramp - 0.5);
    EXPECT_TRUE((faceStyleDistance(flat, ramp, kRes) > 1e-3).all().item<bool>());
}

TEST(StyleTerms, EachTermSeesOnlyItsRegionAndFollowsItsPower) {
    const AugmentedBatch dst = randomBatch(2, 2);
    const torch::Tensor mask = discMask(2, 20);
    LossOptions options;
    options.resolution = kRes;
    options.faceStylePower = 10;
    options.bgStylePower = 10;
    const StyleTerms same = styleTerms(dst.target, dst.target, mask, options);
    EXPECT_LT(same.perSample.abs().max().item<double>(), 1e-6);

    // Changed well inside the face (the style mask is 1 there) / well outside it (0 there).
    const torch::Tensor inner = discMask(2, 12), outer = 1.0 - discMask(2, 28);
    const StyleTerms face = styleTerms(dst.target + 0.2 * inner, dst.target, mask, options);
    const StyleTerms background = styleTerms(dst.target + 0.2 * outer, dst.target, mask, options);
    EXPECT_TRUE((face.face > 0.1).all().item<bool>());
    EXPECT_LT(face.background.abs().max().item<double>(), 1e-6);
    EXPECT_TRUE((background.background > 0.1).all().item<bool>());
    EXPECT_LT(background.face.abs().max().item<double>(), 1e-6);

    // The weights: face 10000 x p/100, background 10 x p/100, of the unweighted distances.
    const torch::Tensor swap = randomBatch(2, 3).target;
    const torch::Tensor m = styleMask(mask, kRes);
    const StyleTerms terms = styleTerms(swap, dst.target, mask, options);
    EXPECT_TRUE(
        torch::allclose(terms.face, faceStyleDistance(swap * m, dst.target * m, kRes) * 1000.0));
    EXPECT_TRUE(
        torch::allclose(terms.background,
                        backgroundStyleDistance(swap * (1 - m), dst.target * (1 - m), kRes) * 1.0));
    EXPECT_TRUE(torch::allclose(terms.perSample, terms.face + terms.background));
    options.bgStylePower = 0;
    const StyleTerms faceOnly = styleTerms(swap, dst.target, mask, options);
    EXPECT_FALSE(faceOnly.background.defined());
    EXPECT_TRUE(torch::allclose(faceOnly.perSample, terms.face));
    // The style mask: the blurred hull, unclipped, in [0, 1], 0.5 on the edge.
    EXPECT_GE(m.min().item<double>(), 0.0);
    EXPECT_LE(m.max().item<double>(), 1.0);
    EXPECT_NEAR(m[0][0][kRes / 2][kRes / 2].item<double>(), 1.0, 1e-4);
    EXPECT_NEAR(m[0][0][kRes / 2][kRes / 2 + 20].item<double>(), 0.5, 0.15);
}

TEST(StyleTerms, GradientsReachTheSourceDecoderNotTheDestinations) {
    test::ThreadsScope threads(2);
    torch::manual_seed(3);
    SaehdModel model(tinyConfig("df-ud"));
    const AugmentedBatch dst = randomBatch(2, 4);
    LossOptions options;
    options.resolution = kRes;
    for (const bool face : {true, false}) {
        SCOPED_TRACE(face ? "face style" : "background style");
        options.faceStylePower = face ? 1 : 0;
        options.bgStylePower = face ? 0 : 1;
        for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
        const Decoded swap = model->swap(dst.input);
        styleTerms(swap.image, dst.target, dst.mask, options).perSample.sum().backward();
        for (const auto& p : model->named_parameters(true)) {
            const std::string& name = p.key();
            const torch::Tensor g = p.value().grad();
            if (name.rfind("decoder_dst.", 0) == 0) EXPECT_FALSE(g.defined()) << name;
            // The image branch and the shared encoder/inter (through the destination code).
            const bool image = name.rfind("decoder_src.", 0) == 0 &&
                               name.find("upscalem") == std::string::npos &&
                               name.find("out_convm") == std::string::npos;
            if ((image || name.rfind("encoder.", 0) == 0) && name.find("weight") != name.npos) {
                ASSERT_TRUE(g.defined()) << name;
                EXPECT_GT(g.abs().max().item<double>(), 0.0) << name;
            }
        }
    }
}

TEST(StyleTerms, JoinTheSourceLossOnTheSequentialPath) {
    test::ThreadsScope threads(2);
    const AugmentedBatch src = randomBatch(3, 5), dst = randomBatch(3, 6);
    const auto enable = [](StepSettings& s) {
        s.loss.faceStylePower = 5;
        s.loss.bgStylePower = 20;
    };
    // Side by side asked for: a style term takes the sequential path (TrainStep::run says why).
    EXPECT_FALSE(test::runPlainAndWith(true, src, dst, enable).withRanSideBySide);
    const auto run = test::runPlainAndWith(false, src, dst, enable);
    const StepLosses &a = run.plain, &b = run.with;
    ASSERT_TRUE(a.finite && b.finite);
    ASSERT_TRUE(b.faceStyle.defined() && b.bgStyle.defined());
    EXPECT_FALSE(a.faceStyle.defined() || a.bgStyle.defined());
    EXPECT_NEAR(b.src.image.item<double>(), a.src.image.item<double>(), 1e-5);
    const double added = b.src.total.item<double>() - a.src.total.item<double>();
    const double expected = 3 * (b.faceStyle.item<double>() + b.bgStyle.item<double>());
    EXPECT_GT(expected, 0.01);
    EXPECT_NEAR(added, expected, 1e-4 * std::max(1.0, expected));
    EXPECT_NEAR(b.src.perSample.sum().item<double>(), b.src.total.item<double>(), 1e-4);
    EXPECT_NEAR(b.dst.total.item<double>(), a.dst.total.item<double>(), 1e-5);
    // The destination decoder learns as without the terms; the source decoder differently.
    auto plainGrads = run.plainModel->named_parameters(true);
    double srcDifference = 0;
    for (const auto& p : run.withModel->named_parameters(true)) {
        const torch::Tensor g = p.value().grad(), g0 = plainGrads[p.key()].grad();
        ASSERT_TRUE(g.defined() && g0.defined()) << p.key();
        if (p.key().rfind("decoder_dst.", 0) == 0)
            EXPECT_LE((g - g0).abs().max().item<double>(), 1e-6 * g0.abs().max().item<double>())
                << p.key();
        if (p.key().rfind("decoder_src.", 0) == 0)
            srcDifference = std::max(srcDifference, (g - g0).abs().max().item<double>());
    }
    EXPECT_GT(srcDifference, 0.0);
    // LIAE: the swap rides in the one decoder's batch.
    SaehdModel liae(tinyConfig("liae-ud"));
    StepSettings settings;
    settings.loss.resolution = kRes;
    settings.loss.bgStylePower = 10;
    TrainStep step(settings);
    const StepLosses l = step.run(liae, src, dst);
    EXPECT_TRUE(l.finite && l.bgStyle.defined() && !l.faceStyle.defined());
}

// Both powers 0 (the default): the step is the one without the feature, bit for bit: the
// sequential path is the model's plain reconstruct + saehdLoss per side, and DF still runs its
// decoders side by side. (Checked against the previous build as well: doppel-bench-train's losses
// matched to the last bit, docs/training.md.)
TEST(StyleTerms, BothPowersZeroChangeNothing) {
    test::ThreadsScope threads(2);
    const AugmentedBatch src = randomBatch(3, 7), dst = randomBatch(3, 8);
    torch::manual_seed(9);
    SaehdModel stepped(tinyConfig("df-ud"));
    torch::manual_seed(9);
    SaehdModel byHand(tinyConfig("df-ud"));
    StepSettings settings;
    settings.loss.resolution = kRes;
    settings.decodersSideBySide = false;
    TrainStep step(settings);
    const StepLosses l = step.run(stepped, src, dst);
    EXPECT_FALSE(l.faceStyle.defined() || l.bgStyle.defined());

    const auto recon = byHand->reconstruct(src.input, dst.input);
    const LossTerms s = saehdLoss(src.target, recon.first.image, src.mask, recon.first.mask,
                                  src.eyesMouth, settings.loss);
    const LossTerms d = saehdLoss(dst.target, recon.second.image, dst.mask, recon.second.mask,
                                  dst.eyesMouth, settings.loss);
    (s.total + d.total).backward();
    EXPECT_TRUE(torch::equal(l.src.total, s.total.detach()));
    EXPECT_TRUE(torch::equal(l.dst.total, d.total.detach()));
    auto handGrads = byHand->named_parameters(true);
    for (const auto& p : stepped->named_parameters(true))
        EXPECT_TRUE(torch::equal(p.value().grad(), handGrads[p.key()].grad())) << p.key();

    settings.decodersSideBySide = true;
    TrainStep sideBySide(settings);
    EXPECT_TRUE(sideBySide.run(stepped, src, dst).finite);
    EXPECT_TRUE(sideBySide.lastRunSideBySide());
}

TEST(StyleTerms, MemoryEstimateAddsTheSwap) {
    TrainOptions o;
    o.archi = "df";
    o.resolution = 128;
    for (const bool cuda : {false, true}) {
        const auto off = MemoryEstimate::compute(o, 57'538'000, cuda, 64, 64, 128);
        TrainOptions on = o;
        on.bgStylePower = 1;
        const auto with = MemoryEstimate::compute(on, 57'538'000, cuda, 64, 64, 128);
        // One more decoder pass and loss maps per destination sample: more than nothing, less
        // than a whole side (encoder + inter + decoder + loss).
        EXPECT_GT(with.activationBytes, off.activationBytes) << cuda;
        EXPECT_LT(with.activationBytes, off.activationBytes * 1.5) << cuda;
        EXPECT_EQ(with.parameterBytes, off.parameterBytes) << cuda;
    }
}

// The learning check (BGR, as packed faces): a source person on a red scene, a destination
// person with another skin tone on a blue scene. Trained from the same seed, the swap's
// background (outside the dst mask) ends much closer to the destination's with bg_style_power,
// and the swap's face colour (inside it) closer to the destination's skin with face_style_power,
// than without either.
TEST(StyleTerms, TrainingWithThemMovesTheSwapTowardTheDestination) {
    test::ThreadsScope threads(2);
    const Scene src = drawScene(16, {0.45f, 0.6f, 0.85f}, {0.2f, 0.25f, 0.75f}, 1);
    const Scene dst = drawScene(16, {0.3f, 0.4f, 0.55f}, {0.7f, 0.35f, 0.2f}, 2);
    const int steps = 40;
    const auto start = std::chrono::steady_clock::now();
    SaehdModel plain = trainTiny(src, dst, steps, [](StepSettings&) {});
    SaehdModel background =
        trainTiny(src, dst, steps, [](StepSettings& s) { s.loss.bgStylePower = 100; });
    SaehdModel face =
        trainTiny(src, dst, steps, [](StepSettings& s) { s.loss.faceStylePower = 10; });
    torch::NoGradGuard noGrad;
    const torch::Tensor m = styleMask(dst.masks, kRes), anti = 1.0 - m;
    auto backgroundError = [&](SaehdModel& model) {
        const torch::Tensor swap = model->swap(dst.faces).image;
        return ((swap - dst.faces).square() * anti).sum().item<double>() /
               (3 * anti.sum().item<double>());
    };
    auto skinError = [&](SaehdModel& model) {
        const torch::Tensor swap = model->swap(dst.faces).image;
        return (weightedChannelMeans(swap, m) - weightedChannelMeans(dst.faces, m))
            .abs()
            .mean()
            .item<double>();
    };
    const double bgPlain = backgroundError(plain), bgWith = backgroundError(background);
    const double skinPlain = skinError(plain), skinWith = skinError(face);
    std::printf(
        "%d steps x 3 runs in %.1f s; swap background MSE vs dst: %.4f plain, %.4f with "
        "bg_style_power 100; swap skin colour error: %.4f plain, %.4f with face_style_power 10\n",
        steps, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        bgPlain, bgWith, skinPlain, skinWith);
    EXPECT_LT(bgWith, 0.5 * bgPlain);
    EXPECT_LT(skinWith, 0.7 * skinPlain);
}
