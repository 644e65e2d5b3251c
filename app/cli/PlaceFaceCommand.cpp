// doppel place-face --workspace DIR --side src|dst --missing
// doppel place-face --workspace DIR --side src|dst --frame N --box X,Y,W,H
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Workspace.h"
#include "pipeline/FacePlacer.h"

namespace doppel::cli {
namespace {

cv::Rect2f parseBox(const std::string& text) {
    float x = 0, y = 0, w = 0, h = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%f,%f,%f,%f%c", &x, &y, &w, &h, &extra) != 4 || w <= 0 || h <= 0)
        throw UsageError(
            "--box takes X,Y,WIDTH,HEIGHT in frame pixels (e.g. 120,60,110,110), "
            "got '" +
            text + "'");
    return {x, y, w, h};
}

int runPlaceFace(const CliArgs& args) {
    Workspace ws = Workspace::open(args.required("workspace"));
    const Side side = parseSide(args.required("side"));
    const bool listMissing = args.has("missing");
    const bool hasFrame = args.has("frame");
    if (listMissing == hasFrame) throw UsageError("give either --missing or --frame N --box ...");
    const long long frameIndex = hasFrame ? args.intValue("frame", 0) : 0;
    const std::string boxText = hasFrame ? args.required("box") : "";
    args.rejectUnused();

    FacePlacer placer(ws, side);
    if (listMissing) {
        std::vector<FrameFile> missing = placer.framesWithoutFace();
        std::cout << sideName(side) << ": " << missing.size() << " of " << placer.frames().size()
                  << " frames without a face\n";
        for (const FrameFile& f : missing)
            std::cout << f.index << "\t" << f.path.filename().string() << "\n";
        return 0;
    }
    const cv::Rect2f box = parseBox(boxText);
    cv::Mat image = placer.loadFrame(frameIndex);
    BoxFit fit = placer.fit(image, box);
    const size_t before = placer.facesOf(frameIndex).size();
    AlignedFace face = placer.place(frameIndex, image, fit.face);
    const bool replaced = placer.facesOf(frameIndex).size() == before;
    std::ostringstream where;  // whole pixels (never "-0")
    for (size_t k = 0; k < 4; ++k) where << (k ? "," : "") << std::lround(face.box[k]);
    std::cout << sideName(side) << " frame " << frameIndex << ": placed face "
              << std::filesystem::path(face.imageName()).stem().string() << " at " << where.str()
              << (fit.byDetector ? " (the detector found it near the box)"
                                 : " (landmarks fitted in the box; the detector found none)")
              << (replaced ? ", replacing the face that was there" : "") << "\n";
    return 0;
}

const bool registered = registerCommand({
    "place-face",
    "place a face by hand where the detector missed it or got it wrong",
    "usage: doppel place-face --workspace DIR --side src|dst --missing\n"
    "       doppel place-face --workspace DIR --side src|dst --frame N --box X,Y,W,H\n\n"
    "--missing lists the frames that have no aligned face (the detector found none, or you\n"
    "deleted them in review): on the destination these frames stay unswapped. --frame/--box\n"
    "places the face inside the box (frame pixels, drawn around the face from brows to chin):\n"
    "the detector looks near it, else the landmark model is fitted in it. The face is aligned\n"
    "like align's faces (placement \"manual\"; align --set redo=true keeps it) and replaces the\n"
    "frame's face it overlaps, else it is added. Pack becomes stale; on the destination the\n"
    "frame is merged again by the next merge. The studio does the same with the mouse (Faces\n"
    "page, Place faces...). Exit codes: 0 done, 1 failed, 2 bad usage.\n",
    {"missing"},
    runPlaceFace,
});

}  // namespace
}  // namespace doppel::cli
