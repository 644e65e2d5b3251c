#pragma once
// The torch-free face-swapper interface that models/ implements and the merge stage uses:
// aligned destination faces in, the swapped face and masks out, as plain image buffers.
#include <string>
#include <vector>

#include "common/Image.h"

namespace doppel {

struct SwapPrediction {
    ImageF32 face;           ///< BGR, 0..1, resolution x resolution: dst -> encoder -> src decoder
    ImageF32 predictedMask;  ///< 1 channel, 0..1: the src decoder's mask on the swap ("learned
                             ///< predicted")
    ImageF32 dstMask;  ///< 1 channel, 0..1: the dst decoder's mask of the input ("learned dst")
};

class FaceSwapper {
  public:
    virtual ~FaceSwapper() = default;
    /// Side of the square aligned face the model takes, in pixels.
    virtual int resolution() const = 0;
    /// The face type the model was trained on ("full", "whole_face", ...).
    virtual std::string faceType() const = 0;
    /// e.g. "liae-ud res 128, iteration 20000, CPU".
    virtual std::string describe() const = 0;
    /// Faces are BGR uint8 at resolution(); any batch size. Not thread-safe: one caller at a time.
    virtual std::vector<SwapPrediction> predict(const std::vector<ImageU8>& alignedFaces) = 0;
};

}  // namespace doppel
