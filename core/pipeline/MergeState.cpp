#include "pipeline/MergeState.h"

#include <limits>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "faces/AlignedFace.h"
#include "media/ImageIO.h"
#include "pipeline/FrameFiles.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "merge_state.json";
/// The file clock's epoch lies in the future in libstdc++, so "always" is the lowest tick, not 0.
constexpr int64_t kAlways = std::numeric_limits<int64_t>::min();

int64_t fileClockNow() {
    return int64_t(fs::file_time_type::clock::now().time_since_epoch().count());
}

/// What comes out of a merge, without how it runs.
nlohmann::json outputSettings(nlohmann::json settings) {
    if (settings.is_object())
        for (const char* runOnly : {"redo", "batch", "threads"}) settings.erase(runOnly);
    return settings;
}

/// When the destination's faces, and (for a mask that uses them) its applied masks, last
/// changed: aligning or applying masks again changes what every frame is made from.
nlohmann::json inputsOf(const Workspace& ws, const nlohmann::json& settings) {
    const nlohmann::json project = ws.project();
    auto changed = [&](const char* key) -> nlohmann::json {
        if (!project.contains("stages") || !project["stages"].contains(key) ||
            !project["stages"][key].is_object())
            return nullptr;
        return project["stages"][key].value("changed", nlohmann::json());
    };
    nlohmann::json inputs = {{"faces", changed("align.dst")}};
    if (settings.value("mask", "").find("xseg") != std::string::npos)
        inputs["masks"] = changed("xseg.dst");
    return inputs;
}

/// The override settings that reach `frame`, in order.
nlohmann::json overridesAt(const nlohmann::json& overrides, int64_t frame) {
    nlohmann::json reaching = nlohmann::json::array();
    if (!overrides.is_array()) return reaching;
    for (const auto& o : overrides)
        if (o.is_object() && o.value("first", int64_t(0)) <= frame &&
            frame <= o.value("last", int64_t(0)))
            reaching.push_back(o.value("set", nlohmann::json::object()));
    return reaching;
}

}  // namespace

MergeState::Plan MergeState::prepare(const Workspace& ws, const nlohmann::json& settings,
                                     const std::string& model,
                                     const std::vector<MergeOverride>& overrides,
                                     const nlohmann::json& previousSettings,
                                     const std::vector<int64_t>& frames, bool redo, int64_t first,
                                     int64_t last) {
    const fs::path file = ws.mergedDir() / kStateFile;
    const nlohmann::json fingerprint = {{"settings", outputSettings(settings)},
                                        {"model", model},
                                        {"inputs", inputsOf(ws, settings)}};
    const nlohmann::json newOverrides = mergeOverridesToJson(overrides);

    // What the merged frames there are made with. Parts not recorded (frames of an older Doppel)
    // count as unchanged; merged frames from before merge_state.json have their settings in the
    // options the last merge saved.
    nlohmann::json state;
    bool unreadable = false;
    std::error_code ec;
    if (fs::exists(file, ec)) {
        try {
            state = readJsonFile(file);
        } catch (const std::exception&) {
            unreadable = true;  // merge everything again, the safe side
        }
    } else if (previousSettings.is_object()) {
        state = {{"fingerprint", {{"settings", outputSettings(previousSettings)}}}};
    }
    if (!state.is_object()) state = nlohmann::json::object();
    nlohmann::json before = fingerprint;
    const nlohmann::json recorded = state.value("fingerprint", nlohmann::json::object());
    for (const char* part : {"settings", "model", "inputs"})
        if (recorded.is_object() && recorded.contains(part)) before[part] = recorded[part];
    // merge_state.json of the first version kept the overrides inside the fingerprint.
    const nlohmann::json oldOverrides = state.contains("overrides")      ? state["overrides"]
                                        : recorded.contains("overrides") ? recorded["overrides"]
                                                                         : newOverrides;

    Plan plan;
    const bool wholeRedo = redo && first <= 0 && last <= 0;
    if (unreadable || before != fingerprint || wholeRedo) {
        plan.since = fileClockNow();
        plan.redoneBecause =
            unreadable  ? "merged/merge_state.json was unreadable"
            : wholeRedo ? "redo"
            : before["settings"] != fingerprint["settings"] ? "the settings changed"
            : before["model"] != fingerprint["model"]       ? "the model changed"
                                                            : "the faces or masks changed";
        writeJsonAtomic(
            file,
            {{"fingerprint", fingerprint}, {"overrides", newOverrides}, {"since", plan.since}},
            false);
        return plan;
    }
    plan.since = state.value("since", kAlways);
    // A change that reaches some frames: those frames go, and a run cut short still merges them
    // (removed before the new overrides are recorded).
    for (int64_t frame : frames) {
        const bool inRedo = redo && (first <= 0 || frame >= first) && (last <= 0 || frame <= last);
        const bool overridden =
            oldOverrides != newOverrides &&
            overridesAt(oldOverrides, frame) != overridesAt(newOverrides, frame);
        if ((inRedo || overridden) && removeMergedFrame(ws, frame)) ++plan.framesRemoved;
    }
    if (plan.framesRemoved > 0)
        plan.redoneBecause = redo ? "redo of a range" : "the frame-range settings changed";
    writeJsonAtomic(
        file, {{"fingerprint", fingerprint}, {"overrides", newOverrides}, {"since", plan.since}},
        false);
    return plan;
}

