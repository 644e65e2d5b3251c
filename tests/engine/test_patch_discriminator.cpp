// The GAN's patch discriminator: logit map and receptive field per resolution; it learns to tell
// sharp faces from blurred ones; in the training step its term joins the source loss exactly
// (both the side-by-side and the sequential path), and it round-trips through a checkpoint.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "TinyTrainingData.h"
#include "models/Checkpoint.h"
#include "models/MemoryEstimate.h"
#include "models/Optimizers.h"
#include "models/PatchDiscriminator.h"
#include "models/PatchDiscriminatorLayout.h"
#include "models/TrainOptions.h"
#include "models/TrainStep.h"
#include "support/TestSupport.h"

using namespace doppel;
using namespace doppel::models;
using doppel::test::randomBatch;
using doppel::test::tinyConfig;
namespace F = torch::nn::functional;

namespace {

// "Real" faces with fine texture, and the same faces blurred: what a decoder's output looks like
// next to its target early in training.
std::pair<torch::Tensor, torch::Tensor> sharpAndBlurred(int n, int side, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const torch::Tensor base = 0.3 + 0.4 * torch::rand({n, 3, 1, 1}, gen);
    const torch::Tensor sharp =
        (base + 0.25 * (torch::rand({n, 3, side, side}, gen) - 0.5)).clamp(0, 1);
    const torch::Tensor kernel = torch::full({3, 1, 5, 5}, 1.0 / 25);
    const torch::Tensor blurred =
        F::conv2d(F::pad(sharp, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReplicate)), kernel,
                  F::Conv2dFuncOptions().groups(3));
    return {sharp, blurred};
}

}  // namespace

TEST(PatchDiscriminator, OneLogitPerPatchWithAFieldThatGrowsWithTheFace) {
    const std::pair<int, int> fieldFor[] = {{64, 16}, {128, 34}, {256, 70}, {512, 142}};
    for (const auto& [resolution, field] : fieldFor) {
        PatchDiscriminator d(resolution);
        EXPECT_EQ(d->receptiveField(), field) << resolution;
        const torch::Tensor logits = d->forward(torch::rand({2, 3, resolution, resolution}));
        EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 1, 30, 30})) << resolution;
    }
}

TEST(PatchDiscriminator, LearnsToTellSharpFromBlurred) {
    torch::manual_seed(3);
    PatchDiscriminator d(64);
    torch::optim::Adam optimizer(d->parameters(), torch::optim::AdamOptions(1e-3));
    const auto [sharp, blurred] = sharpAndBlurred(8, 64, 4);
    const double first = discriminatorLoss(d, sharp, blurred).item<double>() / 8;
    EXPECT_NEAR(first, 2 * std::log(2.0), 0.3);  // undecided at the start
    for (int i = 0; i < 60; ++i) {
        optimizer.zero_grad();
        discriminatorLoss(d, sharp, blurred).backward();
        optimizer.step();
    }
    const auto [sharpNew, blurredNew] = sharpAndBlurred(8, 64, 5);  // unseen faces
    torch::NoGradGuard noGrad;
    EXPECT_LT(discriminatorLoss(d, sharpNew, blurredNew).item<double>() / 8, 0.5 * first);
    EXPECT_GT(d->forward(sharpNew).mean().item<double>(),
              d->forward(blurredNew).mean().item<double>());
    // ...so the generator's term is high for blurred output and low for sharp.
    EXPECT_GT(generatorAdversarialLoss(d, blurredNew).mean().item<double>(),
              generatorAdversarialLoss(d, sharpNew).mean().item<double>());
}

