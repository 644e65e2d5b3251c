#pragma once
// The interface the trainer in models/ implements (see models/models.h for the factory). The
// CLI and the GUI drive training only through this, so ui/ never sees Torch.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "common/FaceSwapper.h"
#include "common/Image.h"
#include "common/Mailbox.h"
#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"

namespace doppel {

struct LossPoint {
    int64_t iteration = 0;
    float srcLoss = 0;
    float dstLoss = 0;
};

/// At most `maxPoints` points with the curve's shape: averages of equal runs of points.
std::vector<LossPoint> thinLossHistory(const std::vector<LossPoint>& history, size_t maxPoints);

/// Posted to the preview mailbox every preview period (and on request).
struct TrainingUpdate {
    int64_t iteration = 0;
    float srcLoss = 0;
    float dstLoss = 0;
    double msPerIteration = 0;
    std::string device;   ///< "CUDA: NVIDIA H100 ..." or "CPU (2 threads)"
    ImageU8 preview;      ///< BGR grid: src, src recon, dst, dst recon, swap (rows = faces)
    ImageU8 maskPreview;  ///< the same grid showing predicted masks
    std::vector<LossPoint> lossHistory;  ///< whole run so far, thinned to at most ~2000 points
};

enum class TrainerCommand { SaveNow, PreviewNow, Stop };

/// A named set of model options for a new model (DeepFaceLab asks a beginner some thirty
/// questions; a preset answers the ones that matter: architecture, resolution, dims, batch, lr).
struct TrainPreset {
    std::string name;        ///< "tryout", "small", "standard", "large" (--preset NAME)
    std::string label;       ///< one line for a menu
    std::string help;        ///< what it is for and what it costs
    nlohmann::json options;  ///< only the keys it sets; the others keep their values
};

struct TrainRequest {
    std::filesystem::path modelDir;    ///< workspace/model/<name>; created on first run
    std::filesystem::path srcFaceset;  ///< packed faceset folders (see PackedFaceset.h)
    std::filesystem::path dstFaceset;
    nlohmann::json options;      ///< resolved against optionSchema(); changes on resume are checked
    int64_t maxIterations = 0;   ///< stop after this many iterations in total (0 = no limit)
    int64_t moreIterations = 0;  ///< stop after this many iterations of this session (0 = none)
    double maxMinutes = 0;       ///< stop after this many minutes of this session (0 = no limit)
};

class TrainingEngine {
  public:
    virtual ~TrainingEngine() = default;
    /// Every training option: key, type, range, default, help, fixed-on-resume.
    virtual const OptionSchema& optionSchema() const = 0;
    /// The device training would use for the `device` option `wanted` (auto, cpu, cuda) and why
    /// ("CUDA: device 0 of 1 visible", "CPU: no CUDA device found"); an impossible choice is
    /// described, not thrown (training itself refuses it).
    virtual std::string deviceDescription(const std::string& wanted) const = 0;
    /// Predicted peak memory in bytes for these options on the chosen device.
    virtual int64_t estimatePeakMemoryBytes(const nlohmann::json& options) const = 0;
    /// Trains until cancelled, a Stop command, or the request's limits; always saves on exit.
    /// `previews` and `commands` may be null.
    virtual StageResult train(const TrainRequest& request, ProgressSink& progress,
                              const CancelToken& cancel, LatestMailbox<TrainingUpdate>* previews,
                              CommandQueue<TrainerCommand>* commands) = 0;
    /// Loads a trained model for merging; throws Error(NotFound / Incompatible).
    virtual std::unique_ptr<FaceSwapper> loadSwapper(
        const std::filesystem::path& modelDir) const = 0;
    /// The loss history saved with a model (thinned to ~2000 points); empty when none is saved.
    virtual std::vector<LossPoint> savedLossHistory(const std::filesystem::path& modelDir) const {
        (void)modelDir;
        return {};
    }
    /// Presets for a new model, smallest first; empty when the engine has none.
    virtual std::vector<TrainPreset> presets() const { return {}; }
    /// The preset that suits the device training would use (empty: none).
    virtual std::string suggestedPreset() const { return {}; }
    /// The training options a saved model holds (null when it has none): what a resume uses.
    virtual nlohmann::json savedOptions(const std::filesystem::path& modelDir) const {
        (void)modelDir;
        return nullptr;
    }
    /// Starts `modelDir` (which must not exist yet) from a copy of a trained model: `from` is a
    /// model folder or a workspace (its model saved last). Returns the model folder copied.
    /// Throws Error(NotFound) when `from` holds no model, Error(InvalidInput) when `modelDir`
    /// exists, Error(Io) when the copy fails (nothing is left behind then).
    virtual std::filesystem::path startModelFrom(const std::filesystem::path& from,
                                                 const std::filesystem::path& modelDir) const {
        (void)modelDir;
        throw Error(ErrorCode::Internal,
                    "this build's training engine cannot start a model from " + from.string());
    }
};

}  // namespace doppel
