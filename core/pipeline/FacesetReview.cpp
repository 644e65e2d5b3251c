#include "pipeline/FacesetReview.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <tuple>

#include "common/Error.h"
#include "common/Log.h"
#include "common/ParallelFor.h"
#include "faces/BestFaces.h"
#include "faces/FaceSortKeys.h"
#include "media/ImageIO.h"
#include "pipeline/FrameFiles.h"
#include "pipeline/MergeState.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

bool moveFile(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    fs::rename(from, to, ec);
    if (ec) logWarning("cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
    return !ec;
}

}  // namespace

int FacesetReview::trashFaces(const Workspace& workspace, Side side,
                              const std::vector<AlignedFace>& faces) {
    const fs::path aligned = workspace.alignedDir(side), trash = workspace.trashDir(side);
    int moved = 0;
    std::vector<int64_t> frames;
    for (const AlignedFace& face : faces) {
        // The sidecar goes first: a face without its image is ignored by listAlignedFaces.
        if (fs::exists(aligned / face.metaName()))
            moveFile(aligned / face.metaName(), trash / face.metaName());
        if (fs::exists(aligned / face.xsegMaskName()))
            moveFile(aligned / face.xsegMaskName(), trash / face.xsegMaskName());
        if (moveFile(aligned / face.imageName(), trash / face.imageName())) {
            ++moved;
            frames.push_back(face.frameIndex);
        }
    }
    if (moved > 0) markFacesChanged(workspace, side, frames, "faces deleted in review");
    return moved;
}

int FacesetReview::restoreFaces(const Workspace& workspace, Side side) {
    // By name only: a sidecar that no longer parses still comes back with its face.
    std::vector<AlignedFace> faces;
    for (const auto& [frame, sidecars] : sidecarsByFrame(workspace.trashDir(side)))
        for (const fs::path& sidecar : sidecars) {
            AlignedFace face;
            std::tie(face.frameIndex, face.faceIndex) = *parseFaceStem(sidecar.stem().string());
            faces.push_back(face);
        }
    return restoreFaces(workspace, side, faces);
}

int FacesetReview::restoreFaces(const Workspace& workspace, Side side,
                                const std::vector<AlignedFace>& faces) {
    const fs::path aligned = workspace.alignedDir(side), trash = workspace.trashDir(side);
    int restored = 0;
    std::vector<int64_t> frames;
    for (const AlignedFace& face : faces) {
        if (!fs::exists(trash / face.metaName())) continue;
        if (fs::exists(aligned / face.metaName()) || fs::exists(aligned / face.imageName())) {
            logWarning("face " + face.stem() + " stays in " + trash.string() + ": " +
                       aligned.string() + " holds a face of that name again (align ran since)");
            continue;
        }
        // The sidecar comes last: until it is there, listAlignedFaces ignores the face.
        if (fs::exists(trash / face.xsegMaskName()))
            moveFile(trash / face.xsegMaskName(), aligned / face.xsegMaskName());
        if (!moveFile(trash / face.imageName(), aligned / face.imageName())) continue;
        if (!moveFile(trash / face.metaName(), aligned / face.metaName())) continue;
        ++restored;
        frames.push_back(face.frameIndex);
    }
    if (restored > 0) markFacesChanged(workspace, side, frames, "faces restored in review");
    return restored;
}

StageResult FacesetReview::keepBest(const Workspace& workspace, Side side, size_t count,
                                    ProgressSink& progress, const CancelToken& cancel) {
    return runStageSafely("keep best faces", [&]() -> StageResult {
        if (side == Side::Dst)
            throw Error(ErrorCode::BadOption,
                        "keep-best thins the source faceset; the destination's faces are the "
                        "frames to swap, and a frame whose face is thinned out stays unswapped "
                        "(delete wrong destination faces one by one in review)");
        const fs::path aligned = workspace.alignedDir(side);
        const std::vector<AlignedFace> faces = listAlignedFaces(aligned);
        if (faces.empty())
            throw Error(ErrorCode::NotFound, "no aligned faces in " + aligned.string() +
                                                 " (run `doppel align --side " + sideName(side) +
                                                 "` first)");
        if (count >= faces.size())
            return StageResult::succeeded("kept all " + std::to_string(faces.size()) +
                                          " faces (asked to keep " + std::to_string(count) + ")");
        ProgressEvent event;
        event.stage = "best faces";
        event.side = sideName(side);
        event.total = int64_t(faces.size());
        event.started = std::chrono::steady_clock::now();
        std::vector<FaceSortKeys> keys(faces.size());
        std::atomic<int64_t> done{0};
        std::mutex progressMutex;
        parallelFor(int64_t(faces.size()), defaultThreadCount(), [&](int64_t i, int) {
            if (cancel.isCancelled()) return;
            const AlignedFace& face = faces[size_t(i)];
            keys[size_t(i)] =
                computeFaceSortKeys(loadImage(aligned / face.imageName()), face.landmarks,
                                    cv::Size(face.frameWidth, face.frameHeight));
            std::lock_guard<std::mutex> lock(progressMutex);
            ProgressEvent e = event;
            e.done = ++done;
            e.message = face.imageName();
            progress.report(e);
        });
        if (cancel.isCancelled())
            return StageResult::cancelled("cancelled while measuring faces; none was moved");

        std::vector<bool> keep(faces.size(), false);
        for (size_t i : pickBestFaces(keys, count)) keep[i] = true;
        std::vector<AlignedFace> dropped;
        double yawLow = 0, yawHigh = 0;
        bool first = true;
        for (size_t i = 0; i < faces.size(); ++i) {
            if (!keep[i]) {
                dropped.push_back(faces[i]);
                continue;
            }
            yawLow = first ? keys[i].yawDegrees : std::min(yawLow, keys[i].yawDegrees);
            yawHigh = first ? keys[i].yawDegrees : std::max(yawHigh, keys[i].yawDegrees);
            first = false;
        }
        const int moved = trashFaces(workspace, side, dropped);
        char message[256];
        std::snprintf(message, sizeof message,
                      "kept the %zu best of %zu faces (yaw %.0f..%.0f degrees); moved %d to %s "
                      "(restorable)",
                      faces.size() - dropped.size(), faces.size(), yawLow, yawHigh, moved,
                      workspace.trashDir(side).string().c_str());
        return StageResult::succeeded(
            message,
            {{"faces", faces.size()}, {"kept", faces.size() - dropped.size()}, {"moved", moved}});
    });
}

