// doppel train --workspace DIR [--model NAME] [--from MODEL_OR_WORKSPACE] [--preset P]
//              [--archi A] [--res N] [--batch N] [--iters N | --minutes M] [--set key=value ...]
//              [--estimate]
#include <cstdio>
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/ShellQuote.h"
#include "common/StageFreshness.h"
#include "common/StageLock.h"
#include "common/Workspace.h"
#include "models/TrainPresets.h"
#include "models/models.h"

namespace doppel::cli {
namespace {

/// What a packed faceset's header says; count 0 when not packed yet.
struct PackedHeader {
    int64_t count = 0;
    int resolution = 0;
    std::string faceType;
};

PackedHeader packedHeader(const std::filesystem::path& dir) {
    if (!std::filesystem::exists(dir / "faceset.json")) return {};
    nlohmann::json header = readJsonFile(dir / "faceset.json");
    return {header.value("count", int64_t(0)), header.value("resolution", 0),
            header.value("face_type", std::string())};
}

/// Warnings (and refusals) about the packs this training takes: one that is out of date, one
/// whose last pack failed (the faces packed before are used), one of another size than the
/// model (resized on the device: a smaller one is only upscaled), and one of another face type
/// than the model was trained on (its swaps would be placed as that type by merge).
void checkPacks(const Workspace& ws, const nlohmann::json& options, const nlohmann::json& model,
                const PackedHeader& src, const PackedHeader& dst) {
    const std::string root = shellQuoted(ws.root().string());
    for (Side side : {Side::Src, Side::Dst}) {
        const std::string name = sideName(side);
        const std::string again = "doppel pack --workspace " + root + " --side " + name;
        const std::string status = ws.stageStatus("pack." + name);
        if (stageIsStale(ws.project(), "pack." + name))
            std::cerr << "warning: the " << name
                      << " pack is older than its aligned faces (aligned again, faces deleted or "
                         "masks applied since): this trains on the faces packed before; "
                      << "`" << again << "` packs the faces as they are now\n";
        else if (status == "failed" || status == "cancelled" || status == "interrupted")
            std::cerr << "warning: the last pack of " << name << " " << status
                      << ": this trains on the faces packed before it; `" << again
                      << "` packs them again\n";
        const PackedHeader& pack = side == Side::Src ? src : dst;
        const int resolution = options.value("resolution", 0);
        if (pack.resolution > 0 && pack.resolution < resolution)
            std::cerr << "warning: the " << name << " faces are packed at " << pack.resolution
                      << " px and upscaled to the model's " << resolution
                      << " px, which trains on blur: `" << again
                      << " --set resolution=" << resolution << "`\n";
        const std::string trainedOn = model.is_object() ? model.value("face_type", "") : "";
        if (!trainedOn.empty() && !pack.faceType.empty() && pack.faceType != trainedOn)
            throw Error(ErrorCode::Incompatible,
                        "the model was trained on '" + trainedOn + "' faces but the " + name +
                            " faces are packed as '" + pack.faceType +
                            "': align and pack with face_type=" + trainedOn +
                            ", or start a new model (--model NEW)");
    }
}

int runTrain(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    // Without --model: go on with the model saved last (as merge takes the only one), not a
    // new "default" beside it.
    const std::string latest = ws.latestModelName();
    const std::string name = args.value("model", latest.empty() ? "default" : latest);
    const bool estimateOnly = args.has("estimate");
    const TrainingLength length = trainingLength(args);
    const long long iters = length.iterations;
    const double minutes = length.minutes;
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        throw UsageError("--model must be a plain folder name, got '" + name + "'");
    const std::string copying = ".copying";  // the name of a copy in progress (--from)
    if (name.size() > copying.size() &&
        name.compare(name.size() - copying.size(), copying.size(), copying) == 0)
        throw UsageError("--model names ending in .copying are kept for copies in progress");

    std::unique_ptr<TrainingEngine> engine = models::createTrainingEngine();
    const OptionSchema& schema = engine->optionSchema();
    const std::filesystem::path modelDir = ws.modelDir(name);
    // --from: the model starts as a copy of a trained one (made once the options are checked).
    std::filesystem::path reused;
    if (args.has("from")) {
        reused = models::trainedModelIn(args.value("from"));
        if (std::filesystem::exists(modelDir)) {
            std::cerr << "error: model '" << name << "' already exists in " << modelDir.string()
                      << ": give --model a new name to start from " << reused.string() << "\n";
            return 2;
        }
    }
    // An existing model's own options are the base (so a resume keeps its resolution and dims);
    // a new model starts from the workspace's last training options.
    nlohmann::json modelInfo = models::readModelInfo(reused.empty() ? modelDir : reused);
    nlohmann::json saved = modelInfo.is_null() ? ws.stageOptions("train") : modelInfo["options"];
    // --preset: its options over the saved ones, under --set and the shortcuts.
    if (args.has("preset")) {
        if (!modelInfo.is_null())
            throw UsageError("--preset is for a new model: model '" + name +
                             "' exists (its architecture is fixed); give --model a new name");
        try {
            const TrainPreset& preset = models::trainPreset(args.value("preset"));
            if (!saved.is_object()) saved = nlohmann::json::object();
            saved.update(preset.options);
        } catch (const Error& e) {
            throw UsageError(e.what());
        }
    }
    nlohmann::json options = resolveOptions(schema, saved, args);
    auto shortcut = [&](const char* flag, const char* key) {
        if (!args.has(flag)) return;
        try {
            options[key] = schema.parseValue(key, args.value(flag));
        } catch (const Error& e) {
            throw UsageError(e.what());
        }
    };
    shortcut("archi", "archi");
    shortcut("res", "resolution");
    shortcut("batch", "batch");
    args.rejectUnused();
    if (!modelInfo.is_null()) {
        try {
            schema.checkResumeChange(modelInfo["options"], options);
        } catch (const Error& e) {
            std::cerr << "error: model '" << name << "': " << e.what() << "\n";
            return 2;
        }
    }

    const auto srcDir = ws.packedDir(Side::Src), dstDir = ws.packedDir(Side::Dst);
    const PackedHeader srcPack = packedHeader(srcDir), dstPack = packedHeader(dstDir);
    const int64_t srcCount = srcPack.count, dstCount = dstPack.count;
    models::MemoryEstimate estimate = models::estimateTrainingMemory(
        options, srcCount, dstCount, std::max(srcPack.resolution, dstPack.resolution));
    std::cout << "device: " << engine->deviceDescription(options["device"].get<std::string>())
              << "\n";
    std::printf("model: %s (%s, res %d), %.2f M parameters\n", modelDir.string().c_str(),
                options["archi"].get<std::string>().c_str(), options["resolution"].get<int>(),
                double(estimate.parameters) / 1e6);
    if (estimateOnly) {
        std::cout << "memory: " << estimate.describe() << "\n"
                  << "estimate_bytes: " << estimate.totalBytes << "\n";
        return 0;
    }
    if (srcCount == 0 || dstCount == 0)
        throw Error(ErrorCode::NotFound,
                    "no packed faces in " + (srcCount == 0 ? srcDir : dstDir).string() +
                        " (run `doppel pack --workspace " + shellQuoted(ws.root().string()) +
                        " --side " + (srcCount == 0 ? "src" : "dst") + "` first)");
    checkPacks(ws, options, reused.empty() ? modelInfo : models::readModelInfo(reused), srcPack,
               dstPack);
    // One training at a time: two would both save the model, and one run's work be lost.
    const StageLock lock(ws.stageLockFile("train"), "training in " + ws.root().string());
    if (!reused.empty()) {
        models::copyModel(reused, modelDir);
        std::cout << "model '" << name << "' starts from a copy of " << reused.string() << "\n";
    }
    if (!modelInfo.is_null())
        std::cout << "resuming at iteration " << modelInfo["iteration"].get<int64_t>() << "\n";
    std::cout << std::flush;

    TrainRequest request;
    request.modelDir = modelDir;
    request.srcFaceset = srcDir;
    request.dstFaceset = dstDir;
    request.options = options;
    request.moreIterations = iters > 0 ? iters : 0;
    request.maxMinutes = minutes;

    ws.setStageStatus("train", "running", "model " + name);
    ConsoleProgress progress;
    StageResult result = engine->train(request, progress, interruptToken(), nullptr, nullptr);
    progress.finish();
    // The defaults of the next new model: only options that trained (a device that is not
    // there would otherwise stick to every later model).
    if (result.status != StageStatus::Failed) ws.setStageOptions("train", options);
    ws.recordStageResult("train", result);
    ws.updateProject([&](nlohmann::json& project) {
        project["train"]["model"] = name;
        if (result.summary.is_object()) project["train"]["last_session"] = result.summary;
    });
    return reportResult("train", result);
}

std::string presetLines() {
    std::string lines;
    for (const TrainPreset& preset : models::trainPresets())
        lines += "                  " + preset.name + std::string(10 - preset.name.size(), ' ') +
                 preset.label + "\n";
    return lines;
}

std::string usage() {
    return "usage: doppel train --workspace DIR [--model NAME] [--from MODEL_OR_WORKSPACE]\n"
           "                    [--preset P] [--archi A] [--res N] [--batch N] [--iters N | "
           "--minutes M]\n"
           "                    [--set key=value ...] [--estimate]\n\n"
           "Trains model/NAME (default: the model saved last, else \"default\") on data_src/packed "
           "and data_dst/packed, or "
           "resumes it.\n"
           "  --iters N     train N more iterations (default: until Ctrl-C, which saves and "
           "exits)\n"
           "  --minutes M   train for M minutes\n"
           "  --estimate    print the predicted peak memory for this configuration and exit\n"
           "  --from PATH   start model NAME (which must not exist yet) from a copy of a trained\n"
           "                model: a model folder or a workspace (its model saved last). Reuse a\n"
           "                model trained on the same source person for a new destination video:\n"
           "                it continues from that model's iteration and options.\n"
           "  --preset P    a new model's architecture, size, batch and lr from a preset\n"
           "                (--set and the shortcuts still apply on top):\n" +
           presetLines() +
           "  --archi, --res, --batch are short for --set archi=, resolution=, batch=\n"
           "Options of an existing model are kept; those marked \"fixed on resume\" cannot "
           "change.\n\n"
           "options (--set key=value):\n" +
           models::trainOptionSchema().helpText();
}

const bool registered = registerCommand({
    "train",
    "train the face-swap model on the packed faces (resumes an existing model)",
    usage(),
    {"estimate"},
    runTrain,
});

}  // namespace
}  // namespace doppel::cli
