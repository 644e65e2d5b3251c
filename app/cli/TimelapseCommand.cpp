// doppel timelapse --workspace DIR [--model NAME] [--fps N] [--masks] [--out FILE]
#include <iostream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Error.h"
#include "common/Workspace.h"
#include "pipeline/TrainingTimelapse.h"

namespace doppel::cli {
namespace {

int runTimelapse(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    std::string name = args.value("model", "");
    const double fps = args.doubleValue("fps", 8);
    const bool masks = args.has("masks");
    std::filesystem::path out = args.value("out", "");
    args.rejectUnused();
    if (!(fps > 0 && fps <= 120)) throw UsageError("--fps takes a rate from above 0 to 120");
    if (name.empty()) name = ws.latestModelName();
    if (name.empty()) {
        std::cerr << "error: " << ws.modelsDir().string()
                  << " holds no model: run `doppel train` first\n";
        return 1;
    }
    if (!std::filesystem::is_directory(ws.modelDir(name)))
        throw Error(ErrorCode::NotFound, "model '" + name + "' not found: " +
                                             ws.modelDir(name).string() + " does not exist");
    const std::filesystem::path byDefault =
        TrainingTimelapse::defaultOutput(ws.modelDir(name), masks);
    if (out.empty()) {
        out = byDefault;
    } else {
        // As export takes --out: a folder gets the default name in it, a bare name ".mp4".
        const bool folder = std::filesystem::is_directory(out) || out.string().back() == '/';
        out = std::filesystem::absolute(out);
        if (folder)
            out /= byDefault.filename();
        else if (out.extension().empty())
            out += ".mp4";
    }
    ConsoleProgress progress;
    StageResult result = runStageSafely("timelapse", [&] {
        return TrainingTimelapse::write(ws.modelDir(name), out, fps, masks, progress,
                                        interruptToken());
    });
    progress.finish();
    return reportResult("timelapse", result);
}

const bool registered = registerCommand({
    "timelapse",
    "a video of a model's training, from the preview grids it saved",
    "usage: doppel timelapse --workspace DIR [--model NAME] [--fps N] [--masks] [--out FILE]\n\n"
    "Encodes the preview grids the model saved while it trained (model/NAME/previews/, one\n"
    "every preview_every iterations; --masks: the mask grids) into an H.264 video, oldest\n"
    "first, each captioned with its iteration, at N grids per second (default 8). Default\n"
    "model: the one saved last; default output: model/NAME/timelapse.mp4. The grids hold\n"
    "swapped faces: the video is labelled as AI-generated (metadata and watermark).\n"
    "Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n",
    {"masks"},
    runTimelapse,
});

}  // namespace
}  // namespace doppel::cli
