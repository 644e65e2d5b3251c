// doppel keep-best --workspace DIR --side src|dst --count N
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Workspace.h"
#include "pipeline/FacesetReview.h"

namespace doppel::cli {
namespace {

int runKeepBest(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const Side side = parseSide(args.value("side", "src"));
    const long long count = args.intValue("count", 0);
    args.rejectUnused();
    if (count <= 0) throw UsageError("--count N: how many faces to keep (e.g. 3000)");
    ConsoleProgress progress;
    StageResult result =
        FacesetReview::keepBest(ws, side, size_t(count), progress, interruptToken());
    progress.finish();
    return reportResult("keep-best", result);
}

const bool registered = registerCommand({
    "keep-best",
    "thin a large faceset to its N best faces (poses covered evenly, sharpest first)",
    "usage: doppel keep-best --workspace DIR [--side src] --count N\n\n"
    "Keeps the N best aligned faces of the source and moves the others to\n"
    "data_src/trash/, where the studio's \"Restore deleted\" brings them back. Best: the\n"
    "blurriest fifth is left out, then head poses (yaw and pitch) are covered evenly with the\n"
    "sharpest face of each pose first, so a source of many near-identical frontal frames keeps\n"
    "its rare turns. DeepFaceLab's guides advise a few thousand varied source faces. Pack the\n"
    "side again afterwards. Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n",
    {},
    runKeepBest,
});

}  // namespace
}  // namespace doppel::cli
