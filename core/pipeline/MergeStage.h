#pragma once
// Stage 4: puts the swapped face back into every destination frame (merged/ and merged_mask/).
// The network is reached only through the torch-free FaceSwapper interface.
#include <nlohmann/json.hpp>

#include "common/FaceSwapper.h"
#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

struct FrameRange {
    int64_t first = 0;  ///< 1-based, inclusive; 0 = from the start
    int64_t last = 0;   ///< inclusive; 0 = to the end
};

class MergeStage {
  public:
    /// mask, erode, blur, color, blend, face_scale, sharpen, motion_blur, watermark, ...
    static const OptionSchema& optionSchema();
    static StageResult run(const Workspace& workspace, const nlohmann::json& options,
                           FaceSwapper& swapper, FrameRange range, ProgressSink& progress,
                           const CancelToken& cancel);
};

}  // namespace doppel
