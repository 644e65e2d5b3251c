// The public factory and the torch-free helpers of models/models.h.
#include "models/models.h"

#include "common/Error.h"
#include "common/Workspace.h"
#include "models/Checkpoint.h"
#include "models/Trainer.h"
#include "models/XSegTrainer.h"

namespace doppel::models {

std::unique_ptr<TrainingEngine> createTrainingEngine() {
    return std::make_unique<Trainer>();
}

std::unique_ptr<SegmentationEngine> createSegmentationEngine() {
    return std::make_unique<XSegTrainer>();
}

MemoryEstimate estimateTrainingMemory(const nlohmann::json& options, int64_t srcFaces,
                                      int64_t dstFaces, int facesetResolution) {
    return Trainer().estimateMemory(options, srcFaces, dstFaces, facesetResolution);
}

nlohmann::json readModelInfo(const std::filesystem::path& modelDir) {
    if (!Checkpoint::exists(modelDir)) return nullptr;
    CheckpointState s = Checkpoint::readState(modelDir);
    return {{"options", s.options},
            {"iteration", s.iteration},
            {"learning_rate", s.learningRate},
            {"face_type", s.faceType},
            {"checkpoint", Checkpoint::currentDir(modelDir).string()}};
}

std::filesystem::path trainedModelIn(const std::filesystem::path& modelOrWorkspace) {
    std::filesystem::path modelDir = modelOrWorkspace;
    if (std::filesystem::exists(modelOrWorkspace / "project.json")) {
        const Workspace other = Workspace::open(modelOrWorkspace);
        const std::string name = other.latestModelName();
        if (name.empty())
            throw Error(ErrorCode::NotFound, "the workspace " + modelOrWorkspace.string() +
                                                 " holds no trained model (model/ is empty)");
        modelDir = other.modelDir(name);
    }
    if (!Checkpoint::exists(modelDir))
        throw Error(ErrorCode::NotFound,
                    "no trained model in " + modelDir.string() +
                        " (give a model folder, e.g. WORKSPACE/model/default, or a workspace)");
    return modelDir;
}

void copyModel(const std::filesystem::path& from, const std::filesystem::path& to) {
    Checkpoint::copyCurrent(from, to);
}

}  // namespace doppel::models
