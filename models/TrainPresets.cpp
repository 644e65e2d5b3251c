#include "models/TrainPresets.h"

#include "common/Error.h"

namespace doppel::models {

const std::vector<TrainPreset>& trainPresets() {
    static const std::vector<TrainPreset> presets = {
        {"tryout",
         "Try-out: a rough swap within minutes on a CPU (DF-UD, 64 px)",
         "The demo's model: small enough that a 2-core CPU shows the swap after 10-20 minutes "
         "(~1000-2000 iterations), too small for a result worth keeping. lr 2e-4: this small "
         "model learns about twice as fast with it as with 5e-5 (docs/training.md).",
         {{"archi", "df-ud"},
          {"resolution", 64},
          {"ae_dims", 128},
          {"e_dims", 32},
          {"d_dims", 32},
          {"d_mask_dims", 16},
          {"batch", 8},
          {"lr", 2e-4}}},
        {"small",
         "Small: 96 px, a CPU overnight or a GPU within the hour (DF-UD)",
         "A DF-UD model at 96 px with a narrow bottleneck, in the spirit of DeepFaceLab's "
         "Quick96: faces at small sizes in the frame, or a first look before a standard model.",
         {{"archi", "df-ud"},
          {"resolution", 96},
          {"ae_dims", 128},
          {"e_dims", 64},
          {"d_dims", 64},
          {"d_mask_dims", 16},
          {"batch", 8},
          {"lr", 5e-5}}},
        {"standard",
         "Standard: DeepFaceLab's SAEHD defaults (LIAE-UD, 128 px), for a GPU",
         "DeepFaceLab's SAEHD defaults: LIAE-UD at 128 px, ae 256, e 64, d 64, mask 22, batch 8, "
         "lr 5e-5. Tens of thousands of iterations: hours on a GPU.",
         {{"archi", "liae-ud"},
          {"resolution", 128},
          {"ae_dims", 256},
          {"e_dims", 64},
          {"d_dims", 64},
          {"d_mask_dims", 22},
          {"batch", 8},
          {"lr", 5e-5}}},
        {"large",
         "Large: 256 px, wider network (LIAE-UD), for a GPU with 16 GB or more",
         "For faces that fill much of the frame (close-ups, HD): LIAE-UD at 256 px with a wider "
         "bottleneck and decoder (ae 512, e 64, d 80, mask 26). About seven times the work of "
         "the standard model per iteration; the estimate shows its memory.",
         {{"archi", "liae-ud"},
          {"resolution", 256},
          {"ae_dims", 512},
          {"e_dims", 64},
          {"d_dims", 80},
          {"d_mask_dims", 26},
          {"batch", 8},
          {"lr", 5e-5}}},
    };
    return presets;
}

const TrainPreset& trainPreset(const std::string& name) {
    std::string names;
    for (const TrainPreset& preset : trainPresets()) {
        if (preset.name == name) return preset;
        names += (names.empty() ? "" : ", ") + preset.name;
    }
    throw Error(ErrorCode::BadOption, "no training preset '" + name + "' (presets: " + names + ")");
}

std::string suggestedTrainPreset(bool cuda) {
    return cuda ? "standard" : "tryout";
}

}  // namespace doppel::models
