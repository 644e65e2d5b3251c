// Optimisers for the SAEHD trainer. AdaBelief follows DeepFaceLab's variant (no bias correction,
// eps outside the square root). Its CPU update is one fused, multi-threaded pass per parameter:
// written as tensor ops it is ~8 full passes over ~4 arrays of tens of millions of floats,
// a visible share of a CPU iteration.
#include "models/Optimizers.h"

#include <sstream>
#include <type_traits>

#include <ATen/Parallel.h>

#include <cmath>

#include "common/Error.h"

namespace doppel::models {

namespace {
/// Key of a parameter in torch::optim::Optimizer::state_: LibTorch 1.x keys by the TensorImpl
/// address printed as a string, 2.x by the address itself.
template <class StateMap>
typename StateMap::key_type stateKey(const StateMap&, const torch::Tensor& p) {
    using Key = typename StateMap::key_type;
    if constexpr (std::is_same_v<Key, std::string>) {
        std::ostringstream address;
        address << p.unsafeGetTensorImpl();
        return address.str();
    } else {
        return Key(p.unsafeGetTensorImpl());
    }
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// AdaBelief options and state (serialised like torch's own optimisers, so torch::save/load of
// the optimiser round-trips)

AdaBeliefOptions::AdaBeliefOptions(double lr) : lr_(lr) {}

void AdaBeliefOptions::serialize(torch::serialize::OutputArchive& archive) const {
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta1);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta2);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr_dropout);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr_cos_period);
}

void AdaBeliefOptions::serialize(torch::serialize::InputArchive& archive) {
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta1);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta2);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr_dropout);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, lr_cos_period);
}

void AdaBeliefParamState::serialize(torch::serialize::OutputArchive& archive) const {
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
    _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_belief);
}

void AdaBeliefParamState::serialize(torch::serialize::InputArchive& archive) {
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg);
    _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_belief);
}

// ---------------------------------------------------------------------------------------------
// AdaBelief

namespace {

/// Computed in double, then rounded once, as the tensor path's scalars are.
struct StepConstants {
    float lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps;
    StepConstants(double lr_, double b1, double b2, double eps_)
        : lr(float(lr_)),
          beta1(float(b1)),
          oneMinusBeta1(float(1.0 - b1)),
          beta2(float(b2)),
          oneMinusBeta2(float(1.0 - b2)),
          eps(float(eps_)) {}
};

/// One pass: read g, m, v, w; write m, v, w. Contiguous float32 CPU tensors only.
void fusedAdaBeliefCpu(torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& m,
                       torch::Tensor& v, const StepConstants& k) {
    float* w = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* mp = m.data_ptr<float>();
    float* vp = v.data_ptr<float>();

    at::parallel_for(0, param.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const float mi = k.beta1 * mp[i] + k.oneMinusBeta1 * g[i];
            const float d = g[i] - mi;
            const float vi = k.beta2 * vp[i] + k.oneMinusBeta2 * d * d;
            mp[i] = mi;
            vp[i] = vi;
            // v >= 0 always, so the builtin (no errno path) lets the loop vectorise.
            w[i] -= k.lr * (mi / (__builtin_sqrtf(vi) + k.eps));
        }
    });
}

bool fusable(const torch::Tensor& p, const torch::Tensor& g, const torch::Tensor& m,
             const torch::Tensor& v) {
    // The update is elementwise, so any dense layout works (channels-last weights included) as
    // long as all four tensors lay their elements out the same way.
    auto ok = [&](const torch::Tensor& t) {
        return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 &&
               t.layout() == torch::kStrided && t.is_non_overlapping_and_dense() &&
               t.strides() == p.strides();
    };
    return ok(p) && ok(g) && ok(m) && ok(v);
}

}  // namespace

AdaBelief::AdaBelief(std::vector<torch::optim::OptimizerParamGroup> groups,
                     AdaBeliefOptions defaults)
    : Optimizer(std::move(groups), std::make_unique<AdaBeliefOptions>(defaults)) {
    TORCH_CHECK(defaults.lr() >= 0, "AdaBelief: invalid learning rate ", defaults.lr());
    TORCH_CHECK(defaults.beta1() >= 0 && defaults.beta1() < 1, "AdaBelief: invalid beta1 ",
                defaults.beta1());
    TORCH_CHECK(defaults.beta2() >= 0 && defaults.beta2() < 1, "AdaBelief: invalid beta2 ",
                defaults.beta2());
    TORCH_CHECK(defaults.lr_dropout() > 0 && defaults.lr_dropout() <= 1,
                "AdaBelief: lr_dropout must be in (0, 1]");
}

