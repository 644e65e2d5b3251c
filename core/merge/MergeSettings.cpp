#include "merge/MergeSettings.h"

#include <utility>

#include "common/Error.h"

namespace doppel {
namespace {

// One table per enum so that names, choices and parsing cannot drift apart. They are constexpr
// arrays (constant-initialised, no constructor): mergeOptionSchema() is first called during
// static initialisation of other translation units (the CLI builds `doppel merge --help` text at
// registration), when a std::vector table here might not be constructed yet and the schema
// would be cached with empty choice lists.
template <typename E>
using NameTable = std::pair<E, const char*>;
constexpr NameTable<MaskSource> kMaskNames[] = {
    {MaskSource::Hull, "hull"},
    {MaskSource::Predicted, "predicted"},
    {MaskSource::Dst, "dst"},
    {MaskSource::PredictedTimesDst, "predicted*dst"},
    {MaskSource::HullTimesLearned, "hull*predicted*dst"},
    {MaskSource::XSeg, "xseg"},
    {MaskSource::XSegTimesPredicted, "xseg*predicted"},
};
constexpr NameTable<ColorMode> kColorNames[] = {
    {ColorMode::None, "none"},      {ColorMode::Rct, "rct"}, {ColorMode::Lct, "lct"},
    {ColorMode::Mkl, "mkl"},        {ColorMode::Idt, "idt"}, {ColorMode::Sot, "sot"},
    {ColorMode::HistMatch, "hist"},
};
constexpr NameTable<BlendMode> kBlendNames[] = {
    {BlendMode::Overlay, "overlay"},
    {BlendMode::Seamless, "seamless"},
    {BlendMode::Raw, "raw"},
};

template <typename E, size_t N>
std::vector<std::string> namesOf(const NameTable<E> (&table)[N]) {
    std::vector<std::string> out;
    for (const auto& entry : table) out.push_back(entry.second);
    return out;
}

template <typename E, size_t N>
const char* nameOf(const NameTable<E> (&table)[N], E value) {
    for (const auto& entry : table)
        if (entry.first == value) return entry.second;
    return "?";
}

template <typename E, size_t N>
E parseName(const NameTable<E> (&table)[N], const std::string& key, const std::string& text) {
    for (const auto& entry : table)
        if (text == entry.second) return entry.first;
    throw Error(ErrorCode::BadOption, "merge option '" + key + "': unknown value '" + text + "'");
}

OptionSchema buildSchema() {
    OptionSchema s;
    MergeSettings d;
    s.addChoice("mask", "hull", namesOf(kMaskNames),
                "mask source: landmark hull, learned masks (predicted, dst), their product, or "
                "the face-mask model's (xseg: run doppel xseg-apply --side dst first)")
        .inGroup("Mask");
    s.addInt("erode", d.erode, -200, 200,
             "shrink (>0) or grow (<0) the mask, in pixels of a 256 px aligned face")
        .inGroup("Mask");
    s.addInt("blur", d.blur, 0, 200, "feather the mask edge, in pixels of a 256 px aligned face")
        .inGroup("Mask");
    s.addInt("supersample", d.supersample, 1, 4, "mask work resolution: max(256, model res) x this")
        .inGroup("Mask");
    s.addChoice("color", "rct", namesOf(kColorNames),
                "colour transfer toward the destination face: none, rct, lct, mkl, idt, sot, hist")
        .inGroup("Colour");
    s.addFloat("color_smoothing", d.colorSmoothing, 0.0, 0.99,
               "temporal smoothing of colour statistics across frames (rct/lct/mkl; 0 = off)")
        .inGroup("Colour");
    s.addInt("hist_threshold", d.histThreshold, 1, 255,
             "hist mode: clip histogram bins (255 = no clipping)")
        .inGroup("Colour");
    s.addChoice(
         "blend", "overlay", namesOf(kBlendNames),
         "overlay (alpha), seamless (Poisson, then alpha), raw (predicted square, debugging)")
        .inGroup("Blend");
    s.addInt("face_scale", d.faceScale, -50, 50,
             "draw the swapped face this many percent larger/smaller")
        .inGroup("Blend");
    s.addInt("sharpen", d.sharpen, -100, 100, "sharpen (>0) or blur (<0) the swapped face")
        .inGroup("Blend");
    s.addInt("motion_blur", d.motionBlur, 0, 100,
             "blur along the face's motion between frames (percent)")
        .inGroup("Blend");
    s.addBool("watermark", d.watermark,
              "embed the invisible synthetic-media watermark in each frame with a swapped face")
        .inGroup("Output");
    s.addInt("batch", d.batch, 1, 64, "faces per network call").inGroup("Performance");
    s.addInt("threads", d.threads, 0, 64, "compositing threads (0 = all cores)")
        .inGroup("Performance");
    s.addBool("redo", d.redo, "merge again frames already in merged/").inGroup("Output");
    return s;
}

}  // namespace

const OptionSchema& mergeOptionSchema() {
    static const OptionSchema schema = buildSchema();
    return schema;
}

const char* maskSourceName(MaskSource source) {
    return nameOf(kMaskNames, source);
}
const char* colorModeName(ColorMode mode) {
    return nameOf(kColorNames, mode);
}
const char* blendModeName(BlendMode mode) {
    return nameOf(kBlendNames, mode);
}

MergeSettings MergeSettings::fromJson(const nlohmann::json& given) {
    // Resolve again so a partially filled object (e.g. from a test or the GUI) gets defaults.
    nlohmann::json r =
        mergeOptionSchema().resolve(given.is_object() ? given : nlohmann::json::object());
    MergeSettings s;
    s.mask = parseName(kMaskNames, "mask", r.at("mask").get<std::string>());
    s.erode = r.at("erode").get<int>();
    s.blur = r.at("blur").get<int>();
    s.supersample = r.at("supersample").get<int>();
    s.color = parseName(kColorNames, "color", r.at("color").get<std::string>());
    s.colorSmoothing = r.at("color_smoothing").get<double>();
    s.histThreshold = r.at("hist_threshold").get<int>();
    s.blend = parseName(kBlendNames, "blend", r.at("blend").get<std::string>());
    s.faceScale = r.at("face_scale").get<int>();
    s.sharpen = r.at("sharpen").get<int>();
    s.motionBlur = r.at("motion_blur").get<int>();
    s.watermark = r.at("watermark").get<bool>();
    s.batch = r.at("batch").get<int>();
    s.threads = r.at("threads").get<int>();
    s.redo = r.at("redo").get<bool>();
    return s;
}

nlohmann::json MergeSettings::toJson() const {
    return {{"mask", maskSourceName(mask)},
            {"erode", erode},
            {"blur", blur},
            {"supersample", supersample},
            {"color", colorModeName(color)},
            {"color_smoothing", colorSmoothing},
            {"hist_threshold", histThreshold},
            {"blend", blendModeName(blend)},
            {"face_scale", faceScale},
            {"sharpen", sharpen},
            {"motion_blur", motionBlur},
            {"watermark", watermark},
            {"batch", batch},
            {"threads", threads},
            {"redo", redo}};
}

std::vector<MergeOverride> parseMergeOverrides(const nlohmann::json& list) {
    std::vector<MergeOverride> out;
    if (list.is_null()) return out;
    if (!list.is_array())
        throw Error(ErrorCode::BadOption,
                    "project.json options[\"merge.overrides\"] must be a list");
    for (const auto& entry : list) {
        if (!entry.is_object() || !entry.contains("first") || !entry.contains("last") ||
            !entry.contains("set") || !entry["first"].is_number_integer() ||
            !entry["last"].is_number_integer() || !entry["set"].is_object())
            throw Error(
                ErrorCode::BadOption,
                "project.json merge override must be {\"first\":N,\"last\":M,\"set\":{...}}, got " +
                    entry.dump());
        MergeOverride o;
        o.first = entry["first"].get<int64_t>();
        o.last = entry["last"].get<int64_t>();
        o.set = entry["set"];
        if (o.first < 1 || o.last < o.first)
            throw Error(ErrorCode::BadOption,
                        "merge override has an empty frame range: " + entry.dump());
        // Validate now, so a typo is reported when the override is read, not at frame 120.
        for (auto it = o.set.begin(); it != o.set.end(); ++it) {
            if (it.key() == "redo" || it.key() == "batch" || it.key() == "threads")
                throw Error(ErrorCode::BadOption,
                            "merge option '" + it.key() + "' cannot vary per frame range");
        }
        mergeOptionSchema().resolve(o.set);
        out.push_back(std::move(o));
    }
    return out;
}

nlohmann::json mergeOverridesToJson(const std::vector<MergeOverride>& overrides) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& o : overrides)
        list.push_back({{"first", o.first}, {"last", o.last}, {"set", o.set}});
    return list;
}

nlohmann::json optionsForFrame(const nlohmann::json& baseOptions,
                               const std::vector<MergeOverride>& overrides, int64_t frameIndex) {
    nlohmann::json options = baseOptions;
    bool changed = false;
    for (const auto& o : overrides) {
        if (frameIndex < o.first || frameIndex > o.last) continue;
        for (auto it = o.set.begin(); it != o.set.end(); ++it) options[it.key()] = it.value();
        changed = true;
    }
    return changed ? mergeOptionSchema().resolve(options) : options;
}

}  // namespace doppel
