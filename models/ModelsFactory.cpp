// The public factory and the torch-free helpers of models/models.h.
#include "models/models.h"

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

}  // namespace doppel::models
