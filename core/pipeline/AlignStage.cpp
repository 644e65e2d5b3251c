#include "pipeline/AlignStage.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

#include "common/Error.h"
#include "common/FolderSwap.h"
#include "common/Log.h"
#include "common/ParallelFor.h"
#include "common/StageLock.h"
#include "faces/AlignedFace.h"
#include "faces/FaceDetector.h"
#include "faces/FaceTracking.h"
#include "pipeline/AlignRunState.h"
#include "pipeline/AlignedFaceWriter.h"
#include "pipeline/EmbeddedFrameFaces.h"
#include "pipeline/FaceDetectionPass.h"
#include "pipeline/FrameFiles.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

AlignOptions parseOptions(const nlohmann::json& o) {
    AlignOptions a;
    a.faceType = parseFaceType(o.at("face_type").get<std::string>());
    a.size = o.at("size").get<int>();
    a.keep = parseKeepMode(o.at("keep").get<std::string>());
    a.smooth = o.at("smooth").get<int>();
    a.fillGaps = o.at("fill_gaps").get<int>();
    int threads = o.at("threads").get<int>();
    a.threads = threads > 0 ? threads : defaultThreadCount();
    a.debug = o.at("debug").get<bool>();
    a.redo = o.at("redo").get<bool>();
    a.trackRoi = o.at("track_roi").get<bool>();
    a.redetectEvery = o.at("redetect_every").get<int>();
    a.jpegQuality = o.at("jpeg_quality").get<int>();
    a.detector.minFaceSize = o.at("min_face").get<int>();
    a.detector.detectLongSide = o.at("detect_size").get<int>();
    a.detector.rotations = o.at("rotations").get<bool>();
    a.detector.upsample = o.at("upsample").get<bool>();
    return a;
}

/// Drawn masks and faces placed by hand are the user's work: a redo carries drawn masks onto the
/// same face aligned again, and keeps each placed face the detector does not find. A redo also
/// aligns the frames of faces the user deleted: where such a face is found again it stays
/// deleted (its box, from its sidecar in trash/).
AlignedFaceWriter::EarlierWork readEarlierWork(
    const fs::path& alignedDir, const fs::path& trashDir,
    std::map<int64_t, std::vector<AlignedFace>>& placedByHand, std::vector<std::string>& warnings) {
    AlignedFaceWriter::EarlierWork earlier;
    if (fs::is_directory(alignedDir))
        for (const auto& entry : fs::directory_iterator(alignedDir)) {
            if (entry.path().extension() != ".json") continue;
            try {
                AlignedFace face = readAlignedFace(entry.path());
                if (face.placement == "manual") placedByHand[face.frameIndex].push_back(face);
                if (face.hasDrawnMask())
                    earlier.drawnMasks[face.frameIndex].push_back(std::move(face));
            } catch (const Error& e) {
                warnings.push_back(std::string(e.what()) + " (not carried over)");
            }
        }
    for (const auto& [frame, sidecars] : sidecarsByFrame(trashDir))
        for (const fs::path& sidecar : sidecars) try {
                const AlignedFace gone = readAlignedFace(sidecar);
                earlier.deletedBoxes[frame].emplace_back(gone.box[0], gone.box[1], gone.box[2],
                                                         gone.box[3]);
            } catch (const Error&) {
                // An unreadable sidecar in the trash: nothing to match against.
            }
    return earlier;
}

/// A redo keeps each face the user placed by hand (`doppel place-face`, the studio's Place faces)
/// where the detector still finds nothing: detected > placed by hand > interpolated.
void keepFacesPlacedByHand(FaceTimeline& timeline, const std::vector<FrameFile>& frames,
                           const std::vector<AlignFrameState>& states,
                           const std::map<int64_t, std::vector<AlignedFace>>& placedByHand) {
    if (placedByHand.empty()) return;
    for (size_t i = 0; i < frames.size(); ++i) {
        auto placed = placedByHand.find(frames[i].index);
        if (placed == placedByHand.end() || states[i].unreadable || states[i].resumed) continue;
        for (const AlignedFace& face : placed->second) {
            TrackedFace byHand;
            byHand.face.box = cv::Rect2f(face.box[0], face.box[1], face.box[2], face.box[3]);
            byHand.face.landmarks = face.landmarks;
            byHand.face.rollDegrees = face.rollDegrees;
            byHand.keep = true;
            byHand.placedByHand = true;
            auto& faces = timeline[i];
            auto overlapping = std::find_if(faces.begin(), faces.end(), [&](const TrackedFace& f) {
                return f.keep && boxIoU(f.face.box, byHand.face.box) >= 0.5;
            });
            if (overlapping == faces.end())
                faces.push_back(std::move(byHand));
            else if (overlapping->gapFilled)
                *overlapping = std::move(byHand);
        }
    }
}

