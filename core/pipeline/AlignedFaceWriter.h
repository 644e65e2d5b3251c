#pragma once
// Align's last pass: each kept face is cut from its frame (a similarity warp onto the mean face,
// fitted on smoothed landmarks in videos) and written as aligned/<frame>_<face>.jpg with its
// sidecar, carrying over the user's work from before a redo: drawn masks onto the same face,
// faces deleted in review staying deleted. Faces a photo came with also bring their drawn
// polygons and applied XSeg mask.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>

#include "common/Progress.h"
#include "pipeline/AlignRunState.h"
#include "pipeline/EmbeddedFrameFaces.h"
#include "pipeline/FrameFiles.h"

namespace doppel {

class AlignedFaceWriter {
  public:
    using FrameDone = std::function<void(const FrameFile&)>;

    /// What the user made before a redo, by frame index: faces with drawn masks, and the boxes
    /// of faces deleted in review.
    struct EarlierWork {
        std::map<int64_t, std::vector<AlignedFace>> drawnMasks;
        std::map<int64_t, std::vector<cv::Rect2f>> deletedBoxes;
    };

    /// Writes into `outDir` (and, with the debug option, annotated frames into `debugDir`).
    /// Everything given is referenced, not copied, and must outlive the writer.
    AlignedFaceWriter(const AlignOptions& options, const std::filesystem::path& outDir,
                      const std::filesystem::path& debugDir,
                      const std::map<int64_t, FrameEmbeddedFace>& embedded,
                      const EarlierWork& earlier, AlignStepTimes& times);

    /// Writes the kept faces of every frame not resumed, calling `frameDone` once per such
    /// frame (from several worker threads at once). Stops early when `cancel` is set.
    void run(const std::vector<FrameFile>& frames, const std::vector<bool>& videoAt,
             const FaceTimeline& timeline, const std::vector<AlignFrameState>& states,
             DecodedFrameCache& decoded, const FrameDone& frameDone, const CancelToken& cancel);

    int64_t facesWritten() const { return written_; }
    /// Of facesWritten: those with the landmarks their photo came with.
    int64_t facesImported() const { return imported_; }
    /// Of facesImported: those where over a tenth of the crop lies outside the photo.
    int64_t facesPastPhotoEdge() const { return pastPhotoEdge_; }
    /// Faces found again that had been deleted in review, and so not written.
    int64_t facesKeptDeleted() const { return keptDeleted_; }

  private:
    void writeFrame(const FrameFile& frame, bool video, const FaceTimeline& timeline, size_t i,
                    const cv::Mat& image);

    const AlignOptions& options_;
    const std::filesystem::path outDir_, debugDir_;
    const std::map<int64_t, FrameEmbeddedFace>& embedded_;
    const EarlierWork& earlier_;
    AlignStepTimes& times_;
    std::atomic<int64_t> written_{0}, imported_{0}, pastPhotoEdge_{0}, keptDeleted_{0};
};

}  // namespace doppel
