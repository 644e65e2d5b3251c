#pragma once
// Every training option, described once (TrainingEngine::optionSchema() returns this schema), and
// the typed struct the trainer fills from resolved JSON. Torch-free: the CLI help, the GUI form and
// project.json all come from the same description.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"

namespace doppel::models {

/// seed, device and threads (group "Device"), as both trainers (face swap, face mask) take them.
void addDeviceOptions(OptionSchema& schema);
/// The schema of `doppel train --set key=value` and of the GUI's training form.
const OptionSchema& trainOptionSchema();

struct TrainOptions {
    // Model (fixed once a model exists: the weights' shapes depend on them).
    std::string archi = "liae-ud";
    int resolution = 128;
    int aeDims = 256;
    int eDims = 64;
    int dDims = 64;
    int dMaskDims = 22;
    std::string optimizer =
        "adabelief";  ///< fixed too: moments of one optimiser mean nothing to another
    // Training (may change on resume).
    int batch = 8;
    double lr = 5e-5;
    bool clipGrad = false;
    bool lrDropout = false;
    bool randomWarp = true;
    bool randomFlipSrc = false;
    bool randomFlipDst = true;
    bool maskedTraining = true;
    bool eyesMouthPriority = false;
    double ganPower = 0;        ///< weight of the patch discriminator's term; 0 = no GAN
    double trueFacePower = 0;   ///< DF: weight of the code discriminator's term; 0 = off
    double faceStylePower = 0;  ///< percent: the swap takes the dst's colour/light; 0 = off
    double bgStylePower = 0;    ///< percent: the swap keeps the dst's background; 0 = off
    bool colorJitter = false;
    bool blurOutMask = false;     ///< blur the background around the face (WarpAugment.h)
    bool uniformYaw = false;      ///< draw faces evenly across yaw (UniformYaw.h)
    std::string ctMode = "none";  ///< none | rct | lct (TrainingColorTransfer.h)
    // Saving and previews.
    int previewEvery = 100;       ///< iterations between previews
    double autosaveMinutes = 25;  ///< minutes between checkpoints
    int backups = 2;              ///< older checkpoints kept besides the latest
    // Device.
    int64_t seed = 0;
    std::string device = "auto";     ///< auto | cpu | cuda
    int threads = 0;                 ///< CPU threads; 0 = all cores
    std::string precision = "fp32";  ///< fp32 | bf16 | fp16 (CUDA only)
    bool channelsLast = true;        ///< NHWC weights and inputs (CUDA and CPU)
    bool winograd = true;            ///< CPU: oneDNN Winograd 3x3 convolutions (WinogradConv.h)

    /// Resolves `options` against the schema (defaults filled in, ranges checked) and reads it.
    static TrainOptions fromJson(const nlohmann::json& options);
    nlohmann::json toJson() const;
};

}  // namespace doppel::models
