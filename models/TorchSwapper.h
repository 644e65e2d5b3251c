#pragma once
// FaceSwapper over a trained checkpoint (torch-free header): eval mode, no grad, batched.
#include <filesystem>
#include <memory>

#include "common/FaceSwapper.h"

namespace doppel::models {

class TorchSwapper : public FaceSwapper {
  public:
    /// Loads the model folder's current checkpoint on CUDA when available, else the CPU.
    /// Throws Error(NotFound) naming the folder when it holds no trained model.
    explicit TorchSwapper(const std::filesystem::path& modelDir, int batchSize = 16);
    ~TorchSwapper() override;

    int resolution() const override;
    std::string faceType() const override;
    std::string describe() const override;
    std::vector<SwapPrediction> predict(const std::vector<ImageU8>& alignedFaces) override;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace doppel::models