int FacesetReview::removeInput(const Workspace& workspace, Side side, const std::string& name) {
    const int block = workspace.removeInput(side, name);
    std::vector<AlignedFace> faces;
    for (AlignedFace& face : listAlignedFaces(workspace.alignedDir(side)))
        if (inputOfFrame(face.frameIndex) == block) faces.push_back(std::move(face));
    return trashFaces(workspace, side, faces);
}

namespace {

std::string alignKeepMode(const Workspace& workspace, Side side) {
    const nlohmann::json options = workspace.stageOptions(std::string("align.") + sideName(side));
    return options.is_object() ? options.value("keep", "largest") : "largest";
}

}  // namespace

int64_t FacesetReview::otherFacesLeftOut(const Workspace& workspace, Side side) {
    if (alignKeepMode(workspace, side) == "all") return 0;
    const nlohmann::json stages = workspace.project().value("stages", nlohmann::json::object());
    const std::string key = std::string("align.") + sideName(side);
    return stages.contains(key) ? stages[key].value("frames_with_other_faces_left_out", int64_t(0))
                                : 0;
}

std::string FacesetReview::severalPeopleHint(const Workspace& workspace, Side side,
                                             size_t groupCount) {
    const std::string keep = alignKeepMode(workspace, side);
    const int64_t leftOut = otherFacesLeftOut(workspace, side);
    if (keep == "all" || (groupCount < 2 && leftOut == 0)) return {};
    const std::string what =
        leftOut > 0 ? "left another face out in " + std::to_string(leftOut) +
                          " frame(s): whoever was larger there is the face swapped"
                    : "where another person's face was kept instead, that frame has no face of "
                      "the person you keep";
    return "align kept one face per frame (keep=" + keep + ") and " + what +
           ". To choose whom to swap, align again with keep=all (doppel align --side " +
           sideName(side) +
           " --set keep=all --set redo=true, or Extract with keep \"all\"), then keep the "
           "people to swap.";
}

int FacesetReview::setAsideFacesOfFrames(const Workspace& workspace, Side side,
                                         const std::function<bool(int64_t frame)>& covers,
                                         const std::string& reason) {
    // "000042_1.jpg", "000042_1.json", "000042_1_xseg.png": the frame number leads the name.
    auto frameOf = [](const std::string& name) -> int64_t {
        size_t digits = 0;
        while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])))
            ++digits;
        if (digits < 6 || digits >= name.size() || name[digits] != '_') return -1;
        return std::stoll(name.substr(0, digits));
    };
    std::string stamp = utcTimestamp();
    for (char& c : stamp)
        if (c == ':') c = '-';  // a folder name that every file system takes
    const fs::path aside = workspace.sideDir(side) / "replaced" / stamp;
    int faces = 0;
    std::set<int64_t> frames;
    for (const auto& [from, name] : {std::make_pair(workspace.alignedDir(side), "aligned"),
                                     std::make_pair(workspace.trashDir(side), "trash")}) {
        std::error_code ec;
        for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string file = it->path().filename().string();
            const int64_t frame = frameOf(file);
            if (frame < 0 || !covers(frame)) continue;
            fs::create_directories(aside / name);
            std::error_code moved;
            fs::rename(it->path(), aside / name / file, moved);
            if (moved)
                throw Error(ErrorCode::Io, "cannot move " + it->path().string() + " to " +
                                               (aside / name).string() + ": " + moved.message());
            if (it->path().extension() == ".json") ++faces;
            frames.insert(frame);
        }
    }
    std::error_code ec;
    for (fs::directory_iterator it(workspace.alignedDebugDir(side), ec), end; !ec && it != end;
         it.increment(ec))
        if (const int64_t frame = std::atoll(it->path().stem().string().c_str());
            frame > 0 && covers(frame))
            fs::remove(it->path(), ec);
    if (!frames.empty()) {
        markFacesChanged(workspace, side, std::vector<int64_t>(frames.begin(), frames.end()),
                         reason);
        logInfo(std::to_string(faces) + " face(s) of frames extracted anew set aside in " +
                aside.string() + " (" + reason + ")");
    }
    return faces;
}

void FacesetReview::markFacesChanged(const Workspace& workspace, Side side,
                                     const std::vector<int64_t>& frameIndices,
                                     const std::string& reason) {
    const std::string packKey = std::string("pack.") + sideName(side);
    if (!workspace.stageStatus(packKey).empty())
        workspace.setStageStatus(packKey, "stale", reason + " since packing");
    if (side != Side::Dst) return;
    int64_t removed = 0;
    for (int64_t index : frameIndices)
        removed += MergeState::removeMergedFrame(workspace, index) ? 1 : 0;
    if (removed == 0) return;
    // Said, not only done: a long tuned merge losing frames must not pass unnoticed.
    logWarning(std::to_string(removed) + " merged frame(s) of those destination frames removed (" +
               reason + "): merge again to make them");
    if (!workspace.stageStatus("merge").empty())
        workspace.setStageStatus("merge", "stale", reason + " since merging");
}

}  // namespace doppel
