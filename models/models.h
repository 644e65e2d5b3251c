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

}  // namespace doppel::models
