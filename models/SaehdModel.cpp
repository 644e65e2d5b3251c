// SAEHD networks (algorithms doc 2.1-2.2). Every block also knows its own multiply-accumulate
// count so that flopsPerIteration() is analytic (conv/dense MACs of the training forward, x2 for
// FLOPs, x3 for forward + backward), the same convention as the peer benchmark.
#include "models/SaehdModel.h"

#include <algorithm>
#include <cctype>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "common/Error.h"
#include "models/WinogradConv.h"

namespace doppel::models {

namespace F = torch::nn::functional;

namespace {

constexpr double kDownscaleSlope = 0.1;
constexpr double kResidualSlope = 0.2;

torch::nn::Conv2d makeConv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(true));
}

/// MACs of a "same" conv producing an outSide x outSide map, per sample.
double convMacs(const torch::nn::Conv2d& conv, int64_t outSide) {
    const auto& o = conv->options;
    const auto k = o.kernel_size();
    return double(outSide) * outSide * o.out_channels() * (o.in_channels() / o.groups()) * (*k)[0] *
           (*k)[1];
}

/// TensorFlow's depth_to_space channel order (channel (i*r + j)*C + c goes to sub-pixel (i, j)):
/// the -d head's four output convs each own one sub-pixel position, as in DeepFaceLab.
torch::Tensor depthToSpaceDcr(const torch::Tensor& x, int64_t r) {
    const auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const auto oc = c / (r * r);
    return x.reshape({b, r, r, oc, h, w})
        .permute({0, 3, 4, 1, 5, 2})
        .reshape({b, oc, h * r, w * r});
}

/// In place: the conv output is a temporary and leaky_relu's backward needs only its result,
/// so this saves one activation-sized allocation per layer.
torch::Tensor leakyReluInPlace(torch::Tensor x, double slope) {
    return torch::leaky_relu_(x, slope);
}

struct DownscaleImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr};
    DownscaleImpl(int64_t in, int64_t out) {
        conv1 = register_module("conv1", makeConv(in, out, 5, 2));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return leakyReluInPlace(conv1->forward(x), kDownscaleSlope);
    }
    double macs(int64_t inSide) const { return convMacs(conv1, inSide / 2); }
};
TORCH_MODULE(Downscale);

struct UpscaleImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr};
    UpscaleImpl(int64_t in, int64_t out) {
        conv1 = register_module("conv1", makeConv(in, out * 4, 3));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        return torch::pixel_shuffle(leakyReluInPlace(conv3x3(conv1, x), kDownscaleSlope), 2);
    }
    double macs(int64_t inSide) const { return convMacs(conv1, inSide); }
};
TORCH_MODULE(Upscale);

struct ResidualBlockImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    explicit ResidualBlockImpl(int64_t channels) {
        conv1 = register_module("conv1", makeConv(channels, channels, 3));
        conv2 = register_module("conv2", makeConv(channels, channels, 3));
    }
    torch::Tensor forward(const torch::Tensor& input) {
        auto x = leakyReluInPlace(conv3x3(conv1, input), kResidualSlope);
        x = conv3x3(conv2, x);
        return leakyReluInPlace(x.add_(input), kResidualSlope);
    }
    double macs(int64_t side) const { return convMacs(conv1, side) + convMacs(conv2, side); }
};
TORCH_MODULE(ResidualBlock);

struct EncoderImpl : torch::nn::Module {
    std::vector<Downscale> downs;
    bool pixelNorm;
    int64_t outChannels = 0;
    EncoderImpl(int64_t eDims, bool pixelNorm_) : pixelNorm(pixelNorm_) {
        int64_t last = 3;
        for (int i = 0; i < 4; ++i) {
            const int64_t ch = eDims * std::min(1 << i, 8);
            downs.push_back(register_module("down" + std::to_string(i), Downscale(last, ch)));
            last = ch;
        }
        outChannels = last;
    }
    torch::Tensor forward(torch::Tensor x) {
        for (auto& d : downs) x = d->forward(x);
        // NCHW flatten order, as DeepFaceLab's channels-first graph.
        x = x.flatten(1);
        if (pixelNorm) {
            // In fp32 even under fp16 autocast: squares of activations above 256 overflow fp16.
            auto xf = x.to(torch::kFloat32);
            x = xf * torch::rsqrt(xf.square().mean(-1, true) + 1e-6);
        }
        return x;
    }
    double macs(int64_t res) const {
        double total = 0;
        for (auto& d : downs) {
            total += d->macs(res);
            res /= 2;
        }
        return total;
    }
};
TORCH_MODULE(Encoder);

