#include "models/Discriminators.h"

#include <cmath>

#include "common/Log.h"
#include "models/AdversarialLoss.h"

namespace doppel::models {
namespace {

// Zeroes the gradients the model's backward left on the discriminator, then steps it on
// `loss` when finite; returns the loss.
std::optional<double> stepOn(torch::optim::Optimizer& optimizer,
                             const std::function<torch::Tensor()>& loss) {
    torch::AutoGradMode gradients(true);
    optimizer.zero_grad();
    torch::Tensor value = loss();
    const double scalar = value.item<double>();
    if (!std::isfinite(scalar)) return std::nullopt;
    value.backward();
    optimizer.step();
    return scalar;
}

}  // namespace

void Discriminators::build(const TrainOptions& options, bool twoDecoders,
                           const OptimizerOptions& optimizer, const torch::Device& device) {
    OptimizerOptions own = optimizer;
    own.lrDropout = false;
    if (options.ganPower > 0) {
        patch_ = PatchDiscriminator(options.resolution);
        patch_->to(device);
        patchOptimizer_ = makeOptimizer(patch_->parameters(), own);
    }
    if (options.trueFacePower > 0) {
        if (twoDecoders) {
            code_ = CodeDiscriminator(options.aeDims);
            code_->to(device);
            codeOptimizer_ = makeOptimizer(code_->parameters(), own);
        } else {
            logWarning("true_face_power applies to the DF archis (two decoders); " + options.archi +
                       " trains without it");
        }
    }
}

void Discriminators::reportResume(const TrainOptions& options,
                                  const CheckpointState& loaded) const {
    const std::string at = " starts at iteration " + std::to_string(loaded.iteration);
    if (code_ && !loaded.codeDiscriminatorLoaded)
        logInfo("true_face_power " + nlohmann::json(options.trueFacePower).dump() +
                ": a new code discriminator" + at);
    if (patch_ && !loaded.discriminatorLoaded)
        logInfo("gan_power " + nlohmann::json(options.ganPower).dump() +
                ": a new patch discriminator" + at);
}

void Discriminators::configure(StepSettings& settings, const TrainOptions& options) const {
    settings.discriminator = patch_;
    settings.ganPower = options.ganPower;
    settings.codeDiscriminator = code_;
    settings.trueFacePower = options.trueFacePower;
}

DiscriminatorParts Discriminators::parts() {
    DiscriminatorParts parts;
    if (patch_) {
        parts.module = patch_.get();
        parts.optimizer = patchOptimizer_.get();
    }
    if (code_) {
        parts.codeModule = code_.get();
        parts.codeOptimizer = codeOptimizer_.get();
    }
    return parts;
}

std::optional<float> Discriminators::step(const StepLosses& losses) {
    // True face: source codes are "real", destination codes "fake".
    if (code_ && losses.codeSrc.defined())
        stepOn(*codeOptimizer_, [&] {
            return discriminatorLossFromLogits(code_->forward(losses.codeSrc),
                                               code_->forward(losses.codeDst));
        });
    // The GAN: the real source faces against the reconstructions the model just produced.
    if (!patch_ || !losses.ganReal.defined()) return std::nullopt;
    const std::optional<double> loss = stepOn(*patchOptimizer_, [&] {
        return discriminatorLoss(patch_, losses.ganReal, losses.ganFake);
    });
    if (!loss) return std::nullopt;
    return float(*loss / double(losses.ganReal.size(0)));
}

}  // namespace doppel::models
