#pragma once
// The presets of `doppel train --preset` and the Train page's preset menu (torch-free): the
// try-out model of the demo, a small one, DeepFaceLab's SAEHD defaults and a large one for a GPU.
#include <string>
#include <vector>

#include "common/TrainingEngine.h"

namespace doppel::models {

const std::vector<TrainPreset>& trainPresets();
/// The preset named `name`; throws Error(BadOption) listing the names when there is none.
const TrainPreset& trainPreset(const std::string& name);
/// "standard" on a CUDA device, "tryout" on a CPU (the only one that shows a swap within the
/// hour there: ~0.55 s per iteration on 2 cores, docs/training.md).
std::string suggestedTrainPreset(bool cuda);

}  // namespace doppel::models