struct InterImpl : torch::nn::Module {
    torch::nn::Linear dense1{nullptr}, dense2{nullptr};
    Upscale upscale1{nullptr};
    int64_t outChannels, lowest;
    bool channelsLast = false;
    InterImpl(int64_t inFeatures, int64_t aeDims, int64_t outChannels_, int64_t lowest_)
        : outChannels(outChannels_), lowest(lowest_) {
        dense1 = register_module("dense1", torch::nn::Linear(inFeatures, aeDims));
        dense2 =
            register_module("dense2", torch::nn::Linear(aeDims, lowest * lowest * outChannels));
        upscale1 = register_module("upscale1", Upscale(outChannels, outChannels));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto y = dense2->forward(dense1->forward(x)).reshape({-1, outChannels, lowest, lowest});
        if (channelsLast) y = y.contiguous(at::MemoryFormat::ChannelsLast);
        return upscale1->forward(y);
    }
    double macs() const {
        return double(dense1->options.in_features()) * dense1->options.out_features() +
               double(dense2->options.in_features()) * dense2->options.out_features() +
               upscale1->macs(lowest);
    }
};
TORCH_MODULE(Inter);

struct DecoderImpl : torch::nn::Module {
    Upscale upscale0{nullptr}, upscale1{nullptr}, upscale2{nullptr};
    ResidualBlock res0{nullptr}, res1{nullptr}, res2{nullptr};
    Upscale upscalem0{nullptr}, upscalem1{nullptr}, upscalem2{nullptr}, upscalem3{nullptr};
    torch::nn::Conv2d outConv{nullptr}, outConv1{nullptr}, outConv2{nullptr}, outConv3{nullptr};
    torch::nn::Conv2d outConvMask{nullptr};
    bool doubleRes;

    DecoderImpl(int64_t in, int64_t d, int64_t dm, bool doubleRes_) : doubleRes(doubleRes_) {
        upscale0 = register_module("upscale0", Upscale(in, d * 8));
        upscale1 = register_module("upscale1", Upscale(d * 8, d * 4));
        upscale2 = register_module("upscale2", Upscale(d * 4, d * 2));
        res0 = register_module("res0", ResidualBlock(d * 8));
        res1 = register_module("res1", ResidualBlock(d * 4));
        res2 = register_module("res2", ResidualBlock(d * 2));
        upscalem0 = register_module("upscalem0", Upscale(in, dm * 8));
        upscalem1 = register_module("upscalem1", Upscale(dm * 8, dm * 4));
        upscalem2 = register_module("upscalem2", Upscale(dm * 4, dm * 2));
        outConv = register_module("out_conv", makeConv(d * 2, 3, 1));
        if (doubleRes) {
            outConv1 = register_module("out_conv1", makeConv(d * 2, 3, 3));
            outConv2 = register_module("out_conv2", makeConv(d * 2, 3, 3));
            outConv3 = register_module("out_conv3", makeConv(d * 2, 3, 3));
            upscalem3 = register_module("upscalem3", Upscale(dm * 2, dm));
            outConvMask = register_module("out_convm", makeConv(dm, 1, 1));
        } else {
            outConvMask = register_module("out_convm", makeConv(dm * 2, 1, 1));
        }
    }

