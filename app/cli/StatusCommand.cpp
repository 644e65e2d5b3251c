// doppel status --workspace DIR
#include <iostream>
#include <map>
#include <set>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/AtomicFile.h"
#include "common/ShellQuote.h"
#include "common/StageFreshness.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "faces/FaceTrackGroups.h"
#include "models/models.h"
#include "pipeline/FacesetReview.h"
#include "pipeline/FrameFiles.h"
#include "pipeline/MergeState.h"

namespace doppel::cli {
namespace fs = std::filesystem;
namespace {

/// How stage `key` stands: not run, running, done, stale (an earlier stage changed its outputs
/// since), failed, cancelled, interrupted.
std::string stageWord(const Workspace& ws, const std::string& key) {
    const nlohmann::json project = ws.project();  // read once (each read probes the locks)
    if (stageIsStale(project, key)) return "stale";
    const nlohmann::json stages = project.value("stages", nlohmann::json::object());
    const std::string status =
        stages.contains(key) && stages[key].is_object() ? stages[key].value("status", "") : "";
    return status.empty() ? "not run" : status;
}

size_t countFiles(const fs::path& dir, const std::set<std::string>& extensions) {
    size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        // "result.partial.mkv": what an export killed half way left, not a result.
        const bool partial = it->path().stem().extension() == ".partial";
        if (it->is_regular_file() && !partial && extensions.count(it->path().extension().string()))
            ++n;
    }
    return n;
}

/// What a side needs next: the earliest stage (0 extract, 1 align, 2 pack) and its command.
struct NextStep {
    int stage = 3;  ///< 3: nothing, the side's faces are packed
    std::string command;
};

/// Prints one side's state and returns what it needs next.
NextStep describeSide(const Workspace& ws, Side side) {
    const std::string name = sideName(side);
    const auto inputs = ws.inputPaths(side);
    std::cout << (side == Side::Src ? "source" : "destination") << ":\n  input";
    if (inputs.size() > 1) std::cout << "s (" << inputs.size() << ")";
    std::cout << ":";
    for (const auto& input : inputs) std::cout << " " << input.filename().string();
    const std::vector<FrameFile> frames = listFrames(ws.framesDir(side));
    std::cout << "\n  frames: " << frames.size() << " (extract " << stageWord(ws, "extract." + name)
              << ")\n";
    const std::string root = " --workspace " + shellQuoted(ws.root().string()) + " --side " + name;
    if (frames.empty()) return {0, "doppel extract" + root};

    const auto withFaces = sidecarsByFrame(ws.alignedDir(side));
    size_t without = 0;
    for (const FrameFile& f : frames) without += withFaces.count(f.index) ? 0 : 1;
    std::map<std::string, size_t> placements;
    size_t drawn = 0, faces = 0;
    const std::vector<AlignedFace> alignedFaces = listAlignedFaces(ws.alignedDir(side));
    for (const AlignedFace& face : alignedFaces) {
        ++faces;
        ++placements[face.placement];
        drawn += face.hasDrawnMask() ? 1 : 0;
    }
    size_t deleted = 0;
    for (const auto& [frame, sidecars] : sidecarsByFrame(ws.trashDir(side)))
        deleted += sidecars.size();
    std::cout << "  faces: " << faces << " (align " << stageWord(ws, "align." + name) << ")";
    for (const auto& [placement, count] : placements)
        if (placement != "detected") std::cout << ", " << count << " " << placement;
    if (drawn) std::cout << ", " << drawn << " with a drawn mask";
    if (deleted) std::cout << ", " << deleted << " deleted (in trash/)";
    std::cout << "\n";
    // Counted once align has run to the end: before (not run, stopped, failed), a frame without
    // a face may only be one align has not looked at yet.
    if (const std::string aligned = ws.stageStatus("align." + name);
        aligned == "done" || aligned == "stale")
        std::cout << "  frames without a face: " << without << "\n";
    else if (faces > 0)  // a stopped align may have found faces it did not write yet
        std::cout << "  frames without a face: not known until align has "
                  << (aligned.empty() ? "run" : "finished") << "\n";
    if (faces == 0) return {1, "doppel align" + root};
    // A scene with several people: who is swapped, and whether align left some out.
    const size_t people = groupFacesByTrack(alignedFaces).size();
    const int64_t leftOut = FacesetReview::otherFacesLeftOut(ws, side);
    if (people > 1 || leftOut > 0) {
        std::cout << "  people: " << people << " (doppel people" << root << ")";
        if (leftOut > 0) std::cout << "; " << leftOut << " frame(s) with another face not aligned";
        std::cout << "\n";
    }

    const fs::path header = ws.packedDir(side) / "faceset.json";
    const std::string pack = stageWord(ws, "pack." + name);
    if (fs::exists(header)) {
        const nlohmann::json packed = readJsonFile(header);
        std::cout << "  packed: " << packed.value("count", 0) << " faces at "
                  << packed.value("resolution", 0) << " px (" << pack << ")\n";
    } else {
        std::cout << "  packed: no\n";
    }
    if (side == Side::Dst && without > 0)
        std::cout << "  (" << without << " destination frame(s) will not be swapped: "
                  << "doppel place-face" << root << " --missing)\n";
    if (!fs::exists(header) || pack == "stale") return {2, "doppel pack" + root};
    return {};
}

int runStatus(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    args.rejectUnused();
    std::cout << "workspace " << ws.root().string() << "\n";
    // Both sides are extracted before either is aligned, and so on: the earliest stage first.
    NextStep first;
    for (Side side : {Side::Src, Side::Dst}) {
        NextStep step = describeSide(ws, side);
        if (step.stage < first.stage) first = step;
    }
    std::string next = first.command;

    std::cout << "models:";
    const std::string latest = ws.latestModelName();
    bool anyModel = false;
    std::error_code ec;
    for (fs::directory_iterator it(ws.modelsDir(), ec), end; !ec && it != end; it.increment(ec)) {
        nlohmann::json info;
        try {
            info = models::readModelInfo(it->path());
        } catch (const std::exception& e) {
            // One damaged model must not hide the rest of the workspace's state.
            anyModel = true;
            std::cout << "\n  " << it->path().filename().string() << ": unreadable (" << e.what()
                      << ")";
            continue;
        }
        if (info.is_null()) continue;
        anyModel = true;
        const nlohmann::json& o = info["options"];
        std::cout << "\n  " << it->path().filename().string() << ": " << o.value("archi", "?")
                  << " res " << o.value("resolution", 0) << ", iteration "
                  << info.value("iteration", int64_t(0))
                  << (it->path().filename().string() == latest ? " (saved last)" : "");
    }
    std::cout << (anyModel ? "" : " none") << "\n";
    // Training is a stage like the others: running now, or ended without saying so.
    if (const std::string training = ws.stageStatus("train");
        training == "running" || training == "interrupted" || training == "failed")
        std::cout << "training: " << training << "\n";
    if (next.empty() && !anyModel)
        next = "doppel train --workspace " + shellQuoted(ws.root().string()) + " --minutes 60";

    const size_t dstFrames = listFrames(ws.framesDir(Side::Dst)).size();
    const size_t merged = countFiles(ws.mergedDir(), {".png"});
    const std::string merge = stageWord(ws, "merge");
    std::string firstOld;
    const int64_t outOfDate = MergeState::framesOutOfDate(ws, firstOld);
    std::cout << "merged: " << merged << " of " << dstFrames << " frames";
    if (outOfDate > 0) std::cout << ", " << outOfDate << " out of date (earlier settings or faces)";
    std::cout << " (merge " << merge << ")\n";
    if (next.empty() && (merged < dstFrames || outOfDate > 0 || merge != "done"))
        next = "doppel merge --workspace " + shellQuoted(ws.root().string());
    // Videos, or the photo a one-photo destination is exported as (result/result.png).
    const size_t results =
        countFiles(ws.resultDir(), {".mp4", ".mkv", ".mov", ".webm", ".png", ".jpg", ".jpeg"});
    const std::string exported = stageWord(ws, "export");
    std::cout << "results: " << results << " file(s) in result/ (export " << exported << ")\n";
    if (next.empty() && (results == 0 || exported != "done"))
        next = "doppel export --workspace " + shellQuoted(ws.root().string());
    std::cout << "next: " << (next.empty() ? "nothing: the result is exported" : next) << "\n";
    return 0;
}

const bool registered = registerCommand({
    "status",
    "where a workspace stands: inputs, frames, faces, packs, models, merge, export, next step",
    "usage: doppel status --workspace DIR\n\n"
    "Prints, per side, the inputs, extracted frames, aligned faces (placed by hand,\n"
    "interpolated, with drawn masks, deleted), frames without a face and the pack; then the\n"
    "trained models with their iteration, the merged frames and the exported videos, and the\n"
    "command to run next. Reads only; exit code 0.\n",
    {},
    runStatus,
});

}  // namespace
}  // namespace doppel::cli
