#include "models/XSegTrainer.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cstdio>

#include "common/Error.h"
#include "common/Log.h"
#include "common/PackedFaceset.h"
#include "models/Checkpoint.h"
#include "models/PngWriter.h"
#include "models/TensorImages.h"
#include "models/TrainOptions.h"
#include "models/TrainingSession.h"
#include "models/WarpAugment.h"
#include "models/XSegModel.h"

namespace fs = std::filesystem;

namespace doppel::models {
namespace {

constexpr int kPreviewFaces = 4;

struct XSegOptions {
    XSegConfig config;
    int batch = 8;
    double lr = 1e-4;
    int previewEvery = 200;
    double autosaveMinutes = 10;
    int backups = 1;
    int64_t seed = 0;
    std::string device = "auto";
    int threads = 0;
};

XSegOptions parse(const nlohmann::json& o) {
    XSegOptions x;
    x.config = xsegConfigFrom(o);
    x.batch = o.at("batch").get<int>();
    x.lr = o.at("lr").get<double>();
    x.previewEvery = o.at("preview_every").get<int>();
    x.autosaveMinutes = o.at("autosave_minutes").get<double>();
    x.backups = o.at("backups").get<int>();
    x.seed = o.at("seed").get<int64_t>();
    x.device = o.at("device").get<std::string>();
    x.threads = o.at("threads").get<int>();
    return x;
}

/// Binary cross-entropy on the logits plus (1 - soft Dice) per sample, averaged.
torch::Tensor maskLoss(const torch::Tensor& logits, const torch::Tensor& target) {
    auto bce = torch::binary_cross_entropy_with_logits(logits, target);
    auto p = torch::sigmoid(logits);
    auto overlap = (p * target).sum({1, 2, 3});
    auto total = p.sum({1, 2, 3}) + target.sum({1, 2, 3});
    auto dice = (2 * overlap + 1) / (total + 1);
    return bce + (1 - dice).mean();
}

/// Strong photometric change, per sample: contrast about the mean, brightness, channel gains.
/// Masks do not depend on lighting; the labelled faces are few and from two clips.
torch::Tensor jitterLighting(const torch::Tensor& x, torch::Generator& generator) {
    const int64_t b = x.size(0);
    auto uniform = [&](std::vector<int64_t> shape, double lo, double hi) {
        return (torch::rand(shape, generator) * (hi - lo) + lo).to(x.device());
    };
    auto mean = x.mean({1, 2, 3}, true);
    auto contrast = uniform({b, 1, 1, 1}, 0.6, 1.4);
    auto brightness = uniform({b, 1, 1, 1}, -0.2, 0.2);
    auto gains = uniform({b, 3, 1, 1}, 0.85, 1.15);
    return (((x - mean) * contrast + mean) * gains + brightness).clamp(0.0, 1.0);
}

/// Rows of [face | face tinted by the drawn mask | face tinted by the prediction], BGR.
ImageU8 previewGrid(const torch::Tensor& faces, const torch::Tensor& drawn,
                    const torch::Tensor& predicted) {
    auto tint = [&](const torch::Tensor& mask) {
        // Green over what is face, the picture darkened elsewhere.
        auto green = torch::tensor({0.2f, 1.0f, 0.2f}, faces.options()).view({1, 3, 1, 1});
        return faces * (0.35 + 0.4 * mask) + green * 0.25 * mask;
    };
    auto row = torch::cat({faces, tint(drawn), tint(predicted)}, 3);  // side by side
    auto grid = torch::cat(row.unbind(0), 1).unsqueeze(0);            // faces stacked
    return toImagesU8(grid.clamp(0, 1).cpu()).front();
}

class XSegSession {
  public:
    XSegSession(const SegmentationTrainRequest& request, ProgressSink& progress,
                const CancelToken& cancel)
        : request_(request), progress_(progress), cancel_(cancel) {}