TEST(PatchDiscriminator, ItsTermJoinsTheSourceLossInBothStepPaths) {
    test::ThreadsScope threads(2);
    const AugmentedBatch src = randomBatch(3, 1), dst = randomBatch(3, 2);
    torch::manual_seed(9);
    PatchDiscriminator d(64);
    std::vector<double> adversarialSums;
    for (bool sideBySide : {true, false}) {
        SCOPED_TRACE(sideBySide ? "side by side" : "sequential");
        for (auto& p : d->parameters()) p.mutable_grad() = torch::Tensor();
        const auto run = test::runPlainAndWith(sideBySide, src, dst, [&](StepSettings& s) {
            s.discriminator = d;
            s.ganPower = 0.5;
        });
        const StepLosses &a = run.plain, &b = run.with;
        EXPECT_EQ(run.withRanSideBySide, sideBySide);
        ASSERT_TRUE(a.finite && b.finite);
        EXPECT_FALSE(a.ganReal.defined());
        ASSERT_TRUE(b.ganReal.defined() && b.ganFake.defined() && b.adversarial.defined());
        EXPECT_EQ(b.ganFake.sizes(), src.target.sizes());
        EXPECT_NEAR(b.src.image.item<double>(), a.src.image.item<double>(), 1e-6);
        const double added = b.src.total.item<double>() - a.src.total.item<double>();
        EXPECT_NEAR(added, 0.5 * 3 * b.adversarial.item<double>(), 1e-4);
        EXPECT_NEAR(b.src.perSample.sum().item<double>(), b.src.total.item<double>(), 1e-4);
        EXPECT_NEAR(b.dst.total.item<double>(), a.dst.total.item<double>(), 1e-6);
        bool discriminatorGotGradients = false;
        for (const auto& p : d->parameters()) discriminatorGotGradients |= p.grad().defined();
        EXPECT_TRUE(discriminatorGotGradients);  // through the adversarial term
        adversarialSums.push_back(b.adversarial.item<double>());
    }
    EXPECT_NEAR(adversarialSums[0], adversarialSums[1], 1e-5);
}

TEST(PatchDiscriminator, RoundTripsThroughACheckpoint) {
    const auto dir = test::scratchDir("checkpoint_discriminator");
    SaehdModel model(tinyConfig());
    CheckpointState state;
    state.options = TrainOptions::fromJson({{"archi", "df-ud"}, {"resolution", 64}}).toJson();
    state.iteration = 3;
    PatchDiscriminator d(64);
    auto optimizer = makeOptimizer(d->parameters(), OptimizerOptions{});
    const auto [sharp, blurred] = sharpAndBlurred(2, 64, 6);
    optimizer->zero_grad();
    discriminatorLoss(d, sharp, blurred).backward();
    optimizer->step();  // moments exist
    Checkpoint::save(dir, model, nullptr, state, 1, {d.get(), optimizer.get()});

    PatchDiscriminator loaded(64);
    auto loadedOptimizer = makeOptimizer(loaded->parameters(), OptimizerOptions{});
    SaehdModel modelAgain(tinyConfig());
    const CheckpointState back = Checkpoint::load(dir, modelAgain, nullptr, torch::kCPU,
                                                  {loaded.get(), loadedOptimizer.get()});
    EXPECT_TRUE(back.discriminatorLoaded);
    auto saved = d->named_parameters();
    for (const auto& p : loaded->named_parameters())
        EXPECT_TRUE(torch::equal(p.value(), saved[p.key()])) << p.key();
    // One more step from each gives the same weights: the optimiser state came back too.
    optimizer->zero_grad();
    discriminatorLoss(d, sharp, blurred).backward();
    optimizer->step();
    loadedOptimizer->zero_grad();
    discriminatorLoss(loaded, sharp, blurred).backward();
    loadedOptimizer->step();
    for (const auto& p : loaded->named_parameters())
        EXPECT_TRUE(torch::equal(p.value(), saved[p.key()])) << p.key();

    // A model saved without a GAN leaves a new discriminator as it is.
    Checkpoint::save(dir, model, nullptr, state, 1);
    PatchDiscriminator fresh(64);
    EXPECT_FALSE(Checkpoint::load(dir, modelAgain, nullptr, torch::kCPU, {fresh.get(), nullptr})
                     .discriminatorLoaded);
}

TEST(PatchDiscriminator, LayoutTableMatchesTheNetworkAndCountsInTheMemoryEstimate) {
    for (int resolution : {64, 96, 128, 256, 512}) {
        PatchDiscriminator d(resolution);
        int64_t count = 0;
        for (const auto& p : d->parameters()) count += p.numel();
        EXPECT_EQ(PatchDiscriminatorLayout::parameters(resolution), count) << resolution;
    }
    TrainOptions options = TrainOptions::fromJson({{"archi", "df-ud"}, {"resolution", 128}});
    const auto without = MemoryEstimate::compute(options, 10'000'000, false, 10, 10, 128);
    options.ganPower = 0.1;
    const auto with = MemoryEstimate::compute(options, 10'000'000, false, 10, 10, 128);
    EXPECT_GT(with.parameterBytes, without.parameterBytes);
    EXPECT_GT(with.activationBytes, without.activationBytes);
}
