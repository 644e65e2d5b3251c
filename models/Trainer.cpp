#include "models/Trainer.h"

#include <torch/torch.h>

#include "common/Error.h"
#include "models/Checkpoint.h"
#include "models/TensorImages.h"
#include "models/TorchSwapper.h"
#include "models/TrainOptions.h"
#include "models/TrainPresets.h"
#include "models/TrainingSession.h"
#include "models/WinogradConv.h"
#include "models/models.h"

namespace doppel::models {

const OptionSchema& Trainer::optionSchema() const {
    return trainOptionSchema();
}

std::string Trainer::deviceDescription(const std::string& wanted) const {
    return TrainingSession::describeDeviceChoice(wanted);
}

bool Trainer::cudaAvailable() {
    return torch::cuda::is_available();
}

int64_t Trainer::parameterCount(const nlohmann::json& options) {
    TrainOptions o = TrainOptions::fromJson(options);
    // Built on the CPU without touching the global RNG the trainer seeds.
    SaehdModel model(modelConfigFrom(o));
    return model->parameterCount();
}

MemoryEstimate Trainer::estimateMemory(const nlohmann::json& options, int64_t srcFaces,
                                       int64_t dstFaces, int facesetResolution) const {
    TrainOptions o = TrainOptions::fromJson(options);
    return MemoryEstimate::compute(o, parameterCount(options), o.device != "cpu" && cudaAvailable(),
                                   srcFaces, dstFaces, facesetResolution, winogradAvailable());
}

int64_t Trainer::estimatePeakMemoryBytes(const nlohmann::json& options) const {
    return estimateMemory(options, 0, 0, 0).totalBytes;
}

StageResult Trainer::train(const TrainRequest& request, ProgressSink& progress,
                           const CancelToken& cancel, LatestMailbox<TrainingUpdate>* previews,
                           CommandQueue<TrainerCommand>* commands) {
    return runStageSafely("train", [&] {
        TrainingSession session(request, progress, cancel, previews, commands, hooks_);
        return session.run();
    });
}

std::unique_ptr<FaceSwapper> Trainer::loadSwapper(const std::filesystem::path& modelDir) const {
    return std::make_unique<TorchSwapper>(modelDir);
}

std::vector<LossPoint> Trainer::savedLossHistory(const std::filesystem::path& modelDir) const {
    if (!Checkpoint::exists(modelDir)) return {};
    return thinLossHistory(Checkpoint::readState(modelDir).lossHistory, kMaxDisplayedLossPoints);
}

nlohmann::json Trainer::savedOptions(const std::filesystem::path& modelDir) const {
    if (!Checkpoint::exists(modelDir)) return nullptr;
    return Checkpoint::readState(modelDir).options;
}

std::vector<TrainPreset> Trainer::presets() const {
    return trainPresets();
}

std::string Trainer::suggestedPreset() const {
    return suggestedTrainPreset(cudaAvailable());
}

std::filesystem::path Trainer::startModelFrom(const std::filesystem::path& from,
                                              const std::filesystem::path& modelDir) const {
    const std::filesystem::path trained = trainedModelIn(from);
    copyModel(trained, modelDir);
    return trained;
}

}  // namespace doppel::models
