#pragma once
// The public face of doppel_models: torch-free, so the app can wire the engine into core's
// interfaces (TrainingEngine, FaceSwapper) without any Torch header reaching app/ or ui/.
#include <cstdint>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/SegmentationEngine.h"
#include "common/TrainingEngine.h"
#include "models/MemoryEstimate.h"
#include "models/TrainOptions.h"

namespace doppel::models {

/// The LibTorch trainer (SAEHD-class DF/LIAE autoencoder). Chooses CUDA when available.
std::unique_ptr<TrainingEngine> createTrainingEngine();

/// The face-mask (XSeg) trainer and predictor.
std::unique_ptr<SegmentationEngine> createSegmentationEngine();

/// Predicted peak memory with its breakdown, for the facesets' real sizes (`doppel train
/// --estimate`).
MemoryEstimate estimateTrainingMemory(const nlohmann::json& options, int64_t srcFaces,
                                      int64_t dstFaces, int facesetResolution);

/// What a model folder holds: {"options", "iteration", "learning_rate", "face_type", "checkpoint"},
/// or null when it has no checkpoint yet. Reads JSON only (fast).
nlohmann::json readModelInfo(const std::filesystem::path& modelDir);

/// The model folder a path names for reuse: a model folder itself, or a workspace's model saved
/// last. Throws Error(NotFound) when there is no trained model there.
std::filesystem::path trainedModelIn(const std::filesystem::path& modelOrWorkspace);

/// Starts model folder `to` from a copy of the trained model in `from` (DeepFaceLab's reuse of a
/// model for a new video: the source person is already learnt, so a new destination takes far
/// fewer iterations). See Checkpoint::copyCurrent for what is copied and the errors.
void copyModel(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace doppel::models
