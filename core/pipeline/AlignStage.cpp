#include "pipeline/AlignStage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/FolderSwap.h"
#include "common/Log.h"
#include "common/ParallelFor.h"
#include "common/StageLock.h"
#include "faces/AlignedFace.h"
#include "faces/FaceDetector.h"
#include "faces/FaceGeometry.h"
#include "faces/FaceTracking.h"
#include "media/ImageIO.h"
#include "pipeline/EmbeddedFrameFaces.h"
#include "pipeline/FrameFiles.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

/// Decoded frames kept between detection and warping: ~400 frames of 720p, ~170 of 1080p.
constexpr int64_t kDecodedFrameBudgetBytes = int64_t(1) << 30;

struct AlignOptions {
    FaceType faceType = FaceType::Full;
    int size = 256;
    KeepMode keep = KeepMode::Largest;
    int smooth = 2;
    int fillGaps = 3;
    int threads = 1;
    bool debug = false;
    bool redo = false;
    bool trackRoi = true;
    int redetectEvery = 8;
    int jpegQuality = 95;
    DetectorSettings detector;
};

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

double msSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

/// Per-step time summed over workers (milliseconds of thread time).
struct StepTimes {
    std::mutex mutex;
    double decode = 0, detect = 0, landmarks = 0, align = 0, write = 0;
    void add(double& field, double ms) {
        std::lock_guard<std::mutex> lock(mutex);
        field += ms;
    }
};

struct FrameState {
    bool resumed = false;  ///< sidecars exist: not redone, its faces only give tracking context
    bool unreadable = false;
    int width = 0, height = 0;
    int fullDetections = 0;  ///< 0 or 1: whether the frame needed a full-frame search
};

/// A redo keeps each face the user placed by hand (`doppel place-face`, the studio's Place faces)
/// where the detector still finds nothing: detected > placed by hand > interpolated.
void keepFacesPlacedByHand(FaceTimeline& timeline, const std::vector<FrameFile>& frames,
                           const std::vector<FrameState>& states,
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

/// A photo's face (a faceset made elsewhere) may be cropped tighter than the face type asks.
constexpr double kMostOutsidePhoto = 0.1;

/// The share of an aligned face of `size` px that `frameToAligned` takes from outside an image
/// of `imageSize`.
double shareOutsideImage(cv::Size imageSize, const cv::Matx23d& frameToAligned, int size) {
    cv::Mat inside;
    cv::warpAffine(cv::Mat(imageSize, CV_8U, cv::Scalar(255)), inside, frameToAligned,
                   cv::Size(size, size), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0));
    return 1.0 - double(cv::countNonZero(inside)) / (double(size) * size);
}

/// Whether `box` is a face deleted in review in this frame (IoU >= 0.5 with its box).
bool deletedHere(const std::map<int64_t, std::vector<cv::Rect2f>>& deletedBoxes, int64_t frame,
                 const cv::Rect2f& box) {
    const auto it = deletedBoxes.find(frame);
    if (it == deletedBoxes.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const cv::Rect2f& gone) { return boxIoU(gone, box) >= 0.5; });
}

void removeDebugOutputs(const fs::path& debugDir) {
    if (!fs::is_directory(debugDir)) return;
    for (const auto& entry : fs::directory_iterator(debugDir))
        if (entry.is_regular_file() && entry.path().extension() == ".jpg") fs::remove(entry.path());
}

