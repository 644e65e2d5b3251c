#include "models/TrainingSession.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Version.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "common/Error.h"
#include "common/Log.h"
#include "common/PackedFaceset.h"
#include "models/Optimizers.h"
#include "models/PngWriter.h"
#include "models/PreviewGrid.h"
#include "models/SaehdLoss.h"
#include "models/TensorImages.h"
#include "models/TrainingColorTransfer.h"
#include "models/UniformYaw.h"
#include "models/WarpAugment.h"
#include "models/WinogradConv.h"

namespace fs = std::filesystem;

namespace doppel::models {
namespace {

constexpr int kBadStepsBeforeRollback = 5;
constexpr int kMaxRollbacks = 8;
constexpr int kPreviewFaces = 4;

std::string formatLoss(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", v);
    return b;
}

/// 5e-05, 2.5e-05: std::to_string's six decimals print a halved 5e-5 as 0.000025 and less as 0.
std::string formatLearningRate(double lr) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", lr);
    return b;
}

}  // namespace

std::string TrainingSession::describeDevice(const std::string& wanted, torch::Device* chosen) {
    const bool cudaBuilt = at::show_config().find("USE_CUDA=ON") != std::string::npos;
    const bool cudaPresent = torch::cuda::is_available();
    if (wanted == "cuda" && !cudaPresent)
        throw Error(ErrorCode::InvalidInput,
                    std::string("device=cuda was asked for, but ") +
                        (cudaBuilt ? "no CUDA device is visible"
                                   : "this LibTorch build has no CUDA support") +
                        " (use device=auto or device=cpu)");
    if (cudaPresent && wanted != "cpu") {
        if (chosen) *chosen = torch::Device(torch::kCUDA, 0);
        return "CUDA: device 0 of " + std::to_string(torch::cuda::device_count()) + " visible";
    }
    if (chosen) *chosen = torch::Device(torch::kCPU);
    if (wanted == "cpu") return "CPU: chosen by the device option";
    return std::string("CPU: ") +
           (cudaBuilt ? "no CUDA device found" : "this LibTorch build has no CUDA support");
}

std::string TrainingSession::describeDeviceChoice(const std::string& wanted) {
    try {
        return describeDevice(wanted);
    } catch (const Error& e) {
        return std::string("unavailable: ") + e.what();
    }
}

std::string TrainingSession::useDevice(const std::string& wanted, int threads,
                                       torch::Device* chosen) {
    std::string line = describeDevice(wanted, chosen);
    if (chosen && !chosen->is_cuda()) {
        const int n =
            threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
        torch::set_num_threads(n);
        line += " (" + std::to_string(n) + " threads)";
    }
    return line;
}

TrainingSession::TrainingSession(const TrainRequest& request, ProgressSink& progress,
                                 const CancelToken& cancel, LatestMailbox<TrainingUpdate>* previews,
                                 CommandQueue<TrainerCommand>* commands,
                                 const Trainer::Hooks& hooks)
    : request_(request),
      progress_(progress),
      cancel_(cancel),
      previews_(previews),
      commands_(commands),
      hooks_(hooks) {}

TrainingSession::DeviceFaceset TrainingSession::loadFaceset(const fs::path& dir, const char* side) {
    PackedFaceset set = readPackedFaceset(dir);
    if (set.count() == 0)
        throw Error(ErrorCode::InvalidInput, "packed " + std::string(side) + " faceset in " +
                                                 dir.string() +
                                                 " holds no faces (align and pack some first)");
    DeviceFaceset d;
    d.count = set.count();
    d.resolution = set.resolution;
    d.faceType = set.faceType;
    const int64_t n = d.count, r = set.resolution;
    // Loaded once as uint8; every later iteration only indexes and augments on the device.
    d.faces =
        torch::from_blob(set.faces.data(), {n, r, r, 3}, torch::kUInt8).to(device_, false, true);
    d.masks =
        torch::from_blob(set.masks.data(), {n, r, r, 2}, torch::kUInt8).to(device_, false, true);
    if (options_.uniformYaw) {
        const std::vector<float> yaw = yawFromLandmarks(set.landmarks, n);
        d.yawWeights = uniformYawWeights(yaw).to(device_);
        d.occupiedYawBins = occupiedYawBins(yaw);
    }
    return d;
}

