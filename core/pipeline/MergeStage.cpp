#include "pipeline/MergeStage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <sstream>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "common/ParallelFor.h"
#include "common/StageLock.h"
#include "media/ImageIO.h"
#include "merge/FaceCompositor.h"
#include "merge/MergeSettings.h"
#include "merge/MergeSource.h"
#include "pipeline/MergeState.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

// One destination frame on its way through a chunk.
struct FrameWork {
    const MergeFrame* frame = nullptr;
    MergeSettings settings;
    cv::Mat image;
    std::vector<FaceMergeInput> faces;
    std::vector<PreparedFace> prepared;
    std::vector<ColorStatsPair> smoothed;  ///< per face, when colour smoothing is on
};

void ensureDir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw Error(ErrorCode::Io, "cannot create output folder " + dir.string() + ": " +
                                       (ec ? ec.message() : std::string("not a folder")));
}

std::string trackKey(const AlignedFace& face) {
    return face.trackId >= 0 ? "t" + std::to_string(face.trackId)
                             : "f" + std::to_string(face.faceIndex);
}

StageResult runMerge(const Workspace& ws, const nlohmann::json& options, FaceSwapper& swapper,
                     FrameRange range, ProgressSink& progress, const CancelToken& cancel) {
    const auto started = std::chrono::steady_clock::now();
    const nlohmann::json resolved = mergeOptionSchema().resolve(options);
    const MergeSettings base = MergeSettings::fromJson(resolved);
    nlohmann::json project = ws.project();
    const std::vector<MergeOverride> overrides = parseMergeOverrides(
        project.contains("options") ? project["options"].value("merge.overrides", nlohmann::json())
                                    : nlohmann::json());
    ws.setStageOptions("merge", resolved);

    MergeSource source(ws);
    const std::string dataType = source.faceType();
    if (swapper.faceType() != dataType)
        throw Error(ErrorCode::Incompatible,
                    "the model (" + swapper.describe() + ") was trained on '" + swapper.faceType() +
                        "' faces but " + ws.alignedDir(Side::Dst).string() + " holds '" + dataType +
                        "' faces: align the destination with face_type=" + swapper.faceType());
    const int res = swapper.resolution();
    if (res < 16)
        throw Error(ErrorCode::Incompatible,
                    "the model reports a resolution of " + std::to_string(res));
    ensureDir(ws.mergedDir());
    ensureDir(ws.mergedMaskDir());

    std::vector<int64_t> frameIndices;
    for (const auto& f : source.frames()) frameIndices.push_back(f.index);
    const nlohmann::json previousSettings =
        project.contains("options") ? project["options"].value("merge", nlohmann::json())
                                    : nlohmann::json();
    const MergeState::Plan plan =
        MergeState::prepare(ws, resolved, swapper.describe(), overrides, previousSettings,
                            frameIndices, base.redo, range.first, range.last);
    const int64_t since = plan.since;
    if (!plan.redoneBecause.empty() && !base.redo)
        logInfo("merge: " + plan.redoneBecause + " since the frames were merged: merging " +
                (plan.framesRemoved > 0 ? std::to_string(plan.framesRemoved) + " of them"
                                        : std::string("them all")) +
                " again");

    // A destination face deleted by hand (a file manager, as DeepFaceLab users do) since its
    // frame was merged: the merged frame still shows the swap, and its mask says so. Only frames
    // without a face now are looked at, so this costs a few reads, not one per frame.
    auto faceGoneSinceMerged = [&](const MergeFrame& f) {
        return f.faces.empty() && MergeState::showsASwap(ws, f.outputName());
    };
    std::vector<const MergeFrame*> todo;
    int64_t skipped = 0;
    for (const auto& f : source.frames()) {
        if ((range.first > 0 && f.index < range.first) || (range.last > 0 && f.index > range.last))
            continue;
        if (MergeState::frameUpToDate(ws, f.outputName(), since) && !faceGoneSinceMerged(f)) {
            ++skipped;
            continue;
        }
        todo.push_back(&f);
    }
    ws.setStageStatus("merge", "running", std::to_string(todo.size()) + " frames to merge");
    logInfo("merge: " + std::to_string(todo.size()) + " frames to merge, " +
            std::to_string(skipped) + " already merged; model " + swapper.describe());

    const int threads = base.threads > 0 ? base.threads : defaultThreadCount();
    const size_t chunkSize = size_t(std::max(base.batch, 2 * threads));
    // Passed through: frames without an aligned face; masked out: frames whose faces all came
    // out with an empty mask (a large erosion, a drawn mask that excludes everything).
    std::atomic<int64_t> done{0}, facesMerged{0}, passedThrough{0}, maskedOut{0};
    // mask=xseg on faces that xseg-apply never reached: the hull stands in, which should be said.
    const bool usesXSeg = resolved.value("mask", "").find("xseg") != std::string::npos;
    std::atomic<int64_t> facesWithoutXSeg{0};
    ProgressEvent event;
    event.stage = "merge";
    event.side = "dst";
    event.total = int64_t(todo.size());
    event.started = std::chrono::steady_clock::now();
    if (!todo.empty()) progress.report(event);  // nothing to do: no progress line of 0 frames

    std::map<std::string, std::pair<int64_t, ColorStatsPair>>
        colorHistory;  // track -> (frame, stats)
    for (size_t chunkStart = 0; chunkStart < todo.size(); chunkStart += chunkSize) {
        if (cancel.isCancelled()) break;
        const size_t chunkEnd = std::min(todo.size(), chunkStart + chunkSize);
        std::vector<FrameWork> work(chunkEnd - chunkStart);

        // 1. Load frames and warp each face into aligned space at the model's resolution.
        parallelFor(int64_t(work.size()), threads, [&](int64_t i, int) {
            FrameWork& w = work[size_t(i)];
            w.frame = todo[chunkStart + size_t(i)];
            w.settings =
                overrides.empty()
                    ? base
                    : MergeSettings::fromJson(optionsForFrame(resolved, overrides, w.frame->index));
            w.image = MergeSource::loadFrame(*w.frame);
            for (const auto& face : w.frame->faces) {
                w.faces.push_back({face,
                                   FaceCompositor::warpToAligned(w.image, face, res),
                                   {},
                                   source.motionOf(*w.frame, face),
                                   source.segmentationOf(face)});
                if (usesXSeg && w.faces.back().segmentation.empty() && !face.hasDrawnMask())
                    ++facesWithoutXSeg;
            }
        });

        // 2. The network, batched over the faces of the whole chunk (one thread: not thread-safe).
        std::vector<cv::Mat> aligned;
        for (const auto& w : work)
            for (const auto& f : w.faces) aligned.push_back(f.alignedDst);
        std::vector<SwapPrediction> predictions =
            FaceCompositor::predictBatched(swapper, aligned, base.batch);
        size_t next = 0;
        for (auto& w : work)
            for (auto& f : w.faces) f.prediction = std::move(predictions[next++]);

        // 3. Masks and colour statistics.
        parallelFor(int64_t(work.size()), threads, [&](int64_t i, int) {
            FrameWork& w = work[size_t(i)];
            for (const auto& f : w.faces)
                w.prepared.push_back(FaceCompositor::prepare(f, w.settings));
        });

        // 4. Temporal smoothing of the colour statistics, in frame order per tracked face.
        for (auto& w : work) {
            w.smoothed.resize(w.prepared.size());
            for (size_t k = 0; k < w.prepared.size(); ++k) {
                if (w.settings.colorSmoothing <= 0 || !colorModeHasStats(w.settings.color))
                    continue;
                std::string key = trackKey(w.faces[k].face);
                auto it = colorHistory.find(key);
                bool continuous =
                    it != colorHistory.end() && it->second.first == w.frame->index - 1;
                w.smoothed[k] = continuous ? blendColorStats(it->second.second, w.prepared[k].stats,
                                                             w.settings.colorSmoothing)
                                           : w.prepared[k].stats;
                colorHistory[key] = {w.frame->index, w.smoothed[k]};
            }
        }

        // 5. Composite and write; the merged frame is written last, so it marks the frame done.
        parallelFor(int64_t(work.size()), threads, [&](int64_t i, int) {
            if (cancel.isCancelled()) return;
            FrameWork& w = work[size_t(i)];
            cv::Mat mask = cv::Mat::zeros(w.image.size(), CV_8UC1);
            int merged = 0;
            for (size_t k = 0; k < w.prepared.size(); ++k) {
                const ColorStatsPair* stats = w.smoothed[k].valid() ? &w.smoothed[k] : nullptr;
                if (!FaceCompositor::composite(w.image, mask, w.prepared[k], w.settings, stats)
                         .empty())
                    ++merged;
            }
            FaceCompositor::finishFrame(w.image, w.settings, merged);
            if (merged == 0) ++(w.faces.empty() ? passedThrough : maskedOut);
            facesMerged += merged;
            writeImageAtomic(ws.mergedMaskDir() / w.frame->outputName(), mask);
            writeImageAtomic(ws.mergedDir() / w.frame->outputName(), w.image);
            ProgressEvent e = event;
            e.done = ++done;
            e.message = w.frame->outputName();
            progress.report(e);
            w.image.release();
        });
    }

    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    nlohmann::json summary = {
        {"frames_merged", done.load()},
        {"frames_without_face", passedThrough.load()},
        {"frames_masked_out", maskedOut.load()},
        {"frames_skipped_already_merged", skipped},
        {"faces_merged", facesMerged.load()},
        {"frames_total", int64_t(source.frames().size())},
        {"seconds", seconds},
        {"frames_per_second", seconds > 0 ? double(done.load()) / seconds : 0.0},
        {"model", swapper.describe()},
        {"output", ws.mergedDir().string()}};
    std::ostringstream msg;
    msg << done.load() << " frames merged (" << passedThrough.load()
        << " without a face passed through, " << skipped << " already merged) into "
        << ws.mergedDir().string();
    if (cancel.isCancelled()) {
        ws.setStageStatus("merge", "cancelled", msg.str(), done.load() > 0);
        StageResult r =
            StageResult::cancelled("stopped after " + msg.str() + "; run again to continue");
        r.summary = summary;
        return r;
    }
    // Every frame merged already: nothing changed, the export stays up to date.
    ws.setStageStatus("merge", "done", msg.str(), done.load() > 0);
    StageResult r = StageResult::succeeded(msg.str(), summary);
    if (passedThrough.load() > 0)
        r.warnings.push_back(std::to_string(passedThrough.load()) +
                             " frames had no aligned face and were copied unchanged");
    if (facesWithoutXSeg.load() > 0)
        r.warnings.push_back(std::to_string(facesWithoutXSeg.load()) +
                             " face(s) have no XSeg mask, so mask=" + resolved.value("mask", "") +
                             " used the landmark hull for them: run `doppel xseg-apply --side "
                             "dst` (after xseg-train) first");
    if (maskedOut.load() > 0)
        r.warnings.push_back(std::to_string(maskedOut.load()) +
                             " frame(s) with a face were left unswapped because the face's mask "
                             "came out empty (erode " +
                             std::to_string(base.erode) +
                             "): lower erode, or check the mask mode and drawn masks");
    if (done.load() == 0 && skipped == 0)
        r.warnings.push_back("no frame of the destination is in the chosen range");
    // A range merged with new settings: the video is not all of one kind until the rest is.
    std::string firstOld;
    if (const int64_t old = MergeState::framesOutOfDate(ws, firstOld); old > 0)
        r.warnings.push_back(std::to_string(old) +
                             " merged frame(s) outside the range (first: " + firstOld +
                             ") were made with the earlier settings or model: merge without "
                             "--frames to bring them up to date (export refuses a mix)");
    return r;
}

}  // namespace

const OptionSchema& MergeStage::optionSchema() {
    return mergeOptionSchema();
}

StageResult MergeStage::run(const Workspace& workspace, const nlohmann::json& options,
                            FaceSwapper& swapper, FrameRange range, ProgressSink& progress,
                            const CancelToken& cancel) {
    const StageLock lock(workspace.stageLockFile("merge"), "merge");
    StageResult result = runStageSafely(
        "merge", [&] { return runMerge(workspace, options, swapper, range, progress, cancel); });
    if (result.status == StageStatus::Failed) {
        // Best effort: the disk may be the reason we failed. Frames already merged stay valid.
        try {
            workspace.setStageStatus("merge", "failed", result.message);
        } catch (const std::exception& e) {
            logWarning(std::string("merge: could not record the failure in project.json: ") +
                       e.what());
        }
    }
    return result;
}

}  // namespace doppel
