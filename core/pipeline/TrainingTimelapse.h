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
    static StageResult write(const std::filesystem::path& modelDir,
                             const std::filesystem::path& output, double fps, bool masks,
                             ProgressSink& progress, const CancelToken& cancel);
};

}  // namespace doppel
