// doppel new --workspace DIR --src VIDEO [--src MORE ...] --dst VIDEO
// doppel add-source --workspace DIR VIDEO_OR_IMAGES [...]
#include <filesystem>
#include <iostream>

#include "cli/CommandRegistry.h"
#include "common/RemoveTree.h"
#include "common/ShellQuote.h"
#include "common/Workspace.h"
#include "media/FrameSource.h"
#include "pipeline/FacesetReview.h"

namespace doppel::cli {
namespace {

int runNew(const CliArgs& args) {
    std::string dir = args.required("workspace");
    std::vector<std::string> sources = args.all("src");
    std::string dst = args.required("dst");
    args.rejectUnused();
    if (sources.empty()) throw UsageError("--src is required");
    if (dir.empty()) throw UsageError("--workspace needs a folder");
    // Every input checked before anything is made: one run names what cannot be used.
    for (const std::string& input : sources) FrameSource::requireFrames(input);
    FrameSource::requireFrames(dst);
    std::error_code ec;
    const bool existed = std::filesystem::exists(dir, ec);
    Workspace ws = Workspace::create(dir, sources.front(), dst);
    try {
        for (size_t k = 1; k < sources.size(); ++k) ws.addInput(Side::Src, sources[k]);
    } catch (...) {
        // A failed `new` leaves nothing behind, so that the corrected command works at once.
        if (!existed) {
            removeTree(ws.root());
        } else {
            for (const std::filesystem::path& made :
                 {ws.projectFile(), ws.sideDir(Side::Src), ws.sideDir(Side::Dst), ws.modelsDir()})
                removeTree(made);
            std::filesystem::remove(ws.projectFile().string() + ".bak", ec);
        }
        throw;
    }
    std::cout << "new workspace " << ws.root().string() << "\n";
    for (const auto& input : ws.inputPaths(Side::Src))
        std::cout << "  src: " << input.string() << "\n";
    std::cout << "  dst: " << ws.inputPath(Side::Dst).string() << "\n"
              << "next: doppel extract --workspace " << shellQuoted(dir) << " --side src\n";
    return 0;
}

int runAddSource(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const std::vector<std::string>& inputs = args.positional();
    const std::string removed = args.value("remove");
    args.rejectUnused();
    if (!removed.empty()) {
        if (!inputs.empty()) throw UsageError("--remove takes one input; add others separately");
        const int moved = FacesetReview::removeInput(ws, Side::Src, removed);
        std::cout << "removed " << removed << " from the source; " << moved
                  << " of its aligned faces moved to " << ws.trashDir(Side::Src).string()
                  << "; `doppel extract --side src` drops its frames\n";
        return 0;
    }
    if (inputs.empty()) throw UsageError("name one or more videos, images or image folders");
    for (const std::string& input : inputs) FrameSource::requireFrames(input);
    for (const std::string& input : inputs) {
        const std::filesystem::path added = ws.addInput(Side::Src, input);
        std::cout << "added " << added.string() << "\n";
    }
    std::cout << "the source has " << ws.inputPaths(Side::Src).size()
              << " inputs; next: doppel extract --workspace " << shellQuoted(ws.root().string())
              << " --side src (frames already extracted are kept)\n";
    return 0;
}

const bool registered = registerCommand({
    "new",
    "create a workspace from a source and a destination video (or image / image folder)",
    "usage: doppel new --workspace DIR --src VIDEO [--src MORE ...] --dst VIDEO\n\n"
    "Creates DIR with project.json and copies the inputs in (data_src/, data_dst/).\n"
    "The source is the face to put in; the destination is the scene. Give --src more than\n"
    "once (videos, photos, image folders of the same person) for a more varied faceset.\n",
    {},
    runNew,
});

const bool addRegistered = registerCommand({
    "add-source",
    "add more videos or images of the source person to a workspace",
    "usage: doppel add-source --workspace DIR VIDEO_OR_IMAGES [...]\n"
    "       doppel add-source --workspace DIR --remove NAME\n\n"
    "Copies each video, image or image folder into DIR/data_src (input_2.mp4, input_3/, ...).\n"
    "A varied source faceset (several clips: other light, angles, expressions) gives a better\n"
    "swap. `doppel extract --side src` then adds the new frames in a numbered block of their\n"
    "own (the second input's frames start at 1000001.png) and keeps the frames already there;\n"
    "align tracks faces within each clip, never from one clip into the next.\n"
    "A faceset made elsewhere comes in the same way: a folder of DeepFaceLab aligned faces\n"
    "(data_src/aligned) or another workspace's data_src/aligned. Align then takes the landmarks\n"
    "each face carries (and DeepFaceLab's XSeg polygons as its drawn mask) instead of detecting\n"
    "the face again.\n"
    "--remove NAME takes an added input out again (NAME as in DIR/data_src, e.g. input_2.mp4,\n"
    "or the path it was copied from): its copy is deleted, its aligned faces go to the trash,\n"
    "and the next extract drops its frames; the other frames keep their numbers.\n",
    {},
    runAddSource,
});

}  // namespace
}  // namespace doppel::cli
