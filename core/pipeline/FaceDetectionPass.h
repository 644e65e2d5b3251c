#pragma once
// Align's first pass: the faces of every frame that is not kept from an earlier run. Detection
// (dlib HOG) with 68 landmarks, following each face from the previous frame of a video where it
// can (ROI tracking), or the landmarks a photo came with (a faceset made elsewhere).
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "common/Progress.h"
#include "pipeline/AlignRunState.h"
#include "pipeline/EmbeddedFrameFaces.h"
#include "pipeline/FrameFiles.h"

namespace doppel {

class FaceDetectionPass {
  public:
    using FrameDone = std::function<void(const FrameFile&)>;

    /// `videoAt[i]`: whether frames[i] comes from a video; `embedded`: the faces photos came
    /// with, by frame index. All are referenced, not copied, and must outlive the pass.
    FaceDetectionPass(const AlignOptions& options, const std::vector<FrameFile>& frames,
                      const std::vector<bool>& videoAt,
                      const std::map<int64_t, FrameEmbeddedFace>& embedded, AlignStepTimes& times,
                      DecodedFrameCache& decoded);

    /// Fills timeline[i] and states[i] (unreadable, fullDetections) for every frame not
    /// resumed, calling `frameDone` once per such frame (from several worker threads at once).
    /// Work is cut into fixed runs of `redetect_every` frames (not per thread)
    /// and each run is walked in order, so ROI tracking from the previous frame gives the same
    /// faces whatever the thread count.
    void run(FaceTimeline& timeline, std::vector<AlignFrameState>& states,
             const FrameDone& frameDone, const CancelToken& cancel);

  private:
    /// The faces of frames[i] into timeline[i]; `runFirst` is the first frame of its run (no
    /// tracking from before it).
    void findFaces(size_t i, size_t runFirst, FaceDetector& detector, FaceTimeline& timeline,
                   AlignFrameState& state);

    const AlignOptions& options_;
    const std::vector<FrameFile>& frames_;
    const std::vector<bool>& videoAt_;
    const std::map<int64_t, FrameEmbeddedFace>& embedded_;
    AlignStepTimes& times_;
    DecodedFrameCache& decoded_;
};

}  // namespace doppel
