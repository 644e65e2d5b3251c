#pragma once
// The optional adversaries of a training run, owned together with their optimisers: the GAN's
// patch discriminator (gan_power > 0) and true face's code discriminator (true_face_power > 0,
// DF only). The trainer builds them from the options, hands them to the step (StepSettings) and
// the checkpoint (DiscriminatorParts), and steps them after the model's own step. Internal to
// models/.
#include <torch/torch.h>

#include <memory>
#include <optional>

#include "models/Checkpoint.h"
#include "models/CodeDiscriminator.h"
#include "models/Optimizers.h"
#include "models/PatchDiscriminator.h"
#include "models/TrainOptions.h"
#include "models/TrainStep.h"

namespace doppel::models {

class Discriminators {
  public:
    /// Builds what `options` switches on, on `device`, with optimisers of the model's kind and
    /// lr (`optimizer`, without lr dropout). `twoDecoders`: the model is DF (true face needs it;
    /// otherwise a warning says it is ignored).
    void build(const TrainOptions& options, bool twoDecoders, const OptimizerOptions& optimizer,
               const torch::Device& device);
    /// Logs which of them start fresh (switched on at resume) after a checkpoint load.
    void reportResume(const TrainOptions& options, const CheckpointState& loaded) const;

    /// Sets the step's discriminator fields.
    void configure(StepSettings& settings, const TrainOptions& options) const;
    /// What the checkpoint saves and loads.
    DiscriminatorParts parts();

    /// After the model's step: each discriminator's own step on what `losses` kept (detached
    /// reals and fakes); a non-finite loss skips it. Returns the patch discriminator's loss per
    /// sample when it stepped (for the progress line).
    std::optional<float> step(const StepLosses& losses);

  private:
    PatchDiscriminator patch_{nullptr};
    std::unique_ptr<torch::optim::Optimizer> patchOptimizer_;
    CodeDiscriminator code_{nullptr};
    std::unique_ptr<torch::optim::Optimizer> codeOptimizer_;
};

}  // namespace doppel::models
