#include "models/MemoryEstimate.h"

#include <cstdio>

#include "models/CodeDiscriminator.h"
#include "models/PatchDiscriminatorLayout.h"

namespace doppel::models {
namespace {

// Calibration (see docs/training.md, "Memory estimate"). Bytes per analytic feature-map element
// per sample: each layer's output is kept in fp32 for backward together with its activation and
// gradient buffers, so a few copies of every map are alive at the peak.
constexpr double kCpuBytesPerElement = 5.0;  // fitted to two measured runs (docs/training.md)
// CUDA, fitted to seven runs on an H200 (LibTorch 2.11, cuDNN 9.19; DF/LIAE-UD, res 64-256, batch
// 8-32, fp32 and bf16; steady peak after cuDNN's algorithm search), all within 4 %: network maps
// cost 2.2 B per element (0.55 of that under bf16/fp16 autocast), the full-resolution loss and
// augmentation maps stay fp32 at 14 B per unit of lossElementsPerSample.
constexpr double kCudaBytesPerNetworkElement = 2.2;
constexpr double kCudaHalfPrecisionFactor = 0.55;
constexpr double kCudaBytesPerLossElement = 14.0;
constexpr double kCpuRuntimeBytes = 187.0 * 1024 * 1024;  // libtorch + oneDNN + allocator slack
constexpr double kCudaRuntimeBytes = 64.0 * 1024 * 1024;  // cuDNN workspaces in torch's allocator
constexpr double kParameterSlack = 1.05;                  // step temporaries of the largest tensors
// CPU Winograd scratch in units of one side's fp32 decoder maps (batch x decoderElements x 4 B),
// fitted to four runs with and without it (docs/training.md): DF side by side 2.6, LIAE 1.8;
// one DF decoder at a time is assumed half the side-by-side figure.
constexpr double kWinogradSideBySideDfFactor = 2.6;
// DF with full-resolution decoders (df, df-u): the scratch grows far less than their maps (the
// largest calls' tiles, not every map, are alive at once): refitted to four runs (res 64 and 128,
// 2026-11-30; the -ud factor over-predicted their peak by 26-43 %).
constexpr double kWinogradFullResolutionDfFactor = 1.0;
constexpr double kWinogradLiaeFactor = 1.8;

double sq(double v) {
    return v * v;
}

bool isLiae(const TrainOptions& o) {
    return o.archi.rfind("liae", 0) == 0;
}

// "-d" / "-ud": the decoders work at half resolution.
bool halfDecoder(const TrainOptions& o) {
    const auto dash = o.archi.find('-');
    return dash != std::string::npos && o.archi.find('d', dash) != std::string::npos;
}

// The image decoder's maps per sample: 3 x (upscale conv 4c + shuffle to c at 2x + residual
// block of 2 convs).
double decoderElements(const TrainOptions& o) {
    double side = (halfDecoder(o) ? o.resolution / 2.0 : double(o.resolution)) / 8;
    double decoder = 0;
    for (double c : {8.0 * o.dDims, 4.0 * o.dDims, 2.0 * o.dDims}) {
        decoder += 2 * sq(side) * 4 * c;  // upscale conv + activation
        side *= 2;
        decoder += sq(side) * c * 5;  // shuffled map + residual convs and activations
    }
    return decoder;
}

}  // namespace

double MemoryEstimate::featureElementsPerSample(const TrainOptions& o) {
    const double r = o.resolution, e = o.eDims, ae = o.aeDims;
    const bool liae = isLiae(o);
    // Encoder: 4 downscales (conv + LeakyReLU outputs).
    double encoder =
        2 * (sq(r / 2) * e + sq(r / 4) * 2 * e + sq(r / 8) * 4 * e + sq(r / 16) * 8 * e);
    // Inter: dense -> grid x ae (x2 for LIAE's two codes), upscale conv to 4x channels + shuffle.
    double code = liae ? 2 * ae : ae;
    double inter = 2 * sq(r / 16) * 4 * code + sq(r / 8) * code;
    return encoder + inter + decoderElementsPerSample(o) + lossElementsPerSample(o);
}

double MemoryEstimate::decoderElementsPerSample(const TrainOptions& o) {
    const double m = o.dMaskDims;
    const double dr = halfDecoder(o) ? o.resolution / 2.0 : double(o.resolution);
    double mask = 0;
    double side = dr / 8;
    for (double c : {8 * m, 4 * m, 2 * m}) {
        mask += 2 * sq(side) * 4 * c;
        side *= 2;
        mask += sq(side) * c;
    }
    return decoderElements(o) + mask;
}

double MemoryEstimate::lossElementsPerSample(const TrainOptions& o) {
    // Heads, loss maps (DSSIM windows, masks) and the augmented batch itself, at full resolution.
    return sq(double(o.resolution)) * 40;
}

MemoryEstimate MemoryEstimate::compute(const TrainOptions& o, int64_t parameters, bool cuda,
                                       int64_t srcFaces, int64_t dstFaces, int facesetResolution,
                                       bool winogradKernels) {
    MemoryEstimate m;
    m.cuda = cuda;
    m.parameters = parameters;
    const double moments = o.optimizer == "rmsprop" ? 1 : 2;
    m.parameterBytes = int64_t(double(parameters) * 4.0 * (2 + moments) * kParameterSlack);
    // Two sides per iteration, `batch` samples each.
    double perSample = featureElementsPerSample(o) * kCpuBytesPerElement;
    if (cuda) {
        const double loss = lossElementsPerSample(o);
        const double network = featureElementsPerSample(o) - loss;
        const double half = o.precision != "fp32" ? kCudaHalfPrecisionFactor : 1.0;
        perSample = network * kCudaBytesPerNetworkElement * half + loss * kCudaBytesPerLossElement;
    }
    m.activationBytes = int64_t(perSample * 2.0 * o.batch);
    const bool style = o.faceStylePower > 0 || o.bgStylePower > 0;
    if (style) {
        // The swap: each destination sample through the source decoder once more (the encoder
        // and inter maps are shared), and the style terms' full-resolution maps (masked and
        // blurred images, DSSIM statistics), counted like the loss maps.
        const double decoder = decoderElementsPerSample(o), loss = lossElementsPerSample(o);
        const double half = cuda && o.precision != "fp32" ? kCudaHalfPrecisionFactor : 1.0;
        const double bytes =
            cuda ? decoder * kCudaBytesPerNetworkElement * half + loss * kCudaBytesPerLossElement
                 : (decoder + loss) * kCpuBytesPerElement;
        m.activationBytes += int64_t(bytes * o.batch);
    }
    if (o.trueFacePower > 0 && !isLiae(o)) {
        // True face: the code discriminator's weights with their optimiser (its maps are tiny).
        m.parameterBytes += int64_t(double(CodeDiscriminatorImpl::parameterCount(o.aeDims)) * 4.0 *
                                    (2 + moments) * kParameterSlack);
    }
    if (o.ganPower > 0) {
        // The GAN: the discriminator's weights with their optimiser, and, alive through the
        // model's backward, its maps for the source batch plus the masked real and fake faces
        // it judges (fp32 on both devices: it runs outside autocast).
        using Layout = PatchDiscriminatorLayout;
        m.parameterBytes += int64_t(double(Layout::parameters(o.resolution)) * 4.0 * (2 + moments) *
                                    kParameterSlack);
        const double elements =
            Layout::mapElementsPerSample(o.resolution) + 2.0 * 3 * sq(double(o.resolution));
        m.activationBytes +=
            int64_t(elements * (cuda ? kCudaBytesPerLossElement / 2 : kCpuBytesPerElement) *
                    double(o.batch));
    }
    m.facesetBytes = (srcFaces + dstFaces) * int64_t(facesetResolution) * facesetResolution * 5;
    m.runtimeBytes = int64_t(cuda ? kCudaRuntimeBytes : kCpuRuntimeBytes);
    if (!cuda && winogradKernels && o.winograd) {
        // Each Winograd call holds its transformed tiles and blocked copies of its maps; DF's
        // two decoders do so at once (side by side from two threads).
        // With the swap (a style term) the step is sequential and the source decoder's call
        // takes twice the batch, which the side-by-side figure matches; LIAE's one decoder call
        // takes 3 batches instead of 2.
        const double sideBySideDf =
            halfDecoder(o) ? kWinogradSideBySideDfFactor : kWinogradFullResolutionDfFactor;
        const double perCall = isLiae(o) ? kWinogradLiaeFactor * (style ? 1.5 : 1.0)
                               : o.threads == 1 && !style ? sideBySideDf / 2
                                                          : sideBySideDf;
        m.convolutionScratchBytes = int64_t(decoderElements(o) * 4.0 * o.batch * perCall);
    }
    m.totalBytes = m.parameterBytes + m.activationBytes + m.facesetBytes + m.runtimeBytes +
                   m.convolutionScratchBytes;
    return m;
}

std::string MemoryEstimate::describe() const {
    const double gib = 1024.0 * 1024 * 1024;
    char line[256];
    std::snprintf(
        line, sizeof line,
        "peak ~%.2f GiB %s (parameters %.1f M: %.2f GiB, activations %.2f GiB, facesets %.2f GiB, "
        "runtime %.2f GiB, convolution scratch %.2f GiB)",
        double(totalBytes) / gib, cuda ? "CUDA allocated" : "CPU RSS", double(parameters) / 1e6,
        double(parameterBytes) / gib, double(activationBytes) / gib, double(facesetBytes) / gib,
        double(runtimeBytes) / gib, double(convolutionScratchBytes) / gib);
    return line;
}

}  // namespace doppel::models
