#pragma once
// Predicted peak memory of a training run (`doppel train --estimate`), torch-free:
//   runtime base + parameters x (weights + grads + optimiser moments)
//   + activations per sample x batch + the packed facesets held on the device.
// The constants are calibrated against measured runs (docs/training.md records the comparison):
// peak RSS (VmHWM) on CPU, torch's max allocated bytes on CUDA.
#include <cstdint>
#include <string>

#include "models/TrainOptions.h"

namespace doppel::models {

struct MemoryEstimate {
    int64_t parameters = 0;
    int64_t parameterBytes = 0;   ///< weights + grads + optimiser moments (+ step temporaries)
    int64_t activationBytes = 0;  ///< saved activations for backward, whole batch, both sides
    int64_t facesetBytes = 0;     ///< uint8 faces + masks of both sides on the device
    int64_t runtimeBytes = 0;     ///< libraries, allocator and oneDNN/cuDNN workspaces
    int64_t convolutionScratchBytes = 0;  ///< CPU Winograd: transformed tiles, blocked copies
    int64_t totalBytes = 0;
    bool cuda = false;

    /// Feature-map elements one sample of one side creates in a training forward (the analytic
    /// size of what autograd keeps for backward), from the SAEHD layer table.
    static double featureElementsPerSample(const TrainOptions& options);
    /// The part of featureElementsPerSample at full resolution outside the network (loss maps,
    /// augmented batch): it stays fp32 under mixed precision.
    static double lossElementsPerSample(const TrainOptions& options);
    /// The part of featureElementsPerSample in one decoder's image and mask branches: what the
    /// swap adds per destination sample when a style term (face/bg_style_power) is on.
    static double decoderElementsPerSample(const TrainOptions& options);
    /// `parameters` from the real model; faceset sizes as packed (count, side in pixels);
    /// `winogradKernels`: oneDNN's Winograd kernels run on this CPU (WinogradConv.h).
    static MemoryEstimate compute(const TrainOptions& options, int64_t parameters, bool cuda,
                                  int64_t srcFaces, int64_t dstFaces, int facesetResolution,
                                  bool winogradKernels = false);
    /// "peak ~1.23 GiB (params 0.45, activations 0.60, facesets 0.01, runtime 0.17 GiB)".
    std::string describe() const;
};

}  // namespace doppel::models
