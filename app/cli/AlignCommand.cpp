// doppel align --workspace DIR --side src|dst [--set key=value ...]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Workspace.h"
#include "pipeline/AlignStage.h"

namespace doppel::cli {
namespace {

int runAlign(const CliArgs& args) {
    Workspace workspace = Workspace::open(args.required("workspace"));
    Side side = parseSide(args.required("side"));
    nlohmann::json options =
        resolveOptions(AlignStage::optionSchema(),
                       workspace.stageOptions(std::string("align.") + sideName(side)), args);
    args.rejectUnused();
    ConsoleProgress progress;
    StageResult result = AlignStage::run(workspace, side, options, progress, interruptToken());
    progress.finish();
    return reportResult("align", result);
}

std::string alignUsage() {
    return "usage: doppel align --workspace DIR --side src|dst [--set key=value ...]\n\n"
           "Finds faces in data_<side>/frames/ (dlib HOG + 68 landmarks), aligns them to the mean "
           "face\n"
           "and writes data_<side>/aligned/<frame>_<face>.jpg plus a .json sidecar. Frames "
           "already\n"
           "aligned are kept unless --set redo=true. Exit codes: 0 done, 1 failed or no faces "
           "found,\n"
           "2 bad usage, 130 interrupted.\n\n"
           "options (--set key=value; saved in project.json for the next run):\n" +
           AlignStage::optionSchema().helpText();
}

const bool registered = registerCommand({
    "align",
    "detect, landmark and align the faces of a side's frames",
    alignUsage(),
    {},
    runAlign,
});

}  // namespace
}  // namespace doppel::cli