void drawDebug(cv::Mat& canvas, const AlignedFace& face, const cv::Matx23d& matrix) {
    cv::rectangle(canvas, cv::Rect2f(face.box[0], face.box[1], face.box[2], face.box[3]),
                  {0, 0, 255}, 2);
    for (const auto& p : face.landmarks)
        cv::circle(canvas, cv::Point2f(p[0], p[1]), 2, {0, 255, 0}, cv::FILLED);
    cv::Matx23d toFrame;
    cv::invertAffineTransform(matrix, toFrame);
    float s = float(face.size);
    auto outline = transformPoints(toFrame, {{0, 0}, {s, 0}, {s, s}, {0, s}});
    std::vector<cv::Point> polygon;
    for (const auto& p : outline) polygon.emplace_back(cvRound(p[0]), cvRound(p[1]));
    cv::polylines(canvas, polygon, true, {255, 128, 0}, 2);
    cv::putText(canvas, std::to_string(face.faceIndex), polygon[0], cv::FONT_HERSHEY_SIMPLEX, 0.8,
                {255, 128, 0}, 2);
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
        workspace.setStageOptions(key, recorded);
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
        // Drawn masks and faces placed by hand are the user's work: a redo carries drawn masks onto
        // the same face aligned again, and keeps each placed face the detector does not find.
        std::map<int64_t, std::vector<AlignedFace>> drawnMasks, placedByHand;
        if (opt.redo && fs::is_directory(alignedDir))
            for (const auto& entry : fs::directory_iterator(alignedDir)) {
                if (entry.path().extension() != ".json") continue;
                try {
                    AlignedFace face = readAlignedFace(entry.path());
                    if (face.placement == "manual") placedByHand[face.frameIndex].push_back(face);
                    if (face.hasDrawnMask()) drawnMasks[face.frameIndex].push_back(std::move(face));
                } catch (const Error& e) {
                    warnings.push_back(std::string(e.what()) + " (not carried over)");
                }
            }
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
        std::vector<FrameState> states(frames.size());
        std::vector<std::vector<AlignedFace>> resumedFaces(frames.size());
        int64_t resumedFrames = 0;
        // A frame is done once it has a face sidecar, in aligned/ or (deleted in review) in
        // trash/: deleted faces must not come back when align runs again.
        const auto keptSidecars = sidecarsByFrame(alignedDir);
        const auto deletedSidecars = sidecarsByFrame(workspace.trashDir(side));
        // A redo aligns every frame again, also those with faces the user deleted: where such
        // a face is found again it stays deleted (its box, from its sidecar in trash/).
        std::map<int64_t, std::vector<cv::Rect2f>> deletedBoxes;
        if (opt.redo)
            for (const auto& [frame, sidecars] : deletedSidecars)
                for (const fs::path& sidecar : sidecars) try {
                        const AlignedFace gone = readAlignedFace(sidecar);
                        deletedBoxes[frame].emplace_back(gone.box[0], gone.box[1], gone.box[2],
                                                         gone.box[3]);
                    } catch (const Error&) {
                        // An unreadable sidecar in the trash: nothing to match against.
                    }
        for (size_t i = 0; i < frames.size(); ++i) {
            if (opt.redo) break;
            auto kept = keptSidecars.find(frames[i].index);
            if (kept == keptSidecars.end() && !deletedSidecars.count(frames[i].index)) continue;
            states[i].resumed = true;
            ++resumedFrames;
            if (kept == keptSidecars.end()) continue;
            for (const fs::path& meta : kept->second) {
                AlignedFace f = readAlignedFace(meta);
                DetectedFace d;
                d.box = cv::Rect2f(f.box[0], f.box[1], f.box[2], f.box[3]);
                d.score = f.detectorScore;
                d.rollDegrees = f.rollDegrees;
                d.landmarks = f.landmarks;
                timeline[i].push_back({d, -1, true});
                resumedFaces[i].push_back(f);
            }
        }

        // Photos that come with their landmarks (a DeepFaceLab faceset, another workspace's
        // aligned faces) are not detected again: the landmarks they carry are used as given.
        std::vector<FrameFile> framesToDo;
        for (size_t i = 0; i < frames.size(); ++i)
            if (!states[i].resumed) framesToDo.push_back(frames[i]);
        const std::map<int64_t, FrameEmbeddedFace> embedded =
            embeddedFacesOfFrames(workspace, side, framesToDo, warnings, opt.threads);

        ProgressEvent event;
        event.stage = "align";
        event.side = sideName(side);
        event.total = 2 * (frameCount - resumedFrames);
        std::atomic<int64_t> done{0};
        std::mutex progressMutex;
        auto reportOne = [&](const std::string& message) {
            int64_t now = ++done;
            std::lock_guard<std::mutex> lock(progressMutex);
            ProgressEvent e = event;
            e.done = now;
            e.message = message;
            progress.report(e);
        };
        StepTimes times;
        // Decoded frames that hold faces are kept from phase 1 for phase 3 (which would otherwise
        // decode every frame a second time: the larger part of the time at 720p), up to a memory
        // budget; frames past it are decoded again. The pixels are the same either way.
        std::vector<cv::Mat> decoded(frames.size());
        std::atomic<int64_t> decodedBytes{0};
        auto keepDecoded = [&](int64_t i, const cv::Mat& image) {
            const int64_t bytes = int64_t(image.total() * image.elemSize());
            if (decodedBytes.fetch_add(bytes) + bytes <= kDecodedFrameBudgetBytes)
                decoded[size_t(i)] = image;
            else
                decodedBytes.fetch_sub(bytes);
        };

        // Phase 1: detection + landmarks. Work is cut into fixed runs of `redetect_every` frames
        // (not per thread) and each run is walked in order, so ROI tracking from the previous
        // frame gives the same faces whatever the thread count.
        const int64_t runLength = anyVideo && opt.trackRoi ? opt.redetectEvery : 1;
        const int64_t runCount = (frameCount + runLength - 1) / runLength;
        parallelFor(runCount, opt.threads, [&](int64_t run, int) {
            FaceDetector detector(opt.detector);
            const int64_t first = run * runLength, last = std::min(frameCount, first + runLength);
            for (int64_t i = first; i < last; ++i) {
                if (cancel.isCancelled()) return;
                FrameState& state = states[size_t(i)];
                if (state.resumed) continue;
                auto start = std::chrono::steady_clock::now();
                cv::Mat image = cv::imread(frames[size_t(i)].path.string(), cv::IMREAD_COLOR);
                times.add(times.decode, msSince(start));
                if (image.empty()) {
                    state.unreadable = true;
                    reportOne(frames[size_t(i)].path.filename().string());
                    continue;
                }
                state.width = image.cols;
                state.height = image.rows;
                std::vector<DetectedFace> found;
                const auto given = embedded.find(frames[size_t(i)].index);
                if (given != embedded.end()) {
                    found.push_back(asDetectedFace(inFramePixels(given->second)));
                    keepDecoded(i, image);
                    timeline[size_t(i)].push_back({found.front(), -1, false});
                    timeline[size_t(i)].back().imported = true;
                    reportOne(frames[size_t(i)].path.filename().string());
                    continue;
                }
                bool tracked = false;
                static const std::vector<TrackedFace> kNone;
                const auto& previous = i > first && continuesVideo(frames, videoAt, size_t(i))
                                           ? timeline[size_t(i - 1)]
                                           : kNone;
                if (!previous.empty()) {
                    tracked = true;
                    for (const auto& p : previous) {
                        auto near = detector.detectNear(image, p.face);
                        if (near.empty()) {
                            tracked = false;
                            break;
                        }
                        found.push_back(near.front());
                    }
                }
                if (!tracked) {
                    found = detector.detect(image);
                    state.fullDetections = 1;
                } else {
                    std::sort(found.begin(), found.end(),
                              [](const DetectedFace& a, const DetectedFace& b) {
                                  return a.box.x < b.box.x;
                              });
                }
                if (!found.empty()) keepDecoded(i, image);
                for (auto& f : found) {
                    TrackedFace face{std::move(f), -1, false};
                    if (videoAt[size_t(i)]) face.look = faceLook(image, face.face.landmarks);
                    timeline[size_t(i)].push_back(std::move(face));
                }
                reportOne(frames[size_t(i)].path.filename().string());
            }
            times.add(times.detect, detector.detectMilliseconds());
            times.add(times.landmarks, detector.landmarkMilliseconds());
        });
        // What a cancelled redo tells: nothing was lost (the staging folder is dropped).
        auto cancelled = [&](const std::string& when) {
            if (!opt.redo) return StageResult::cancelled(when);
            abandonFolderSwap(alignedDir);
            return StageResult::cancelled(when + "; the faces from before are kept");
        };
        if (cancel.isCancelled()) return cancelled("cancelled while detecting faces");

        // Phase 2 (sequential, cheap): tracks, which faces to keep, gaps; per clip (one input's
        // run of video frames) or per still, so nothing follows a face from one clip into the
        // next. Track ids stay unique over the side, so smoothing never mixes clips either.
        // Frames where the detector lost the face for a moment get it placed by interpolation
        // (measured on GRID frames blurred until HOG misses them: 0.8-2.5 px mean landmark error
        // over 3-12 lost frames, where the landmark model run on the blurred face was 5.5 px).
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
        keepFacesPlacedByHand(timeline, frames, states, placedByHand);

        // Phase 3: warp, encode, write; each frame is independent.
        std::atomic<int64_t> facesWritten{0}, facesImported{0}, facesPastPhotoEdge{0},
            facesKeptDeleted{0};
        parallelFor(frameCount, opt.threads, [&](int64_t i, int) {
            if (cancel.isCancelled()) return;
            const FrameState& state = states[size_t(i)];
            if (state.resumed) return;
            const auto& faces = timeline[size_t(i)];
            bool anyKept = std::any_of(faces.begin(), faces.end(),
                                       [](const TrackedFace& f) { return f.keep; });
            if (state.unreadable || !anyKept) {
                decoded[size_t(i)].release();  // no face kept here: free the cached frame now
                reportOne(frames[size_t(i)].path.filename().string());
                return;
            }
            auto start = std::chrono::steady_clock::now();
            cv::Mat image = std::move(decoded[size_t(i)]);
            if (image.empty()) {
                image = cv::imread(frames[size_t(i)].path.string(), cv::IMREAD_COLOR);
                times.add(times.decode, msSince(start));
            }
            if (image.empty())
                throw Error(ErrorCode::Io, frames[size_t(i)].path.string() +
                                               ": frame became unreadable during align");
            cv::Mat debugCanvas = opt.debug ? image.clone() : cv::Mat();
            int faceIndex = 0;
            for (size_t k = 0; k < faces.size(); ++k) {
                if (!faces[k].keep) continue;
                start = std::chrono::steady_clock::now();
                AlignedFace out;
                out.sourceFrame = frames[size_t(i)].path.filename().string();
                out.frameIndex = frames[size_t(i)].index;
                out.faceIndex = faceIndex++;
                out.trackId = videoAt[size_t(i)] ? faces[k].trackId : -1;
                const DetectedFace& d = faces[k].face;
                if (deletedHere(deletedBoxes, out.frameIndex, d.box)) {
                    ++facesKeptDeleted;  // deleted in review: a redo must not bring it back
                    continue;
                }
                out.box = {d.box.x, d.box.y, d.box.width, d.box.height};
                out.detectorScore = d.score;
                out.placement = faces[k].placedByHand ? "manual"
                                : faces[k].gapFilled  ? "interpolated"
                                : faces[k].imported   ? "imported"
                                                      : "detected";
                out.rollDegrees = d.rollDegrees;
                // Stored landmarks stay the detected ones (exact per frame, for masks); only the
                // crop is fitted on smoothed landmarks, which is what removes the jitter.
                out.landmarks = d.landmarks;
                out.faceType = faceTypeName(opt.faceType);
                out.size = opt.size;
                out.frameWidth = image.cols;
                out.frameHeight = image.rows;
                cv::Matx23d matrix = alignmentMatrix(
                    videoAt[size_t(i)] ? smoothedLandmarks(timeline, size_t(i), k, opt.smooth)
                                       : d.landmarks,
                    opt.size, opt.faceType);
                for (int r = 0; r < 6; ++r) out.frameToAligned[size_t(r)] = matrix.val[r];
                if (auto it = drawnMasks.find(out.frameIndex); it != drawnMasks.end())
                    for (const AlignedFace& before : it->second)
                        if (boxIoU(d.box, cv::Rect2f(before.box[0], before.box[1], before.box[2],
                                                     before.box[3])) >= 0.5)
                            out.maskPolygons = carriedMaskPolygons(before, out);
                if (faces[k].imported) {
                    if (out.maskPolygons.empty())  // drawn in DeepFaceLab
                        out.maskPolygons = polygonsInAligned(embedded.at(out.frameIndex), matrix);
                    // A faceset cropped tighter than this face type leaves part of the crop
                    // outside the photo: filled by repeating its edge, which training learns.
                    if (shareOutsideImage(image.size(), matrix, opt.size) > kMostOutsidePhoto)
                        ++facesPastPhotoEdge;
                    // DeepFaceLab's applied XSeg mask, where xseg-apply would put one.
                    const cv::Mat mask =
                        maskInAligned(embedded.at(out.frameIndex), matrix, opt.size);
                    if (!mask.empty()) writeImageAtomic(outDir / out.xsegMaskName(), mask);
                }
                cv::Mat aligned;
                cv::warpAffine(image, aligned, matrix, cv::Size(opt.size, opt.size),
                               cv::INTER_CUBIC, cv::BORDER_REPLICATE);
                times.add(times.align, msSince(start));

                start = std::chrono::steady_clock::now();
                // Image first, sidecar last: a sidecar is the mark of a finished face on resume.
                writeImageAtomic(outDir / out.imageName(), aligned, opt.jpegQuality);
                writeAlignedFace(outDir / out.metaName(), out);
                times.add(times.write, msSince(start));
                if (opt.debug) drawDebug(debugCanvas, out, matrix);
                ++facesWritten;
                if (faces[k].imported) ++facesImported;
            }
            if (opt.debug)
                writeImageAtomic(debugDir / (frameStem(frames[size_t(i)].index) + ".jpg"),
                                 debugCanvas, 90);
            reportOne(frames[size_t(i)].path.filename().string());
        });
        if (cancel.isCancelled()) return cancelled("cancelled while writing aligned faces");

        int64_t unreadable = 0, noFace = 0, fullDetections = 0, processed = 0, resumedFaceCount = 0;
        int64_t framesWithOthersLeftOut = 0;
        for (size_t i = 0; i < frames.size(); ++i) {
            resumedFaceCount += int64_t(resumedFaces[i].size());
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
        if (facesPastPhotoEdge > 0)
            warnings.push_back(
                std::to_string(facesPastPhotoEdge.load()) +
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
        double totalMs = times.decode + times.detect + times.landmarks + times.align + times.write;
        auto share = [&](double ms) {
            return totalMs > 0 ? std::round(1000.0 * ms / totalMs) / 10.0 : 0.0;
        };
        nlohmann::json summary = {
            {"frames", frameCount},
            {"frames_processed", processed},
            {"frames_resumed", resumedFrames},
            {"frames_without_face", noFace},
            {"frames_gap_filled", gapFilledFrames},
            {"frames_with_other_faces_left_out", framesWithOthersLeftOut},
            {"frames_unreadable", unreadable},
            {"faces_written", facesWritten.load()},
            {"faces_total", facesWritten.load() + resumedFaceCount},
            {"faces_with_given_landmarks", facesImported.load()},
            {"faces_kept_deleted", facesKeptDeleted.load()},
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
        if (facesWritten.load() + resumedFaceCount == 0) {
            StageResult failed =
                StageResult::failed("no faces found in " + std::to_string(frameCount) + " frame" +
                                    (frameCount == 1 ? "" : "s") + " of " + framesDir.string());
            failed.summary = summary;
            failed.warnings = warnings;
            if (opt.redo) abandonFolderSwap(alignedDir);  // the faces from before stay
            return failed;
        }
        StageResult ok = StageResult::succeeded(
            "aligned " + std::to_string(facesWritten.load()) + " face(s) from " +
                std::to_string(processed) + " frame(s); " + std::to_string(noFace) +
                " frame(s) without a face" +
                (gapFilledFrames ? "; " + std::to_string(gapFilledFrames) +
                                       " frame(s) where the face was lost filled in"
                                 : "") +
                (facesImported ? "; " + std::to_string(facesImported.load()) +
                                     " face(s) with the landmarks their photos came with"
                               : "") +
                (resumedFrames ? "; " + std::to_string(resumedFrames) + " frame(s) kept from before"
                               : ""),
            summary);
        ok.warnings = warnings;
        if (opt.redo) commitFolderSwap(alignedDir);
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
