#pragma once
// One training iteration's forward, loss and backward, the same for the trainer and for
// doppel-bench-train (the optimiser step and the bad-step policy stay with the caller).
// Internal to models/.
//
// Decoders side by side: with DF's two decoders on the CPU and two or more threads, the shared
// encoder + inter run on all threads, then the source decoder, its loss and its backward run on
// the calling thread while the destination's run on a helper thread, each with an equal share of
// the threads; the gradient of the shared code then flows back through inter and encoder on all
// threads. The decoders hold nearly all the work, and two one-thread convolutions use two cores
// better than one two-thread convolution split over both (docs/performance.md has the figures);
// eager PyTorch runs independent branches one after the other.
#include <torch/torch.h>

#include <memory>

#include "models/CodeDiscriminator.h"
#include "models/PatchDiscriminator.h"
#include "models/SaehdLoss.h"
#include "models/SaehdModel.h"
#include "models/WarpAugment.h"

namespace doppel::models {

struct StepSettings {
    LossOptions loss;
    /// Autocast dtype for the network forward (CUDA): kBFloat16 / kHalf; kFloat = none.
    torch::ScalarType forwardType = torch::kFloat;
    bool channelsLast = false;  ///< NHWC inputs (with SaehdModel::useChannelsLast)
    /// Run DF's two decoders on separate threads when decodersSideBySideApplies() (CPU) and no
    /// style term is on (loss.styleTermsOn(): those take the sequential path, TrainStep::run).
    bool decodersSideBySide = true;
    /// The GAN (gan_power > 0): the source reconstruction also answers to this discriminator,
    /// with weight `ganPower`, in its loss. Null: no GAN.
    PatchDiscriminator discriminator{nullptr};
    double ganPower = 0;
    /// True face (DF only, true_face_power > 0): the destination codes also answer to this
    /// code discriminator, with weight `trueFacePower`, in the destination loss. Null: off.
    CodeDiscriminator codeDiscriminator{nullptr};
    double trueFacePower = 0;
};

struct StepLosses {
    /// src.total and src.perSample include the GAN term when there is one; src.image does not.
    LossTerms src, dst;
    /// With a discriminator: its term (batch mean, before the gan_power weight), and the real and
    /// reconstructed source faces it saw (masked as the loss masks them, detached) for its step.
    torch::Tensor adversarial, ganReal, ganFake;
    /// With a code discriminator: its term (batch mean, before the weight; in dst.total and
    /// dst.perSample, not dst.image) and the source and destination codes (detached).
    torch::Tensor trueFace, codeSrc, codeDst;
    /// With face_style_power / bg_style_power: each weighted term's batch mean (in src.total and
    /// src.perSample, not src.image); undefined when its power is 0.
    torch::Tensor faceStyle, bgStyle;
    /// Both losses finite; only then were gradients computed (scaled by `lossScale`).
    bool finite = false;
};

/// Whether `model` on `device` with `threads` intra-op threads can run its decoders side by side.
bool decodersSideBySideApplies(const SaehdModel& model, torch::Device device, int threads);

class TrainStep {
  public:
    explicit TrainStep(StepSettings settings);
    ~TrainStep();
    TrainStep(const TrainStep&) = delete;
    TrainStep& operator=(const TrainStep&) = delete;

    /// Forward, loss and (when finite) backward of one iteration; the caller zeroes the
    /// gradients before and steps the optimiser after. Gradients are those of
    /// (src total + dst total) * lossScale.
    StepLosses run(SaehdModel& model, const AugmentedBatch& src, const AugmentedBatch& dst,
                   double lossScale = 1.0);
    /// Whether the last run() took the decoders-side-by-side path.
    bool lastRunSideBySide() const { return lastSideBySide_; }

  private:
    StepLosses sideBySide(SaehdModel& model, const AugmentedBatch& src, const AugmentedBatch& dst,
                          double lossScale);

    class Helper;  // the one long-lived thread for the second decoder
    StepSettings settings_;
    std::unique_ptr<Helper> helper_;
    bool lastSideBySide_ = false;
};

}  // namespace doppel::models
