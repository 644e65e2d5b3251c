#pragma once
// The face-mask (XSeg) steps around the model in models/: gathering the faces with drawn masks
// from both sides into a packed faceset to train on (xseg/labelled/), and applying a trained
// model to every aligned face of a side (aligned/NNNNNN_K_xseg.png), which pack then uses as the
// face's mask and merge offers as the "xseg" mask source. A drawn mask always wins over a
// predicted one.
#include "common/Progress.h"
#include "common/SegmentationEngine.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel {

class XSegStage {
  public:
    /// Packs every aligned face with a drawn mask (both sides) at `resolution` into
    /// workspace.xsegDir()/labelled. Throws Error(NotFound) when no face has a drawn mask.
    static StageResult prepareLabelled(const Workspace& workspace, int resolution,
                                       ProgressSink& progress, const CancelToken& cancel);
    /// Predicts the mask of every aligned face of `side` and writes it next to the face.
    static StageResult apply(const Workspace& workspace, Side side, MaskPredictor& predictor,
                             ProgressSink& progress, const CancelToken& cancel);
    /// Deletes a side's predicted masks (the faces fall back to drawn masks or the hull).
    static int removeMasks(const Workspace& workspace, Side side);
};

}  // namespace doppel