    StageResult run() {
        resolved_ = xsegOptionSchema().resolve(request_.options);
        options_ = parse(resolved_);
        const std::string deviceLine =
            TrainingSession::useDevice(options_.device, options_.threads, &device_);
        logInfo("xseg: training on " + deviceLine);
        loadData();
        fs::create_directories(request_.modelDir);
        buildOrResume();

        const int64_t start = iteration_;
        const auto began = std::chrono::steady_clock::now();
        auto lastSave = began;
        ProgressEvent event;
        event.stage = "xseg";
        event.total = request_.maxIterations > 0 ? request_.maxIterations - start : 0;
        double lossSum = 0;
        int lossCount = 0;
        while (!cancel_.isCancelled()) {
            if (request_.maxIterations > 0 && iteration_ >= request_.maxIterations) break;
            const double minutes =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count() /
                60;
            if (request_.maxMinutes > 0 && minutes >= request_.maxMinutes) break;

            const float loss = step();
            ++iteration_;
            if (std::isfinite(loss)) {
                lossSum += loss;
                ++lossCount;
                history_.push_back({iteration_, loss, loss});
            } else {
                logWarning("xseg: iteration " + std::to_string(iteration_) +
                           " gave a non-finite loss; its step was skipped");
            }
            if (iteration_ % options_.previewEvery == 0) writePreview();
            if (std::chrono::duration<double>(std::chrono::steady_clock::now() - lastSave)
                    .count() >= options_.autosaveMinutes * 60) {
                save();
                lastSave = std::chrono::steady_clock::now();
            }
            ProgressEvent e = event;
            e.done = iteration_ - start;
            char text[96];
            std::snprintf(text, sizeof text, "iter %lld  loss %.4f", (long long)iteration_,
                          lossCount ? lossSum / lossCount : 0.0);
            e.message = text;
            progress_.report(e);
            if (iteration_ % 50 == 0) lossSum = 0, lossCount = 0;
        }
        save();
        if (iteration_ % options_.previewEvery != 0) writePreview();  // else written just now
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
        nlohmann::json summary = {
            {"iteration", iteration_},
            {"iterations_this_session", iteration_ - start},
            {"labelled_faces", faces_.size(0)},
            {"seconds", seconds},
            {"ms_per_iteration",
             iteration_ > start ? 1000.0 * seconds / double(iteration_ - start) : 0.0},
            {"last_loss", history_.empty() ? 0.0 : double(history_.back().srcLoss)},
            {"device", deviceLine}};
        const std::string where = request_.modelDir.string();
        if (cancel_.isCancelled()) {
            StageResult r = StageResult::cancelled(
                "xseg stopped at iteration " + std::to_string(iteration_) + ", saved in " + where);
            r.summary = summary;
            return r;
        }
        return StageResult::succeeded("xseg trained to iteration " + std::to_string(iteration_) +
                                          " on " + std::to_string(faces_.size(0)) +
                                          " labelled faces, saved in " + where,
                                      summary);
    }

  private:
    void loadData() {
        PackedFaceset set = readPackedFaceset(request_.labelledFaceset);
        if (set.count() == 0)
            throw Error(ErrorCode::InvalidInput,
                        "no labelled faces in " + request_.labelledFaceset.string() +
                            ": draw masks on some faces first (Faces page, Edit masks)");
        const int64_t n = set.count(), r = set.resolution;
        faces_ =
            torch::from_blob(set.faces.data(), {n, r, r, 3}, torch::kUInt8).clone().to(device_);
        masks_ =
            torch::from_blob(set.masks.data(), {n, r, r, 2}, torch::kUInt8).clone().to(device_);
        logInfo("xseg: " + std::to_string(n) + " labelled faces");
    }

