#pragma once
// One run of Trainer::train (internal to models/, torch): loads the facesets onto the device,
// builds or resumes the model, and runs the loop (augment on device, forward, loss, NaN guard,
// step), with previews, autosave, commands and cancellation.
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>

#include "common/TrainingEngine.h"
#include "models/Checkpoint.h"
#include "models/Discriminators.h"
#include "models/SaehdModel.h"
#include "models/TrainOptions.h"
#include "models/TrainStep.h"
#include "models/Trainer.h"

namespace doppel::models {

/// Loss points handed to the UI at most (previews and a saved model's curve).
constexpr size_t kMaxDisplayedLossPoints = 2000;

class TrainingSession {
  public:
    TrainingSession(const TrainRequest& request, ProgressSink& progress, const CancelToken& cancel,
                    LatestMailbox<TrainingUpdate>* previews, CommandQueue<TrainerCommand>* commands,
                    const Trainer::Hooks& hooks);
    StageResult run();

    /// "CUDA: ..." or "CPU: ..." with the reason; throws for device=cuda without CUDA.
    static std::string describeDevice(const std::string& wanted = "auto",
                                      torch::Device* chosen = nullptr);
    /// describeDevice for display: an impossible choice comes back as "unavailable: <why>".
    static std::string describeDeviceChoice(const std::string& wanted);
    /// describeDevice, and on the CPU sets LibTorch's thread count (`threads`, 0 = all cores)
    /// and appends it to the line. Shared by the face-swap and the face-mask trainers.
    static std::string useDevice(const std::string& wanted, int threads, torch::Device* chosen);

  private:
    struct DeviceFaceset {
        torch::Tensor faces;       ///< NHW3 uint8 on the device
        torch::Tensor masks;       ///< NHW2 uint8 on the device
        torch::Tensor yawWeights;  ///< per-face draw weights, on the device (uniform_yaw only)
        int occupiedYawBins = 0;
        int64_t count = 0;
        int resolution = 0;
        std::string faceType;
    };
    struct StepResult {
        bool good = false;
        float srcLoss = 0;
        float dstLoss = 0;
        /// With the GAN: the generator's term (batch mean) and the discriminator's loss per
        /// sample (2 ln 2 = 1.39 when it cannot tell; near 0 when it always can).
        std::optional<float> adversarial, discriminator;
    };

    DeviceFaceset loadFaceset(const std::filesystem::path& dir, const char* side);
    void buildOrResume();
    void choosePreviewFaces();
    StepResult step();
    void rollback();
    void save(const char* why);
    void makePreview();
    CheckpointState checkpointState() const;
    void resetGenerator();
    std::vector<LossPoint> thinnedHistory() const;

    TrainRequest request_;
    ProgressSink& progress_;
    const CancelToken& cancel_;
    LatestMailbox<TrainingUpdate>* previews_;
    CommandQueue<TrainerCommand>* commands_;
    Trainer::Hooks hooks_;

    TrainOptions options_;
    nlohmann::json resolvedOptions_;
    torch::Device device_{torch::kCPU};
    std::string deviceLine_;
    DeviceFaceset src_, dst_;
    SaehdModel model_{nullptr};
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    Discriminators discriminators_;  ///< GAN and true face, when switched on
    std::unique_ptr<TrainStep> trainStep_;
    std::optional<torch::Generator> generator_;
    int64_t iteration_ = 0;
    double learningRate_ = 0;
    std::vector<LossPoint> lossHistory_;
    std::vector<int64_t> previewSrc_, previewDst_;
    int badInRow_ = 0;
    int rollbacks_ = 0;
    int64_t skippedSteps_ = 0;
    double lossScale_ = 65536.0;  ///< fp16 only
    int goodSinceScaleChange_ = 0;
    double msPerIteration_ = 0;
    bool previewWriteWarned_ = false;  ///< a failed preview write was reported this session
    std::chrono::steady_clock::time_point lastSave_;
};

}  // namespace doppel::models
