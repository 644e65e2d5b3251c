// Random warp augmentation in batch on the faces' device (algorithms doc 2.4).
//
// Everything is expressed in grid_sample's normalised coordinates (align_corners = true, so -1
// and +1 are the centres of the border pixels):
//  * the affine (rotation about the centre, scale, shift, optional horizontal flip) is one
//    affine_grid per batch; target and masks are sampled through it;
//  * the non-linear warp is a coarse control grid of 2, 4 or 8 cells per side whose interior
//    points move by N(0, 0.24 cell), border points fixed. The 3x3 and 5x5 grids are upsampled
//    to the 9x9 one first (exact: bilinear on a grid containing the coarse knots), so the
//    per-sample choice is a select, not a branch, and one bilinear upsample gives the dense
//    offset field. The input samples the face at affine(x) + offset(affine(x)): the warp is
//    applied in face space, then the same affine as the target.
// Random numbers come from the caller's generator on its own device (a CPU generator makes the
// batch reproducible whatever the device; the draws are a few hundred numbers per batch).
#include "models/WarpAugment.h"

#include <algorithm>
#include <cmath>

#include "common/Error.h"
#include "models/GaussianBlur.h"

namespace doppel::models {

namespace F = torch::nn::functional;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kFlipProbability = 0.4;  // DeepFaceLab's random_flip
constexpr double kWarpJitter = 0.24;      // control-point std as a fraction of the cell size

/// Draws from the passed generator on that generator's device, then moves to `target`.
class Draws {
  public:
    Draws(torch::Generator generator, torch::Device target) : target_(target), drawDevice_(target) {
        if (generator.defined()) {
            generator_ = generator;
            drawDevice_ = generator.device();
        }
    }
    torch::Tensor uniform(torch::IntArrayRef shape, double lo, double hi) {
        auto u = torch::rand(shape, generator_, options());
        return (u * (hi - lo) + lo).to(target_);
    }
    torch::Tensor normal(torch::IntArrayRef shape, double stddev) {
        return (torch::randn(shape, generator_, options()) * stddev).to(target_);
    }
    torch::Tensor integers(int64_t high, torch::IntArrayRef shape) {
        return torch::randint(high, shape, generator_, options().dtype(torch::kInt64)).to(target_);
    }

  private:
    torch::TensorOptions options() const {
        return torch::TensorOptions().dtype(torch::kFloat32).device(drawDevice_);
    }
    torch::Device target_;
    torch::Device drawDevice_;
    c10::optional<torch::Generator> generator_;
};

/// NHWC uint8 rows `indices` -> NCHW float [0, 1] at `resolution` (area down, bilinear up).
torch::Tensor gatherAsFloat(const torch::Tensor& images, const torch::Tensor& indices,
                            int resolution) {
    auto x = images.index_select(0, indices)
                 .permute({0, 3, 1, 2})
                 .to(torch::kFloat32)
                 .div_(255.0)
                 .contiguous();
    if (x.size(2) != resolution || x.size(3) != resolution) {
        auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{resolution, resolution});
        if (x.size(2) > resolution)
            opts.mode(torch::kArea);
        else
            opts.mode(torch::kBilinear).align_corners(false);
        x = F::interpolate(x, opts);
    }
    return x;
}

/// Per-sample affine in normalised coordinates, (b, 2, 3): output point -> source point.
torch::Tensor randomAffineTheta(int64_t b, int resolution, const AugmentOptions& o,
                                bool flipEnabled, Draws& draws, torch::Device device) {
    auto angle = draws.uniform({b}, -o.rotationDegrees, o.rotationDegrees) * (kPi / 180.0);
    auto scale = draws.uniform({b}, 1.0 / (1.0 + o.scaleRange), 1.0 + o.scaleRange);
    // A shift of f * side pixels is 2 f side / (side - 1) in align_corners coordinates.
    const double toNorm = 2.0 * resolution / (resolution - 1.0);
    auto tx = draws.uniform({b}, -o.translateFraction, o.translateFraction) * toNorm;
    auto ty = draws.uniform({b}, -o.translateFraction, o.translateFraction) * toNorm;
    auto flip = torch::ones({b}, torch::TensorOptions().device(device));
    if (flipEnabled)
        flip = torch::where(draws.uniform({b}, 0.0, 1.0) < kFlipProbability, -flip, flip);
    // source = (1/s) R(-angle) (F x - t), F = diag(flip, 1): flip the output, undo the shift,
    // then the inverse rotation and scale (the forward transform is x -> s R x + t).
    auto c = torch::cos(angle) / scale, s = torch::sin(angle) / scale;
    auto row0 = torch::stack({c * flip, s, -(c * tx + s * ty)}, 1);
    auto row1 = torch::stack({-s * flip, c, s * tx - c * ty}, 1);
    return torch::stack({row0, row1}, 1);
}

/// Control-point offsets (b, 2, cells+1, cells+1), zero on the border.
torch::Tensor controlOffsets(int64_t b, int cells, Draws& draws) {
    const double cellSize = 2.0 / cells;  // normalised units
    auto interior = draws.normal({b, 2, cells - 1, cells - 1}, kWarpJitter * cellSize);
    return F::pad(interior, F::PadFuncOptions({1, 1, 1, 1}));
}

torch::Tensor upsample(const torch::Tensor& x, int64_t side) {
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{side, side})
                                 .mode(torch::kBilinear)
                                 .align_corners(true));
}

