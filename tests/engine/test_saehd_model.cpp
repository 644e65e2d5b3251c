// SAEHD networks: parameter counts and analytic FLOPs against the peer benchmark's figures,
// output shapes per archi, initialisation, configuration checks, and that training lowers the loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "common/Error.h"
#include "models/Optimizers.h"
#include "models/SaehdLoss.h"
#include "models/SaehdModel.h"

using doppel::models::ModelConfig;
using doppel::models::SaehdModel;

namespace {

ModelConfig tinyConfig(const std::string& archi, int res) {
    ModelConfig c;
    c.archi = archi;
    c.resolution = res;
    c.aeDims = 32;
    c.eDims = 8;
    c.dDims = 8;
    c.dMaskDims = 4;
    return c;
}

}  // namespace

TEST(SaehdModel, DefaultsAreDeepFaceLabs) {
    ModelConfig c;
    EXPECT_EQ(c.archi, "liae-ud");
    EXPECT_EQ(c.resolution, 128);
    EXPECT_EQ(c.aeDims, 256);
    EXPECT_EQ(c.eDims, 64);
    EXPECT_EQ(c.dDims, 64);
    EXPECT_EQ(c.dMaskDims, 22);
    EXPECT_TRUE(c.isLiae());
    EXPECT_TRUE(c.usePixelNorm());
    EXPECT_TRUE(c.halfResDecoder());
}

// Figures from `saehd_ref.py --param-table` (res 128, default dims).
TEST(SaehdModel, ParameterCountsAndFlopsMatchReference) {
    torch::NoGradGuard noGrad;
    struct Row {
        const char* archi;
        int64_t params;
        double tflopBatch8;
    };
    const Row rows[] = {{"df", 57538432, 2.663},
                        {"liae", 94963328, 3.205},
                        {"df-ud", 54470998, 0.731},
                        {"liae-ud", 82376555, 0.867}};
    for (const auto& row : rows) {
        ModelConfig c;
        c.archi = row.archi;
        SaehdModel model(c);
        EXPECT_EQ(model->parameterCount(), row.params) << row.archi;
        EXPECT_NEAR(model->flopsPerIteration(8) / 1e12, row.tflopBatch8, 0.0015) << row.archi;
        // Work is linear in the batch.
        EXPECT_NEAR(model->flopsPerIteration(16), 2 * model->flopsPerIteration(8), 1e3)
            << row.archi;
    }
}

TEST(SaehdModel, OutputShapesForEveryArchi) {
    torch::NoGradGuard noGrad;
    for (const char* archi :
         {"df", "liae", "df-u", "liae-u", "df-d", "liae-d", "df-ud", "liae-ud"}) {
        for (int res : {64, 96}) {
            SaehdModel model(tinyConfig(archi, res));
            auto src = torch::rand({2, 3, res, res});
            auto dst = torch::rand({3, 3, res, res});
            auto [s, d] = model->reconstruct(src, dst);
            EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{2, 3, res, res}))
                << archi << " " << res;
            EXPECT_EQ(s.mask.sizes(), (std::vector<int64_t>{2, 1, res, res}))
                << archi << " " << res;
            EXPECT_EQ(d.image.sizes(), (std::vector<int64_t>{3, 3, res, res}))
                << archi << " " << res;
            EXPECT_EQ(d.mask.sizes(), (std::vector<int64_t>{3, 1, res, res}))
                << archi << " " << res;
            auto swapped = model->swap(dst);
            EXPECT_EQ(swapped.image.sizes(), (std::vector<int64_t>{3, 3, res, res})) << archi;
            EXPECT_EQ(swapped.mask.sizes(), (std::vector<int64_t>{3, 1, res, res})) << archi;
            EXPECT_GE(s.image.min().item<float>(), 0.0f);
            EXPECT_LE(s.image.max().item<float>(), 1.0f);
            // The fused training forward is the same maths as the separate dst path.
            auto dstOnly = model->reconstructDst(dst);
            EXPECT_TRUE(torch::allclose(dstOnly.image, d.image, 1e-5, 1e-6)) << archi;
            EXPECT_TRUE(torch::allclose(dstOnly.mask, d.mask, 1e-5, 1e-6)) << archi;
        }
    }
}

