#include "models/PatchDiscriminator.h"

#include "models/AdversarialLoss.h"
#include "models/PatchDiscriminatorLayout.h"

namespace doppel::models {

using Layout = PatchDiscriminatorLayout;

PatchDiscriminatorImpl::PatchDiscriminatorImpl(int resolution, int dims) {
    const int downscales = Layout::downscales(resolution);
    int channels = 3, field = 1, jump = 1;
    auto addConv = [&](int out, int stride, bool activation) {
        // "same"-style padding for 4x4: one pixel; stride-2 convs halve the side exactly.
        layers_->push_back(torch::nn::Conv2d(
            torch::nn::Conv2dOptions(channels, out, Layout::kKernel).stride(stride).padding(1)));
        if (activation)
            layers_->push_back(
                torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
        field += (Layout::kKernel - 1) * jump;
        jump *= stride;
        channels = out;
    };
    for (int layer = 0; layer < downscales; ++layer)
        addConv(Layout::channels(layer, dims), 2, true);
    addConv(Layout::channels(downscales, dims), 1, true);
    addConv(1, 1, false);  // one logit per patch
    receptiveField_ = field;
    register_module("layers", layers_);
    for (auto& p : named_parameters()) {
        torch::NoGradGuard noGrad;
        if (p.key().find("weight") != std::string::npos)
            torch::nn::init::xavier_uniform_(p.value());
        else
            p.value().zero_();
    }
}

torch::Tensor PatchDiscriminatorImpl::forward(const torch::Tensor& faces) {
    // Centred input, as the networks' own inputs are in [0,1] but a discriminator learns faster
    // on zero-mean data.
    return layers_->forward(faces * 2.0 - 1.0);
}

torch::Tensor generatorAdversarialLoss(PatchDiscriminator& discriminator,
                                       const torch::Tensor& fakes) {
    return generatorTermFromLogits(discriminator->forward(fakes));
}

torch::Tensor discriminatorLoss(PatchDiscriminator& discriminator, const torch::Tensor& reals,
                                const torch::Tensor& fakes) {
    return discriminatorLossFromLogits(discriminator->forward(reals),
                                       discriminator->forward(fakes));
}

}  // namespace doppel::models