/// Align's middle pass (sequential, cheap): tracks, which faces to keep, gaps; per clip (one
/// input's run of video frames) or per still, so nothing follows a face from one clip into the
/// next. Track ids stay unique over the side, so smoothing never mixes clips either. Frames where
/// the detector lost the face for a moment get it placed by interpolation (measured on GRID
/// frames blurred until HOG misses them: 0.8-2.5 px mean landmark error over 3-12 lost frames,
/// where the landmark model run on the blurred face was 5.5 px). Returns the frames filled in.
int64_t chooseFacesPerClip(FaceTimeline& timeline, const std::vector<FrameFile>& frames,
                           const std::vector<bool>& videoAt,
                           const std::vector<AlignFrameState>& states, const AlignOptions& opt) {
    int64_t gapFilledFrames = 0;
    int nextTrackId = 0;
    for (size_t begin = 0; begin < frames.size();) {
        size_t end = begin + 1;
        while (end < frames.size() && continuesVideo(frames, videoAt, end)) ++end;
        FaceTimeline run(timeline.begin() + std::ptrdiff_t(begin),
                         timeline.begin() + std::ptrdiff_t(end));
        const bool clip = videoAt[begin];
        if (clip) assignTracks(run);
        // Resumed frames keep their faces as they were; only new frames are selected.
        FaceTimeline fresh = run;
        selectFaces(fresh, opt.keep);
        for (size_t i = 0; i < run.size(); ++i)
            if (!states[begin + i].resumed) run[i] = fresh[i];
        if (clip && opt.fillGaps > 0) {
            std::vector<bool> fillable(run.size());
            for (size_t i = 0; i < run.size(); ++i)
                fillable[i] = !states[begin + i].unreadable && !states[begin + i].resumed;
            gapFilledFrames += fillGaps(run, fillable, opt.fillGaps);
        }
        int highest = -1;
        for (auto& faces : run)
            for (auto& face : faces)
                if (face.trackId >= 0) {
                    face.trackId += nextTrackId;
                    highest = std::max(highest, face.trackId);
                }
        nextTrackId = std::max(nextTrackId, highest + 1);
        std::move(run.begin(), run.end(), timeline.begin() + std::ptrdiff_t(begin));
        begin = end;
    }
    return gapFilledFrames;
}

void removeDebugOutputs(const fs::path& debugDir) {
    if (!fs::is_directory(debugDir)) return;
    for (const auto& entry : fs::directory_iterator(debugDir))
        if (entry.is_regular_file() && entry.path().extension() == ".jpg") fs::remove(entry.path());
}

}  // namespace

const OptionSchema& AlignStage::optionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addChoice("face_type", "full", {"half", "mid_full", "full", "whole_face", "head"},
                    "crop preset: how much around the face the aligned image shows")
            .inGroup("Output");
        s.addInt("size", 256, 64, 1024, "side of the aligned images in pixels").inGroup("Output");
        s.addInt("jpeg_quality", 95, 50, 100, "JPEG quality of the aligned images")
            .inGroup("Output");
        s.addChoice("keep", "largest", {"largest", "all", "track"},
                    "faces to keep per frame: the largest, all, or one face followed across frames")
            .inGroup("Faces");
        s.addInt("min_face", 40, 16, 4096, "smallest face kept, box side in frame pixels")
            .inGroup("Faces");
        s.addInt("smooth", 2, 0, 10,
                 "video: frames on each side averaged into the alignment (0 = off)")
            .inGroup("Faces");
        s.addInt("fill_gaps", 3, 0, 25,
                 "video: a face lost for at most N frames between two frames where it was found "
                 "is placed in them (interpolated), so those frames are swapped too (0 = off: "
                 "they stay unswapped)")
            .inGroup("Faces");
        s.addInt("detect_size", 640, 160, 4096, "longer side of the copy the face detector scans")
            .inGroup("Detection");
        s.addBool("rotations", true,
                  "when nothing is found, retry on copies rotated +-25, 90, 270, 180 degrees")
            .inGroup("Detection");
        s.addBool("upsample", true, "when nothing is found, retry on a 2x copy for small faces")
            .inGroup("Detection");
        s.addBool(
             "track_roi", true,
             "video: look for each face near where it was in the previous frame (much faster), "
             "with a full search when it is lost")
            .inGroup("Detection");
        s.addInt("redetect_every", 8, 1, 10000,
                 "video: full search at least every N frames (new faces appear within N frames)")
            .inGroup("Detection");
        s.addInt("threads", 0, 0, 256, "worker threads (0 = all cores)").inGroup("Performance");
        s.addBool("debug", false,
                  "also write frames with box, landmarks and crop outline to aligned_debug/")
            .inGroup("Output");
        s.addBool("redo", false, "redo every frame (default: frames with aligned faces are kept)")
            .inGroup("Output");
        return s;
    }();
    return schema;
}

