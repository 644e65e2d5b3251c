#include "pipeline/FaceDetectionPass.h"

#include <algorithm>
#include <chrono>

#include <opencv2/imgcodecs.hpp>

#include "common/ParallelFor.h"

namespace doppel {

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

FaceDetectionPass::FaceDetectionPass(const AlignOptions& options,
                                     const std::vector<FrameFile>& frames,
                                     const std::vector<bool>& videoAt,
                                     const std::map<int64_t, FrameEmbeddedFace>& embedded,
                                     AlignStepTimes& times, DecodedFrameCache& decoded)
    : options_(options),
      frames_(frames),
      videoAt_(videoAt),
      embedded_(embedded),
      times_(times),
      decoded_(decoded) {}

void FaceDetectionPass::run(FaceTimeline& timeline, std::vector<AlignFrameState>& states,
                            const FrameDone& frameDone, const CancelToken& cancel) {
    const bool anyVideo = std::find(videoAt_.begin(), videoAt_.end(), true) != videoAt_.end();
    const int64_t frameCount = int64_t(frames_.size());
    const int64_t runLength = anyVideo && options_.trackRoi ? options_.redetectEvery : 1;
    const int64_t runCount = (frameCount + runLength - 1) / runLength;
    parallelFor(runCount, options_.threads, [&](int64_t run, int) {
        FaceDetector detector(options_.detector);
        const int64_t first = run * runLength, last = std::min(frameCount, first + runLength);
        for (int64_t i = first; i < last; ++i) {
            if (cancel.isCancelled()) return;
            AlignFrameState& state = states[size_t(i)];
            if (state.resumed) continue;
            findFaces(size_t(i), size_t(first), detector, timeline, state);
            frameDone(frames_[size_t(i)]);
        }
        times_.add(times_.detect, detector.detectMilliseconds());
        times_.add(times_.landmarks, detector.landmarkMilliseconds());
    });
}

void FaceDetectionPass::findFaces(size_t i, size_t runFirst, FaceDetector& detector,
                                  FaceTimeline& timeline, AlignFrameState& state) {
    const auto start = std::chrono::steady_clock::now();
    cv::Mat image = cv::imread(frames_[i].path.string(), cv::IMREAD_COLOR);
    times_.add(times_.decode, msSince(start));
    if (image.empty()) {
        state.unreadable = true;
        return;
    }
    const auto given = embedded_.find(frames_[i].index);
    if (given != embedded_.end()) {
        TrackedFace face{asDetectedFace(inFramePixels(given->second)), -1, false};
        face.imported = true;
        timeline[i].push_back(std::move(face));
        decoded_.keep(i, image);
        return;
    }
    std::vector<DetectedFace> found;
    bool tracked = false;
    if (i > runFirst && continuesVideo(frames_, videoAt_, i) && !timeline[i - 1].empty()) {
        tracked = true;
        for (const TrackedFace& before : timeline[i - 1]) {
            auto near = detector.detectNear(image, before.face);
            if (near.empty()) {
                tracked = false;
                break;
            }
            found.push_back(near.front());
        }
    }
    if (!tracked) {
        found = detector.detect(image);
        state.fullDetections = 1;
    } else {
        std::sort(found.begin(), found.end(),
                  [](const DetectedFace& a, const DetectedFace& b) { return a.box.x < b.box.x; });
    }
    if (!found.empty()) decoded_.keep(i, image);
    for (auto& f : found) {
        TrackedFace face{std::move(f), -1, false};
        if (videoAt_[i]) face.look = faceLook(image, face.face.landmarks);
        timeline[i].push_back(std::move(face));
    }
}

}  // namespace doppel
