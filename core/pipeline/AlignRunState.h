#pragma once
// What align's passes share within one run (AlignStage): the options as parsed, what is known of
// each frame, the time spent per step, and the decoded frames kept from detection for warping.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/AlignedFace.h"
#include "faces/FaceDetector.h"
#include "faces/FaceGeometry.h"
#include "faces/FaceTracking.h"

namespace doppel {

struct AlignOptions {
    FaceType faceType = FaceType::Full;
    int size = 256;
    KeepMode keep = KeepMode::Largest;
    int smooth = 2;
    int fillGaps = 3;
    int threads = 1;
    bool debug = false;
    bool redo = false;
    bool trackRoi = true;
    int redetectEvery = 8;
    int jpegQuality = 95;
    DetectorSettings detector;
};

struct AlignFrameState {
    bool resumed = false;  ///< sidecars exist: not redone, its faces only give tracking context
    bool unreadable = false;
    int fullDetections = 0;  ///< 0 or 1: whether the frame needed a full-frame search
};

/// Per-step time summed over workers (milliseconds of thread time), for align's summary.
struct AlignStepTimes {
    std::mutex mutex;
    double decode = 0, detect = 0, landmarks = 0, align = 0, write = 0;
    void add(double& field, double ms) {
        std::lock_guard<std::mutex> lock(mutex);
        field += ms;
    }
    double total() const { return decode + detect + landmarks + align + write; }
};

/// Decoded frames that hold faces, kept from detection for warping (which would otherwise decode
/// every frame a second time: the larger part of the time at 720p), up to a memory budget;
/// frames past it are decoded again. The pixels are the same either way.
class DecodedFrameCache {
  public:
    /// ~400 frames of 720p, ~170 of 1080p.
    static constexpr int64_t kBudgetBytes = int64_t(1) << 30;

    explicit DecodedFrameCache(size_t frameCount) : frames_(frameCount) {}

    /// Keeps frame `i` if the budget allows. Each `i` is kept by one worker only.
    void keep(size_t i, const cv::Mat& image) {
        const int64_t bytes = int64_t(image.total() * image.elemSize());
        if (bytes_.fetch_add(bytes) + bytes <= kBudgetBytes)
            frames_[i] = image;
        else
            bytes_.fetch_sub(bytes);
    }
    /// Frame `i` if it was kept (empty otherwise); the cache lets go of it.
    cv::Mat take(size_t i) { return std::move(frames_[i]); }

  private:
    std::vector<cv::Mat> frames_;
    std::atomic<int64_t> bytes_{0};
};

}  // namespace doppel
