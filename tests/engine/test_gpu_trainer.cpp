// The trainer on CUDA: bf16 autocast and channels-last train a small model whose loss falls, the
// checkpoint loads into a swapper, a model trained on the GPU loads and resumes on the CPU, the
// face-mask model trains and predicts there, and the memory estimate is within 15 % of torch's
// peak.
// Skipped (reported as skipped) without a CUDA device.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "engine/SyntheticFaces.h"
#include "models/Checkpoint.h"
#include "models/TensorImages.h"
#include "models/TrainOptions.h"
#include "models/Trainer.h"
#include "models/XSegTrainer.h"
#include "support/TestSupport.h"

using namespace doppel;
using namespace doppel::models;

namespace {

/// A request for model/NAME on a synthetic pair of `count` faces at `resolution` under `root`.
TrainRequest syntheticRequest(const std::filesystem::path& root, const std::string& name,
                              int resolution, int count) {
    auto [src, dst] = test::writeSyntheticPair(root, resolution, count);
    TrainRequest r;
    r.modelDir = root / "model" / name;
    r.srcFaceset = src;
    r.dstFaceset = dst;
    return r;
}

}  // namespace

TEST(GpuTrainer, MixedPrecisionTrainsOnCuda) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    auto root = test::scratchDir("gpu_trainer");
    auto [src, dst] = test::writeSyntheticPair(root, 128, 64);
    Trainer trainer;
    EXPECT_EQ(trainer.deviceDescription("auto").rfind("CUDA", 0), 0u)
        << trainer.deviceDescription("auto");
    EXPECT_EQ(trainer.deviceDescription("cpu").rfind("CPU", 0), 0u)
        << trainer.deviceDescription("cpu");
    for (const char* precision : {"bf16", "fp16"}) {
        TrainRequest r;
        r.modelDir = root / "model" / precision;
        r.srcFaceset = src;
        r.dstFaceset = dst;
        r.options = {{"archi", "liae-ud"},  {"resolution", 128},      {"batch", 16},
                     {"lr", 5e-5},          {"precision", precision}, {"channels_last", true},
                     {"preview_every", 100}};
        r.maxIterations = 300;
        NullProgressSink progress;
        CancelToken cancel;
        LatestMailbox<TrainingUpdate> previews;
        StageResult result = trainer.train(r, progress, cancel, &previews, nullptr);
        ASSERT_TRUE(result.ok()) << result.message;
        auto update = previews.take();
        ASSERT_TRUE(update.has_value());
        const auto& h = update->lossHistory;
        ASSERT_EQ(h.size(), 300u);
        float first = 0, last = 0;
        for (size_t i = 0; i < 30; ++i)
            first += h[i].srcLoss + h[i].dstLoss,
                last += h[h.size() - 1 - i].srcLoss + h[h.size() - 1 - i].dstLoss;
        EXPECT_LT(last, 0.8f * first) << precision;
        EXPECT_LE(result.summary["skipped_steps"].get<int>(), 5) << precision;
        auto swapper = trainer.loadSwapper(r.modelDir);
        EXPECT_NE(swapper->describe().find("CUDA"), std::string::npos);
        std::printf("[ gpu ] %s: %.1f ms/iter, loss %.4f -> %.4f\n", precision,
                    result.summary["ms_per_iteration"].get<double>(), first / 60, last / 60);
    }
}

// The training extras on CUDA (each written and tested on the CPU): the GAN's discriminator and
// true face's code discriminator under bf16 autocast, ct_mode's eigh on the device, uniform_yaw's
// multinomial with the CUDA generator.
TEST(GpuTrainer, GanColourTransferAndUniformYawRunOnCuda) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    Trainer trainer;
    TrainRequest r = syntheticRequest(test::scratchDir("gpu_trainer_extras"), "extras", 128, 64);
    r.options = {{"archi", "df-ud"},    {"resolution", 128},      {"batch", 8},
                 {"precision", "bf16"}, {"gan_power", 0.1},       {"ct_mode", "lct"},
                 {"uniform_yaw", true}, {"true_face_power", 0.1}, {"preview_every", 50}};
    r.maxIterations = 60;
    NullProgressSink progress;
    CancelToken cancel;
    StageResult result = trainer.train(r, progress, cancel, nullptr, nullptr);
    ASSERT_TRUE(result.ok()) << result.message;
    EXPECT_LE(result.summary["skipped_steps"].get<int>(), 2);
    EXPECT_TRUE(std::filesystem::exists(Checkpoint::currentDir(r.modelDir) / "discriminator.pt"));
    EXPECT_TRUE(
        std::filesystem::exists(Checkpoint::currentDir(r.modelDir) / "code_discriminator.pt"));
    r.options["ct_mode"] = "rct";
    r.maxIterations = 80;  // resume: the discriminator comes back from the checkpoint
    result = trainer.train(r, progress, cancel, nullptr, nullptr);
    ASSERT_TRUE(result.ok()) << result.message;
    for (const auto& point : Checkpoint::readState(r.modelDir).lossHistory)
        ASSERT_TRUE(std::isfinite(point.srcLoss) && std::isfinite(point.dstLoss));
}

