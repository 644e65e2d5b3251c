// Winograd 3x3 convolutions (oneDNN) against ATen's: same output, same gradients for the input,
// the weight and the bias, in NCHW and in channels-last, and the fallback to ATen for shapes
// Winograd does not take. Where this build or CPU has no Winograd kernel, conv3x3 is ATen's conv
// and the comparison still holds; the test says which ran.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/WinogradConv.h"

using namespace doppel::models;

namespace {

// Largest difference relative to the reference's largest magnitude.
double relativeError(const torch::Tensor& got, const torch::Tensor& want) {
    return (got - want).abs().max().item<double>() / (want.abs().max().item<double>() + 1e-12);
}

struct Result {
    torch::Tensor out, gradX, gradWeight, gradBias;
};

Result run(torch::nn::Conv2d conv, torch::Tensor x, bool winograd) {
    for (auto& p : conv->parameters()) p.mutable_grad() = torch::Tensor();
    x = x.detach().requires_grad_(true);
    torch::Tensor out = winograd ? conv3x3(conv, x) : conv->forward(x);
    // A loss whose gradient differs per element: sum(out * w) for a fixed random w.
    torch::manual_seed(99);
    (out * torch::randn(out.sizes())).sum().backward();
    return {out.detach(), x.grad(), conv->weight.grad().clone(), conv->bias.grad().clone()};
}

}  // namespace

TEST(WinogradConv, MatchesAtenConvolutionAndItsGradients) {
    for (bool channelsLast : {false, true}) {
        SCOPED_TRACE(channelsLast ? "channels-last" : "NCHW");
        torch::manual_seed(1);
        torch::nn::Conv2d conv(torch::nn::Conv2dOptions(32, 48, 3).padding(1).bias(true));
        torch::Tensor x = torch::randn({2, 32, 20, 24});
        if (channelsLast) {
            x = x.contiguous(at::MemoryFormat::ChannelsLast);
            torch::NoGradGuard noGrad;
            conv->weight.set_data(conv->weight.contiguous(at::MemoryFormat::ChannelsLast));
        }
        const int64_t before = winogradForwardCount();
        Result fast = run(conv, x, true);
        const bool usedWinograd = winogradForwardCount() > before;
        Result reference = run(conv, x, false);
        std::printf("[ winograd ] %s\n", usedWinograd ? "oneDNN Winograd kernels ran"
                                                      : "no Winograd kernel here: ATen's conv ran");
        EXPECT_EQ(fast.out.sizes(), reference.out.sizes());
        EXPECT_EQ(fast.out.suggest_memory_format(), x.suggest_memory_format());
        EXPECT_LT(relativeError(fast.out, reference.out), 1e-4);
        EXPECT_LT(relativeError(fast.gradX, reference.gradX), 1e-4);
        EXPECT_LT(relativeError(fast.gradWeight, reference.gradWeight), 1e-4);
        EXPECT_LT(relativeError(fast.gradBias, reference.gradBias), 1e-5);
        EXPECT_EQ(fast.gradWeight.strides(), conv->weight.strides());
    }
}

TEST(WinogradConv, SmallMapsOddChannelsAndOtherKernelsUseAten) {
    torch::manual_seed(2);
    const int64_t before = winogradForwardCount();
    torch::nn::Conv2d small(torch::nn::Conv2dOptions(32, 32, 3).padding(1));
    conv3x3(small, torch::randn({1, 32, 8, 8}));  // below 16x16
    torch::nn::Conv2d strided(torch::nn::Conv2dOptions(32, 32, 3).padding(1).stride(2));
    conv3x3(strided, torch::randn({1, 32, 32, 32}));
    torch::nn::Conv2d fiveByFive(torch::nn::Conv2dOptions(32, 32, 5).padding(2));
    conv3x3(fiveByFive, torch::randn({1, 32, 32, 32}));
    EXPECT_EQ(winogradForwardCount(), before);

    torch::nn::Conv2d rgbOut(torch::nn::Conv2dOptions(32, 3, 3).padding(1));  // 3 output channels
    torch::Tensor x = torch::randn({1, 32, 16, 16});
    EXPECT_LT(relativeError(conv3x3(rgbOut, x), rgbOut->forward(x)), 1e-4);
}

TEST(WinogradConv, OffSwitchRunsAten) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(32, 32, 3).padding(1));
    setWinogradEnabled(false);
    const int64_t before = winogradForwardCount();
    conv3x3(conv, torch::randn({1, 32, 16, 16}));
    EXPECT_EQ(winogradForwardCount(), before);
    setWinogradEnabled(true);
}
