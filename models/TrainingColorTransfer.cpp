// Colour transfer between training batches (DeepFaceLab's ct_mode), on the device, in batch.
// The formulas are the textbook ones (Reinhard et al. 2001 for RCT in Lab; the linear map between
// two Gaussians' covariances through symmetric square roots for LCT), with OpenCV's sRGB/Lab
// constants so the training colours match what the merge's colour transfer sees.
#include "models/TrainingColorTransfer.h"

#include <cmath>

#include "common/Error.h"

namespace doppel::models {
namespace {

// Linear RGB to CIE XYZ with the D65 white folded in (OpenCV's coefficients); labToBgr inverts it.
torch::Tensor rgbToXyzMatrix(const torch::TensorOptions& o) {
    return torch::tensor({0.412453 / 0.950456, 0.357580 / 0.950456, 0.180423 / 0.950456,  //
                          0.212671, 0.715160, 0.072169,                                   //
                          0.019334 / 1.088754, 0.119193 / 1.088754, 0.950227 / 1.088754},
                         o)
        .view({3, 3});
}

torch::Tensor applyMatrix(const torch::Tensor& m, const torch::Tensor& x) {
    return m.dim() == 2 ? torch::einsum("ij,njhw->nihw", {m, x})
                        : torch::einsum("nij,njhw->nihw", {m, x});
}

constexpr double kEpsilon = 0.008856;  // (6/29)^3: where Lab's cube root turns linear
constexpr double kKappa = 903.3;       // 116 * kEpsilon^(1/3) - 16 = kKappa * kEpsilon

torch::Tensor labF(const torch::Tensor& t) {
    return torch::where(t > kEpsilon, t.clamp_min(0).pow(1.0 / 3.0), 7.787 * t + 16.0 / 116.0);
}

torch::Tensor labFInverse(const torch::Tensor& f) {
    return torch::where(f > std::cbrt(kEpsilon), f.pow(3), (f - 16.0 / 116.0) / 7.787);
}

// Weighted per-sample, per-channel mean (N3) and the centred images, weights N1HW; a mask with
// almost no area falls back to the whole image.
struct Moments {
    torch::Tensor mean;     // N x C x 1 x 1
    torch::Tensor centred;  // N x C x H x W
    torch::Tensor weights;  // N x 1 x H x W, summing to 1 per sample
};

Moments momentsOf(const torch::Tensor& x, const torch::Tensor& mask) {
    torch::Tensor w = mask.to(x.dtype());
    torch::Tensor area = w.sum({1, 2, 3}, true);
    w = torch::where(area >= 1.0, w / area.clamp_min(1e-6),
                     torch::full_like(w, 1.0 / double(x.size(2) * x.size(3))));
    Moments m;
    m.mean = (x * w).sum({2, 3}, true);
    m.centred = x - m.mean;
    m.weights = w;
    return m;
}

torch::Tensor stddevOf(const Moments& m) {
    return (m.centred.square() * m.weights).sum({2, 3}, true).sqrt();
}

// Symmetric square root of a batch of 3x3 covariances and its inverse, from one eigh.
std::pair<torch::Tensor, torch::Tensor> sqrtAndInverse(const torch::Tensor& covariance) {
    auto [values, vectors] = torch::linalg_eigh(covariance);
    torch::Tensor root = values.clamp_min(1e-6).sqrt();
    auto compose = [&](const torch::Tensor& diagonal) {
        return torch::matmul(vectors * diagonal.unsqueeze(1), vectors.transpose(1, 2));
    };
    return {compose(root), compose(1.0 / root)};
}

torch::Tensor covarianceOf(const Moments& m) {
    return torch::einsum("nihw,njhw->nij", {m.centred * m.weights, m.centred});
}

void transferRct(AugmentedBatch& faces, const AugmentedBatch& reference) {
    torch::Tensor target = bgrToLab(faces.target);
    const Moments from = momentsOf(target, faces.mask);
    const Moments to = momentsOf(bgrToLab(reference.target), reference.mask);
    const torch::Tensor gain = stddevOf(to) / stddevOf(from).clamp_min(1e-3);
    const auto lo = torch::tensor({0.0, -127.0, -127.0}, target.options()).view({1, 3, 1, 1});
    const auto hi = torch::tensor({100.0, 127.0, 127.0}, target.options()).view({1, 3, 1, 1});
    auto map = [&](const torch::Tensor& lab) {
        return labToBgr(torch::max(torch::min((lab - from.mean) * gain + to.mean, hi), lo));
    };
    const bool sameInput = faces.input.is_same(faces.target);
    faces.target = map(target);
    faces.input = sameInput ? faces.target : map(bgrToLab(faces.input));
}

void transferLct(AugmentedBatch& faces, const AugmentedBatch& reference) {
    const Moments from = momentsOf(faces.target, faces.mask);
    const Moments to = momentsOf(reference.target, reference.mask);
    // Work in double: the inverse square root of a near-flat face's covariance is ill-conditioned.
    const torch::Tensor fromCov = covarianceOf(from).to(torch::kFloat64);
    const torch::Tensor toCov = covarianceOf(to).to(torch::kFloat64);
    const torch::Tensor fromInverseRoot = sqrtAndInverse(fromCov).second;
    const torch::Tensor toRoot = sqrtAndInverse(toCov).first;
    const torch::Tensor map = torch::matmul(toRoot, fromInverseRoot).to(faces.target.dtype());
    auto apply = [&](const torch::Tensor& x) {
        return (applyMatrix(map, x - from.mean) + to.mean).clamp(0.0, 1.0);
    };
    const bool sameInput = faces.input.is_same(faces.target);
    faces.target = apply(faces.target);
    faces.input = sameInput ? faces.target : apply(faces.input);
}

}  // namespace

bool isTrainingColorTransferMode(const std::string& mode) {
    return mode == "none" || mode == "rct" || mode == "lct";
}

torch::Tensor bgrToLab(const torch::Tensor& bgr) {
    const torch::Tensor c = bgr.flip(1).clamp(0.0, 1.0);  // BGR -> RGB
    const torch::Tensor linear =
        torch::where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055).pow(2.4));
    const torch::Tensor xyz = applyMatrix(rgbToXyzMatrix(c.options()), linear);
    const torch::Tensor x = xyz.narrow(1, 0, 1), y = xyz.narrow(1, 1, 1), z = xyz.narrow(1, 2, 1);
    const torch::Tensor fy = labF(y);
    const torch::Tensor lightness = torch::where(y > kEpsilon, 116.0 * fy - 16.0, kKappa * y);
    return torch::cat({lightness, 500.0 * (labF(x) - fy), 200.0 * (fy - labF(z))}, 1);
}

