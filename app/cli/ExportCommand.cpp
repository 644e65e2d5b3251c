// doppel export --workspace DIR [--codec h264] [--crf 18] [--preset medium] [--out FILE] [--set
// key=value ...]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Workspace.h"
#include "pipeline/ExportStage.h"

namespace doppel::cli {
namespace {

int runExport(const CliArgs& args) {
    std::string dir = args.required("workspace");
    Workspace workspace = Workspace::open(dir);
    const OptionSchema& schema = ExportStage::optionSchema();
    // The shortcuts are --set assignments given first, so an explicit --set still wins.
    std::vector<std::string> words = {"--workspace", dir};
    for (const char* shortcut : {"codec", "crf", "preset", "out", "audio"})
        if (args.has(shortcut)) {
            words.push_back("--set");
            words.push_back(std::string(shortcut) + "=" + args.value(shortcut));
        }
    if (args.has("visible-label") || args.switchedOff("visible-label")) {
        words.push_back("--set");
        words.push_back(args.has("visible-label") ? "visible_label=true" : "visible_label=false");
    }
    for (const auto& assignment : args.all("set")) {
        words.push_back("--set");
        words.push_back(assignment);
    }
    args.rejectUnused();
    CliArgs merged(words, {});
    merged.value("workspace");
    nlohmann::json saved = workspace.stageOptions("export");
    // --out names one file: it is not remembered for the next export.
    if (saved.is_object()) saved.erase("out");
    nlohmann::json options = resolveOptions(schema, saved, merged);

    ConsoleProgress progress;
    StageResult result = ExportStage::run(workspace, options, progress, interruptToken());
    progress.finish();
    int code = reportResult("export", result);
    if (result.ok() && result.summary.contains("output"))
        std::cout << "check it: doppel verify " << result.summary["output"].get<std::string>()
                  << "\n";
    return code;
}

std::string usageText() {
    return "usage: doppel export --workspace DIR [--codec h264|h265|vp9|prores|ffv1] [--crf N]\n"
           "                     [--preset NAME] [--audio copy|aac|none] [--out FILE] "
           "[--visible-label=false]\n"
           "                     [--set key=value ...]\n\n"
           "Encodes merged/ into a video with the destination's frame rate, timestamps and audio.\n"
           "Frames that merge skipped fall back to the original destination frame (counted, "
           "warned).\n"
           "Refused while a merge runs, after a merge was stopped, or when some merged frames "
           "were made\nwith earlier settings than the others (merge first); never over the "
           "workspace's inputs.\n"
           "Every export is labelled as AI-generated in its container metadata (comment, "
           "description,\n"
           "digitalSourceType=trainedAlgorithmicMedia); merge embeds an invisible watermark. The "
           "file is\n"
           "written as <name>.partial.<ext> and renamed when complete.\n"
           "Exit codes: 0 done, 1 failed, 2 bad usage, 130 cancelled. Options (saved in "
           "project.json for the next export, except out):\n" +
           ExportStage::optionSchema().helpText() +
           "\nexample: doppel export --workspace ws --codec h265 --crf 22 --out "
           "ws/result/take2.mp4\n";
}

const bool registered = registerCommand({
    "export",
    "encode the merged frames into a labelled video with the destination's audio",
    usageText(),
    {"visible-label"},
    runExport,
});

}  // namespace
}  // namespace doppel::cli