void TrainingSession::resetGenerator() {
    // Seeded from the run seed, the iteration and the rollback count: a resumed or rolled-back run
    // draws fresh batches, and the same seed gives the same run on the CPU.
    uint64_t seed = uint64_t(options_.seed) * 1000003ull + uint64_t(iteration_) +
                    uint64_t(rollbacks_) * 7919ull;
    if (device_.is_cuda()) {
        generator_ = at::globalContext().defaultGenerator(device_);
        generator_->set_current_seed(seed);
    } else {
        generator_ = at::detail::createCPUGenerator(seed);
    }
}

void TrainingSession::buildOrResume() {
    torch::manual_seed(uint64_t(options_.seed));
    model_ = SaehdModel(modelConfigFrom(options_));
    model_->to(device_);
    // Shapes are fixed for a run: let cuDNN time its convolution algorithms once and keep the best.
    if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
    // NHWC: tensor-core convolutions on CUDA; on the CPU oneDNN then reads and writes the maps
    // as they are instead of reordering them to its blocked layout around every convolution.
    if (options_.channelsLast) model_->useChannelsLast();
    setWinogradEnabled(options_.winograd);
    OptimizerOptions oo;
    oo.kind = options_.optimizer;
    oo.lr = options_.lr;
    oo.lrDropout = options_.lrDropout;
    optimizer_ = makeOptimizer(model_->parameters(), oo);
    learningRate_ = options_.lr;
    discriminators_.build(options_, model_->hasTwoDecoders(), oo, device_);

    if (Checkpoint::exists(request_.modelDir)) {
        CheckpointState saved = Checkpoint::readState(request_.modelDir);
        trainOptionSchema().checkResumeChange(saved.options, resolvedOptions_);
        CheckpointState state = Checkpoint::load(request_.modelDir, model_, optimizer_.get(),
                                                 device_, discriminators_.parts());
        iteration_ = state.iteration;
        discriminators_.reportResume(options_, state);
        lossHistory_ = std::move(state.lossHistory);
        // Keep a rollback-lowered lr unless the user asked for a different one now.
        if (saved.options.value("lr", options_.lr) == options_.lr)
            learningRate_ = state.learningRate;
        previewSrc_ = state.extra.value("preview_src", std::vector<int64_t>{});
        previewDst_ = state.extra.value("preview_dst", std::vector<int64_t>{});
        rollbacks_ = state.extra.value("rollbacks", 0);
        logInfo("resuming " + request_.modelDir.string() + " at iteration " +
                std::to_string(iteration_));
    }
    setLearningRate(*optimizer_, learningRate_);
    choosePreviewFaces();
    if (!Checkpoint::exists(request_.modelDir)) save("initial");  // the first rollback target
}

void TrainingSession::choosePreviewFaces() {
    auto valid = [](const std::vector<int64_t>& v, int64_t count) {
        if (v.empty()) return false;
        for (int64_t i : v)
            if (i < 0 || i >= count) return false;
        return true;
    };
    auto pick = [&](int64_t count, uint64_t salt) {
        std::vector<int64_t> all(static_cast<size_t>(count), 0);
        for (int64_t i = 0; i < count; ++i) all[size_t(i)] = i;
        std::mt19937_64 rng(uint64_t(options_.seed) * 31 + salt);
        std::shuffle(all.begin(), all.end(), rng);
        all.resize(size_t(std::min<int64_t>(count, kPreviewFaces)));
        return all;
    };
    // Chosen once with the seed and kept in the checkpoint, so previews stay comparable over a run.
    if (!valid(previewSrc_, src_.count)) previewSrc_ = pick(src_.count, 1);
    if (!valid(previewDst_, dst_.count)) previewDst_ = pick(dst_.count, 2);
}

