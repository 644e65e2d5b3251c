#include "models/TrainStep.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <cmath>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "models/AdversarialLoss.h"
#include "models/OpenMpThreads.h"

namespace doppel::models {
namespace {

// Sets this thread's intra-op thread count for the scope, then restores it.
class ThisThreadThreads {
  public:
    explicit ThisThreadThreads(int threads) : runtime_(OpenMpThreads::instance()) {
        previous_ = runtime_.get();
        runtime_.set(threads);
    }
    ~ThisThreadThreads() { runtime_.set(previous_); }
    ThisThreadThreads(const ThisThreadThreads&) = delete;
    ThisThreadThreads& operator=(const ThisThreadThreads&) = delete;

  private:
    const OpenMpThreads& runtime_;
    int previous_ = 1;
};

torch::Tensor asInput(const torch::Tensor& t, const StepSettings& s) {
    return s.channelsLast ? t.contiguous(at::MemoryFormat::ChannelsLast) : t;
}

bool isFinite(const torch::Tensor& scalar) {
    return std::isfinite(scalar.item<double>());
}

void backwardScaled(const torch::Tensor& total, double lossScale) {
    (lossScale != 1.0 ? total * lossScale : total).backward();
}

// The source side's GAN term (a discriminator is set): the discriminator judges the
// reconstruction as the loss sees it (inside the soft mask with masked training); the term is
// added to `terms`, and what the discriminator's own step needs is kept in `out`.
void addAdversarialTerm(LossTerms& terms, const torch::Tensor& reconstruction,
                        const AugmentedBatch& batch, const StepSettings& s, StepLosses& out) {
    torch::Tensor real = batch.target, fake = reconstruction;
    if (s.loss.maskedTraining) {
        const torch::Tensor weight = softTrainingMask(batch.mask, s.loss.resolution);
        real = real * weight;
        fake = fake * weight;
    }
    PatchDiscriminator discriminator = s.discriminator;
    const torch::Tensor adversarial = generatorAdversarialLoss(discriminator, fake);
    terms.total = terms.total + s.ganPower * adversarial.sum();
    terms.perSample = terms.perSample + s.ganPower * adversarial.detach();
    out.adversarial = adversarial.detach().mean();
    out.ganReal = real.detach();
    out.ganFake = fake.detach();
}

// The destination side's true-face term (a code discriminator is set): the destination codes
// should pass for source codes. Added to `terms`; the term's batch mean is kept in `out`.
void addTrueFaceTerm(LossTerms& terms, const torch::Tensor& dstCode, const StepSettings& s,
                     StepLosses& out) {
    CodeDiscriminator discriminator = s.codeDiscriminator;
    const torch::Tensor term = generatorTermFromLogits(discriminator->forward(dstCode));
    terms.total = terms.total + s.trueFacePower * term.sum();
    terms.perSample = terms.perSample + s.trueFacePower * term.detach();
    out.trueFace = term.detach().mean();
}

// The source side's face- and background-style terms (a style power is on): the swap should
// carry the destination's colour and light inside the face and its background outside. They
// train the source decoder and, through the destination codes, the shared encoder and inter.
void addStyleTerms(LossTerms& terms, const torch::Tensor& swap, const AugmentedBatch& dst,
                   const StepSettings& s, StepLosses& out) {
    const StyleTerms style = styleTerms(swap, dst.target, dst.mask, s.loss);
    terms.total = terms.total + style.perSample.sum();
    terms.perSample = terms.perSample + style.perSample.detach();
    if (style.face.defined()) out.faceStyle = style.face.detach().mean();
    if (style.background.defined()) out.bgStyle = style.background.detach().mean();
}

// One decoder, its loss (with the GAN term on the source side, the true-face term on the
// destination side, when enabled) and, when finite, its backward, with `threads` threads.
LossTerms decoderBranch(SaehdModel& model, bool srcSide, const torch::Tensor& code,
                        const AugmentedBatch& batch, const StepSettings& s, double lossScale,
                        int threads, StepLosses& out) {
    ThisThreadThreads scope(threads);
    Decoded decoded = srcSide ? model->decodeSrc(code) : model->decodeDst(code);
    LossTerms terms =
        saehdLoss(batch.target, decoded.image, batch.mask, decoded.mask, batch.eyesMouth, s.loss);
    if (srcSide && s.discriminator) addAdversarialTerm(terms, decoded.image, batch, s, out);
    if (!srcSide && s.codeDiscriminator) addTrueFaceTerm(terms, code, s, out);
    if (isFinite(terms.total)) backwardScaled(terms.total, lossScale);
    return terms;
}

}  // namespace

bool decodersSideBySideApplies(const SaehdModel& model, torch::Device device, int threads) {
    return device.is_cpu() && threads >= 2 && model->hasTwoDecoders() &&
           OpenMpThreads::instance().available();
}

// A long-lived thread that runs one task at a time: the second decoder runs here every
// iteration, so OpenMP and ATen initialise this thread once, not once per iteration.
class TrainStep::Helper {
  public:
    Helper() : thread_([this] { loop(); }) {}
    ~Helper() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    std::future<void> post(std::function<void()> work) {
        std::packaged_task<void()> task(std::move(work));
        std::future<void> done = task.get_future();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            task_ = std::move(task);
            pending_ = true;
        }
        wake_.notify_all();
        return done;
    }

