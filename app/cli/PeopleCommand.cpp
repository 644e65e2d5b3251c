// doppel people --workspace DIR [--side src|dst] [--keep KEYS | --remove KEYS]
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/ShellQuote.h"
#include "common/Workspace.h"
#include "faces/FaceTrackGroups.h"
#include "pipeline/FacesetReview.h"

namespace doppel::cli {
namespace {

std::vector<std::string> splitKeys(const std::string& text, const char* flag) {
    std::vector<std::string> keys;
    std::stringstream in(text);
    for (std::string key; std::getline(in, key, ',');)
        if (!key.empty()) keys.push_back(key);
    if (keys.empty())
        throw UsageError(std::string("--") + flag +
                         " takes the keys `doppel people` lists, separated by commas (e.g. 0,3)");
    return keys;
}

void printGroups(const std::vector<FaceTrackGroup>& groups, const std::vector<int>& alike,
                 Side side) {
    std::cout << sideName(side) << ": " << groups.size()
              << (groups.size() == 1 ? " person" : " people")
              << " (faces followed across frames; a photo's faces one by one)\n";
    for (size_t i = 0; i < groups.size(); ++i) {
        const FaceTrackGroup& g = groups[i];
        char line[256];
        std::snprintf(line, sizeof line,
                      "  %-10s frames %lld-%lld  %4zu faces  box %4.0f px at x %4.0f y %4.0f  "
                      "largest %s",
                      g.key.c_str(), (long long)g.firstFrame, (long long)g.lastFrame,
                      g.faces.size(), g.boxSide, g.centreX, g.centreY,
                      g.faces[g.largest].imageName().c_str());
        std::cout << line;
        if (alike[i] >= 0) std::cout << "  looks like " << groups[size_t(alike[i])].key;
        std::cout << "\n";
    }
}

int runPeople(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const Side side = parseSide(args.value("side", "dst"));
    const bool keeping = args.has("keep"), removing = args.has("remove");
    if (keeping && removing) throw UsageError("give either --keep or --remove, not both");
    const std::vector<std::string> keys = keeping    ? splitKeys(args.value("keep"), "keep")
                                          : removing ? splitKeys(args.value("remove"), "remove")
                                                     : std::vector<std::string>{};
    args.rejectUnused();

    const std::vector<FaceTrackGroup> groups =
        groupFacesByTrack(listAlignedFaces(ws.alignedDir(side)));
    if (groups.empty()) {
        std::cerr << "error: no aligned faces on " << sideName(side)
                  << ": run `doppel align --workspace " << shellQuoted(ws.root().string())
                  << " --side " << sideName(side) << "` first\n";
        return 1;
    }
    if (keys.empty()) {
        printGroups(groups, earlierLookAlikes(groupLooks(groups, ws.alignedDir(side))), side);
        const std::string hint = FacesetReview::severalPeopleHint(ws, side, groups.size());
        if (!hint.empty()) std::cout << "note: " << hint << "\n";
        if (groups.size() > 1)
            std::cout << "keep one: doppel people --workspace " << shellQuoted(ws.root().string())
                      << " --side " << sideName(side) << " --keep " << groups.front().key << "\n";
        return 0;
    }
    if (auto unknown = unknownGroupKeys(groups, keys); !unknown.empty()) {
        std::cerr << "error: " << sideName(side) << " has no person '" << unknown.front()
                  << "': the keys are those `doppel people --side " << sideName(side)
                  << "` lists\n";
        return 2;
    }
    std::set<std::string> keep(keys.begin(), keys.end());
    if (removing) {
        keep.clear();
        for (const FaceTrackGroup& g : groups)
            if (std::find(keys.begin(), keys.end(), g.key) == keys.end()) keep.insert(g.key);
    }
    const std::vector<AlignedFace> out = facesOutside(groups, keep);
    const int moved = FacesetReview::trashFaces(ws, side, out);
    std::cout << "kept " << keep.size() << " of " << groups.size() << " people, moved " << moved
              << " faces to " << ws.trashDir(side).string()
              << " (the studio's \"Restore deleted\" brings them back)\n";
    return moved == int(out.size()) ? 0 : 1;
}

const bool registered = registerCommand({
    "people",
    "list the people (face tracks) on a side; keep only those to swap",
    "usage: doppel people --workspace DIR [--side src|dst] [--keep KEYS | --remove KEYS]\n\n"
    "Lists the people align found on the side (default dst): the faces it followed across the\n"
    "frames of a clip share a key (the track id); a face in a photo has its own key (its file\n"
    "stem, e.g. 000003_1). In a scene with several people every kept face is swapped, so keep\n"
    "only the one(s) to swap: --keep 0,4 moves the faces of every other person to\n"
    "data_<side>/trash/ (restorable), --remove 2 moves those of person 2. A person the tracker\n"
    "lost (a cut, a long occlusion) comes back under a new key, listed as \"looks like\" the\n"
    "first key that person had (by the faces' look): keep all of that person's keys.\n"
    "Align with --set keep=all first so every face is there. Pack the side again afterwards.\n"
    "Exit codes: 0 done, 1 failed, 2 bad usage.\n",
    {},
    runPeople,
});

}  // namespace
}  // namespace doppel::cli
