// doppel xseg-train --workspace DIR [--iters N | --minutes M] [--set key=value ...]
// doppel xseg-apply --workspace DIR [--side src|dst|both] [--remove]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Error.h"
#include "common/StageLock.h"
#include "common/Workspace.h"
#include "models/models.h"
#include "pipeline/XSegStage.h"

namespace doppel::cli {
namespace {

int runXSegTrain(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const TrainingLength length = trainingLength(args);
    const long long iters = length.iterations;
    const double minutes = length.minutes;
    std::unique_ptr<SegmentationEngine> engine = models::createSegmentationEngine();
    // An existing model's options are the base (its resolution and width cannot change).
    const nlohmann::json info = models::readModelInfo(ws.xsegDir());
    nlohmann::json options = resolveOptions(
        engine->optionSchema(), info.is_null() ? ws.stageOptions("xseg") : info["options"], args);
    args.rejectUnused();
    if (!info.is_null()) {
        try {
            engine->optionSchema().checkResumeChange(info["options"], options);
        } catch (const Error& e) {
            std::cerr << "error: mask model in " << ws.xsegDir().string() << ": " << e.what()
                      << "\n";
            return 2;
        }
        std::cout << "resuming at iteration " << info["iteration"].get<int64_t>() << "\n";
    }
    const std::string device = engine->deviceDescription(options["device"].get<std::string>());
    std::cout << "device: " << device << "\n" << std::flush;

    const StageLock lock(ws.stageLockFile("xseg"), "mask model training");
    ConsoleProgress progress;
    StageResult labelled = XSegStage::prepareLabelled(ws, options["resolution"].get<int>(),
                                                      progress, interruptToken());
    progress.finish();
    std::cout << labelled.message << "\n";

    SegmentationTrainRequest request;
    request.modelDir = ws.xsegDir();
    request.labelledFaceset = ws.xsegDir() / "labelled";
    request.options = options;
    const int64_t start = info.is_null() ? 0 : info["iteration"].get<int64_t>();
    request.maxIterations = iters > 0 ? start + iters : 0;
    request.maxMinutes = minutes;
    ws.setStageOptions("xseg", options);
    ws.setStageStatus("xseg", "running");
    StageResult result = engine->train(request, progress, interruptToken());
    progress.finish();
    ws.setStageStatus("xseg", result.ok() ? "done" : "failed", result.message);
    return reportResult("xseg-train", result);
}

int runXSegApply(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const std::string sideArg = args.value("side", "both");
    const bool remove = args.has("remove");
    args.rejectUnused();
    std::vector<Side> sides;
    if (sideArg == "both")
        sides = {Side::Src, Side::Dst};
    else
        sides = {parseSide(sideArg)};
    if (remove) {
        for (Side side : sides)
            std::cout << sideName(side) << ": removed " << XSegStage::removeMasks(ws, side)
                      << " predicted masks (drawn masks and the hull are used again)\n";
        return 0;
    }
    std::unique_ptr<MaskPredictor> predictor =
        models::createSegmentationEngine()->loadPredictor(ws.xsegDir());
    std::cout << "model: " << predictor->describe() << "\n" << std::flush;
    int code = 0;
    for (Side side : sides) {
        ConsoleProgress progress;
        StageResult result = XSegStage::apply(ws, side, *predictor, progress, interruptToken());
        progress.finish();
        code = reportResult("xseg-apply", result);
        if (code != 0) break;
    }
    return code;
}

std::string trainUsage() {
    return "usage: doppel xseg-train --workspace DIR [--iters N | --minutes M] [--set key=value "
           "...]\n\n"
           "Trains the face-mask model (DeepFaceLab's XSeg) in DIR/xseg on the faces whose masks\n"
           "you drew (studio: Faces page, double click a face), from both videos; resumes it "
           "when\n"
           "it exists. Then `doppel xseg-apply` predicts the mask of every face: pack trains "
           "with\n"
           "it, merge uses it with --set mask=xseg. Draw varied faces (10-50: turns, light, "
           "what\n"
           "covers the face) and train until the previews in DIR/xseg/previews look right.\n"
           "Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted (saved).\n\n"
           "options (--set key=value):\n" +
           models::createSegmentationEngine()->optionSchema().helpText();
}

const bool trainRegistered = registerCommand({
    "xseg-train",
    "train the face-mask model on the faces with drawn masks (both sides)",
    trainUsage(),
    {},
    runXSegTrain,
});

const bool applyRegistered = registerCommand({
    "xseg-apply",
    "write the face-mask model's mask of every aligned face (used by pack and merge)",
    "usage: doppel xseg-apply --workspace DIR [--side src|dst|both] [--remove]\n\n"
    "Predicts the mask of every aligned face of the side(s) with the model trained by\n"
    "`doppel xseg-train` and writes it next to the face (aligned/NNNNNN_K_xseg.png). A face's\n"
    "drawn mask still wins over its predicted one. Pack the side again to train with them;\n"
    "merge uses them with --set mask=xseg (or xseg*predicted). --remove deletes the predicted\n"
    "masks instead. Exit codes: 0 done, 1 failed (e.g. no trained mask model), 2 bad usage,\n"
    "130 interrupted.\n",
    {"remove"},
    runXSegApply,
});

}  // namespace
}  // namespace doppel::cli
