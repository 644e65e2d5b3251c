#pragma once
// Random warp augmentation (algorithms doc 2.4) on the training device, in batch: the packed
// faceset lives on the device as uint8; each iteration picks indices, applies one random
// affine (+ flip) to face, target and masks, and a smooth non-linear warp to the input only.
#include <torch/torch.h>

namespace doppel::models {

struct AugmentOptions {
    bool randomWarp = true;
    bool randomFlip = false;  ///< DFL: off for src, on for dst
    bool colorJitter = false;
    /// DeepFaceLab's blur_out_mask: the background around the face is blurred (input and target
    /// alike) so the decoder does not learn the scene's detail next to the face edge.
    bool blurOutMask = false;
    double rotationDegrees = 10;
    double scaleRange = 0.15;
    double translateFraction = 0.05;
};

struct AugmentedBatch {
    torch::Tensor input;      ///< N3HW float [0,1], affine + non-linear warp
    torch::Tensor target;     ///< N3HW float [0,1], affine only
    torch::Tensor mask;       ///< N1HW float [0,1], face hull, affine only
    torch::Tensor eyesMouth;  ///< N1HW float [0,1]
};

/// faces: NHW3 uint8 on device; masks: NHW2 uint8 on device (see PackedFaceset.h).
/// `indices`: int64 on device. `resolution`: output side (faces are resized if they differ).
/// Channel order is kept (the packed faces are BGR). Random numbers come from `generator` on its
/// own device (a CPU generator makes a batch reproducible on any device); an undefined generator
/// uses the faces' device default generator. Runs under NoGradGuard.
AugmentedBatch augmentBatch(const torch::Tensor& faces, const torch::Tensor& masks,
                            const torch::Tensor& indices, int resolution,
                            const AugmentOptions& options, torch::Generator generator);

/// `images` (N3HW float) blurred outside `mask` (N1HW [0,1]) with a Gaussian of sigma
/// resolution / 16 (edges replicated); a short soft edge joins the two; pixels well inside the mask
/// are unchanged.
torch::Tensor blurOutsideMask(const torch::Tensor& images, const torch::Tensor& mask);

}  // namespace doppel::models