TEST(SaehdModel, SwapUsesTheSourceDecoder) {
    torch::NoGradGuard noGrad;
    SaehdModel model(tinyConfig("df", 64));
    auto faces = torch::rand({2, 3, 64, 64});
    auto [s, d] = model->reconstruct(faces, faces);
    auto swapped = model->swap(faces);
    // With the same input, the swap is the src reconstruction and differs from the dst one.
    EXPECT_TRUE(torch::allclose(swapped.image, s.image, 1e-5, 1e-6));
    EXPECT_FALSE(torch::allclose(swapped.image, d.image, 1e-3, 1e-4));
}

TEST(SaehdModel, GlorotWeightsZeroBiases) {
    torch::manual_seed(3);
    SaehdModel model(tinyConfig("liae-ud", 64));
    int checked = 0;
    for (const auto& named : model->named_parameters()) {
        const auto& name = named.key();
        const auto& t = named.value();
        if (name.size() > 4 && name.substr(name.size() - 4) == "bias") {
            EXPECT_EQ(t.abs().max().item<float>(), 0.0f) << name;
            continue;
        }
        // xavier_uniform bound sqrt(6 / (fan_in + fan_out)).
        const int64_t receptive = t.dim() > 2 ? t[0][0].numel() : 1;
        const double fanIn = double(t.size(1)) * receptive, fanOut = double(t.size(0)) * receptive;
        const double bound = std::sqrt(6.0 / (fanIn + fanOut));
        EXPECT_LE(t.abs().max().item<double>(), bound * 1.0001) << name;
        // The largest of n uniform draws stays under half the bound with probability 0.5^n:
        // only tensors large enough for that to be negligible are checked from below.
        if (t.numel() >= 64) EXPECT_GT(t.abs().max().item<double>(), bound * 0.5) << name;
        ++checked;
    }
    EXPECT_GT(checked, 20);
    // Every submodule is registered: named children include the LIAE parts.
    std::vector<std::string> children;
    for (const auto& c : model->named_children()) children.push_back(c.key());
    EXPECT_EQ(children, (std::vector<std::string>{"encoder", "inter_AB", "inter_B", "decoder"}));
}

TEST(SaehdModel, RejectsBadConfigurations) {
    auto expectBad = [](ModelConfig c) {
        try {
            c.validate();
            ADD_FAILURE() << c.archi << " res " << c.resolution << " accepted";
        } catch (const doppel::Error& e) {
            EXPECT_EQ(e.code(), doppel::ErrorCode::BadOption);
            EXPECT_FALSE(std::string(e.what()).empty());
        }
    };
    expectBad(tinyConfig("df-d", 80));  // -d needs a multiple of 32
    expectBad(tinyConfig("df", 72));    // multiple of 16
    expectBad(tinyConfig("df", 48));    // below 64
    expectBad(tinyConfig("df", 528));   // above 512
    expectBad(tinyConfig("dfx", 64));
    expectBad(tinyConfig("liae-t", 64));  // DFL's -t/-c are not implemented
    expectBad(tinyConfig("df-", 64));
    auto zeroDims = tinyConfig("df", 64);
    zeroDims.aeDims = 0;
    expectBad(zeroDims);
    EXPECT_NO_THROW(tinyConfig("LIAE-UD", 96).validate());
    EXPECT_NO_THROW(tinyConfig("df", 80).validate());
    EXPECT_THROW(SaehdModel(tinyConfig("df-d", 80)), doppel::Error);
}

TEST(SaehdModel, FewOptimisationStepsLowerTheLoss) {
    torch::manual_seed(3);
    SaehdModel model(tinyConfig("df", 64));
    auto optimizer = doppel::models::makeOptimizer(model->parameters(), {"adabelief", 1e-3});
    auto src = torch::rand({4, 3, 64, 64});
    auto dst = torch::rand({4, 3, 64, 64});
    auto mask = torch::zeros({4, 1, 64, 64});
    mask.slice(2, 12, 52).slice(3, 12, 52).fill_(1.0);
    doppel::models::LossOptions lossOptions;
    lossOptions.resolution = 64;
    auto lossOf = [&] {
        auto [s, d] = model->reconstruct(src, dst);
        return doppel::models::saehdLoss(src, s.image, mask, s.mask, {}, lossOptions).total +
               doppel::models::saehdLoss(dst, d.image, mask, d.mask, {}, lossOptions).total;
    };
    const float first = lossOf().item<float>();
    for (int i = 0; i < 15; ++i) {
        doppel::models::clearGradients(*optimizer);
        lossOf().backward();
        optimizer->step();
    }
    const float last = lossOf().item<float>();
    EXPECT_LT(last, first * 0.8f) << "first " << first << " last " << last;
}
