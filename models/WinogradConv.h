#pragma once
// 3x3 stride-1 "same" convolutions on the CPU through oneDNN's Winograd F(4x4, 3x3) kernels
// (forward, backward data and backward weights), for the decoders' convolutions, which hold
// nearly all of a step's work. ATen runs oneDNN's direct kernels; the Winograd ones do about half
// the arithmetic and measured about 2x faster on AVX-512 for the decoders' shapes
// (docs/performance.md). Where oneDNN has no Winograd kernel (no AVX-512, channel counts it does
// not take) or the build has no oneDNN headers, the ATen convolution runs instead. Internal to
// models/.
#include <torch/torch.h>

#include <cstdint>

namespace doppel::models {

/// Whether this build calls oneDNN directly (its headers were found at configure time).
bool winogradBuilt();
/// Whether oneDNN has Winograd kernels on this CPU (built, and AVX-512 or the like present).
bool winogradAvailable();
/// Process-wide switch (training option `winograd`, the bench's --no-winograd); on by default.
void setWinogradEnabled(bool enabled);
/// Convolutions that went through Winograd so far (forward calls; for tests and the bench).
int64_t winogradForwardCount();

/// conv->forward(x), through Winograd when it applies: CPU, fp32, kernel 3, stride 1, padding 1,
/// no groups or dilation, a map of at least 16x16, and a Winograd kernel for the shape on this
/// CPU. Differentiable in x, the weight and the bias; keeps x's memory format (NCHW or NHWC).
torch::Tensor conv3x3(torch::nn::Conv2d conv, const torch::Tensor& x);

}  // namespace doppel::models
