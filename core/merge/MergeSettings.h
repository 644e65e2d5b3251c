#pragma once
// Every knob of the merge as a plain struct with defaults, built from the resolved option JSON
// (MergeStage::optionSchema()). Sizes (erode, blur) are in pixels of a 256 px aligned face so a
// setting means the same whatever the model resolution and whatever the face size in the frame.
//
// Per-frame-range overrides live in project.json under options["merge.overrides"]:
//   [{"first": 120, "last": 180, "set": {"erode": 30}}, ...]   (later entries win)
// The CLI and the GUI both apply them through settingsForFrame().
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"

namespace doppel {

enum class MaskSource {
    Hull,                ///< landmark hull (from the aligned face's landmarks)
    Predicted,           ///< learned mask of the swapped face (src decoder)
    Dst,                 ///< learned mask of the destination face (dst decoder)
    PredictedTimesDst,   ///< product of the two learned masks
    HullTimesLearned,    ///< hull * predicted * dst: the most conservative
    XSeg,                ///< the destination face's XSeg mask (xseg-apply); hull where it has none
    XSegTimesPredicted,  ///< xseg * predicted: also keeps out what the swap's own mask leaves out
};

enum class ColorMode { None, Rct, Lct, Mkl, Idt, Sot, HistMatch };
enum class BlendMode { Overlay, Seamless, Raw };

struct MergeSettings {
    MaskSource mask = MaskSource::Hull;
    int erode = 0;  ///< >0 erodes, <0 dilates (pixels of a 256 px aligned face)
    int blur = 24;  ///< feather width (pixels of a 256 px aligned face)
    ColorMode color = ColorMode::Rct;
    double colorSmoothing = 0;  ///< 0 = off; else EMA weight of the previous frame's statistics
    int histThreshold = 255;    ///< histogram match: clip bins at threshold/255 of the tallest
    BlendMode blend = BlendMode::Overlay;
    int faceScale = 0;      ///< percent, -50..50: the swapped face drawn larger or smaller
    int sharpen = 0;        ///< -100..100: >0 unsharp mask, <0 Gaussian blur of the face
    int motionBlur = 0;     ///< 0..100: percent of the face's per-frame motion used as blur
    int supersample = 1;    ///< mask work space is max(256, res) * supersample pixels
    bool watermark = true;  ///< invisible synthetic-media mark in every merged face region
    int batch = 8;          ///< faces per predict call
    int threads = 0;        ///< compositing workers; 0 = all cores
    bool redo = false;      ///< re-merge frames already in merged/

    /// From resolved options (every key present); throws Error(BadOption) on an unknown choice.
    static MergeSettings fromJson(const nlohmann::json& resolved);
    nlohmann::json toJson() const;
};

/// The option schema of the merge stage (also MergeStage::optionSchema()).
const OptionSchema& mergeOptionSchema();

const char* maskSourceName(MaskSource source);
const char* colorModeName(ColorMode mode);
const char* blendModeName(BlendMode mode);

struct MergeOverride {
    int64_t first = 0;  ///< inclusive, 1-based
    int64_t last = 0;   ///< inclusive
    nlohmann::json set = nlohmann::json::object();
};

/// Parses options["merge.overrides"]; throws Error(BadOption) on a malformed entry.
std::vector<MergeOverride> parseMergeOverrides(const nlohmann::json& list);
nlohmann::json mergeOverridesToJson(const std::vector<MergeOverride>& overrides);

/// `baseOptions` (resolved) with every override covering `frameIndex` applied in order, resolved.
nlohmann::json optionsForFrame(const nlohmann::json& baseOptions,
                               const std::vector<MergeOverride>& overrides, int64_t frameIndex);

}  // namespace doppel