torch::Tensor AdaBelief::step(LossClosure closure) {
    torch::NoGradGuard noGrad;
    torch::Tensor loss;
    if (closure != nullptr) {
        at::AutoGradMode enableGrad(true);
        loss = closure();
    }
    for (auto& group : param_groups_) {
        const auto& o = static_cast<const AdaBeliefOptions&>(group.options());
        for (auto& p : group.params()) {
            if (!p.grad().defined()) continue;
            const auto& grad = p.grad();
            TORCH_CHECK(!grad.is_sparse(), "AdaBelief does not support sparse gradients");
            auto key = stateKey(state_, p);
            auto it = state_.find(key);
            if (it == state_.end()) {
                auto fresh = std::make_unique<AdaBeliefParamState>();
                fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                fresh->exp_avg_belief(torch::zeros_like(p, torch::MemoryFormat::Preserve));
                it = state_.emplace(key, std::move(fresh)).first;
            }
            auto& st = static_cast<AdaBeliefParamState&>(*it->second);
            double lr = o.lr();
            if (o.lr_cos_period() > 0)
                lr *= (std::cos(double(st.step()) * 2.0 * M_PI / double(o.lr_cos_period())) + 1.0) /
                      2.0;
            st.step(st.step() + 1);
            auto m = st.exp_avg();
            auto v = st.exp_avg_belief();
            if (m.strides() != p.strides() && p.is_non_overlapping_and_dense()) {
                // Moments loaded from a checkpoint come back contiguous: give them the weights'
                // layout once, so the fused pass applies to channels-last weights too.
                m = m.contiguous(p.suggest_memory_format());
                v = v.contiguous(p.suggest_memory_format());
                st.exp_avg(m);
                st.exp_avg_belief(v);
            }
            if (o.lr_dropout() >= 1.0 && fusable(p, grad, m, v)) {
                fusedAdaBeliefCpu(p, grad, m, v, StepConstants(lr, o.beta1(), o.beta2(), o.eps()));
                continue;
            }
            m.mul_(o.beta1()).add_(grad, 1.0 - o.beta1());
            auto diff = grad - m;
            v.mul_(o.beta2()).addcmul_(diff, diff, 1.0 - o.beta2());
            auto update = m / v.sqrt().add_(o.eps());
            if (o.lr_dropout() < 1.0)
                update.mul_(torch::bernoulli(torch::full_like(update, o.lr_dropout())));
            p.add_(update, -lr);
        }
    }
    return loss;
}

void AdaBelief::save(torch::serialize::OutputArchive& archive) const {
    torch::optim::serialize<AdaBeliefParamState, AdaBeliefOptions>(archive, *this);
}

void AdaBelief::load(torch::serialize::InputArchive& archive) {
    torch::optim::serialize<AdaBeliefParamState, AdaBeliefOptions>(archive, *this);
    // torch's helper restores only the per-parameter state; restore the hyper-parameters too
    // (the lr after a rollback, betas, eps, lr dropout) so a resumed run continues exactly.
    torch::serialize::InputArchive groupsArchive;
    archive.read("param_groups", groupsArchive);
    std::vector<
        std::pair<std::vector<std::string>, std::unique_ptr<torch::optim::OptimizerOptions>>>
        saved;
    torch::optim::detail::serialize<AdaBeliefOptions>(groupsArchive, saved);
    for (size_t i = 0; i < saved.size() && i < param_groups_.size(); ++i)
        param_groups_[i].set_options(saved[i].second->clone());
}

// ---------------------------------------------------------------------------------------------
// Adam / RMSprop with optional lr dropout

namespace {

/// lr dropout for torch's own optimisers: keep each element's update with probability p by
/// undoing the rest after the base step. Serialisation is the base class's.
template <typename Base>
class WithLrDropout : public Base {
  public:
    template <typename Options>
    WithLrDropout(std::vector<torch::Tensor> params, Options options, double keep)
        : Base(std::move(params), options), keep_(keep) {}

    torch::Tensor step(torch::optim::Optimizer::LossClosure closure = nullptr) override {
        std::vector<torch::Tensor> before;
        {
            torch::NoGradGuard noGrad;
            for (auto& group : this->param_groups())
                for (auto& p : group.params()) before.push_back(p.detach().clone());
        }
        auto loss = Base::step(closure);
        torch::NoGradGuard noGrad;
        size_t i = 0;
        for (auto& group : this->param_groups()) {
            for (auto& p : group.params()) {
                auto& old = before[i++];
                auto keepMask = torch::bernoulli(torch::full_like(p, keep_));
                p.copy_(old + (p - old) * keepMask);
            }
        }
        return loss;
    }

  private:
    double keep_;
};

constexpr double kLrDropoutKeep = 0.3;
constexpr int64_t kLrCosPeriod = 500;

}  // namespace

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(std::vector<torch::Tensor> params,
                                                       const OptimizerOptions& options) {
    if (!(options.lr > 0) || options.lr > 1)
        throw Error(ErrorCode::BadOption,
                    "learning rate " + std::to_string(options.lr) + ": must be in (0, 1]");
    if (options.kind == "adabelief") {
        AdaBeliefOptions o(options.lr);
        o.beta1(options.beta1).beta2(options.beta2).eps(options.eps);
        if (options.lrDropout) o.lr_dropout(kLrDropoutKeep).lr_cos_period(kLrCosPeriod);
        return std::make_unique<AdaBelief>(std::move(params), o);
    }
    if (options.kind == "adam") {
        torch::optim::AdamOptions o(options.lr);
        o.betas({options.beta1, options.beta2}).eps(options.eps);
        if (options.lrDropout)
            return std::make_unique<WithLrDropout<torch::optim::Adam>>(std::move(params), o,
                                                                       kLrDropoutKeep);
        return std::make_unique<torch::optim::Adam>(std::move(params), o);
    }
    if (options.kind == "rmsprop") {
        // Keras's (and so DeepFaceLab's) RMSprop decay rho is 0.9.
        torch::optim::RMSpropOptions o(options.lr);
        o.alpha(0.9).eps(options.eps);
        if (options.lrDropout)
            return std::make_unique<WithLrDropout<torch::optim::RMSprop>>(std::move(params), o,
                                                                          kLrDropoutKeep);
        return std::make_unique<torch::optim::RMSprop>(std::move(params), o);
    }
    throw Error(ErrorCode::BadOption,
                "optimizer '" + options.kind + "': must be adabelief, adam or rmsprop");
}

void clearGradients(torch::optim::Optimizer& optimizer) {
    for (auto& group : optimizer.param_groups())
        for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

void setLearningRate(torch::optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace doppel::models
