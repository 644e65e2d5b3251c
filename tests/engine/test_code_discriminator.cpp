// True face (true_face_power): the code discriminator's shape and size; it learns to tell two
// code distributions apart; in the step its term joins the destination loss exactly (both paths)
// and reaches the shared encoder; LIAE takes no term; it round-trips through a checkpoint.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "TinyTrainingData.h"
#include "models/AdversarialLoss.h"
#include "models/Checkpoint.h"
#include "models/CodeDiscriminator.h"
#include "models/Optimizers.h"
#include "models/TrainOptions.h"
#include "models/TrainStep.h"
#include "support/TestSupport.h"

using namespace doppel;
using namespace doppel::models;
using doppel::test::randomBatch;
using doppel::test::tinyConfig;

TEST(CodeDiscriminator, LogitsPerPositionAndItsParameterCount) {
    CodeDiscriminator d(32);
    EXPECT_EQ(d->forward(torch::randn({2, 32, 8, 8})).sizes(), (std::vector<int64_t>{2, 1, 2, 2}));
    int64_t count = 0;
    for (const auto& p : d->parameters()) count += p.numel();
    EXPECT_EQ(CodeDiscriminatorImpl::parameterCount(32), count);
    EXPECT_EQ(CodeDiscriminatorImpl::parameterCount(512),
              512 * 256 * 16 + 256 * 256 * 16 + 256 * 3 + 1);
}

TEST(CodeDiscriminator, LearnsToTellTwoCodeDistributionsApart) {
    torch::manual_seed(2);
    CodeDiscriminator d(16);
    torch::optim::Adam optimizer(d->parameters(), torch::optim::AdamOptions(1e-3));
    auto codes = [](double shift) { return torch::randn({16, 16, 8, 8}) * 0.5 + shift; };
    const double first =
        discriminatorLossFromLogits(d->forward(codes(0.3)), d->forward(codes(-0.3)))
            .item<double>() /
        16;
    for (int i = 0; i < 40; ++i) {
        optimizer.zero_grad();
        discriminatorLossFromLogits(d->forward(codes(0.3)), d->forward(codes(-0.3))).backward();
        optimizer.step();
    }
    torch::NoGradGuard noGrad;
    const double last = discriminatorLossFromLogits(d->forward(codes(0.3)), d->forward(codes(-0.3)))
                            .item<double>() /
                        16;
    EXPECT_LT(last, 0.5 * first) << first << " -> " << last;
}

TEST(CodeDiscriminator, ItsTermJoinsTheDestinationLossInBothStepPaths) {
    test::ThreadsScope threads(2);
    const AugmentedBatch src = randomBatch(3, 11), dst = randomBatch(3, 12);
    torch::manual_seed(4);
    CodeDiscriminator d(32);  // tinyConfig's ae_dims
    for (bool sideBySide : {true, false}) {
        SCOPED_TRACE(sideBySide ? "side by side" : "sequential");
        const auto run = test::runPlainAndWith(sideBySide, src, dst, [&](StepSettings& s) {
            s.codeDiscriminator = d;
            s.trueFacePower = 0.5;
        });
        const StepLosses &a = run.plain, &b = run.with;
        EXPECT_EQ(run.withRanSideBySide, sideBySide);
        ASSERT_TRUE(a.finite && b.finite);
        ASSERT_TRUE(b.trueFace.defined() && b.codeSrc.defined() && b.codeDst.defined());
        EXPECT_EQ(b.codeSrc.size(0), 3);
        EXPECT_NEAR(b.dst.image.item<double>(), a.dst.image.item<double>(), 1e-6);
        EXPECT_NEAR(b.dst.total.item<double>() - a.dst.total.item<double>(),
                    0.5 * 3 * b.trueFace.item<double>(), 1e-4);
        EXPECT_NEAR(b.src.total.item<double>(), a.src.total.item<double>(), 1e-6);
        // The term reaches the shared encoder (its gradient differs from the plain step's).
        auto plainParameters = run.plainModel->named_parameters();
        double difference = 0;
        for (const auto& p : run.withModel->named_parameters())
            if (p.key().rfind("encoder.", 0) == 0)
                difference +=
                    (p.value().grad() - plainParameters[p.key()].grad()).abs().sum().item<double>();
        EXPECT_GT(difference, 0.0);
    }
    {
        SCOPED_TRACE("LIAE: one decoder, no shared code, no term");
        SaehdModel liae(tinyConfig("liae-ud"));
        StepSettings settings;
        settings.loss.resolution = 64;
        settings.codeDiscriminator = d;
        settings.trueFacePower = 0.5;
        TrainStep step(settings);
        const StepLosses losses = step.run(liae, src, dst);
        EXPECT_TRUE(losses.finite);
        EXPECT_FALSE(losses.trueFace.defined());
    }
}

TEST(CodeDiscriminator, RoundTripsThroughACheckpoint) {
    const auto dir = test::scratchDir("checkpoint_code_discriminator");
    SaehdModel model(tinyConfig());
    CheckpointState state;
    state.options = TrainOptions::fromJson({{"archi", "df-ud"}, {"resolution", 64}}).toJson();
    state.iteration = 4;
    CodeDiscriminator d(32);
    auto optimizer = makeOptimizer(d->parameters(), OptimizerOptions{});
    DiscriminatorParts parts;
    parts.codeModule = d.get();
    parts.codeOptimizer = optimizer.get();
    Checkpoint::save(dir, model, nullptr, state, 1, parts);

    CodeDiscriminator loaded(32);
    DiscriminatorParts into;
    into.codeModule = loaded.get();
    SaehdModel again(tinyConfig());
    const CheckpointState back = Checkpoint::load(dir, again, nullptr, torch::kCPU, into);
    EXPECT_TRUE(back.codeDiscriminatorLoaded);
    EXPECT_FALSE(back.discriminatorLoaded);
    auto saved = d->named_parameters();
    for (const auto& p : loaded->named_parameters())
        EXPECT_TRUE(torch::equal(p.value(), saved[p.key()])) << p.key();
}
