#pragma once
// The LibTorch TrainingEngine (torch-free header; the work is in Trainer.cpp and
// TrainingSession.cpp). One Trainer may run train() once at a time; the other methods are const
// and may be called from any thread.
#include <cstdint>
#include <functional>

#include "common/TrainingEngine.h"
#include "models/MemoryEstimate.h"

namespace doppel::models {

class Trainer : public TrainingEngine {
  public:
    /// Test hooks (engine tests only): fault injection without a special option in the schema.
    struct Hooks {
        /// Called before each step with the model's iteration; true poisons the batch with NaN.
        std::function<bool(int64_t iteration)> poisonBatch;
    };

    const OptionSchema& optionSchema() const override;
    std::string deviceDescription(const std::string& wanted) const override;
    int64_t estimatePeakMemoryBytes(const nlohmann::json& options) const override;
    StageResult train(const TrainRequest& request, ProgressSink& progress,
                      const CancelToken& cancel, LatestMailbox<TrainingUpdate>* previews,
                      CommandQueue<TrainerCommand>* commands) override;
    std::unique_ptr<FaceSwapper> loadSwapper(const std::filesystem::path& modelDir) const override;
    std::vector<LossPoint> savedLossHistory(const std::filesystem::path& modelDir) const override;
    nlohmann::json savedOptions(const std::filesystem::path& modelDir) const override;
    std::vector<TrainPreset> presets() const override;
    std::string suggestedPreset() const override;
    std::filesystem::path startModelFrom(const std::filesystem::path& from,
                                         const std::filesystem::path& modelDir) const override;

    /// The breakdown behind estimatePeakMemoryBytes, with the facesets' real sizes.
    MemoryEstimate estimateMemory(const nlohmann::json& options, int64_t srcFaces, int64_t dstFaces,
                                  int facesetResolution) const;
    /// Parameters of the network these options describe (builds it once on the CPU).
    static int64_t parameterCount(const nlohmann::json& options);
    /// True when training would run on CUDA.
    static bool cudaAvailable();

    void setHooks(Hooks hooks) { hooks_ = std::move(hooks); }

  private:
    Hooks hooks_;
};

}  // namespace doppel::models
