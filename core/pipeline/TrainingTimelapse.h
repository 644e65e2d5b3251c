#pragma once
// A video of a model's training: the preview grids the trainer saved every preview_every
// iterations (model/NAME/previews/preview_<iteration>.png, or the mask grids), oldest first,
// each captioned with its iteration -- what DeepFaceLab users make from its preview history to
// see (and show) how a swap formed. The grids hold swapped faces, so the video is labelled as
// synthetic media like any export (metadata and the invisible watermark).
#include <filesystem>

#include "common/Progress.h"
#include "common/StageResult.h"

namespace doppel {

class TrainingTimelapse {
  public:
    /// Encodes the grids of `modelDir` into `output` (H.264 in the container its extension
    /// names) at `fps` frames per second; `masks` takes the mask grids. The first grid's size
    /// fixes the video's (others are resized to it). Throws Error(NotFound) when the model has
    /// no saved previews.
    /// Where a model's timelapse goes by default: next to its previews, model/NAME/timelapse.mp4
    /// (timelapse_masks.mp4 for the mask grids), so result/ keeps only exports.
    static std::filesystem::path defaultOutput(const std::filesystem::path& modelDir, bool masks);
    static StageResult write(const std::filesystem::path& modelDir,
                             const std::filesystem::path& output, double fps, bool masks,
                             ProgressSink& progress, const CancelToken& cancel);
};

}  // namespace doppel
