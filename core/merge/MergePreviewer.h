#pragma once
// Single-frame merge for the GUI's merge tab: render(frame, settings) gives the frame before and
// after the merge plus the frame mask. The network output (prediction) of a frame is cached, so
// moving a mask/colour/blend/scale slider re-composites without calling the model again.
//
// Thread use: one MergePreviewer is used by one thread at a time (the GUI's merge worker); calls
// are serialised by an internal mutex, because the FaceSwapper is not thread-safe. Do not call
// it while a MergeStage runs with the same FaceSwapper on another thread.
// Ownership: the previewer borrows the FaceSwapper; it must outlive the previewer.
// Not applied in a preview: temporal colour smoothing (it needs the frames before).
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>

#include "common/FaceSwapper.h"
#include "common/Workspace.h"
#include "merge/FaceCompositor.h"
#include "merge/MergeSettings.h"
#include "merge/MergeSource.h"

namespace doppel {

struct MergePreview {
    int64_t frameIndex = 0;
    cv::Mat before;          ///< CV_8UC3: the destination frame
    cv::Mat after;           ///< CV_8UC3: merged
    cv::Mat mask;            ///< CV_8UC1: the blend mask in frame space
    int faces = 0;           ///< faces merged (0: frame passes through)
    bool fromCache = false;  ///< true when no network call was needed
};

class MergePreviewer {
  public:
    /// Reads the workspace's frames and aligned faces (throws Error(NotFound) like MergeStage).
    MergePreviewer(const Workspace& workspace, FaceSwapper& swapper, size_t cachedFrames = 16);
    MergePreviewer(MergeSource source, FaceSwapper& swapper, size_t cachedFrames = 16);

    /// Throws Error(NotFound) for a frame the workspace does not have.
    MergePreview render(int64_t frameIndex, const MergeSettings& settings);

    const MergeSource& source() const { return source_; }
    /// Network calls so far (a slider change on a cached frame adds none).
    int64_t predictCalls() const;
    void clearCache();

  private:
    struct CachedFrame {
        cv::Mat frame;
        std::vector<FaceMergeInput> faces;
    };
    const CachedFrame& cachedFrame(const MergeFrame& frame, bool& fromCache);

    MergeSource source_;
    FaceSwapper& swapper_;
    size_t capacity_;
    mutable std::mutex mutex_;
    std::map<int64_t, CachedFrame> cache_;
    std::list<int64_t> recent_;  ///< most recent first
    int64_t predictCalls_ = 0;
};

}  // namespace doppel