torch::Tensor labToBgr(const torch::Tensor& lab) {
    const torch::Tensor lightness = lab.narrow(1, 0, 1);
    const torch::Tensor fy = (lightness + 16.0) / 116.0;
    const torch::Tensor y =
        torch::where(lightness > kKappa * kEpsilon, fy.pow(3), lightness / kKappa);
    const torch::Tensor x = labFInverse(fy + lab.narrow(1, 1, 1) / 500.0);
    const torch::Tensor z = labFInverse(fy - lab.narrow(1, 2, 1) / 200.0);
    const torch::Tensor xyzToRgb =
        torch::inverse(rgbToXyzMatrix(lab.options().dtype(torch::kFloat64))).to(lab.dtype());
    const torch::Tensor linear = applyMatrix(xyzToRgb, torch::cat({x, y, z}, 1)).clamp(0.0, 1.0);
    const torch::Tensor c =
        torch::where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear.pow(1.0 / 2.4) - 0.055);
    return c.clamp(0.0, 1.0).flip(1);  // RGB -> BGR
}

void transferBatchColors(AugmentedBatch& faces, const AugmentedBatch& reference,
                         const std::string& mode) {
    if (!isTrainingColorTransferMode(mode))
        throw Error(ErrorCode::BadOption, "ct_mode: unknown mode '" + mode + "'");
    if (mode == "none") return;
    if (faces.target.size(0) != reference.target.size(0))
        throw Error(ErrorCode::InvalidInput, "ct_mode: batches of different sizes");
    torch::NoGradGuard noGrad;
    if (mode == "rct")
        transferRct(faces, reference);
    else
        transferLct(faces, reference);
}

}  // namespace doppel::models