    void buildOrResume() {
        torch::manual_seed(uint64_t(options_.seed));
        net_ = XSegNet(options_.config);
        net_->to(device_);
        optimizer_ = std::make_unique<torch::optim::Adam>(net_->parameters(),
                                                          torch::optim::AdamOptions(options_.lr));
        if (Checkpoint::exists(request_.modelDir)) {
            const CheckpointState saved = Checkpoint::readState(request_.modelDir);
            xsegOptionSchema().checkResumeChange(saved.options, resolved_);
            Checkpoint::load(request_.modelDir, *net_, optimizer_.get(), device_);
            for (auto& group : optimizer_->param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(options_.lr);
            iteration_ = saved.iteration;
            history_ = saved.lossHistory;
            logInfo("xseg: resuming at iteration " + std::to_string(iteration_));
        }
        logInfo("xseg: " + std::to_string(net_->parameterCount()) + " parameters");
        generator_ = at::detail::createCPUGenerator(uint64_t(options_.seed) * 1000003ull +
                                                    uint64_t(iteration_));
    }

    float step() {
        net_->train();
        const int64_t n = faces_.size(0);
        auto indices = torch::randint(n, {options_.batch}, generator_, torch::kInt64);
        AugmentOptions augment;
        augment.randomWarp = false;  // the drawn edge must stay where the face's edge is
        augment.randomFlip = true;
        augment.rotationDegrees = 20;
        augment.scaleRange = 0.2;
        augment.translateFraction = 0.08;
        AugmentedBatch batch =
            augmentBatch(faces_, masks_, indices, options_.config.resolution, augment, generator_);
        torch::Tensor input;
        {
            torch::NoGradGuard noGrad;
            input = jitterLighting(batch.input, generator_);
        }
        auto loss = maskLoss(net_->forward(input), (batch.mask > 0.5).to(torch::kFloat32));
        const float value = loss.item<float>();
        optimizer_->zero_grad();
        if (!std::isfinite(value)) return value;
        loss.backward();
        optimizer_->step();
        return value;
    }

    void save() {
        CheckpointState state;
        state.options = resolved_;
        state.iteration = iteration_;
        state.learningRate = options_.lr;
        state.faceType = "";
        state.lossHistory = history_;
        Checkpoint::save(request_.modelDir, *net_, optimizer_.get(), state, options_.backups);
    }

    void writePreview() {
        torch::NoGradGuard noGrad;
        net_->eval();
        const int64_t k = std::min<int64_t>(kPreviewFaces, faces_.size(0));
        auto idx = torch::arange(k, torch::TensorOptions().dtype(torch::kInt64).device(device_));
        const int r = options_.config.resolution;
        auto faces = toFloatNchw(faces_.index_select(0, idx), r);
        auto drawn = toFloatNchw(masks_.index_select(0, idx), r).narrow(1, 0, 1);
        auto predicted = torch::sigmoid(net_->forward(faces));
        char name[48];
        std::snprintf(name, sizeof name, "%010lld.png", (long long)iteration_);
        fs::create_directories(request_.modelDir / "previews");
        writePng(request_.modelDir / "previews" / name, previewGrid(faces, drawn, predicted));
    }

    const SegmentationTrainRequest& request_;
    ProgressSink& progress_;
    const CancelToken& cancel_;
    nlohmann::json resolved_;
    XSegOptions options_;
    torch::Device device_{torch::kCPU};
    torch::Tensor faces_, masks_;
    XSegNet net_{nullptr};
    std::unique_ptr<torch::optim::Adam> optimizer_;
    torch::Generator generator_;
    int64_t iteration_ = 0;
    std::vector<LossPoint> history_;
};

}  // namespace

const OptionSchema& xsegOptionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addInt("resolution", 128, 32, 512,
                 "side of the faces the mask network sees (multiple of 16); masks are scaled to "
                 "any face size")
            .fixedOnResume()
            .inGroup("Model");
        s.addInt("dims", 32, 8, 128, "channels of the network's first level (width)")
            .fixedOnResume()
            .inGroup("Model");
        s.addInt("batch", 8, 1, 64, "faces per iteration").inGroup("Training");
        s.addFloat("lr", 1e-4, 1e-7, 1e-2, "learning rate (Adam)").inGroup("Training");
        s.addInt("preview_every", 200, 1, 1000000,
                 "iterations between preview images (face | drawn mask | predicted mask) in "
                 "xseg/previews/")
            .inGroup("Saving");
        s.addFloat("autosave_minutes", 10.0, 0.1, 1440, "minutes between checkpoints")
            .inGroup("Saving");
        s.addInt("backups", 1, 0, 20, "older checkpoints kept besides the latest")
            .inGroup("Saving");
        addDeviceOptions(s);
        return s;
    }();
    return schema;
}

std::string XSegTrainer::deviceDescription(const std::string& wanted) const {
    return TrainingSession::describeDeviceChoice(wanted);
}

StageResult XSegTrainer::train(const SegmentationTrainRequest& request, ProgressSink& progress,
                               const CancelToken& cancel) {
    return runStageSafely("xseg", [&] { return XSegSession(request, progress, cancel).run(); });
}

std::unique_ptr<MaskPredictor> XSegTrainer::loadPredictor(const fs::path& modelDir) const {
    if (!Checkpoint::exists(modelDir))
        throw Error(ErrorCode::NotFound, "no trained mask model in " + modelDir.string() +
                                             " (run `doppel xseg-train` first)");
    return std::make_unique<XSegPredictor>(modelDir);
}

}  // namespace doppel::models
