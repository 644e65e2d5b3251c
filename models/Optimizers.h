#pragma once
// Optimisers: AdaBelief (as DeepFaceLab uses it), Adam, RMSprop; global-norm clipping and
// "lr dropout" are applied by the trainer around step().
#include <torch/torch.h>

#include <memory>
#include <string>

namespace doppel::models {

struct OptimizerOptions {
    std::string kind = "adabelief";  ///< adabelief | adam | rmsprop
    double lr = 5e-5;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-7;
    bool lrDropout = false;          ///< keep each element's update with p 0.3
};

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(std::vector<torch::Tensor> params, const OptimizerOptions& options);
/// Changes the learning rate of every parameter group (rollback lowers it).
void setLearningRate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace doppel::models
