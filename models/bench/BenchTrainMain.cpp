// doppel-bench-train: times the SAEHD training step the trainer runs (device-resident synthetic
// uint8 faces -> batched random warp -> DF/LIAE forward -> SAEHD loss for both identities ->
// backward -> AdaBelief), the same step as the peer benchmark ../shared/bench/saehd_ref.py, so the
// two can be compared side by side. Human-readable lines go to stderr, one JSON line to stdout.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define DOPPEL_HAVE_RECORD_PROFILE 1
#endif
#if defined(DOPPEL_HAVE_C10_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "common/Error.h"
#include "models/MemoryEstimate.h"
#include "models/Optimizers.h"
#include "models/SaehdLoss.h"
#include "models/SaehdModel.h"
#include "models/TensorImages.h"
#include "models/TrainStep.h"
#include "models/WarpAugment.h"
#include "models/WinogradConv.h"

namespace {

using doppel::models::AugmentedBatch;

struct BenchOptions {
    std::string archi = "df";
    int resolution = 64;
    int batch = 8;
    int iters = 20;
    int warmup = 3;
    int threads = 2;
    std::string device = "cpu";
    std::string dtype = "fp32";
    int aeDims = 256, eDims = 64, dDims = 64, dMaskDims = 22;
    int pool = 64;
    uint64_t seed = 0;
    bool channelsLast = true;         ///< the trainer's default (option channels_last)
    bool sequentialDecoders = false;  ///< the decoders one after the other (as eager PyTorch)
    double stylePower = 0;            ///< face_style_power and bg_style_power both (percent)
    /// "decoders", "winograd" or "style": alternate iterations between the default and that feature
    /// off in this one process (drift on a shared machine cancels out) and report both.
    std::string compare;
    bool winograd = true;  ///< the trainer's default (option winograd)
    int logEvery = 0;
    std::string traceFile;  ///< chrome://tracing JSON of the timed iterations (op-level profile)
};

const char* kUsage =
    "usage: doppel-bench-train [--arch df|liae[-u|-d|-ud]] [--res N] [--batch N] [--iters N]\n"
    "  [--warmup N] [--threads N] [--device cpu|cuda] [--dtype fp32|bf16|fp16] [--channels-last]\n"
    "  [--no-channels-last] [--no-winograd] [--sequential-decoders] [--style-power P]\n"
    "  [--compare decoders|winograd|style] [--ae-dims N] [--e-dims N] [--d-dims N]\n"
    "  [--d-mask-dims N] [--pool N] [--seed N] [--log-every N] [--trace FILE.json]\n"
    "Times the SAEHD training step (warp + forward + loss + backward + AdaBelief) on synthetic "
    "faces.\n--style-power P: face_style_power and bg_style_power at P; --compare X: X off in "
    "every second iteration.\n";

BenchOptions parseArgs(int argc, char** argv) {
    BenchOptions o;
    auto need = [&](int& i) -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(std::string("missing value after ") + argv[i]);
        return argv[++i];
    };
    auto toInt = [](const std::string& flag, const std::string& v) {
        try {
            size_t used = 0;
            int x = std::stoi(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
            return x;
        } catch (const std::exception&) {
            throw std::runtime_error(flag + ": not an integer: '" + v + "'");
        }
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else if (a == "--arch") {
            o.archi = need(i);
        } else if (a == "--res") {
            o.resolution = toInt(a, need(i));
        } else if (a == "--batch") {
            o.batch = toInt(a, need(i));
        } else if (a == "--iters") {
            o.iters = toInt(a, need(i));
        } else if (a == "--warmup") {
            o.warmup = toInt(a, need(i));
        } else if (a == "--threads") {
            o.threads = toInt(a, need(i));
        } else if (a == "--device") {
            o.device = need(i);
        } else if (a == "--dtype") {
            o.dtype = need(i);
        } else if (a == "--ae-dims") {
            o.aeDims = toInt(a, need(i));
        } else if (a == "--e-dims") {
            o.eDims = toInt(a, need(i));
        } else if (a == "--d-dims") {
            o.dDims = toInt(a, need(i));
        } else if (a == "--d-mask-dims") {
            o.dMaskDims = toInt(a, need(i));
        } else if (a == "--pool") {
            o.pool = toInt(a, need(i));
        } else if (a == "--seed") {
            o.seed = uint64_t(toInt(a, need(i)));
        } else if (a == "--channels-last") {
            o.channelsLast = true;
        } else if (a == "--no-winograd") {
            o.winograd = false;
        } else if (a == "--no-channels-last") {
            o.channelsLast = false;
        } else if (a == "--sequential-decoders") {
            o.sequentialDecoders = true;
        } else if (a == "--style-power") {
            o.stylePower = std::stod(need(i));
        } else if (a == "--compare") {
            o.compare = need(i);
            if (o.compare != "decoders" && o.compare != "winograd" && o.compare != "style")
                throw std::runtime_error("--compare: decoders, winograd or style");
        } else if (a == "--trace") {
            o.traceFile = need(i);
        } else if (a == "--log-every") {
            o.logEvery = toInt(a, need(i));
        } else {
            throw std::runtime_error("unknown argument '" + a + "' (see --help)");
        }
    }
    if (o.batch < 1 || o.iters < 1 || o.warmup < 0 || o.threads < 1 || o.pool < 1)
        throw std::runtime_error(
            "--batch, --iters, --threads and --pool must be >= 1, --warmup >= 0");
    if (o.compare == "style" && o.stylePower <= 0)
        throw std::runtime_error("--compare style needs --style-power > 0");
    if (o.dtype != "fp32" && o.dtype != "bf16" && o.dtype != "fp16")
        throw std::runtime_error("--dtype must be fp32, bf16 or fp16, not '" + o.dtype + "'");
    return o;
}

/// Synthetic "faces" for one identity, built on the CPU from `gen` and moved to the device once:
/// a smooth four-corner background, a shaded tilted ellipse of skin, two eyes and a mouth,
/// a few soft texture blobs. Returns NHW3 uint8 faces and NHW2 uint8 masks (face, eyes+mouth),
/// the PackedFaceset layout the trainer feeds to augmentBatch.
std::pair<torch::Tensor, torch::Tensor> syntheticFaces(int n, int res, torch::Generator& gen,
                                                       double warmth, torch::Device device) {
    auto rnd = [&](std::vector<int64_t> shape) { return torch::rand(shape, gen); };
    auto lin = torch::linspace(0.0, 1.0, res);
    auto Y = lin.view({1, res, 1}).expand({1, res, res});
    auto X = lin.view({1, 1, res}).expand({1, res, res});
    auto corners = rnd({n, 4, 3, 1, 1});
    auto Xc = X.unsqueeze(1), Yc = Y.unsqueeze(1);  // (1,1,H,W)
    auto background = corners.select(1, 0) * (1 - Xc) * (1 - Yc) +
                      corners.select(1, 1) * Xc * (1 - Yc) + corners.select(1, 2) * (1 - Xc) * Yc +
                      corners.select(1, 3) * Xc * Yc;  // (n,3,H,W)
    auto col = [&](torch::Tensor t) { return t.view({n, 1, 1}); };
    auto cx = col(0.5 + (rnd({n}) - 0.5) * 0.1), cy = col(0.52 + (rnd({n}) - 0.5) * 0.1);
    auto ax = col(0.25 + rnd({n}) * 0.07), ay = col(0.33 + rnd({n}) * 0.07);
    auto tilt = col((rnd({n}) - 0.5) * 0.4);
    auto dx = X - cx, dy = Y - cy;
    auto u = dx * torch::cos(tilt) + dy * torch::sin(tilt);
    auto v = -dx * torch::sin(tilt) + dy * torch::cos(tilt);
    auto radius = (u / ax).square() + (v / ay).square();  // (n,H,W), 1 on the face outline
    auto faceMask = (radius <= 1.0).to(torch::kFloat32).unsqueeze(1);
    auto faceSoft = torch::sigmoid((1.0 - radius) * 18.0).unsqueeze(1);
    auto skin =
        (torch::tensor({0.30 + 0.15 * warmth, 0.30, 0.30 - 0.05 * warmth}).view({1, 3, 1, 1}) +
         rnd({n, 3, 1, 1}) * 0.35);
    auto shade = (0.7 + 0.4 * (1.0 - radius).clamp_min(0.0)).unsqueeze(1);
    auto image = background * (1 - faceSoft) + (skin * shade).clamp(0, 1) * faceSoft;
    auto eyesMouth = torch::zeros_like(faceMask);
    // (u offset, v offset, u radius, v radius) in face-radius units: right eye, left eye, mouth.
    const double features[3][4] = {
        {-0.4, -0.22, 0.17, 0.08}, {0.4, -0.22, 0.17, 0.08}, {0.0, 0.45, 0.36, 0.1}};
    for (const auto& f : features) {
        auto e =
            ((u - f[0] * ax) / (f[2] * ax)).square() + ((v - f[1] * ay) / (f[3] * ay)).square();
        auto soft = torch::sigmoid((1.0 - e) * 10.0).unsqueeze(1);
        auto colour = rnd({n, 3, 1, 1}) * 0.3 + (f[1] > 0 ? 0.45 : 0.1);
        image = image * (1 - soft) + colour * soft;
        eyesMouth = torch::maximum(eyesMouth, (e <= 1.3).to(torch::kFloat32).unsqueeze(1));
    }
    for (int blob = 0; blob < 5; ++blob) {
        auto bx = col(rnd({n})), by = col(rnd({n})), sigma = col(0.02 + rnd({n}) * 0.1);
        auto g =
            torch::exp(-((X - bx).square() + (Y - by).square()) / (2 * sigma * sigma)).unsqueeze(1);
        image = image + 0.3 * g * (rnd({n, 3, 1, 1}) - 0.5);
    }
    auto toU8 = [](const torch::Tensor& x) {
        return (x.clamp(0, 1) * 255).round().to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
    };
    auto faces = toU8(image);
    auto masks = toU8(torch::cat({faceMask, eyesMouth * faceMask}, 1));
    return {faces.to(device), masks.to(device)};
}

/// Peak resident set of the process (VmHWM), in MiB; -1 when /proc is unavailable.
double peakRssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream in(line.substr(6));
            double kib = 0;
            in >> kib;
            return kib / 1024.0;
        }
    }
    return -1;
}

