#pragma once
// The public face of doppel_models: torch-free, so the app can wire the engine into core's
// interfaces (TrainingEngine, FaceSwapper) without any Torch header reaching app/ or ui/.
#include <memory>

#include "common/TrainingEngine.h"

namespace doppel::models {

/// The LibTorch trainer (SAEHD-class DF/LIAE autoencoder). Chooses CUDA when available.
std::unique_ptr<TrainingEngine> createTrainingEngine();

}  // namespace doppel::models
