#pragma once
// The face-segmentation model (DeepFaceLab's XSeg) behind a torch-free interface, as
// TrainingEngine is for the face swap: models/ implements it, core's XSegStage and the CLI drive
// it. It learns, from the faces whose masks the user drew (mask editor), which pixels of an
// aligned face are face, and then predicts that mask for every face: hair, hands and objects
// over the face drop out, the forehead comes in, where the landmark outline cannot know.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/Image.h"
#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"

namespace doppel {

struct SegmentationTrainRequest {
    std::filesystem::path modelDir;  ///< workspace/xseg; created on the first run
    /// A packed faceset (PackedFaceset.h) of the labelled faces: mask channel 0 = drawn mask.
    std::filesystem::path labelledFaceset;
    nlohmann::json options;     ///< resolved against optionSchema()
    int64_t maxIterations = 0;  ///< stop at this iteration in total (0 = no limit)
    double maxMinutes = 0;      ///< stop after this many minutes of this session (0 = no limit)
};

/// A trained segmentation model: aligned faces in, face masks out.
class MaskPredictor {
  public:
    virtual ~MaskPredictor() = default;
    /// Side of the square faces it takes, in pixels.
    virtual int resolution() const = 0;
    virtual std::string describe() const = 0;
    /// BGR uint8 faces at resolution(); returns one 1-channel mask (0..1) per face. Any batch
    /// size; not thread-safe.
    virtual std::vector<ImageF32> predict(const std::vector<ImageU8>& alignedFaces) = 0;
};

class SegmentationEngine {
  public:
    virtual ~SegmentationEngine() = default;
    virtual const OptionSchema& optionSchema() const = 0;
    /// As TrainingEngine::deviceDescription.
    virtual std::string deviceDescription(const std::string& wanted) const = 0;
    /// Trains (or resumes) until cancelled or the request's limits; saves on exit.
    virtual StageResult train(const SegmentationTrainRequest& request, ProgressSink& progress,
                              const CancelToken& cancel) = 0;
    /// Throws Error(NotFound) when the folder holds no trained model.
    virtual std::unique_ptr<MaskPredictor> loadPredictor(
        const std::filesystem::path& modelDir) const = 0;
};

}  // namespace doppel