    Decoded forward(const torch::Tensor& z) {
        auto x = res0->forward(upscale0->forward(z));
        x = res1->forward(upscale1->forward(x));
        x = res2->forward(upscale2->forward(x));
        if (doubleRes) {
            x = torch::cat({outConv->forward(x), outConv1->forward(x), outConv2->forward(x),
                            outConv3->forward(x)},
                           1);
            x = depthToSpaceDcr(x, 2);
        } else {
            x = outConv->forward(x);
        }
        auto m = upscalem2->forward(upscalem1->forward(upscalem0->forward(z)));
        if (doubleRes) m = upscalem3->forward(m);
        return {torch::sigmoid(x), torch::sigmoid(outConvMask->forward(m))};
    }

    /// `side`: the code's spatial side (res/8, or res/16 for -d).
    double macs(int64_t side) const {
        double total = upscale0->macs(side) + res0->macs(side * 2) + upscale1->macs(side * 2) +
                       res1->macs(side * 4) + upscale2->macs(side * 4) + res2->macs(side * 8) +
                       convMacs(outConv, side * 8);
        total += upscalem0->macs(side) + upscalem1->macs(side * 2) + upscalem2->macs(side * 4);
        if (doubleRes) {
            total += convMacs(outConv1, side * 8) + convMacs(outConv2, side * 8) +
                     convMacs(outConv3, side * 8) + upscalem3->macs(side * 8) +
                     convMacs(outConvMask, side * 16);
        } else {
            total += convMacs(outConvMask, side * 8);
        }
        return total;
    }
};
TORCH_MODULE(Decoder);

}  // namespace

// ---------------------------------------------------------------------------------------------
// ModelConfig

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}
/// Splits "liae-ud" into ("liae", "ud"); validate() checks both parts.
std::pair<std::string, std::string> splitArchi(const std::string& archi) {
    const auto a = lower(archi);
    const auto dash = a.find('-');
    if (dash == std::string::npos) return {a, ""};
    return {a.substr(0, dash), a.substr(dash + 1)};
}
}  // namespace

bool ModelConfig::isLiae() const {
    return splitArchi(archi).first == "liae";
}
bool ModelConfig::usePixelNorm() const {
    return splitArchi(archi).second.find('u') != std::string::npos;
}
bool ModelConfig::halfResDecoder() const {
    return splitArchi(archi).second.find('d') != std::string::npos;
}

void ModelConfig::validate() const {
    const auto [base, opts] = splitArchi(archi);
    if (base != "df" && base != "liae")
        throw Error(ErrorCode::BadOption,
                    "archi '" + archi + "': must be df or liae, optionally with -u, -d or -ud");
    const bool dashPresent = lower(archi).find('-') != std::string::npos;
    if ((dashPresent && opts.empty()) || opts.find_first_not_of("ud") != std::string::npos ||
        std::count(opts.begin(), opts.end(), 'u') > 1 ||
        std::count(opts.begin(), opts.end(), 'd') > 1)
        throw Error(ErrorCode::BadOption, "archi '" + archi + "': unsupported options '" + opts +
                                              "' (only -u, -d and -ud exist)");
    const int step = halfResDecoder() ? 32 : 16;
    if (resolution < 64 || resolution > 512 || resolution % step != 0)
        throw Error(ErrorCode::BadOption, "resolution " + std::to_string(resolution) +
                                              ": must be 64..512 and a multiple of " +
                                              std::to_string(step) + " for archi '" + archi + "'");
    auto checkDims = [](const char* name, int value) {
        if (value < 1 || value > 4096)
            throw Error(ErrorCode::BadOption,
                        std::string(name) + " " + std::to_string(value) + ": must be 1..4096");
    };
    checkDims("ae_dims", aeDims);
    checkDims("e_dims", eDims);
    checkDims("d_dims", dDims);
    checkDims("d_mask_dims", dMaskDims);
}

// ---------------------------------------------------------------------------------------------
// SaehdModelImpl

struct SaehdModelImpl::Parts {
    Encoder encoder{nullptr};
    Inter inter{nullptr}, interAB{nullptr}, interB{nullptr};  // DF uses inter; LIAE the other two
    Decoder decoderSrc{nullptr}, decoderDst{nullptr}, decoder{nullptr};
    int64_t lowest = 0;  ///< side of the dense layer's output grid
};

