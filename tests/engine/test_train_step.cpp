// The training step shared by the trainer and the benchmark: DF's two decoders run side by side
// (one per thread) with the same losses and gradients as one after the other, in NCHW and in
// channels-last; a non-finite loss computes no gradients for the shared encoder; one thread or
// LIAE's single decoder take the sequential path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>
#include <limits>

#include "TinyTrainingData.h"
#include "models/TrainStep.h"

using namespace doppel::models;
using doppel::test::randomBatch;
using doppel::test::tinyConfig;

namespace {

// A second model with the first one's weights (and layout).
SaehdModel cloneOf(SaehdModel& model, const ModelConfig& config, bool channelsLast) {
    SaehdModel copy(config);
    if (channelsLast) copy->useChannelsLast();
    torch::NoGradGuard noGrad;
    auto from = model->named_parameters(true);
    for (auto& p : copy->named_parameters(true)) p.value().copy_(from[p.key()]);
    return copy;
}

bool cpuAutocastEnabled() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    return at::autocast::is_autocast_enabled(at::kCPU);
#else
    return at::autocast::is_cpu_enabled();
#endif
}

}  // namespace

TEST(TrainStep, DecodersSideBySideMatchSequential) {
    doppel::test::ThreadsScope threads(2);
    for (bool channelsLast : {false, true}) {
        SCOPED_TRACE(channelsLast ? "channels-last" : "NCHW");
        const ModelConfig config = tinyConfig("df-ud");
        torch::manual_seed(7);
        SaehdModel a(config);
        if (channelsLast) a->useChannelsLast();
        SaehdModel b = cloneOf(a, config, channelsLast);

        StepSettings settings;
        settings.loss.resolution = 64;
        settings.channelsLast = channelsLast;
        TrainStep sideBySide(settings);
        settings.decodersSideBySide = false;
        TrainStep sequential(settings);

        const AugmentedBatch src = randomBatch(4, 1), dst = randomBatch(4, 2);
        StepLosses la = sideBySide.run(a, src, dst);
        StepLosses lb = sequential.run(b, src, dst);
        ASSERT_TRUE(sideBySide.lastRunSideBySide());
        ASSERT_FALSE(sequential.lastRunSideBySide());
        ASSERT_TRUE(la.finite && lb.finite);
        EXPECT_NEAR(la.src.total.item<double>(), lb.src.total.item<double>(),
                    1e-5 * std::abs(lb.src.total.item<double>()));
        EXPECT_NEAR(la.dst.total.item<double>(), lb.dst.total.item<double>(),
                    1e-5 * std::abs(lb.dst.total.item<double>()));

        auto gradsB = b->named_parameters(true);
        int compared = 0;
        for (const auto& p : a->named_parameters(true)) {
            const torch::Tensor ga = p.value().grad(), gb = gradsB[p.key()].grad();
            ASSERT_TRUE(ga.defined() && gb.defined()) << p.key();
            const double scale = gb.abs().max().item<double>();
            const double diff = (ga - gb).abs().max().item<double>();
            EXPECT_LE(diff, 1e-3 * scale + 1e-8) << p.key() << ": max |grad| " << scale;
            ++compared;
        }
        EXPECT_GT(compared, 20);
    }
}

TEST(TrainStep, NonFiniteLossLeavesTheEncoderWithoutGradients) {
    doppel::test::ThreadsScope threads(2);
    SaehdModel model(tinyConfig("df-ud"));
    StepSettings settings;
    settings.loss.resolution = 64;
    TrainStep step(settings);
    AugmentedBatch src = randomBatch(2, 3), dst = randomBatch(2, 4);
    src.input = src.input * std::numeric_limits<float>::quiet_NaN();
    StepLosses losses = step.run(model, src, dst);
    EXPECT_TRUE(step.lastRunSideBySide());
    EXPECT_FALSE(losses.finite);
    EXPECT_FALSE(std::isfinite(losses.src.total.item<double>()));
    EXPECT_TRUE(std::isfinite(losses.dst.total.item<double>()));  // the other side is unharmed
    for (const auto& p : model->named_parameters(true))
        if (p.key().rfind("encoder.", 0) == 0 || p.key().rfind("inter.", 0) == 0)
            EXPECT_FALSE(p.value().grad().defined()) << p.key();
}

