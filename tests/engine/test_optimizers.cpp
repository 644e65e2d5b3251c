// Optimisers: AdaBelief's update rule (fused CPU path and tensor path), its state round trip
// through torch::save / torch::load, the factory, learning rate changes, lr dropout, and that
// every kind lowers a loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "common/Error.h"
#include "models/Optimizers.h"
#include "support/TestSupport.h"

using doppel::models::AdaBelief;
using doppel::models::AdaBeliefOptions;
using doppel::models::makeOptimizer;
using doppel::models::OptimizerOptions;

namespace {

/// DeepFaceLab's AdaBelief written out in doubles, for comparison.
struct ReferenceAdaBelief {
    std::vector<double> w, m, v;
    double lr, b1 = 0.9, b2 = 0.999, eps = 1e-6;
    void step(const std::vector<double>& g) {
        for (size_t i = 0; i < w.size(); ++i) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            const double d = g[i] - m[i];
            v[i] = b2 * v[i] + (1 - b2) * d * d;
            w[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
        }
    }
};

std::vector<double> toVector(const torch::Tensor& t) {
    auto c = t.contiguous().to(torch::kFloat64);
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void checkAgainstReference(torch::Tensor param) {
    ReferenceAdaBelief ref;
    ref.w = toVector(param);
    ref.m.assign(ref.w.size(), 0);
    ref.v.assign(ref.w.size(), 0);
    ref.lr = 1e-2;
    AdaBelief optimizer(std::vector<torch::Tensor>{param}, AdaBeliefOptions(1e-2));
    for (int step = 0; step < 4; ++step) {
        // Loss sum(w^3 / 3 + w): gradient w^2 + 1, changes with w.
        doppel::models::clearGradients(optimizer);
        (param.pow(3) / 3 + param).sum().backward();
        ref.step(toVector(param.grad()));
        optimizer.step();
        auto got = toVector(param.detach());
        for (size_t i = 0; i < got.size(); ++i)
            ASSERT_NEAR(got[i], ref.w[i], 5e-6) << "step " << step << " i " << i;
    }
}

}  // namespace

TEST(Optimizers, AdaBeliefFollowsDeepFaceLabsRuleOnTheFusedPath) {
    torch::manual_seed(1);
    checkAgainstReference(torch::randn({5, 7}).requires_grad_(true));
}

TEST(Optimizers, AdaBeliefFollowsDeepFaceLabsRuleOnChannelsLastWeights) {
    torch::manual_seed(4);
    // Dense but not contiguous (NHWC conv weights): the fused pass runs in memory order.
    auto param = torch::randn({4, 3, 2, 5}).contiguous(at::MemoryFormat::ChannelsLast);
    ASSERT_FALSE(param.is_contiguous());
    checkAgainstReference(param.requires_grad_(true));
}

TEST(Optimizers, AdaBeliefFollowsDeepFaceLabsRuleOnTheTensorPath) {
    torch::manual_seed(2);
    // Every other column: a leaf with gaps in memory takes the generic tensor-op path.
    auto param = torch::randn({7, 10}).slice(1, 0, 10, 2).detach().requires_grad_(true);
    ASSERT_FALSE(param.is_non_overlapping_and_dense());
    checkAgainstReference(param);
}

TEST(Optimizers, AdaBeliefStateRoundTripsThroughTorchSave) {
    torch::manual_seed(3);
    auto makeNet = [] {
        return torch::nn::Sequential(torch::nn::Linear(6, 8), torch::nn::Tanh(),
                                     torch::nn::Linear(8, 2));
    };
    auto net = makeNet();
    auto x = torch::randn({16, 6});
    auto y = torch::randn({16, 2});
    auto train = [&](torch::nn::Sequential& model, torch::optim::Optimizer& opt) {
        doppel::models::clearGradients(opt);
        torch::mse_loss(model->forward(x), y).backward();
        opt.step();
    };
    auto optimizer = makeOptimizer(net->parameters(), OptimizerOptions{"adabelief", 1e-2});
    for (int i = 0; i < 3; ++i) train(net, *optimizer);

    const auto dir = doppel::test::scratchDir("optimizers_round_trip");
    torch::save(net, (dir / "net.pt").string());
    torch::save(*optimizer, (dir / "opt.pt").string());

    auto restored = makeNet();
    torch::load(restored, (dir / "net.pt").string());
    auto restoredOptimizer =
        makeOptimizer(restored->parameters(), OptimizerOptions{"adabelief", 5e-5});
    torch::load(*restoredOptimizer, (dir / "opt.pt").string());
    // The learning rate came back with the state.
    EXPECT_DOUBLE_EQ(restoredOptimizer->param_groups()[0].options().get_lr(), 1e-2);

    for (int i = 0; i < 2; ++i) {
        train(net, *optimizer);
        train(restored, *restoredOptimizer);
    }
    auto a = net->parameters(), b = restored->parameters();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

    // A fresh optimiser (no state) takes a different step: the state mattered.
    auto fresh = makeNet();
    torch::load(fresh, (dir / "net.pt").string());
    auto freshOptimizer = makeOptimizer(fresh->parameters(), OptimizerOptions{"adabelief", 1e-2});
    for (int i = 0; i < 2; ++i) train(fresh, *freshOptimizer);
    EXPECT_FALSE(torch::equal(fresh->parameters()[0], net->parameters()[0]));
}

TEST(Optimizers, EveryKindLowersTheLoss) {
    for (const char* kind : {"adabelief", "adam", "rmsprop"}) {
        torch::manual_seed(4);
        auto w = torch::randn({32}).requires_grad_(true);
        auto target = torch::randn({32});
        auto optimizer = makeOptimizer({w}, OptimizerOptions{kind, 1e-2});
        auto loss = [&] { return (w - target).square().mean(); };
        const float first = loss().item<float>();
        for (int i = 0; i < 50; ++i) {
            doppel::models::clearGradients(*optimizer);
            loss().backward();
            optimizer->step();
        }
        EXPECT_LT(loss().item<float>(), first * 0.9f) << kind;
    }
}

TEST(Optimizers, FactoryRejectsUnknownKindsAndBadRates) {
    auto w = torch::zeros({3}).requires_grad_(true);
    EXPECT_THROW(makeOptimizer({w}, OptimizerOptions{"sgd"}), doppel::Error);
    EXPECT_THROW(makeOptimizer({w}, OptimizerOptions{"adam", -1.0}), doppel::Error);
    EXPECT_NE(dynamic_cast<AdaBelief*>(makeOptimizer({w}, OptimizerOptions{}).get()),
              nullptr);  // default
}

TEST(Optimizers, SetLearningRateChangesEveryGroup) {
    auto w = torch::zeros({3}).requires_grad_(true);
    for (const char* kind : {"adabelief", "adam", "rmsprop"}) {
        auto optimizer = makeOptimizer({w}, OptimizerOptions{kind});
        EXPECT_DOUBLE_EQ(optimizer->param_groups()[0].options().get_lr(), 5e-5) << kind;
        doppel::models::setLearningRate(*optimizer, 1e-5);
        EXPECT_DOUBLE_EQ(optimizer->param_groups()[0].options().get_lr(), 1e-5) << kind;
    }
}

TEST(Optimizers, LrDropoutKeepsAboutThirtyPercentOfUpdates) {
    for (const char* kind : {"adabelief", "adam"}) {
        torch::manual_seed(5);
        auto w = torch::zeros({20000}).requires_grad_(true);
        OptimizerOptions options{kind, 1e-2};
        options.lrDropout = true;
        auto optimizer = makeOptimizer({w}, options);
        doppel::models::clearGradients(*optimizer);
        (w * torch::randn({20000})).sum().backward();
        optimizer->step();
        const double changed = (w.detach() != 0).to(torch::kFloat64).mean().item<double>();
        EXPECT_NEAR(changed, 0.3, 0.03) << kind;
    }
}
