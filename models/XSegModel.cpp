#include "models/XSegModel.h"

#include <algorithm>

#include "common/Error.h"
#include "models/Checkpoint.h"
#include "models/TensorImages.h"

namespace doppel::models {
namespace {

namespace F = torch::nn::functional;

torch::nn::Sequential convBlock(int in, int out) {
    auto conv = [](int a, int b) {
        return torch::nn::Conv2d(torch::nn::Conv2dOptions(a, b, 3).padding(1).bias(false));
    };
    // Group norm, not batch norm: batches are small and prediction runs one face at a time.
    auto norm = [](int channels) {
        return torch::nn::GroupNorm(torch::nn::GroupNormOptions(std::min(8, channels), channels));
    };
    auto act = [] {
        return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1));
    };
    return torch::nn::Sequential(conv(in, out), norm(out), act(), conv(out, out), norm(out), act());
}

}  // namespace

XSegConfig xsegConfigFrom(const nlohmann::json& options) {
    XSegConfig c;
    c.resolution = options.at("resolution").get<int>();
    c.dims = options.at("dims").get<int>();
    if (c.resolution % 16 != 0 || c.resolution < 32)
        throw Error(ErrorCode::BadOption, "xseg resolution must be a multiple of 16, at least 32");
    return c;
}

XSegNetImpl::XSegNetImpl(const XSegConfig& config) {
    int channels[kLevels];
    for (int level = 0; level < kLevels; ++level)
        channels[level] = config.dims * std::min(8, 1 << level);
    for (int level = 0; level < kLevels; ++level) {
        down_[level] =
            register_module("down" + std::to_string(level),
                            convBlock(level == 0 ? 3 : channels[level - 1], channels[level]));
    }
    // up_[level] joins the upsampled level+1 output with level's skip connection.
    for (int level = kLevels - 2; level >= 0; --level) {
        up_[level] =
            register_module("up" + std::to_string(level),
                            convBlock(channels[level + 1] + channels[level], channels[level]));
    }
    out_ = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels[0], 1, 1)));
}

torch::Tensor XSegNetImpl::forward(const torch::Tensor& input) {
    torch::Tensor skips[kLevels];
    torch::Tensor x = input * 2 - 1;
    for (int level = 0; level < kLevels; ++level) {
        if (level > 0) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2));
        x = down_[level]->forward(x);
        skips[level] = x;
    }
    for (int level = kLevels - 2; level >= 0; --level) {
        x = F::interpolate(
            x, F::InterpolateFuncOptions()
                   .size(std::vector<int64_t>{skips[level].size(2), skips[level].size(3)})
                   .mode(torch::kNearest));
        x = up_[level]->forward(torch::cat({x, skips[level]}, 1));
    }
    return out_->forward(x);
}

int64_t XSegNetImpl::parameterCount() const {
    int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

struct XSegPredictor::State {
    XSegConfig config;
    int64_t iteration = 0;
    torch::Device device{torch::kCPU};
    XSegNet net{nullptr};
};

XSegPredictor::XSegPredictor(const std::filesystem::path& modelDir)
    : state_(std::make_unique<State>()) {
    State& s = *state_;
    const CheckpointState saved = Checkpoint::readState(modelDir);
    s.config = xsegConfigFrom(saved.options);
    s.iteration = saved.iteration;
    s.device =
        torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    s.net = XSegNet(s.config);
    s.net->to(s.device);
    Checkpoint::load(modelDir, *s.net, nullptr, s.device);
    s.net->eval();
}

XSegPredictor::~XSegPredictor() = default;

int XSegPredictor::resolution() const {
    return state_->config.resolution;
}

std::string XSegPredictor::describe() const {
    return "xseg res " + std::to_string(state_->config.resolution) + ", iteration " +
           std::to_string(state_->iteration) + ", " + (state_->device.is_cuda() ? "CUDA" : "CPU");
}

std::vector<ImageF32> XSegPredictor::predict(const std::vector<ImageU8>& faces) {
    State& s = *state_;
    const int r = s.config.resolution;
    requireFaces(faces, r, "xseg");
    std::vector<ImageF32> out;
    if (faces.empty()) return out;
    torch::NoGradGuard noGrad;
    constexpr size_t kBatch = 16;
    for (size_t start = 0; start < faces.size(); start += kBatch) {
        std::vector<ImageU8> chunk(faces.begin() + long(start),
                                   faces.begin() + long(std::min(faces.size(), start + kBatch)));
        torch::Tensor x = toFloatNchw(stackImages(chunk, s.device), r);
        for (auto& mask : toImagesF32(torch::sigmoid(s.net->forward(x)).cpu()))
            out.push_back(std::move(mask));
    }
    return out;
}

}  // namespace doppel::models