/// Dense offset field (b, 2, res, res) of the random smooth warp; channel 0 is x.
torch::Tensor randomWarpOffsets(int64_t b, int resolution, Draws& draws) {
    auto fine = controlOffsets(b, 8, draws);
    auto medium = upsample(controlOffsets(b, 4, draws), 9);
    auto coarse = upsample(controlOffsets(b, 2, draws), 9);
    auto choice = draws.integers(3, {b}).view({b, 1, 1, 1});
    auto picked = torch::where(choice == 0, coarse, torch::where(choice == 1, medium, fine));
    return upsample(picked, resolution);
}

// torch::grid_sampler's codes (the C++ functional options lack bicubic in LibTorch 1.13).
constexpr int64_t kBilinearMode = 0, kBicubicMode = 2;
constexpr int64_t kZerosPadding = 0, kBorderPadding = 1;

torch::Tensor sampleBilinear(const torch::Tensor& x, const torch::Tensor& grid,
                             bool borderReplicate) {
    return torch::grid_sampler(x, grid, kBilinearMode,
                               borderReplicate ? kBorderPadding : kZerosPadding,
                               /*align_corners=*/true);
}

torch::Tensor sampleBicubic(const torch::Tensor& x, const torch::Tensor& grid) {
    // Bicubic overshoots at edges: clamp back to the image range.
    return torch::grid_sampler(x, grid, kBicubicMode, kBorderPadding, /*align_corners=*/true)
        .clamp_(0.0, 1.0);
}

}  // namespace

AugmentedBatch augmentBatch(const torch::Tensor& faces, const torch::Tensor& masks,
                            const torch::Tensor& indices, int resolution,
                            const AugmentOptions& options, torch::Generator generator) {
    if (faces.dim() != 4 || faces.size(3) != 3 || faces.scalar_type() != torch::kUInt8)
        throw Error(ErrorCode::InvalidInput, "augmentBatch: faces must be uint8 NHW3");
    if (masks.dim() != 4 || masks.size(3) != 2 || masks.scalar_type() != torch::kUInt8 ||
        masks.size(0) != faces.size(0) || masks.size(1) != faces.size(1))
        throw Error(ErrorCode::InvalidInput,
                    "augmentBatch: masks must be uint8 NHW2 matching the faces");
    if (resolution < 8)
        throw Error(ErrorCode::BadOption, "augmentBatch: resolution " + std::to_string(resolution));

    // Augmentation is data preparation: keep it out of autograd's bookkeeping.
    torch::NoGradGuard noGrad;
    const auto device = faces.device();
    const auto idx = indices.to(device, torch::kInt64);
    const int64_t b = idx.size(0);
    Draws draws(generator, device);

    auto image = gatherAsFloat(faces, idx, resolution);
    auto maskPair = gatherAsFloat(masks, idx, resolution);
    // In face space, before the warps, so input and target carry the same blurred background.
    if (options.blurOutMask) image = blurOutsideMask(image, maskPair.narrow(1, 0, 1));

    auto theta = randomAffineTheta(b, resolution, options, options.randomFlip, draws, device);
    auto grid = F::affine_grid(theta, {b, 3, resolution, resolution}, /*align_corners=*/true);

    AugmentedBatch out;
    out.target = sampleBicubic(image, grid);
    auto warpedMasks = sampleBilinear(maskPair, grid, /*borderReplicate=*/false);
    out.mask = warpedMasks.narrow(1, 0, 1).contiguous();
    // The eyes/mouth region is renormalised to peak 1 (DeepFaceLab divides by its max).
    auto eyesMouth = warpedMasks.narrow(1, 1, 1);
    auto peak = eyesMouth.amax({1, 2, 3}, true);
    out.eyesMouth = eyesMouth / torch::where(peak > 0, peak, torch::ones_like(peak));

    if (options.randomWarp) {
        auto offsets = randomWarpOffsets(b, resolution, draws);
        // Offset field evaluated where the affine lands, so the warp lives in face space.
        auto offsetAtAffine = sampleBilinear(offsets, grid, /*borderReplicate=*/true);
        out.input = sampleBicubic(image, grid + offsetAtAffine.permute({0, 2, 3, 1}));
    } else {
        out.input = out.target;
    }

    if (options.colorJitter) {
        // Same colour change on input and target: the network must reproduce it, which teaches
        // it lighting variety the faceset may lack.
        auto gain = draws.uniform({b, 3, 1, 1}, 0.92, 1.08);
        auto shift = draws.uniform({b, 1, 1, 1}, -0.05, 0.05);
        auto jitter = [&](const torch::Tensor& x) { return (x * gain + shift).clamp_(0.0, 1.0); };
        out.target = jitter(out.target);
        out.input = options.randomWarp ? jitter(out.input) : out.target;
    }
    return out;
}

torch::Tensor blurOutsideMask(const torch::Tensor& images, const torch::Tensor& mask) {
    torch::NoGradGuard noGrad;
    const double side = double(images.size(2));
    const torch::Tensor blurred =
        gaussianBlur(images, std::max(1.0, side / 16), BlurBorder::Replicate);
    // The hull mask is hard-edged: soften it a little so no seam appears at the face edge.
    const torch::Tensor keep =
        gaussianBlur(mask.to(images.dtype()), std::max(1.0, side / 64), BlurBorder::Replicate);
    return images * keep + blurred * (1 - keep);
}

}  // namespace doppel::models
