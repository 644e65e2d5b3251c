#include "models/TorchSwapper.h"

#include <torch/torch.h>

#include "common/Error.h"
#include "models/Checkpoint.h"
#include "models/TensorImages.h"
#include "models/TrainOptions.h"
#include "models/WinogradConv.h"

namespace doppel::models {

struct TorchSwapper::State {
    TrainOptions options;
    CheckpointState checkpoint;
    torch::Device device{torch::kCPU};
    SaehdModel model{nullptr};
    int batchSize = 16;
};

TorchSwapper::TorchSwapper(const std::filesystem::path& modelDir, int batchSize)
    : state_(std::make_unique<State>()) {
    if (!std::filesystem::is_directory(modelDir))
        throw Error(ErrorCode::NotFound,
                    "model folder not found: " + modelDir.string() + " (run `doppel train` first)");
    State& s = *state_;
    s.batchSize = std::max(1, batchSize);
    s.checkpoint = Checkpoint::readState(modelDir);
    s.options = TrainOptions::fromJson(s.checkpoint.options);
    s.device =
        torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    s.model = SaehdModel(modelConfigFrom(s.options));
    s.model->to(s.device);
    s.checkpoint = Checkpoint::load(modelDir, s.model, nullptr, s.device);
    if (s.options.channelsLast) s.model->useChannelsLast();  // as in training: faster convs
    setWinogradEnabled(s.options.winograd);
    s.model->eval();
}

TorchSwapper::~TorchSwapper() = default;

int TorchSwapper::resolution() const {
    return state_->options.resolution;
}

std::string TorchSwapper::faceType() const {
    return state_->checkpoint.faceType;
}

std::string TorchSwapper::describe() const {
    return state_->options.archi + " res " + std::to_string(state_->options.resolution) +
           ", iteration " + std::to_string(state_->checkpoint.iteration) + ", " +
           (state_->device.is_cuda() ? "CUDA" : "CPU");
}

std::vector<SwapPrediction> TorchSwapper::predict(const std::vector<ImageU8>& faces) {
    State& s = *state_;
    const int r = s.options.resolution;
    requireFaces(faces, r, "swapper");
    std::vector<SwapPrediction> out;
    out.reserve(faces.size());
    torch::NoGradGuard noGrad;
    for (size_t begin = 0; begin < faces.size(); begin += size_t(s.batchSize)) {
        size_t end = std::min(faces.size(), begin + size_t(s.batchSize));
        std::vector<ImageU8> chunk(faces.begin() + long(begin), faces.begin() + long(end));
        torch::Tensor x = toFloatNchw(stackImages(chunk, s.device), r);
        if (s.options.channelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
        Decoded swapped = s.model->swap(x);
        Decoded dst = s.model->reconstructDst(x);
        auto images = toImagesF32(swapped.image.clamp(0, 1));
        auto predicted = toImagesF32(swapped.mask.clamp(0, 1));
        auto dstMasks = toImagesF32(dst.mask.clamp(0, 1));
        for (size_t i = 0; i < images.size(); ++i)
            out.push_back({std::move(images[i]), std::move(predicted[i]), std::move(dstMasks[i])});
    }
    return out;
}

}  // namespace doppel::models
