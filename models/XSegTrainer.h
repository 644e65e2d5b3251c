#pragma once
// The XSeg trainer (SegmentationEngine): learns face masks from the faces the user drew masks
// on. Data: a packed faceset of the labelled faces, loaded once onto the device; each iteration
// draws a batch, applies one random affine and flip to face and mask alike (WarpAugment, no
// non-linear warp: the mask must stay exact), a strong brightness/contrast change to the face,
// and takes an Adam step on binary cross-entropy plus a soft Dice term (Milletari et al. 2016:
// keeps thin structures and small faces from being ignored). Checkpoints, resume, autosave,
// previews (face | drawn mask | predicted mask) as in the face-swap trainer.
#include "common/SegmentationEngine.h"

namespace doppel::models {

/// resolution, dims (fixed on resume), batch, lr, preview_every, autosave_minutes, backups,
/// seed, device, threads.
const OptionSchema& xsegOptionSchema();

class XSegTrainer : public SegmentationEngine {
  public:
    const OptionSchema& optionSchema() const override { return xsegOptionSchema(); }
    std::string deviceDescription(const std::string& wanted) const override;
    StageResult train(const SegmentationTrainRequest& request, ProgressSink& progress,
                      const CancelToken& cancel) override;
    std::unique_ptr<MaskPredictor> loadPredictor(
        const std::filesystem::path& modelDir) const override;
};

}  // namespace doppel::models
