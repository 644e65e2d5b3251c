#pragma once
// Stage 2: detect faces (dlib HOG on a ~640 px copy, rotated retries), 68 landmarks, Umeyama
// similarity to the mean face, crop by face type; writes aligned/<frame>_<face>.jpg + .json.
// Runs on a worker pool; the output is identical whatever the thread count.
#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

class AlignStage {
  public:
    /// face_type, size, min_face, keep (largest|all|track), smooth, threads, debug, ...
    static const OptionSchema& optionSchema();
    static StageResult run(const Workspace& workspace, Side side, const nlohmann::json& options,
                           ProgressSink& progress, const CancelToken& cancel);
};

}  // namespace doppel