CheckpointState TrainingSession::checkpointState() const {
    CheckpointState s;
    s.options = resolvedOptions_;
    s.iteration = iteration_;
    s.learningRate = learningRate_;
    s.faceType = src_.faceType;
    s.lossHistory = lossHistory_;
    s.extra = {{"preview_src", previewSrc_},
               {"preview_dst", previewDst_},
               {"rollbacks", rollbacks_},
               {"skipped_steps", skippedSteps_},
               {"device", deviceLine_}};
    return s;
}

void TrainingSession::save(const char* why) {
    fs::path dir;
    try {
        dir = Checkpoint::save(request_.modelDir, model_, optimizer_.get(), checkpointState(),
                               options_.backups, discriminators_.parts());
    } catch (const Error& e) {
        // Say what survives: the user's question after a failed save is whether the model is gone.
        std::string kept = "no earlier checkpoint exists";
        try {
            if (Checkpoint::exists(request_.modelDir))
                kept = "the checkpoint of iteration " +
                       std::to_string(Checkpoint::readState(request_.modelDir).iteration) +
                       " is intact: fix that and train again to resume from it";
        } catch (const std::exception&) {
            kept = "the earlier checkpoints in " + request_.modelDir.string() + " were not touched";
        }
        throw Error(e.code(), "checkpoint at iteration " + std::to_string(iteration_) +
                                  " not saved (" + e.what() + "); " + kept);
    }
    lastSave_ = std::chrono::steady_clock::now();
    logInfo(std::string("checkpoint (") + why + ") at iteration " + std::to_string(iteration_) +
            ": " + dir.string());
}

TrainingSession::StepResult TrainingSession::step() {
    const int res = options_.resolution;
    auto indexOptions = torch::TensorOptions().dtype(torch::kInt64).device(device_);
    auto drawIndices = [&](const DeviceFaceset& set) {
        if (options_.uniformYaw)
            return torch::multinomial(set.yawWeights, options_.batch, true, *generator_);
        return torch::randint(0, set.count, {options_.batch}, *generator_, indexOptions);
    };
    torch::Tensor srcIdx = drawIndices(src_);
    torch::Tensor dstIdx = drawIndices(dst_);
    AugmentOptions augSrc, augDst;
    augSrc.randomWarp = augDst.randomWarp = options_.randomWarp;
    augSrc.colorJitter = augDst.colorJitter = options_.colorJitter;
    augSrc.blurOutMask = augDst.blurOutMask = options_.blurOutMask;
    augSrc.randomFlip = options_.randomFlipSrc;
    augDst.randomFlip = options_.randomFlipDst;
    AugmentedBatch a = augmentBatch(src_.faces, src_.masks, srcIdx, res, augSrc, *generator_);
    AugmentedBatch b = augmentBatch(dst_.faces, dst_.masks, dstIdx, res, augDst, *generator_);
    // dstIdx is random, so each source face takes the colours of a random destination face.
    transferBatchColors(a, b, options_.ctMode);
    if (hooks_.poisonBatch && hooks_.poisonBatch(iteration_)) a.input = a.input * std::nan("");

    if (!trainStep_) {
        StepSettings s;
        s.loss.resolution = res;
        s.loss.maskedTraining = options_.maskedTraining;
        s.loss.eyesMouthPriority = options_.eyesMouthPriority;
        s.loss.faceStylePower = options_.faceStylePower;
        s.loss.bgStylePower = options_.bgStylePower;
        if (device_.is_cuda() && options_.precision != "fp32")
            s.forwardType = options_.precision == "fp16" ? at::kHalf : at::kBFloat16;
        s.channelsLast = options_.channelsLast;
        discriminators_.configure(s, options_);
        trainStep_ = std::make_unique<TrainStep>(s);
    }
    const bool fp16 = device_.is_cuda() && options_.precision == "fp16";
    const double scale = fp16 ? lossScale_ : 1.0;
    optimizer_->zero_grad();
    StepLosses losses = trainStep_->run(model_, a, b, scale);
    StepResult r;
    r.srcLoss = losses.src.image.item<float>();
    r.dstLoss = losses.dst.image.item<float>();
    if (!losses.finite) return r;

    std::vector<torch::Tensor> norms;
    std::vector<torch::Tensor> params = model_->parameters();
    for (const auto& p : params)
        if (p.grad().defined()) norms.push_back(p.grad().detach().to(torch::kFloat32).norm());
    double norm = norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>() / scale;
    if (!std::isfinite(norm)) {
        if (fp16) {  // an fp16 overflow is expected now and then: lower the scale, not a bad step
            lossScale_ = std::max(1.0, lossScale_ / 2);
            goodSinceScaleChange_ = 0;
            r.good = true;
            return r;
        }
        return r;
    }
    torch::NoGradGuard noGrad;
    double factor = 1.0 / scale;
    if (options_.clipGrad && norm > 1.0) factor /= norm;
    if (factor != 1.0)
        for (auto& p : params)
            if (p.grad().defined()) p.grad().mul_(factor);
    optimizer_->step();
    if (losses.adversarial.defined()) r.adversarial = losses.adversarial.item<float>();
    r.discriminator = discriminators_.step(losses);
    if (fp16 && ++goodSinceScaleChange_ >= 2000) {
        lossScale_ *= 2;
        goodSinceScaleChange_ = 0;
    }
    r.good = true;
    return r;
}