TEST(TrainStep, OneThreadOrOneDecoderRunsSequentially) {
    StepSettings settings;
    settings.loss.resolution = 64;
    const AugmentedBatch src = randomBatch(2, 5), dst = randomBatch(2, 6);
    {
        doppel::test::ThreadsScope threads(1);
        SaehdModel df(tinyConfig("df-ud"));
        TrainStep step(settings);
        EXPECT_TRUE(step.run(df, src, dst).finite);
        EXPECT_FALSE(step.lastRunSideBySide());
    }
    {
        doppel::test::ThreadsScope threads(2);
        SaehdModel liae(tinyConfig("liae-ud"));
        TrainStep step(settings);
        EXPECT_TRUE(step.run(liae, src, dst).finite);
        EXPECT_FALSE(step.lastRunSideBySide());
    }
}

// The reduced-precision branch (what `precision bf16|fp16` takes on CUDA) run with the CPU's
// bf16 autocast, so the branch is exercised where no GPU is: losses and gradients stay fp32, the
// loss scale multiplies the gradients exactly (a power of two), the result stays close to the
// fp32 step, and autocast is off again after the step.
TEST(TrainStep, ReducedPrecisionForwardKeepsLossAndGradientsInFp32) {
    doppel::test::ThreadsScope threads(2);
    const ModelConfig config = tinyConfig("df-ud");
    torch::manual_seed(11);
    SaehdModel reference(config);
    SaehdModel unscaled = cloneOf(reference, config, false);
    SaehdModel scaled = cloneOf(reference, config, false);

    StepSettings settings;
    settings.loss.resolution = 64;
    TrainStep fp32Step(settings);
    settings.forwardType = torch::kBFloat16;
    TrainStep bf16Step(settings);

    const AugmentedBatch src = randomBatch(4, 21), dst = randomBatch(4, 22);
    const StepLosses lr = fp32Step.run(reference, src, dst);
    const StepLosses lu = bf16Step.run(unscaled, src, dst);
    EXPECT_FALSE(bf16Step.lastRunSideBySide());  // autocast runs the decoders one after the other
    EXPECT_FALSE(cpuAutocastEnabled());
    const double lossScale = 1024.0;
    const StepLosses ls = bf16Step.run(scaled, src, dst, lossScale);
    ASSERT_TRUE(lr.finite && lu.finite && ls.finite);
    EXPECT_EQ(lu.src.total.scalar_type(), torch::kFloat32);
    EXPECT_EQ(lu.dst.total.scalar_type(), torch::kFloat32);
    EXPECT_NEAR(lu.src.total.item<double>(), lr.src.total.item<double>(),
                0.02 * lr.src.total.item<double>());
    // ...yet not equal: the forward did run in bf16.
    EXPECT_NE(lu.src.total.item<double>(), lr.src.total.item<double>());
    EXPECT_DOUBLE_EQ(ls.src.total.item<double>(), lu.src.total.item<double>());

    auto gradsReference = reference->named_parameters(true);
    auto gradsScaled = scaled->named_parameters(true);
    double differenceSquared = 0, referenceSquared = 0;
    for (const auto& p : unscaled->named_parameters(true)) {
        const torch::Tensor g = p.value().grad(), gs = gradsScaled[p.key()].grad(),
                            gr = gradsReference[p.key()].grad();
        ASSERT_TRUE(g.defined() && gs.defined() && gr.defined()) << p.key();
        ASSERT_EQ(g.scalar_type(), torch::kFloat32) << p.key();
        const double scale = g.abs().max().item<double>();
        EXPECT_LE((gs / lossScale - g).abs().max().item<double>(), 1e-5 * scale + 1e-12) << p.key();
        differenceSquared += (g - gr).square().sum().item<double>();
        referenceSquared += gr.square().sum().item<double>();
    }
    // bf16 keeps 8 bits of mantissa: the whole gradient stays close to fp32's.
    const double relative = std::sqrt(differenceSquared / referenceSquared);
    std::printf("bf16 vs fp32 gradient: relative difference %.4f\n", relative);
    EXPECT_LT(relative, 0.1);
}
