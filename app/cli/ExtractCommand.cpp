// doppel extract --workspace DIR --side src|dst [--set key=value ...]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Error.h"
#include "common/Workspace.h"
#include "pipeline/ExtractStage.h"

namespace doppel::cli {
namespace {

int runExtract(const CliArgs& args) {
    std::string dir = args.required("workspace");
    Side side = Side::Src;
    try {
        side = parseSide(args.required("side"));
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    Workspace workspace = Workspace::open(dir);
    const std::string key = std::string("extract.") + sideName(side);
    nlohmann::json options =
        resolveOptions(ExtractStage::optionSchema(), workspace.stageOptions(key), args);
    args.rejectUnused();

    ConsoleProgress progress;
    StageResult result = ExtractStage::run(workspace, side, options, progress, interruptToken());
    progress.finish();
    return reportResult("extract " + std::string(sideName(side)), result);
}

std::string usageText() {
    return "usage: doppel extract --workspace DIR --side src|dst [--set key=value ...]\n\n"
           "Decodes the side's input (video, image or image folder) into data_<side>/frames/\n"
           "000001.png ... (numbered by decoded frame order) plus frames/index.json with each\n"
           "frame's timestamp. Running it again resumes: valid frames are kept, missing or\n"
           "broken ones are redone. Options (saved in project.json for the next run):\n" +
           ExtractStage::optionSchema().helpText() +
           "\nexample: doppel extract --workspace ws --side dst --set fps=10 --set max_side=1280\n";
}

const bool registered = registerCommand({
    "extract",
    "decode a side's video/images into numbered frames (resumable)",
    usageText(),
    {},
    runExtract,
});

}  // namespace
}  // namespace doppel::cli
