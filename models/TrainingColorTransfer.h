#pragma once
// DeepFaceLab's `ct_mode` for training: before each step the source faces take on the colours of
// randomly drawn destination faces, so the source decoder learns to paint the source identity in
// the destination's lighting and skin tone and the merge needs less colour correction. On the
// training device, in batch, under NoGradGuard. Statistics come from inside the face masks only
// (algorithms doc 3.2: DFL's masked RCT counts masked-out pixels, a known flaw).
#include <torch/torch.h>

#include <string>

#include "models/WarpAugment.h"

namespace doppel::models {

/// The accepted modes: "none", "rct" (Reinhard: per-channel mean/std in Lab), "lct" (mean and
/// covariance in RGB through symmetric matrix square roots).
bool isTrainingColorTransferMode(const std::string& mode);

/// Moves each face of `faces` (its target and its warped input, by the same per-sample colour
/// map) toward the colours of the face with the same index in `reference`; statistics from each
/// batch's targets, weighted by its masks. Batches must have the same size. "none" leaves
/// `faces` unchanged.
void transferBatchColors(AugmentedBatch& faces, const AugmentedBatch& reference,
                         const std::string& mode);

/// sRGB <-> CIE Lab (D65), as OpenCV's BGR2Lab for float images: N3HW, channels in `bgr` order
/// when true. L in [0,100], a/b about [-127,127]. Exposed for tests.
torch::Tensor bgrToLab(const torch::Tensor& bgr);
torch::Tensor labToBgr(const torch::Tensor& lab);

}  // namespace doppel::models
