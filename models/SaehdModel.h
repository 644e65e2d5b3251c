#pragma once
// The SAEHD-class autoencoder (DeepFaceLab's DF and LIAE, with -u and -d variants), in LibTorch.
// Internal to models/: only .cpp files of models/, the engine tests and the benchmark include it.
#include <torch/torch.h>

#include <string>

namespace doppel::models {

struct ModelConfig {
    std::string archi = "liae-ud";  ///< df | liae, optional suffix -u, -d, -ud
    int resolution = 128;           ///< 64..512, multiple of 16 (32 for -d)
    int aeDims = 256;
    int eDims = 64;
    int dDims = 64;
    int dMaskDims = 22;

    bool isLiae() const;
    bool usePixelNorm() const;    ///< "-u"
    bool halfResDecoder() const;  ///< "-d"
    /// Throws doppel::Error(BadOption) with the reason.
    void validate() const;
};

/// Images are NCHW float in [0, 1]; masks N1HW in [0, 1].
struct Decoded {
    torch::Tensor image;
    torch::Tensor mask;
};

class SaehdModelImpl : public torch::nn::Module {
  public:
    explicit SaehdModelImpl(const ModelConfig& config);

    /// Training forward: src through the src path, dst through the dst path (DF: shared encoder
    /// + inter, per-identity decoders; LIAE: inter_AB / inter_B and one decoder).
    /// `sharedCode`, when given, receives DF's shared code of the concatenated batch (src rows
    /// first); LIAE leaves it undefined. `swap`, when given, receives the swap (dst through the
    /// src path, as swap() computes it) from the same forward: its rows join the source
    /// decoder's batch, so the encoder and inter run once.
    std::pair<Decoded, Decoded> reconstruct(const torch::Tensor& src, const torch::Tensor& dst,
                                            torch::Tensor* sharedCode = nullptr,
                                            Decoded* swap = nullptr);
    /// DF only (two decoders): the shared encoder + inter on the concatenated batch, then each
    /// identity's decoder on its half, so that the decoders can run on separate threads.
    bool hasTwoDecoders() const { return !config_.isLiae(); }
    torch::Tensor sharedCode(const torch::Tensor& src, const torch::Tensor& dst);
    Decoded decodeSrc(const torch::Tensor& code);
    Decoded decodeDst(const torch::Tensor& code);
    /// dst face -> source identity (what the merge uses).
    Decoded swap(const torch::Tensor& dst);
    /// dst face -> dst identity (for the "learned dst" mask).
    Decoded reconstructDst(const torch::Tensor& dst);

    const ModelConfig& config() const { return config_; }
    int64_t parameterCount() const;
    /// Analytic forward+backward FLOPs of one training iteration at this batch (3x forward).
    double flopsPerIteration(int batch) const;
    /// Conv + dense multiply-accumulates of one training forward for one src/dst pair.
    double forwardMacsPerPair() const;
    /// NHWC weights (and NHWC activations after the dense layers): faster convs on CUDA
    /// tensor cores, and no layout reorders around oneDNN's CPU convolutions. Call after moving
    /// the model to its device.
    void useChannelsLast();

  private:
    ModelConfig config_;
    struct Parts;
    std::shared_ptr<Parts> parts_;
};
TORCH_MODULE(SaehdModel);

/// RAII autocast for the network forward (bf16 / fp16 on CUDA, bf16 on CPU); the loss and the
/// optimiser stay in fp32, so cast the outputs with .to(torch::kFloat) after the scope.
class AutocastScope {
  public:
    AutocastScope(torch::Device device, torch::ScalarType dtype);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

  private:
    bool cuda_;
    bool wasEnabled_;
    torch::ScalarType previousType_;
};

}  // namespace doppel::models