/// (CPU seconds of this process, busy CPU seconds of the whole machine or -1): the difference
/// over the timed loop says whether other processes competed for the cores.
std::pair<double, double> cpuSnapshot() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double self = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    std::vector<double> ticks;
    double t = 0;
    stat >> cpu;
    while (ticks.size() < 8 && stat >> t) ticks.push_back(t);
    if (ticks.size() < 8) return {self, -1};
    double busy = 0;
    for (double x : ticks) busy += x;
    busy -= ticks[3] + ticks[4];  // idle, iowait
    return {self, busy / double(sysconf(_SC_CLK_TCK))};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double round2(double x) {
    return std::round(x * 100.0) / 100.0;
}

int run(const BenchOptions& o) {
    torch::set_num_threads(o.threads);
    torch::manual_seed(o.seed);
    torch::Device device(o.device);
    if (device.is_cuda() && !torch::cuda::is_available())
        throw std::runtime_error("--device " + o.device +
                                 ": this LibTorch has no CUDA device available");
    const bool cuda = device.is_cuda();
    // As the peer does: let cuDNN pick the fastest convolution algorithm for these fixed shapes.
    if (cuda) at::globalContext().setBenchmarkCuDNN(true);
    auto sync = [&] {
        if (cuda) torch::cuda::synchronize();
    };

    // The trainer's options for this configuration: they build the model and the memory estimate.
    doppel::models::TrainOptions trainOptions;
    trainOptions.archi = o.archi;
    trainOptions.resolution = o.resolution;
    trainOptions.batch = o.batch;
    trainOptions.aeDims = o.aeDims;
    trainOptions.eDims = o.eDims;
    trainOptions.dDims = o.dDims;
    trainOptions.dMaskDims = o.dMaskDims;
    trainOptions.precision = o.dtype;
    doppel::models::SaehdModel model(doppel::models::modelConfigFrom(trainOptions));
    model->to(device);
    if (o.channelsLast) model->useChannelsLast();
    const int64_t params = model->parameterCount();
    const double flopsPerIter = model->flopsPerIteration(o.batch);

    // DeepFaceLab's AdaBelief (eps 1e-6), lr 5e-5, no lr dropout / clipping: as the peer.
    doppel::models::AdaBelief optimizer(model->parameters(),
                                        doppel::models::AdaBeliefOptions(5e-5).eps(1e-6));

    // A CPU generator keeps the data and the warp reproducible; on CUDA the device's default
    // generator (seeded above) draws on the device so no host round trip enters the timing.
    auto cpuGen = torch::make_generator<at::CPUGeneratorImpl>(o.seed + 1234);
    torch::Tensor srcFaces, srcMasks, dstFaces, dstMasks;
    std::tie(srcFaces, srcMasks) = syntheticFaces(o.pool, o.resolution, cpuGen, 1.0, device);
    std::tie(dstFaces, dstMasks) = syntheticFaces(o.pool, o.resolution, cpuGen, 0.0, device);
    torch::Generator augGen = cuda ? torch::Generator() : cpuGen;

    doppel::models::AugmentOptions srcAug, dstAug;
    srcAug.randomFlip = false;  // DeepFaceLab's defaults: flip dst only
    dstAug.randomFlip = true;
    // The trainer's own step (forward, loss, backward), so the figures are the trainer's.
    doppel::models::StepSettings stepSettings;
    stepSettings.loss.resolution = o.resolution;
    if (o.dtype != "fp32")
        stepSettings.forwardType = o.dtype == "bf16" ? torch::kBFloat16 : torch::kFloat16;
    stepSettings.channelsLast = o.channelsLast;
    stepSettings.decodersSideBySide = !o.sequentialDecoders;
    doppel::models::setWinogradEnabled(o.winograd);
    doppel::models::TrainStep styleOffStep(stepSettings);  // --compare style's other turn
    stepSettings.loss.faceStylePower = stepSettings.loss.bgStylePower = o.stylePower;
    trainOptions.faceStylePower = trainOptions.bgStylePower = o.stylePower;
    doppel::models::TrainStep step(stepSettings);
    stepSettings.decodersSideBySide = false;
    doppel::models::TrainStep sequentialStep(stepSettings);
    auto drawIndices = [&](int64_t poolSize) {
        return cuda ? torch::randint(poolSize, {o.batch},
                                     torch::TensorOptions().dtype(torch::kInt64).device(device))
                    : torch::randint(poolSize, {o.batch}, cpuGen,
                                     torch::TensorOptions().dtype(torch::kInt64));
    };

    auto oneIteration =
        [&](doppel::models::TrainStep& step) -> std::pair<torch::Tensor, torch::Tensor> {
        AugmentedBatch src = doppel::models::augmentBatch(srcFaces, srcMasks, drawIndices(o.pool),
                                                          o.resolution, srcAug, augGen);
        AugmentedBatch dst = doppel::models::augmentBatch(dstFaces, dstMasks, drawIndices(o.pool),
                                                          o.resolution, dstAug, augGen);
        doppel::models::clearGradients(optimizer);
        doppel::models::StepLosses losses = step.run(model, src, dst);
        optimizer.step();
        return {losses.src.perSample.mean(), losses.dst.perSample.mean()};
    };

    std::cerr << "[bench] " << o.archi << " res " << o.resolution << " batch " << o.batch
              << " device " << o.device << " dtype " << o.dtype
              << (o.channelsLast ? " channels-last" : "") << " threads " << torch::get_num_threads()
              << ": " << params << " parameters, " << std::fixed << std::setprecision(3)
              << flopsPerIter / 1e12 << " TFLOP/iter (analytic)\n";

    std::vector<double> times, alternativeTimes;  // alternative: the --compare feature off
    std::vector<std::pair<double, double>> losses;
    const auto wallStart = std::chrono::steady_clock::now();
    std::pair<double, double> cpuAtStart{0, 0};
    std::chrono::steady_clock::time_point timedStart;
    double warmupPeakMiB = 0;
#if defined(DOPPEL_HAVE_RECORD_PROFILE)
    std::unique_ptr<torch::autograd::profiler::RecordProfile> trace;
#else
    std::unique_ptr<int> trace;
    if (!o.traceFile.empty())
        throw std::runtime_error("--trace: this LibTorch has no RecordProfile");
#endif
    for (int i = 0; i < o.warmup + o.iters; ++i) {
#if defined(DOPPEL_HAVE_RECORD_PROFILE)
        if (i == o.warmup && !o.traceFile.empty())
            trace = std::make_unique<torch::autograd::profiler::RecordProfile>(o.traceFile);
#endif
        if (i == o.warmup) {
#if defined(DOPPEL_HAVE_C10_CUDA)
            // cuDNN's algorithm search (first iterations) tries workspaces far larger than the
            // steady step needs: keep that peak apart from the training peak.
            if (cuda) {
                const int index = device.index() < 0 ? 0 : device.index();
                warmupPeakMiB = double(c10::cuda::CUDACachingAllocator::getDeviceStats(index)
                                           .allocated_bytes[0]
                                           .peak) /
                                (1024.0 * 1024.0);
                c10::cuda::CUDACachingAllocator::resetPeakStats(index);
            }
#endif
            cpuAtStart = cpuSnapshot();
            timedStart = std::chrono::steady_clock::now();
        }
        sync();
        const auto t0 = std::chrono::steady_clock::now();
        const bool alternativeTurn = !o.compare.empty() && i % 2 == 1;
        if (o.compare == "winograd")
            doppel::models::setWinogradEnabled(o.winograd && !alternativeTurn);
        auto [s, d] = oneIteration(!alternativeTurn          ? step
                                   : o.compare == "decoders" ? sequentialStep
                                   : o.compare == "style"    ? styleOffStep
                                                             : step);
        sync();
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        losses.emplace_back(s.item<double>(), d.item<double>());
        if (i >= o.warmup) (alternativeTurn ? alternativeTimes : times).push_back(ms);
        if (o.logEvery > 0 && (i % o.logEvery == 0 || i == o.warmup + o.iters - 1))
            std::cerr << "[bench] iter " << i << "  " << std::setprecision(1) << ms
                      << " ms  src_loss " << std::setprecision(4) << losses.back().first
                      << "  dst_loss " << losses.back().second << "\n";
    }
    const auto end = std::chrono::steady_clock::now();
    trace.reset();  // writes the trace
    const auto cpuAtEnd = cpuSnapshot();
    const double wallSeconds = std::chrono::duration<double>(end - wallStart).count();
    const double timedSeconds = std::chrono::duration<double>(end - timedStart).count();
    const double cpuSelf = (cpuAtEnd.first - cpuAtStart.first) / timedSeconds;
    const double cpuOther =
        cpuAtEnd.second < 0
            ? -1
            : std::max(0.0, (cpuAtEnd.second - cpuAtStart.second) / timedSeconds - cpuSelf);

    const double med = median(times);
    const double samplesPerSecond = o.batch * 1000.0 / med;
    const double tflops = flopsPerIter / (med / 1000.0) / 1e12;
    double peakMiB = peakRssMiB();
    std::string peakKind = "process peak RSS (VmHWM)";
#if defined(DOPPEL_HAVE_C10_CUDA)
    if (cuda) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(
            device.index() < 0 ? 0 : device.index());
        peakMiB = double(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
        peakKind = "CUDA max allocated after warm-up";
    }
#endif

    std::cerr << std::setprecision(1) << "[bench] " << o.archi << " res " << o.resolution
              << " batch " << o.batch << " " << o.device << " " << o.dtype << ": " << med
              << " ms/iter (median of " << o.iters << "), " << std::setprecision(2)
              << samplesPerSecond << " samples/s, " << std::setprecision(3) << tflops
              << " TFLOP/s achieved, peak memory " << std::setprecision(0) << peakMiB << " MiB ("
              << peakKind << ")\n";

    const size_t k = std::min<size_t>(10, losses.size());
    double firstMean = 0, lastMean = 0;
    for (size_t i = 0; i < k; ++i) {
        firstMean += losses[i].first + losses[i].second;
        lastMean += losses[losses.size() - k + i].first + losses[losses.size() - k + i].second;
    }
    nlohmann::ordered_json j;
    j["arch"] = o.archi;
    j["res"] = o.resolution;
    j["batch"] = o.batch;
    j["device"] = o.device;
    j["dtype"] = o.dtype;
    j["ms_per_iter_median"] = round2(med);
    j["samples_per_s"] = std::round(samplesPerSecond * 1000.0) / 1000.0;
    j["params_millions"] = std::round(params / 1e3) / 1e3;
    j["peak_mem_mb"] = std::round(peakMiB * 10.0) / 10.0;
    j["torch_version"] = TORCH_VERSION;
    j["ms_per_iter_mean"] = round2(std::accumulate(times.begin(), times.end(), 0.0) / times.size());
    j["ms_per_iter_min"] = round2(*std::min_element(times.begin(), times.end()));
    j["ms_per_iter_max"] = round2(*std::max_element(times.begin(), times.end()));
    j["iters"] = o.iters;
    j["warmup"] = o.warmup;
    j["wall_s"] = round2(wallSeconds);
    // CPU seconds per wall second during the timed loop (> 0 for others: the run was contended).
    j["cpu_util_self"] = round2(cpuSelf);
    j["cpu_util_other_processes"] =
        cpuOther < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(round2(cpuOther));
    j["analytic_train_tflop_per_iter"] = std::round(flopsPerIter / 1e8) / 1e4;
    j["achieved_tflop_per_s"] = std::round(tflops * 1e4) / 1e4;
    j["loss_first"] = {{"src", losses.front().first}, {"dst", losses.front().second}};
    j["loss_last"] = {{"src", losses.back().first}, {"dst", losses.back().second}};
    j["loss_first" + std::to_string(k) + "_mean"] = firstMean / k;
    j["loss_last" + std::to_string(k) + "_mean"] = lastMean / k;
    j["peak_mem_kind"] = peakKind;
    if (cuda) j["warmup_peak_mem_mb"] = std::round(warmupPeakMiB * 10.0) / 10.0;
    // What `doppel train --estimate` predicts for this configuration, to check it against the peak.
    trainOptions.winograd = o.winograd;
    const auto estimate =
        doppel::models::MemoryEstimate::compute(trainOptions, params, cuda, o.pool, o.pool,
                                                o.resolution, doppel::models::winogradAvailable());
    j["estimated_peak_mb"] = std::round(double(estimate.totalBytes) / (1024.0 * 1024.0));
    j["threads"] = torch::get_num_threads();
    j["channels_last"] = o.channelsLast;
    j["decoders_side_by_side"] = step.lastRunSideBySide();
    j["winograd_convolutions"] = doppel::models::winogradForwardCount() > 0;
    if (!alternativeTimes.empty()) {
        j["compare"] = o.compare;
        j["compare_off_ms_per_iter_median"] = round2(median(alternativeTimes));
        j["on_over_off"] = std::round(med / median(alternativeTimes) * 1000) / 1000;
    }
    j["optimizer"] = "adabelief";
    j["lr"] = 5e-5;
    j["masked_training"] = true;
    j["style_power"] = o.stylePower;
    j["random_warp"] = true;
    j["dims"] = {{"ae", o.aeDims}, {"e", o.eDims}, {"d", o.dDims}, {"d_mask", o.dMaskDims}};
    std::cout << j.dump() << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parseArgs(argc, argv));
    } catch (const std::exception& e) {
        std::cerr << "doppel-bench-train: " << e.what() << "\n";
        return 2;
    }
}