void TrainingSession::rollback() {
    ++rollbacks_;
    if (rollbacks_ > kMaxRollbacks)
        throw Error(ErrorCode::InvalidInput,
                    "training diverges: " + std::to_string(kMaxRollbacks) + " rollbacks, lr now " +
                        formatLearningRate(learningRate_) +
                        "; check the packed facesets or start with a lower lr");
    const double lowered = learningRate_ * 0.5;
    CheckpointState state = Checkpoint::load(request_.modelDir, model_, optimizer_.get(), device_,
                                             discriminators_.parts());
    iteration_ = state.iteration;
    lossHistory_ = std::move(state.lossHistory);
    learningRate_ = lowered;
    setLearningRate(*optimizer_, learningRate_);
    badInRow_ = 0;
    resetGenerator();
    logWarning(std::to_string(kBadStepsBeforeRollback) +
               " bad steps in a row: rolled back to iteration " + std::to_string(iteration_) +
               " and lowered lr to " + formatLearningRate(learningRate_));
}

std::vector<LossPoint> TrainingSession::thinnedHistory() const {
    return thinLossHistory(lossHistory_, kMaxDisplayedLossPoints);
}

void TrainingSession::makePreview() {
    torch::NoGradGuard noGrad;
    const int res = options_.resolution;
    const size_t n = std::min(previewSrc_.size(), previewDst_.size());
    auto indices = [&](const std::vector<int64_t>& v) {
        return torch::tensor(std::vector<int64_t>(v.begin(), v.begin() + long(n)), torch::kInt64)
            .to(device_);
    };
    torch::Tensor si = indices(previewSrc_), di = indices(previewDst_);
    torch::Tensor s = toFloatNchw(src_.faces.index_select(0, si), res);
    torch::Tensor d = toFloatNchw(dst_.faces.index_select(0, di), res);
    torch::Tensor sm = toFloatNchw(src_.masks.index_select(0, si).narrow(3, 0, 1), res);
    torch::Tensor dm = toFloatNchw(dst_.masks.index_select(0, di).narrow(3, 0, 1), res);
    auto recon = model_->reconstruct(s, d);
    Decoded swapped = model_->swap(d);
    auto cl = [](const torch::Tensor& t) { return t.to(torch::kFloat32).clamp(0, 1); };
    std::vector<std::vector<ImageU8>> columns = {toImagesU8(s), toImagesU8(cl(recon.first.image)),
                                                 toImagesU8(d), toImagesU8(cl(recon.second.image)),
                                                 toImagesU8(cl(swapped.image))};
    std::vector<std::vector<ImageU8>> maskColumns = {
        toImagesU8(sm), toImagesU8(cl(recon.first.mask)), toImagesU8(dm),
        toImagesU8(cl(recon.second.mask)), toImagesU8(cl(swapped.mask))};
    auto rowsOf = [&](const std::vector<std::vector<ImageU8>>& cols) {
        std::vector<std::vector<ImageU8>> rows(n);
        for (size_t r = 0; r < n; ++r)
            for (const auto& c : cols) rows[r].push_back(c[r]);
        return rows;
    };
    TrainingUpdate u;
    u.iteration = iteration_;
    if (!lossHistory_.empty())
        u.srcLoss = lossHistory_.back().srcLoss, u.dstLoss = lossHistory_.back().dstLoss;
    u.msPerIteration = msPerIteration_;
    u.device = deviceLine_;
    u.preview = PreviewGrid::compose(rowsOf(columns));
    u.maskPreview = PreviewGrid::compose(rowsOf(maskColumns));
    char name[64];
    std::snprintf(name, sizeof name, "%08lld.png", (long long)iteration_);
    const fs::path dir = request_.modelDir / "previews";
    // A preview that cannot be written (a full disk, a read-only folder) is a warning, once a
    // session: ending the run over it would lose the training since the last checkpoint.
    try {
        writePng(dir / ("preview_" + std::string(name)), u.preview);
        writePng(dir / ("masks_" + std::string(name)), u.maskPreview);
    } catch (const Error& e) {
        if (!previewWriteWarned_)
            logWarning(std::string(e.what()) +
                       " (training goes on; previews are not saved until this is mended)");
        previewWriteWarned_ = true;
    }
    u.lossHistory = thinnedHistory();
    if (previews_) previews_->post(std::move(u));
}

