#pragma once
// Stage 5: encodes merged/ into result/<name>.mp4|mkv|mov with the destination's frame rate,
// timestamps and audio, labelled as synthetic media (metadata; watermark embedded at merge).
#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

class ExportStage {
  public:
    /// codec (h264|h265|vp9|prores|ffv1), crf, preset, audio (copy|aac|none), out, mask_sequence,
    /// ...
    static const OptionSchema& optionSchema();
    static StageResult run(const Workspace& workspace, const nlohmann::json& options,
                           ProgressSink& progress, const CancelToken& cancel);
    /// The destination is one photo: it is exported as a photo (unless `out` names a video).
    static bool destinationIsAPhoto(const Workspace& workspace);
};

}  // namespace doppel