bool MergeState::removeMergedFrame(const Workspace& ws, int64_t frame) {
    bool removed = false;
    for (const fs::path& dir : {ws.mergedDir(), ws.mergedMaskDir()}) {
        std::error_code ec;
        removed = fs::remove(dir / (frameStem(frame) + ".png"), ec) || removed;
        if (ec)
            throw Error(ErrorCode::Io, "cannot remove " +
                                           (dir / (frameStem(frame) + ".png")).string() + ": " +
                                           ec.message());
    }
    return removed;
}

bool MergeState::frameUpToDate(const Workspace& ws, const std::string& name, int64_t since) {
    for (const fs::path& path : {ws.mergedDir() / name, ws.mergedMaskDir() / name}) {
        std::error_code ec;
        const auto written = fs::last_write_time(path, ec);
        if (ec || int64_t(written.time_since_epoch().count()) < since ||
            !readImageHeader(path).has_value())
            return false;
    }
    return true;
}

bool MergeState::showsASwap(const Workspace& ws, const std::string& name) {
    try {
        const cv::Mat mask = loadImage(ws.mergedMaskDir() / name, ImageReadMode::Grey);
        return !mask.empty() && cv::countNonZero(mask) > 0;
    } catch (const Error&) {
        return true;  // unreadable: not known to be unswapped
    }
}

int64_t MergeState::framesOutOfDate(const Workspace& ws, std::string& firstName) {
    const fs::path file = ws.mergedDir() / kStateFile;
    std::error_code ec;
    if (!fs::exists(file, ec)) return 0;
    int64_t since = kAlways;
    try {
        since = readJsonFile(file).value("since", kAlways);
    } catch (const std::exception& e) {
        logWarning(file.string() + ": unreadable (" + e.what() + ")");
        return 0;
    }
    // Also out of date: a frame merged with a face whose destination face was deleted by hand
    // since (the swap would still be exported).
    const auto withFaces = sidecarsByFrame(ws.alignedDir(Side::Dst));
    int64_t count = 0;
    std::string first;
    for (fs::directory_iterator it(ws.mergedDir(), ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".png") continue;
        const std::string stem = it->path().stem().string();
        std::error_code timeError;
        const auto written = fs::last_write_time(it->path(), timeError);
        const bool older = timeError || int64_t(written.time_since_epoch().count()) < since;
        const int64_t frame = std::atoll(stem.c_str());
        if (!older && (frame <= 0 || withFaces.count(frame) ||
                       !showsASwap(ws, it->path().filename().string())))
            continue;
        ++count;
        const std::string name = it->path().filename().string();
        if (first.empty() || name < first) first = name;
    }
    firstName = first;
    return count;
}

}  // namespace doppel
