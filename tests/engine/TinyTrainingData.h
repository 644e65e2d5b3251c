#pragma once
// A tiny SAEHD configuration, random training batches and a with/without comparison of one
// training step, for the engine tests that exercise the step (no facesets, no trainer): fast
// enough to run a step in milliseconds.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <functional>
#include <string>

#include "models/SaehdModel.h"
#include "models/TrainStep.h"
#include "models/WarpAugment.h"

namespace doppel::test {

inline models::ModelConfig tinyConfig(const std::string& archi = "df-ud") {
    models::ModelConfig c;
    c.archi = archi;
    c.resolution = 64;
    c.aeDims = 32;
    c.eDims = 8;
    c.dDims = 8;
    c.dMaskDims = 4;
    return c;
}

/// `n` random 64 px samples: input, target, a random binary mask, no eyes/mouth region.
inline models::AugmentedBatch randomBatch(int n, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    models::AugmentedBatch b;
    b.input = torch::rand({n, 3, 64, 64}, gen);
    b.target = torch::rand({n, 3, 64, 64}, gen);
    b.mask = (torch::rand({n, 1, 64, 64}, gen) > 0.3).to(torch::kFloat32);
    b.eyesMouth = torch::zeros({n, 1, 64, 64});
    return b;
}

/// Restores the intra-op thread count a test changes.
struct ThreadsScope {
    int previous = at::get_num_threads();
    explicit ThreadsScope(int threads) { at::set_num_threads(threads); }
    ~ThreadsScope() { at::set_num_threads(previous); }
};

/// One step of two identical tiny DF models (seed 7) on the same batches: `plain` with default
/// settings, `with` after `enable` switched a feature on (a discriminator, ...).
struct PlainAndWith {
    models::SaehdModel plainModel{nullptr}, withModel{nullptr};
    models::StepLosses plain, with;
    bool withRanSideBySide = false;
};

inline PlainAndWith runPlainAndWith(bool sideBySide, const models::AugmentedBatch& src,
                                    const models::AugmentedBatch& dst,
                                    const std::function<void(models::StepSettings&)>& enable) {
    PlainAndWith out;
    torch::manual_seed(7);
    out.plainModel = models::SaehdModel(tinyConfig());
    torch::manual_seed(7);
    out.withModel = models::SaehdModel(tinyConfig());
    models::StepSettings settings;
    settings.loss.resolution = 64;
    settings.decodersSideBySide = sideBySide;
    models::TrainStep plainStep(settings);
    enable(settings);
    models::TrainStep withStep(settings);
    out.plain = plainStep.run(out.plainModel, src, dst);
    out.with = withStep.run(out.withModel, src, dst);
    out.withRanSideBySide = withStep.lastRunSideBySide();
    return out;
}

}  // namespace doppel::test
