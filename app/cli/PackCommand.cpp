// doppel pack --workspace DIR --side src|dst [--set key=value ...]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Workspace.h"
#include "pipeline/PackStage.h"

namespace doppel::cli {
namespace {

int runPack(const CliArgs& args) {
    Workspace workspace = Workspace::open(args.required("workspace"));
    Side side = parseSide(args.required("side"));
    nlohmann::json options =
        resolveOptions(PackStage::optionSchema(),
                       workspace.stageOptions(std::string("pack.") + sideName(side)), args);
    args.rejectUnused();
    ConsoleProgress progress;
    StageResult result = PackStage::run(workspace, side, options, progress, interruptToken());
    progress.finish();
    return reportResult("pack", result);
}

std::string packUsage() {
    return "usage: doppel pack --workspace DIR --side src|dst [--set resolution=128]\n\n"
           "Packs data_<side>/aligned/ into data_<side>/packed/ for training: faces (uint8 BGR at "
           "the\n"
           "resolution), masks (channel 0 the face's drawn mask, else its xseg mask, else the\n"
           "landmark hull; channel 1 eyes + mouth), landmarks in packed\n"
           "pixels and ids (frame * 100 + face) as .npy files plus faceset.json. Faces deleted "
           "from\n"
           "aligned/ are left out. Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n\n"
           "options (--set key=value; saved in project.json for the next run):\n" +
           PackStage::optionSchema().helpText();
}

const bool registered = registerCommand({
    "pack",
    "pack a side's aligned faces, masks and landmarks for training",
    packUsage(),
    {},
    runPack,
});

}  // namespace
}  // namespace doppel::cli
