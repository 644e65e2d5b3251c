#pragma once
// Stage 1: decode a side's input (video via libavformat/libavcodec, an image, or a folder of
// images) into workspace/data_<side>/frames/NNNNNN.png|jpg. Re-running resumes: valid frames are
// kept, missing or broken ones are redone.
#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

class ExtractStage {
  public:
    /// fps (0 = every frame), start/end seconds, format png|jpg, jpeg_quality, max_side, ...
    static const OptionSchema& optionSchema();
    /// `options` are resolved against optionSchema(). Records status and options in project.json.
    static StageResult run(const Workspace& workspace, Side side, const nlohmann::json& options,
                           ProgressSink& progress, const CancelToken& cancel);
};

}  // namespace doppel