SaehdModelImpl::SaehdModelImpl(const ModelConfig& config)
    : config_(config), parts_(std::make_shared<Parts>()) {
    config_.validate();
    const int64_t res = config_.resolution;
    const bool dbl = config_.halfResDecoder();
    auto& p = *parts_;
    p.lowest = res / (dbl ? 32 : 16);
    p.encoder = register_module("encoder", Encoder(config_.eDims, config_.usePixelNorm()));
    const int64_t encOut = p.encoder->outChannels * (res / 16) * (res / 16);
    const int64_t ae = config_.aeDims;
    if (!config_.isLiae()) {
        p.inter = register_module("inter", Inter(encOut, ae, ae, p.lowest));
        p.decoderSrc =
            register_module("decoder_src", Decoder(ae, config_.dDims, config_.dMaskDims, dbl));
        p.decoderDst =
            register_module("decoder_dst", Decoder(ae, config_.dDims, config_.dMaskDims, dbl));
    } else {
        p.interAB = register_module("inter_AB", Inter(encOut, ae, ae * 2, p.lowest));
        p.interB = register_module("inter_B", Inter(encOut, ae, ae * 2, p.lowest));
        p.decoder =
            register_module("decoder", Decoder(ae * 4, config_.dDims, config_.dMaskDims, dbl));
    }
    // DeepFaceLab's initialisation: Glorot-uniform weights, zero biases, for every conv and dense.
    torch::NoGradGuard noGrad;
    for (auto& named : named_parameters(true)) {
        const auto& name = named.key();
        auto& tensor = named.value();
        if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
            tensor.zero_();
        else
            torch::nn::init::xavier_uniform_(tensor);
    }
}

std::pair<Decoded, Decoded> SaehdModelImpl::reconstruct(const torch::Tensor& src,
                                                        const torch::Tensor& dst,
                                                        torch::Tensor* sharedCodeOut,
                                                        Decoded* swapOut) {
    auto& p = *parts_;
    const int64_t b = src.size(0), n = dst.size(0);
    auto rows = [](const Decoded& d, int64_t from, int64_t count) {
        return Decoded{d.image.narrow(0, from, count), d.mask.narrow(0, from, count)};
    };
    // The shared sub-networks run once on the concatenated batch: same maths as two passes,
    // half the kernel launches and better GEMM shapes.
    if (hasTwoDecoders()) {
        auto code = sharedCode(src, dst);
        if (sharedCodeOut) *sharedCodeOut = code;
        if (!swapOut) return {decodeSrc(code.narrow(0, 0, b)), decodeDst(code.narrow(0, b, n))};
        // [src codes; dst codes] through the source decoder: the reconstruction, then the swap.
        auto srcOut = decodeSrc(code);
        *swapOut = rows(srcOut, b, n);
        return {rows(srcOut, 0, b), decodeDst(code.narrow(0, b, n))};
    }
    auto e = p.encoder->forward(torch::cat({src, dst}, 0));
    auto ab = p.interAB->forward(e);
    auto abSrc = ab.narrow(0, 0, b), abDst = ab.narrow(0, b, n);
    auto bDst = p.interB->forward(e.narrow(0, b, n));
    std::vector<torch::Tensor> codes = {torch::cat({abSrc, abSrc}, 1),
                                        torch::cat({bDst, abDst}, 1)};
    if (swapOut) codes.push_back(torch::cat({abDst, abDst}, 1));
    auto out = p.decoder->forward(torch::cat(codes, 0));
    if (swapOut) *swapOut = rows(out, b + n, n);
    return {rows(out, 0, b), rows(out, b, n)};
}

torch::Tensor SaehdModelImpl::sharedCode(const torch::Tensor& src, const torch::Tensor& dst) {
    TORCH_CHECK(hasTwoDecoders(), "sharedCode: LIAE has one decoder");
    auto& p = *parts_;
    return p.inter->forward(p.encoder->forward(torch::cat({src, dst}, 0)));
}

Decoded SaehdModelImpl::decodeSrc(const torch::Tensor& code) {
    TORCH_CHECK(hasTwoDecoders(), "decodeSrc: LIAE has one decoder");
    return parts_->decoderSrc->forward(code);
}

