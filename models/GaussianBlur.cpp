#include "models/GaussianBlur.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace doppel::models {

namespace F = torch::nn::functional;

torch::Tensor gaussian1d(int size, double sigma, torch::Device device, torch::ScalarType dtype) {
    static std::mutex mutex;
    static std::map<std::tuple<int, double, std::string, int>, torch::Tensor> cache;
    const auto key = std::make_tuple(size, sigma, device.str(), int(dtype));
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto x = torch::arange(size, torch::kFloat64) - (size - 1) / 2.0;
    auto k = torch::exp(-x * x / (2.0 * sigma * sigma));
    k = (k / k.sum()).to(dtype).to(device);
    cache.emplace(key, k);
    return k;
}

torch::Tensor separableBlur(const torch::Tensor& x, const torch::Tensor& k1d, BlurBorder border) {
    const int64_t c = x.size(1), k = k1d.size(0);
    auto horizontal = k1d.view({1, 1, 1, k}).expand({c, 1, 1, k});
    auto vertical = k1d.view({1, 1, k, 1}).expand({c, 1, k, 1});
    torch::Tensor input = x;
    const bool zero = border == BlurBorder::Zero;
    if (border == BlurBorder::Replicate) {
        const int64_t before = k / 2, after = k - 1 - k / 2;
        input =
            F::pad(x, F::PadFuncOptions({before, after, before, after}).mode(torch::kReplicate));
    }
    auto y = F::conv2d(input, horizontal,
                       F::Conv2dFuncOptions().groups(c).padding(zero ? torch::IntArrayRef{0, k / 2}
                                                                     : torch::IntArrayRef{0, 0}));
    return F::conv2d(y, vertical,
                     F::Conv2dFuncOptions().groups(c).padding(zero ? torch::IntArrayRef{k / 2, 0}
                                                                   : torch::IntArrayRef{0, 0}));
}

int blurKernelSize(double sigma) {
    int size = std::max(3, int(4 * sigma));
    return size % 2 == 0 ? size + 1 : size;
}

torch::Tensor gaussianBlur(const torch::Tensor& x, double sigma, BlurBorder border) {
    return separableBlur(x, gaussian1d(blurKernelSize(sigma), sigma, x.device(), x.scalar_type()),
                         border);
}

}  // namespace doppel::models