  private:
    void loop() {
        for (;;) {
            std::packaged_task<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [this] { return stop_ || pending_; });
                if (!pending_) return;
                task = std::move(task_);
                pending_ = false;
            }
            task();  // an exception reaches the caller through the future
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::packaged_task<void()> task_;
    bool pending_ = false;
    bool stop_ = false;
    std::thread thread_;  // last: starts after the members it uses exist
};

TrainStep::TrainStep(StepSettings settings) : settings_(std::move(settings)) {}
TrainStep::~TrainStep() = default;

StepLosses TrainStep::sideBySide(SaehdModel& model, const AugmentedBatch& src,
                                 const AugmentedBatch& dst, double lossScale) {
    const int threads = at::get_num_threads();
    const int64_t b = src.input.size(0);
    torch::Tensor code =
        model->sharedCode(asInput(src.input, settings_), asInput(dst.input, settings_));
    // Each decoder starts from its own leaf, so the two backward passes share no graph node.
    torch::Tensor codeSrc = code.narrow(0, 0, b).detach().requires_grad_(true);
    torch::Tensor codeDst = code.narrow(0, b, code.size(0) - b).detach().requires_grad_(true);

    if (!helper_) helper_ = std::make_unique<Helper>();
    StepLosses out;
    if (settings_.codeDiscriminator) {
        out.codeSrc = codeSrc.detach();
        out.codeDst = codeDst.detach();
    }
    // Grad mode, the profiler and other thread-local settings follow the work to the helper.
    at::ThreadLocalState callerState;
    std::future<void> dstDone = helper_->post([&, callerState] {
        at::ThreadLocalStateGuard guard(callerState);
        at::get_num_threads();  // lets ATen initialise this thread before the count is changed
        out.dst = decoderBranch(model, false, codeDst, dst, settings_, lossScale, threads / 2, out);
    });
    try {
        out.src = decoderBranch(model, true, codeSrc, src, settings_, lossScale,
                                threads - threads / 2, out);
    } catch (...) {
        dstDone.wait();  // the helper uses this frame's tensors
        throw;
    }
    dstDone.get();
    out.finite = isFinite(out.src.total) && isFinite(out.dst.total);
    if (out.finite)
        code.backward(torch::cat({codeSrc.grad(), codeDst.grad()}, 0));  // encoder and inter
    return out;
}

StepLosses TrainStep::run(SaehdModel& model, const AugmentedBatch& src, const AugmentedBatch& dst,
                          double lossScale) {
    const StepSettings& s = settings_;
    const torch::Device device = src.input.device();
    // The style terms need the swap, which doubles the source decoder's batch: side by side, its
    // thread would have twice the destination's work and the other thread would wait for half
    // the step, so the gain of the two-thread split is gone; they take the sequential path.
    const bool style = s.loss.styleTermsOn();
    lastSideBySide_ = s.decodersSideBySide && !style && s.forwardType == torch::kFloat &&
                      decodersSideBySideApplies(model, device, at::get_num_threads());
    if (lastSideBySide_) return sideBySide(model, src, dst, lossScale);
    std::pair<Decoded, Decoded> recon;
    Decoded swap;        // dst through the source path, when a style term needs it
    torch::Tensor code;  // DF's shared code, when the true-face term needs it
    const bool trueFace = s.codeDiscriminator && model->hasTwoDecoders();
    {
        // Autocast covers the forward pass only; the loss and the optimiser stay in fp32.
        std::optional<AutocastScope> autocast;
        if (s.forwardType != torch::kFloat) autocast.emplace(device, s.forwardType);
        recon = model->reconstruct(asInput(src.input, s), asInput(dst.input, s),
                                   trueFace ? &code : nullptr, style ? &swap : nullptr);
    }
    auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat32); };
    StepLosses out;
    const torch::Tensor srcImage = f32(recon.first.image);
    out.src =
        saehdLoss(src.target, srcImage, src.mask, f32(recon.first.mask), src.eyesMouth, s.loss);
    if (s.discriminator) addAdversarialTerm(out.src, srcImage, src, s, out);
    if (style) addStyleTerms(out.src, f32(swap.image), dst, s, out);
    out.dst = saehdLoss(dst.target, f32(recon.second.image), dst.mask, f32(recon.second.mask),
                        dst.eyesMouth, s.loss);
    if (trueFace) {
        const int64_t b = src.input.size(0);
        const torch::Tensor codeDst = f32(code.narrow(0, b, code.size(0) - b));
        addTrueFaceTerm(out.dst, codeDst, s, out);
        out.codeSrc = f32(code.narrow(0, 0, b)).detach();
        out.codeDst = codeDst.detach();
    }
    torch::Tensor total = out.src.total + out.dst.total;
    out.finite = isFinite(total);
    if (out.finite) backwardScaled(total, lossScale);
    return out;
}

}  // namespace doppel::models