StageResult TrainingSession::run() {
    resolvedOptions_ = trainOptionSchema().resolve(request_.options);
    options_ = TrainOptions::fromJson(resolvedOptions_);
    deviceLine_ = useDevice(options_.device, options_.threads, &device_);
    if (!device_.is_cuda() && options_.precision != "fp32")
        logWarning("precision " + options_.precision + " is CUDA only; the CPU trains in fp32");
    logInfo("training on " + deviceLine_);
    src_ = loadFaceset(request_.srcFaceset, "src");
    dst_ = loadFaceset(request_.dstFaceset, "dst");
    if (options_.uniformYaw)
        logInfo("uniform_yaw: src faces fill " + std::to_string(src_.occupiedYawBins) +
                " and dst faces " + std::to_string(dst_.occupiedYawBins) +
                " of 32 yaw bins; each filled bin is drawn equally often");
    if (src_.faceType != dst_.faceType)
        logWarning("src faces are '" + src_.faceType + "' but dst faces are '" + dst_.faceType +
                   "'");
    // A model folder that cannot take a checkpoint (read-only, another user's) is found now,
    // not when the first autosave fails after minutes of training.
    Checkpoint::checkWritable(request_.modelDir);
    buildOrResume();
    resetGenerator();

    const int64_t startIteration = iteration_;
    const auto started = std::chrono::steady_clock::now();
    lastSave_ = started;
    ProgressEvent event;
    event.stage = "train";
    event.started = started;
    // Counted from where the model really resumed (a damaged checkpoint's backup is older than
    // what the caller read), so `--iters N` trains N iterations.
    int64_t stopAt = request_.maxIterations;
    if (request_.moreIterations > 0)
        stopAt = stopAt > 0 ? std::min(stopAt, startIteration + request_.moreIterations)
                            : startIteration + request_.moreIterations;
    event.total = stopAt > 0 ? std::max<int64_t>(0, stopAt - startIteration) : 0;
    bool cancelled = false, stopped = false, previewNow = false;
    auto minutesSince = [](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count() / 60.0;
    };
    for (;;) {
        if (stopAt > 0 && iteration_ >= stopAt) break;
        if (request_.maxMinutes > 0 && minutesSince(started) >= request_.maxMinutes) break;
        if (cancel_.isCancelled()) {
            cancelled = true;
            break;
        }
        while (commands_) {
            auto command = commands_->pop();
            if (!command) break;
            if (*command == TrainerCommand::SaveNow) save("requested");
            if (*command == TrainerCommand::PreviewNow) previewNow = true;
            if (*command == TrainerCommand::Stop) stopped = true;
        }
        if (previewNow) {
            makePreview();
            previewNow = false;
        }
        if (stopped) break;

        const auto t0 = std::chrono::steady_clock::now();
        StepResult r = step();
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        if (!r.good) {
            ++skippedSteps_;
            ++badInRow_;
            logWarning("iteration " + std::to_string(iteration_ + 1) +
                       ": non-finite loss or gradients (src " + formatLoss(r.srcLoss) + ", dst " +
                       formatLoss(r.dstLoss) + "); step skipped (" + std::to_string(badInRow_) +
                       " in a row)");
            if (badInRow_ >= kBadStepsBeforeRollback) rollback();
            continue;
        }
        badInRow_ = 0;
        ++iteration_;
        msPerIteration_ = msPerIteration_ == 0 ? ms : 0.9 * msPerIteration_ + 0.1 * ms;
        lossHistory_.push_back({iteration_, r.srcLoss, r.dstLoss});

        event.done = iteration_ - startIteration;
        event.message = "iter " + std::to_string(iteration_) + "  " +
                        std::to_string(int(std::lround(msPerIteration_))) + " ms/iter  src " +
                        formatLoss(r.srcLoss) + "  dst " + formatLoss(r.dstLoss);
        if (r.adversarial && r.discriminator)
            event.message +=
                "  gan " + formatLoss(*r.adversarial) + " / D " + formatLoss(*r.discriminator);
        if (request_.maxMinutes > 0 && event.total == 0)
            event.message +=
                "  left " + formatDuration(request_.maxMinutes * 60 - minutesSince(started) * 60);
        progress_.report(event);

        if (iteration_ % options_.previewEvery == 0) makePreview();
        if (minutesSince(lastSave_) >= options_.autosaveMinutes) save("autosave");
    }
    const bool trained = iteration_ > startIteration;
    if (trained && iteration_ % options_.previewEvery != 0) makePreview();
    // A session stopped before its first iteration (while loading) saves nothing: a copy of the
    // current checkpoint would push a real backup out of the rotation.
    if (trained) save(cancelled ? "cancelled" : "end of session");

    nlohmann::json summary = {{"iteration", iteration_},
                              {"iterations_this_session", iteration_ - startIteration},
                              {"ms_per_iteration", msPerIteration_},
                              {"skipped_steps", skippedSteps_},
                              {"rollbacks", rollbacks_},
                              {"learning_rate", learningRate_},
                              {"device", deviceLine_},
                              {"model", request_.modelDir.string()}};
    if (!lossHistory_.empty()) {
        summary["src_loss"] = lossHistory_.back().srcLoss;
        summary["dst_loss"] = lossHistory_.back().dstLoss;
    }
    std::string where = "iteration " + std::to_string(iteration_) +
                        (trained ? ", checkpoint saved in " : ", nothing trained: the model in ") +
                        request_.modelDir.string() + (trained ? "" : " is as it was");
    if (cancelled) {
        StageResult result = StageResult::cancelled("stopped at " + where);
        result.summary = summary;
        return result;
    }
    return StageResult::succeeded((stopped ? "stopped at " : "trained to ") + where, summary);
}

}  // namespace doppel::models
