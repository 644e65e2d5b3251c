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

/// merged/merge_state.json: what the merged frames are made with (the settings, the frame-range
/// overrides and the model) and since when (file-clock ticks). Merging again after a change of
/// any of them must merge every frame again (DeepFaceLab's merger does), not keep the frames made
/// with the old ones; a run cut short resumes with the frames it already made (newer than
/// `since`).
constexpr const char* kMergeStateFile = "merge_state.json";

int64_t fileClockNow() {
    return int64_t(fs::file_time_type::clock::now().time_since_epoch().count());
}

/// The file-clock tick from which merged frames count as made with `fingerprint`; a change of
/// fingerprint (or a redo) starts a new era and is recorded before any frame is written.
int64_t mergedSince(const Workspace& ws, const nlohmann::json& fingerprint, bool redo,
                    bool& changed) {
    const fs::path file = ws.mergedDir() / kMergeStateFile;
    nlohmann::json state;
    std::error_code ec;
    if (fs::exists(file, ec)) {
        try {
            state = readJsonFile(file);
        } catch (const std::exception&) {
            state = nullptr;  // unreadable: merge everything again, the safe side
        }
    } else {
        // Frames of an older Doppel (or none yet): all count. (The file clock's epoch lies in
        // the future in libstdc++, so "always" is the lowest tick, not 0.)
        state = {{"fingerprint", fingerprint}, {"since", std::numeric_limits<int64_t>::min()}};
    }
    changed = !state.is_object() || state.value("fingerprint", nlohmann::json()) != fingerprint;
    if (!redo && !changed) {
        const int64_t since = state.value("since", std::numeric_limits<int64_t>::min());
        if (!fs::exists(file, ec))  // from now on a change is noticed
            writeJsonAtomic(file, {{"fingerprint", fingerprint}, {"since", since}}, false);
        return since;
    }
    const int64_t since = fileClockNow();
    writeJsonAtomic(file, {{"fingerprint", fingerprint}, {"since", since}}, false);
    return since;
}

bool alreadyMerged(const Workspace& ws, const MergeFrame& frame, int64_t since) {
    // Complete PNG headers on both files (a frame killed mid-write never counts as done), both
    // made since the settings and model were last changed.
    for (const fs::path& path :
         {ws.mergedDir() / frame.outputName(), ws.mergedMaskDir() / frame.outputName()}) {
        std::error_code ec;
        const auto written = fs::last_write_time(path, ec);
        if (ec || int64_t(written.time_since_epoch().count()) < since ||
            !readImageHeader(path).has_value())
            return false;
    }
    return true;
}

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

    nlohmann::json fingerprint = {{"settings", resolved},
                                  {"overrides", mergeOverridesToJson(overrides)},
                                  {"model", swapper.describe()}};
    for (const char* runOnly : {"redo", "batch", "threads"})
        fingerprint["settings"].erase(runOnly);  // how to run, not what comes out
    bool changed = false;
    const int64_t since = mergedSince(ws, fingerprint, base.redo, changed);
    if (changed && !base.redo)
        logInfo(
            "merge: the settings or the model changed since the frames were merged: merging "
            "them again");

    std::vector<const MergeFrame*> todo;
    int64_t skipped = 0;
    for (const auto& f : source.frames()) {
        if ((range.first > 0 && f.index < range.first) || (range.last > 0 && f.index > range.last))
            continue;
        if (alreadyMerged(ws, f, since)) {
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
    std::atomic<int64_t> done{0}, facesMerged{0}, passedThrough{0};
    ProgressEvent event;
    event.stage = "merge";
    event.side = "dst";
    event.total = int64_t(todo.size());
    event.started = std::chrono::steady_clock::now();
    progress.report(event);

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
            for (const auto& face : w.frame->faces)
                w.faces.push_back({face,
                                   FaceCompositor::warpToAligned(w.image, face, res),
                                   {},
                                   source.motionOf(*w.frame, face),
                                   source.segmentationOf(face)});
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
            if (merged == 0) ++passedThrough;
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
        ws.setStageStatus("merge", "cancelled", msg.str());
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
    if (done.load() == 0 && skipped == 0)
        r.warnings.push_back("no frame of the destination is in the chosen range");
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