// Training on a GPU host and merging on a desktop without one: the checkpoint written on CUDA
// loads onto the CPU with the same weights, and training resumes there (device=cpu).
TEST(GpuTrainer, ACudaCheckpointLoadsAndResumesOnTheCpu) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    Trainer trainer;
    TrainRequest r = syntheticRequest(test::scratchDir("gpu_trainer_to_cpu"), "moved", 64, 32);
    r.options = {{"archi", "df-ud"}, {"resolution", 64},    {"batch", 4},
                 {"ae_dims", 64},    {"e_dims", 16},        {"d_dims", 16},
                 {"d_mask_dims", 8}, {"precision", "bf16"}, {"preview_every", 10}};
    r.maxIterations = 20;
    NullProgressSink progress;
    CancelToken cancel;
    ASSERT_TRUE(trainer.train(r, progress, cancel, nullptr, nullptr).ok());

    const TrainOptions options = TrainOptions::fromJson(Checkpoint::readState(r.modelDir).options);
    SaehdModel onCuda(modelConfigFrom(options)), onCpu(modelConfigFrom(options));
    onCuda->to(torch::Device(torch::kCUDA, 0));
    Checkpoint::load(r.modelDir, onCuda, nullptr, torch::Device(torch::kCUDA, 0));
    Checkpoint::load(r.modelDir, onCpu, nullptr, torch::Device(torch::kCPU));
    auto cudaParams = onCuda->parameters(), cpuParams = onCpu->parameters();
    ASSERT_EQ(cudaParams.size(), cpuParams.size());
    for (size_t i = 0; i < cpuParams.size(); ++i) {
        ASSERT_TRUE(cpuParams[i].device().is_cpu());
        ASSERT_TRUE(torch::equal(cudaParams[i].cpu(), cpuParams[i])) << "parameter " << i;
    }

    r.options["device"] = "cpu";
    r.maxIterations = 23;
    StageResult resumed = trainer.train(r, progress, cancel, nullptr, nullptr);
    ASSERT_TRUE(resumed.ok()) << resumed.message;
    EXPECT_EQ(Checkpoint::readState(r.modelDir).iteration, 23);
}

// The face-mask model on CUDA: trains on the device, its predictor runs there.
TEST(GpuTrainer, XSegTrainsAndPredictsOnCuda) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    const auto root = test::scratchDir("gpu_xseg");
    writePackedFaceset(root / "labelled",
                       test::makeSyntheticFaceset("src", test::identityA(), 32, 128, 3));
    XSegTrainer trainer;
    SegmentationTrainRequest request;
    request.modelDir = root / "xseg";
    request.labelledFaceset = root / "labelled";
    request.options = {{"resolution", 128}, {"batch", 16}};
    request.maxIterations = 100;
    NullProgressSink progress;
    CancelToken cancel;
    StageResult r = trainer.train(request, progress, cancel);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_NE(r.summary["device"].get<std::string>().find("CUDA"), std::string::npos);
    std::printf("[ gpu ] xseg res 128 b16: %.1f ms/iter\n",
                r.summary["ms_per_iteration"].get<double>());
    auto predictor = trainer.loadPredictor(root / "xseg");
    EXPECT_NE(predictor->describe().find("CUDA"), std::string::npos);
    EXPECT_EQ(predictor->predict({ImageU8(128, 128, 3)}).size(), 1u);
}