StageResult AlignStage::run(const Workspace& workspace, Side side,
                            const nlohmann::json& givenOptions, ProgressSink& progress,
                            const CancelToken& cancel) {
    const std::string key = std::string("align.") + sideName(side);
    const StageLock lock(workspace.stageLockFile(key), std::string("align ") + sideName(side));
    // The destination's faces are what merge reads: it may not run meanwhile (nor export).
    std::optional<StageLock> mergeLock;
    if (side == Side::Dst) mergeLock.emplace(workspace.stageLockFile("merge"), "align dst");
    StageResult result = runStageSafely("align", [&]() -> StageResult {
        nlohmann::json options = optionSchema().resolve(givenOptions);
        AlignOptions opt = parseOptions(options);
        std::vector<std::string> warnings;

        // Changing the crop makes existing faces inconsistent with new ones: redo them all.
        nlohmann::json saved = workspace.stageOptions(key);
        if (!opt.redo && saved.is_object())
            for (const char* fixedKey : {"face_type", "size"})
                if (saved.contains(fixedKey) && saved[fixedKey] != options[fixedKey]) {
                    warnings.push_back(std::string(fixedKey) + " changed from " +
                                       saved[fixedKey].dump() + " to " + options[fixedKey].dump() +
                                       ": redoing every frame");
                    opt.redo = true;
                }
        nlohmann::json recorded = options;
        recorded["redo"] = false;  // a one-off request, not a setting to repeat on the next run
        // A redo's settings are the faces' only once the new faces are swapped in: recorded
        // before, a redo stopped half way left the old faces under the new settings, and the
        // next run saw nothing to redo.
        if (!opt.redo) workspace.setStageOptions(key, recorded);
        workspace.setStageStatus(key, "running");

        const fs::path framesDir = workspace.framesDir(side);
        const fs::path alignedDir = workspace.alignedDir(side);
        const fs::path debugDir = workspace.alignedDebugDir(side);
        std::vector<FrameFile> frames = listFrames(framesDir);
        if (frames.empty())
            throw Error(ErrorCode::NotFound, "no frames in " + framesDir.string() +
                                                 ": run `doppel extract --side " + sideName(side) +
                                                 "` first");
        fs::create_directories(alignedDir);
        if (opt.debug) fs::create_directories(debugDir);
        std::map<int64_t, std::vector<AlignedFace>> placedByHand;
        const AlignedFaceWriter::EarlierWork earlier =
            opt.redo ? readEarlierWork(alignedDir, workspace.trashDir(side), placedByHand, warnings)
                     : AlignedFaceWriter::EarlierWork{};
        // A redo writes the faces into a folder beside aligned/ and swaps it in when it is done:
        // cancelled, failed or killed, the faces from before stay (drawn masks and all). The
        // predicted xseg masks are not carried: they fit the old crops only (xseg-apply again).
        recoverFolderSwap(alignedDir);  // an earlier redo that was killed
        const fs::path outDir = opt.redo ? startFolderSwap(alignedDir) : alignedDir;
        if (opt.redo) removeDebugOutputs(debugDir);
        // Per frame: from a video input (tracked, smoothed) or stills; runs of one clip are
        // never tracked into the next input's frames.
        const std::vector<bool> videoAt = videoFrames(framesDir, frames);
        const bool anyVideo = std::find(videoAt.begin(), videoAt.end(), true) != videoAt.end();
        preloadLandmarkModel();  // a missing model is one clear error, before any work

        const int64_t frameCount = int64_t(frames.size());
        FaceTimeline timeline(frames.size());
        std::vector<AlignFrameState> states(frames.size());
        int64_t resumedFrames = 0, resumedFaceCount = 0;
        // A frame is done once it has a face sidecar, in aligned/ or (deleted in review) in
        // trash/: deleted faces must not come back when align runs again. Its faces give the
        // tracking context of the frames after it.
        if (!opt.redo) {
            const auto keptSidecars = sidecarsByFrame(alignedDir);
            const auto deletedSidecars = sidecarsByFrame(workspace.trashDir(side));
            for (size_t i = 0; i < frames.size(); ++i) {
                auto kept = keptSidecars.find(frames[i].index);
                if (kept == keptSidecars.end() && !deletedSidecars.count(frames[i].index)) continue;
                states[i].resumed = true;
                ++resumedFrames;
                if (kept == keptSidecars.end()) continue;
                for (const fs::path& meta : kept->second) {
                    const AlignedFace f = readAlignedFace(meta);
                    DetectedFace d;
                    d.box = cv::Rect2f(f.box[0], f.box[1], f.box[2], f.box[3]);
                    d.score = f.detectorScore;
                    d.rollDegrees = f.rollDegrees;
                    d.landmarks = f.landmarks;
                    timeline[i].push_back({d, -1, true});
                    ++resumedFaceCount;
                }
            }
        }

        // Photos that come with their landmarks (a DeepFaceLab faceset, another workspace's
        // aligned faces) are not detected again: the landmarks they carry are used as given.
        std::vector<FrameFile> framesToDo;
        for (size_t i = 0; i < frames.size(); ++i)
            if (!states[i].resumed) framesToDo.push_back(frames[i]);
        const std::map<int64_t, FrameEmbeddedFace> embedded =
            embeddedFacesOfFrames(workspace, side, framesToDo, warnings, opt.threads);

        // Two passes over the frames to do, each counted in frames with its own rate and ETA:
        // detection (the slow one), then writing.
        ProgressEvent event;
        event.stage = "align";
        event.side = sideName(side);
        event.total = frameCount - resumedFrames;
        std::string phase = "detecting";
        std::atomic<int64_t> done{0};
        std::mutex progressMutex;
        auto frameDone = [&](const FrameFile& frame) {
            const int64_t now = ++done;
            std::lock_guard<std::mutex> lock(progressMutex);
            ProgressEvent e = event;
            e.done = now;
            e.message = phase + " " + frame.path.filename().string();
            progress.report(e);
        };
        AlignStepTimes times;
        DecodedFrameCache decoded(frames.size());
        FaceDetectionPass(opt, frames, videoAt, embedded, times, decoded)
            .run(timeline, states, frameDone, cancel);
        // What a cancelled redo tells: nothing was lost (the staging folder is dropped).
        auto cancelled = [&](const std::string& when) {
            if (!opt.redo) return StageResult::cancelled(when);
            abandonFolderSwap(alignedDir);
            StageResult kept = StageResult::cancelled(when + "; the faces from before are kept");
            kept.changedNothing = true;
            return kept;
        };
        if (cancel.isCancelled()) return cancelled("cancelled while detecting faces");

        const int64_t gapFilledFrames = chooseFacesPerClip(timeline, frames, videoAt, states, opt);
        keepFacesPlacedByHand(timeline, frames, states, placedByHand);

        AlignedFaceWriter writer(opt, outDir, debugDir, embedded, earlier, times);
        {
            std::lock_guard<std::mutex> lock(progressMutex);
            phase = "writing";
            event.started = std::chrono::steady_clock::now();
            done = 0;
        }
        writer.run(frames, videoAt, timeline, states, decoded, frameDone, cancel);
        if (cancel.isCancelled()) return cancelled("cancelled while writing aligned faces");

        int64_t unreadable = 0, noFace = 0, fullDetections = 0, processed = 0;
        int64_t framesWithOthersLeftOut = 0;
        for (size_t i = 0; i < frames.size(); ++i) {
            if (states[i].resumed) continue;
            ++processed;
            fullDetections += states[i].fullDetections;
            if (states[i].unreadable) {
                ++unreadable;
                warnings.push_back(frames[i].path.string() + ": unreadable image, skipped");
            } else if (timeline[i].empty()) {
                ++noFace;
            }
            if (otherFaceLeftOut(timeline[i])) ++framesWithOthersLeftOut;
        }
        if (writer.facesPastPhotoEdge() > 0)
            warnings.push_back(
                std::to_string(writer.facesPastPhotoEdge()) +
                " face(s) from photos with landmarks (a faceset made elsewhere) are cropped "
                "tighter than face_type=" +
                faceTypeName(opt.faceType) +
                ": over a tenth of their aligned face lies outside the photo and is filled from "
                "its edge; align this side with a smaller face type (--set face_type=full or "
                "mid_full) or bring the faceset with a larger one");
        // Another person in the picture, not aligned (keep largest/track): whoever is larger
        // in a frame is the one swapped there, so the user should know and can choose.
        if (framesWithOthersLeftOut > 0)
            warnings.push_back(
                std::to_string(framesWithOthersLeftOut) +
                " frame(s) show more than one face and keep=" + keepModeName(opt.keep) +
                " aligned one of them: to choose whom to swap, align with keep=all (--set "
                "keep=all --set redo=true) and keep the people to swap (Faces page People..., "
                "doppel people)");
        const double totalMs = times.total();
        auto share = [&](double ms) {
            return totalMs > 0 ? std::round(1000.0 * ms / totalMs) / 10.0 : 0.0;
        };
        const int64_t facesWritten = writer.facesWritten();
        nlohmann::json summary = {
            {"frames", frameCount},
            {"frames_processed", processed},
            {"frames_resumed", resumedFrames},
            {"frames_without_face", noFace},
            {"frames_gap_filled", gapFilledFrames},
            {"frames_with_other_faces_left_out", framesWithOthersLeftOut},
            {"frames_unreadable", unreadable},
            {"faces_written", facesWritten},
            {"faces_total", facesWritten + resumedFaceCount},
            {"faces_with_given_landmarks", writer.facesImported()},
            {"faces_kept_deleted", writer.facesKeptDeleted()},
            {"full_detections", fullDetections},
            {"threads", opt.threads},
            {"video", anyVideo},
            {"step_ms",
             {{"decode", times.decode},
              {"detect", times.detect},
              {"landmarks", times.landmarks},
              {"align", times.align},
              {"write", times.write}}},
            {"step_share_percent",
             {{"decode", share(times.decode)},
              {"detect", share(times.detect)},
              {"landmarks", share(times.landmarks)},
              {"align", share(times.align)},
              {"write", share(times.write)}}},
        };
        if (facesWritten + resumedFaceCount == 0) {
            StageResult failed =
                StageResult::failed("no faces found in " + std::to_string(frameCount) + " frame" +
                                    (frameCount == 1 ? "" : "s") + " of " + framesDir.string());
            failed.summary = summary;
            failed.warnings = warnings;
            if (opt.redo) abandonFolderSwap(alignedDir);  // the faces from before stay
            return failed;
        }
        const int64_t facesImported = writer.facesImported();
        StageResult ok = StageResult::succeeded(
            "aligned " + std::to_string(facesWritten) + " face(s) from " +
                std::to_string(processed) + " frame(s); " + std::to_string(noFace) +
                " frame(s) without a face" +
                (gapFilledFrames ? "; " + std::to_string(gapFilledFrames) +
                                       " frame(s) where the face was lost filled in"
                                 : "") +
                (facesImported ? "; " + std::to_string(facesImported) +
                                     " face(s) with the landmarks their photos came with"
                               : "") +
                (resumedFrames ? "; " + std::to_string(resumedFrames) + " frame(s) kept from before"
                               : ""),
            summary);
        ok.warnings = warnings;
        ok.changedNothing = processed == 0;  // every frame kept from before: the pack stays
        if (opt.redo) {
            commitFolderSwap(alignedDir);
            workspace.setStageOptions(key, recorded);
        }
        return ok;
    });
    workspace.recordStageResult(key, result);
    try {
        // Kept for review (FacesetReview::otherFacesLeftOut): whether this side shows people
        // that align did not align. A run that only resumed frames measured nothing new.
        const nlohmann::json& summary = result.summary;
        if (summary.is_object() && summary.value("frames_processed", int64_t(0)) > 0)
            workspace.updateProject([&](nlohmann::json& p) {
                p["stages"][key]["frames_with_other_faces_left_out"] =
                    summary.value("frames_with_other_faces_left_out", int64_t(0));
            });
    } catch (const std::exception& e) {
        logWarning(std::string("align: could not record the faces left out: ") + e.what());
    }
    return result;
}

}  // namespace doppel