Decoded SaehdModelImpl::decodeDst(const torch::Tensor& code) {
    TORCH_CHECK(hasTwoDecoders(), "decodeDst: LIAE has one decoder");
    return parts_->decoderDst->forward(code);
}

Decoded SaehdModelImpl::swap(const torch::Tensor& dst) {
    auto& p = *parts_;
    if (!config_.isLiae()) return p.decoderSrc->forward(p.inter->forward(p.encoder->forward(dst)));
    auto ab = p.interAB->forward(p.encoder->forward(dst));
    return p.decoder->forward(torch::cat({ab, ab}, 1));
}

Decoded SaehdModelImpl::reconstructDst(const torch::Tensor& dst) {
    auto& p = *parts_;
    if (!config_.isLiae()) return p.decoderDst->forward(p.inter->forward(p.encoder->forward(dst)));
    auto e = p.encoder->forward(dst);
    return p.decoder->forward(torch::cat({p.interB->forward(e), p.interAB->forward(e)}, 1));
}

int64_t SaehdModelImpl::parameterCount() const {
    int64_t total = 0;
    for (const auto& t : parameters(true)) total += t.numel();
    return total;
}

double SaehdModelImpl::forwardMacsPerPair() const {
    const auto& p = *parts_;
    const int64_t res = config_.resolution;
    const int64_t codeSide = p.lowest * 2;  // after the inter's upscale
    const double enc = p.encoder->macs(res);
    if (!config_.isLiae())
        return 2 * (enc + p.inter->macs()) + p.decoderSrc->macs(codeSide) +
               p.decoderDst->macs(codeSide);
    // encoder and inter_AB see src and dst; inter_B only dst; the one decoder both codes.
    return 2 * enc + 2 * p.interAB->macs() + p.interB->macs() + 2 * p.decoder->macs(codeSide);
}

double SaehdModelImpl::flopsPerIteration(int batch) const {
    // 2 FLOPs per MAC; backward = grad-input + grad-weight ~ 2x forward.
    return 3.0 * 2.0 * forwardMacsPerPair() * batch;
}

void SaehdModelImpl::useChannelsLast() {
    torch::NoGradGuard noGrad;
    for (auto& t : parameters(true))
        if (t.dim() == 4) t.set_data(t.contiguous(at::MemoryFormat::ChannelsLast));
    for (auto* inter : {&parts_->inter, &parts_->interAB, &parts_->interB})
        if (*inter) (*inter)->channelsLast = true;
}

// ---------------------------------------------------------------------------------------------
// AutocastScope: what Python's `with torch.autocast(...)` does (enable, nest, clear the weight
// cast cache on leaving the outermost scope).

namespace {
// LibTorch 2.4 replaced the per-backend autocast calls (set_enabled, set_cpu_enabled,
// set_autocast_gpu_dtype...) with ones that take the device type, and deprecated the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocastEnabled(bool cuda) {
    return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
}
void setAutocastEnabled(bool cuda, bool on) {
    at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
}
at::ScalarType autocastType(bool cuda) {
    return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
}
void setAutocastType(bool cuda, at::ScalarType t) {
    at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, t);
}
#else
bool autocastEnabled(bool cuda) {
    return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void setAutocastEnabled(bool cuda, bool on) {
    if (cuda)
        at::autocast::set_enabled(on);
    else
        at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocastType(bool cuda) {
    return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void setAutocastType(bool cuda, at::ScalarType t) {
    if (cuda)
        at::autocast::set_autocast_gpu_dtype(t);
    else
        at::autocast::set_autocast_cpu_dtype(t);
}
#endif
}  // namespace

AutocastScope::AutocastScope(torch::Device device, torch::ScalarType dtype)
    : cuda_(device.is_cuda()) {
    wasEnabled_ = autocastEnabled(cuda_);
    previousType_ = autocastType(cuda_);
    setAutocastType(cuda_, dtype);
    setAutocastEnabled(cuda_, true);
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    setAutocastEnabled(cuda_, wasEnabled_);
    setAutocastType(cuda_, previousType_);
}

}  // namespace doppel::models
