// doppel merge --workspace DIR [--model NAME] [--set key=value ...] [--frames A-B]
//              [--save-range | --clear-ranges]
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Error.h"
#include "common/Workspace.h"
#include "merge/MergeSettings.h"
#include "models/models.h"
#include "pipeline/MergeStage.h"

namespace fs = std::filesystem;

namespace doppel::cli {
namespace {

// "120-180", "120-", "-180" or "42".
FrameRange parseFrameRange(const std::string& text) {
    FrameRange range;
    // "A-" and "-B" are open ranges; "", "-" would silently mean every frame.
    if (text.empty() || text == "-")
        throw UsageError("--frames expects A-B, A-, -B or N (frame numbers from 1), got '" + text +
                         "'");
    auto number = [&](const std::string& part) -> int64_t {
        if (part.empty()) return 0;
        size_t used = 0;
        long long n = -1;
        try {
            n = std::stoll(part, &used);
        } catch (...) {
        }
        if (used != part.size() || n < 1)
            throw UsageError("--frames expects A-B with frame numbers from 1, got '" + text + "'");
        return n;
    };
    auto dash = text.find('-');
    if (dash == std::string::npos) {
        range.first = range.last = number(text);
    } else {
        range.first = number(text.substr(0, dash));
        range.last = number(text.substr(dash + 1));
    }
    if (range.last > 0 && range.first > range.last)
        throw UsageError("--frames: empty range '" + text + "'");
    return range;
}

std::string chooseModel(const Workspace& ws, const CliArgs& args) {
    if (args.has("model")) return args.value("model");
    // One trained model in the workspace: take it; otherwise the user must say which.
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(ws.modelsDir(), ec))
        if (entry.is_directory()) names.push_back(entry.path().filename().string());
    if (names.size() == 1) return names.front();
    if (names.empty())
        throw Error(ErrorCode::NotFound, "no model in " + ws.modelsDir().string() +
                                             " (train one with `doppel train` first)");
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw UsageError("several models in " + ws.modelsDir().string() + " (" + list +
                     "): pick one with --model NAME");
}

int saveRange(const Workspace& ws, const CliArgs& args) {
    if (!args.has("frames")) throw UsageError("--save-range needs --frames A-B");
    FrameRange range = parseFrameRange(args.value("frames"));
    nlohmann::json set = nlohmann::json::object();
    try {
        for (const auto& assignment : args.all("set"))
            mergeOptionSchema().applyAssignment(set, assignment);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    if (set.empty())
        throw UsageError("--save-range needs at least one --set key=value to store for the range");
    MergeOverride o{range.first > 0 ? range.first : 1, range.last > 0 ? range.last : INT64_MAX,
                    set};
    parseMergeOverrides(mergeOverridesToJson({o}));  // validates keys and values
    ws.updateProject([&](nlohmann::json& p) {
        auto& list = p["options"]["merge.overrides"];
        if (!list.is_array()) list = nlohmann::json::array();
        list.push_back(mergeOverridesToJson({o})[0]);
    });
    std::cout << "merge: frames " << o.first << "-"
              << (o.last == INT64_MAX ? std::string("end") : std::to_string(o.last)) << " will use "
              << set.dump()
              << " (stored in project.json; `doppel merge` merges those frames again)\n";
    return 0;
}

int runMerge(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    if (args.has("clear-ranges")) {
        args.rejectUnused();
        ws.updateProject([](nlohmann::json& p) { p["options"].erase("merge.overrides"); });
        std::cout << "merge: per-range overrides cleared\n";
        return 0;
    }
    if (args.has("save-range")) {
        int code = saveRange(ws, args);
        args.rejectUnused();
        return code;
    }
    // redo is an action for this run, not a setting to remember.
    nlohmann::json saved = ws.stageOptions("merge");
    if (saved.is_object()) saved.erase("redo");
    nlohmann::json options = resolveOptions(MergeStage::optionSchema(), saved, args);
    FrameRange range = args.has("frames") ? parseFrameRange(args.value("frames")) : FrameRange{};
    std::string modelName = chooseModel(ws, args);
    args.rejectUnused();

    fs::path modelDir = ws.modelDir(modelName);
    if (!fs::is_directory(modelDir))
        throw Error(ErrorCode::NotFound, "model '" + modelName + "' not found: " +
                                             modelDir.string() + " does not exist");
    std::unique_ptr<FaceSwapper> swapper = models::createTrainingEngine()->loadSwapper(modelDir);
    ConsoleProgress progress;
    StageResult result = MergeStage::run(ws, options, *swapper, range, progress, interruptToken());
    progress.finish();
    if (!result.summary.is_null() && result.summary.value("frames_merged", int64_t(0)) > 0)
        std::fprintf(stderr, "merge: %.1f frames/s\n",
                     result.summary.value("frames_per_second", 0.0));
    return reportResult("merge", result);
}

std::string mergeUsage() {
    return "usage: doppel merge --workspace DIR [--model NAME] [--set key=value ...] [--frames "
           "A-B]\n"
           "       doppel merge --workspace DIR --frames A-B --set key=value ... --save-range\n"
           "       doppel merge --workspace DIR --clear-ranges\n\n"
           "Puts the swapped face into every destination frame: merged/NNNNNN.png and the blend "
           "mask\n"
           "merged_mask/NNNNNN.png. Frames already merged are kept unless --set redo=true, so an\n"
           "interrupted merge continues where it stopped. Frames without an aligned face are "
           "copied\n"
           "unchanged. --model picks the model folder under model/ (default: the only one).\n"
           "--save-range stores the --set values for frames A-B in project.json; every later "
           "merge\n"
           "(CLI or studio) uses them for those frames. Exit codes: 0 done, 1 failed, 2 bad "
           "usage,\n"
           "130 interrupted.\n\n"
           "options (--set key=value; saved in project.json for the next run):\n" +
           MergeStage::optionSchema().helpText();
}

const bool registered = registerCommand({
    "merge",
    "put the swapped face into the destination frames (merged/)",
    mergeUsage(),
    {"save-range", "clear-ranges"},
    runMerge,
});

}  // namespace
}  // namespace doppel::cli
