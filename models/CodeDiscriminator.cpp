#include "models/CodeDiscriminator.h"

#include <algorithm>

namespace doppel::models {
namespace {

constexpr int64_t kMaxWidth = 256;

int64_t widthFor(int64_t channels) {
    return std::min(channels, kMaxWidth);
}

}  // namespace

CodeDiscriminatorImpl::CodeDiscriminatorImpl(int64_t channels) {
    const int64_t width = widthFor(channels);
    auto leaky = [] {
        return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2));
    };
    // Two 4x4 stride-2 convs (the code map is 8..64 on a side), then one logit per position.
    layers_->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, width, 4).stride(2).padding(1)));
    layers_->push_back(leaky());
    layers_->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(width, width, 4).stride(2).padding(1)));
    layers_->push_back(leaky());
    layers_->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 1, 1)));
    register_module("layers", layers_);
    torch::NoGradGuard noGrad;
    for (auto& p : named_parameters()) {
        if (p.key().find("weight") != std::string::npos)
            torch::nn::init::xavier_uniform_(p.value());
        else
            p.value().zero_();
    }
}

torch::Tensor CodeDiscriminatorImpl::forward(const torch::Tensor& code) {
    return layers_->forward(code);
}

int64_t CodeDiscriminatorImpl::parameterCount(int64_t channels) {
    const int64_t width = widthFor(channels);
    return channels * width * 16 + width + width * width * 16 + width + width + 1;
}

}  // namespace doppel::models
