// The CUDA memory estimate against peaks measured on an NVIDIA H200 (LibTorch 2.11, cuDNN 9.19,
// doppel-bench-train: torch's max allocated bytes after the warm-up, pool of 64 faces per side;
// docs/performance.md). The estimate is pure arithmetic, so this runs everywhere; a change to the
// layer table or the constants that drifts from the measurements fails here.
#include <gtest/gtest.h>

#include <cmath>

#include "models/MemoryEstimate.h"

using namespace doppel::models;

namespace {

struct MeasuredRun {
    const char* archi;
    int resolution, batch;
    const char* precision;
    int aeDims, eDims, dDims, dMaskDims;
    double parametersMillions;
    double peakMiB;
};

// Measured 2026-11-29 (scripts/gpu-check.sh and the bench's steady-state peak).
const MeasuredRun kH200Runs[] = {
    {"df", 128, 8, "fp32", 256, 64, 64, 22, 57.538, 2135.8},
    {"liae-ud", 128, 16, "fp32", 256, 64, 64, 22, 82.377, 2191.3},
    {"liae-ud", 128, 16, "bf16", 256, 64, 64, 22, 82.377, 2009.0},
    {"df", 256, 32, "fp32", 256, 64, 64, 22, 95.336, 21067.8},
    {"df", 256, 32, "bf16", 256, 64, 64, 22, 95.336, 12542.3},
    {"liae-ud", 256, 32, "bf16", 256, 64, 64, 22, 145.34, 7476.2},
    {"df-ud", 64, 8, "fp32", 128, 32, 32, 16, 12.636, 336.9},
};

}  // namespace

TEST(MemoryEstimate, CudaWithinFifteenPercentOfMeasuredH200Peaks) {
    for (const auto& run : kH200Runs) {
        TrainOptions o;
        o.archi = run.archi;
        o.resolution = run.resolution;
        o.batch = run.batch;
        o.precision = run.precision;
        o.aeDims = run.aeDims;
        o.eDims = run.eDims;
        o.dDims = run.dDims;
        o.dMaskDims = run.dMaskDims;
        const auto m = MemoryEstimate::compute(o, int64_t(run.parametersMillions * 1e6), true, 64,
                                               64, run.resolution);
        const double estimateMiB = double(m.totalBytes) / (1024.0 * 1024.0);
        EXPECT_LT(std::abs(estimateMiB / run.peakMiB - 1.0), 0.15)
            << run.archi << " res " << run.resolution << " batch " << run.batch << " "
            << run.precision << ": estimate " << estimateMiB << " MiB, measured " << run.peakMiB;
    }
}

TEST(MemoryEstimate, HalfPrecisionNeedsLessThanFp32OnCuda) {
    TrainOptions o;
    o.archi = "df";
    o.resolution = 256;
    o.batch = 32;
    const auto fp32 = MemoryEstimate::compute(o, 95'336'320, true, 64, 64, 256);
    o.precision = "bf16";
    const auto bf16 = MemoryEstimate::compute(o, 95'336'320, true, 64, 64, 256);
    EXPECT_LT(bf16.activationBytes, fp32.activationBytes * 0.7);
    EXPECT_EQ(bf16.parameterBytes, fp32.parameterBytes);  // master weights and moments stay fp32
}
