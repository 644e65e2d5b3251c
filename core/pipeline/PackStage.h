#pragma once
// Turns aligned/ into packed/ (see common/PackedFaceset.h): faces, hull + eyes/mouth masks,
// aligned landmarks and ids at a chosen resolution, readable by models/ without OpenCV.
#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

class PackStage {
  public:
    /// resolution, ...
    static const OptionSchema& optionSchema();
    static StageResult run(const Workspace& workspace, Side side, const nlohmann::json& options,
                           ProgressSink& progress, const CancelToken& cancel);
    /// Source, then destination; stops at the first side that does not succeed.
    static StageResult runBothSides(const Workspace& workspace, const nlohmann::json& options,
                                    ProgressSink& progress, const CancelToken& cancel);
};

}  // namespace doppel
