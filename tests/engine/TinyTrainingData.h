#pragma once
// A tiny SAEHD configuration and random training batches for the engine tests that exercise one
// training step (no facesets, no trainer): fast enough to run a step in milliseconds.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <string>

#include "models/SaehdModel.h"
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

}  // namespace doppel::test
