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
    bool lrDropout = false;  ///< keep each element's update with p 0.3
};

/// DeepFaceLab's AdaBelief: m = b1 m + (1-b1) g; v = b2 v + (1-b2) (g - m)^2 (with the new m);
/// w -= lr m / (sqrt(v) + eps); no bias correction; DFL's eps is 1e-6 (float32 resolution).
/// lr_dropout < 1 keeps each element's update with that probability; lr_cos_period > 0 scales
/// lr by (cos(2 pi step / period) + 1) / 2 (DFL pairs it with lr dropout, period 500).
struct AdaBeliefOptions : public torch::optim::OptimizerCloneableOptions<AdaBeliefOptions> {
    AdaBeliefOptions(double lr = 5e-5);  // NOLINT(google-explicit-constructor): like AdamOptions
    TORCH_ARG(double, lr) = 5e-5;
    TORCH_ARG(double, beta1) = 0.9;
    TORCH_ARG(double, beta2) = 0.999;
    TORCH_ARG(double, eps) = 1e-6;
    TORCH_ARG(double, lr_dropout) = 1.0;
    TORCH_ARG(int64_t, lr_cos_period) = 0;

  public:
    void serialize(torch::serialize::InputArchive& archive) override;
    void serialize(torch::serialize::OutputArchive& archive) const override;
    double get_lr() const override { return lr(); }
    void set_lr(const double value) override { lr(value); }
};

struct AdaBeliefParamState
    : public torch::optim::OptimizerCloneableParamState<AdaBeliefParamState> {
    TORCH_ARG(int64_t, step) = 0;
    TORCH_ARG(torch::Tensor, exp_avg);         ///< m
    TORCH_ARG(torch::Tensor, exp_avg_belief);  ///< v (variance of g around m)

  public:
    void serialize(torch::serialize::InputArchive& archive) override;
    void serialize(torch::serialize::OutputArchive& archive) const override;
};

/// A real torch optimiser: param groups, zero_grad, and state that torch::save / torch::load
/// round-trip. On CPU the update is one fused pass over each parameter (the memory-bound part
/// of an iteration); elsewhere it runs as tensor ops.
class AdaBelief : public torch::optim::Optimizer {
  public:
    explicit AdaBelief(std::vector<torch::optim::OptimizerParamGroup> groups,
                       AdaBeliefOptions defaults = {});
    explicit AdaBelief(std::vector<torch::Tensor> params, AdaBeliefOptions defaults = {})
        : AdaBelief({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

    torch::Tensor step(LossClosure closure = nullptr) override;
    void save(torch::serialize::OutputArchive& archive) const override;
    void load(torch::serialize::InputArchive& archive) override;
};

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(std::vector<torch::Tensor> params,
                                                       const OptimizerOptions& options);
/// Drops every gradient (like Python's zero_grad(set_to_none=True)): backward then writes the
/// fresh gradient instead of adding it to a zeroed buffer, saving two passes over all weights.
void clearGradients(torch::optim::Optimizer& optimizer);
/// Changes the learning rate of every parameter group (rollback lowers it).
void setLearningRate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace doppel::models
