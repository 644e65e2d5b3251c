#include "pipeline/ExportStage.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/FolderSwap.h"
#include "common/Log.h"
#include "common/ShellQuote.h"
#include "common/StageFreshness.h"
#include "common/StageLock.h"
#include "media/ExportLabel.h"
#include "media/ImageIO.h"
#include "media/ImageLabel.h"
#include "media/VideoEncoder.h"
#include "pipeline/MergeState.h"

namespace doppel {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

struct ExportOptions {
    std::string codec, preset, audio, out;
    int crf = 18;
    bool maskSequence = false;
    bool visibleLabel = false;
    int threads = 0;
};

ExportOptions readOptions(const json& o) {
    ExportOptions x;
    x.codec = o.at("codec").get<std::string>();
    x.crf = o.at("crf").get<int>();
    x.preset = o.at("preset").get<std::string>();
    x.audio = o.at("audio").get<std::string>();
    x.out = o.at("out").get<std::string>();
    x.maskSequence = o.at("mask_sequence").get<bool>();
    x.visibleLabel = o.at("visible_label").get<bool>();
    x.threads = o.at("threads").get<int>();
    return x;
}

/// One frame of the destination as extract indexed it.
struct IndexedFrame {
    std::string file;
    double ptsSeconds = 0;
};

struct FrameIndex {
    double fps = 25;
    int timeBaseNum = 1, timeBaseDen = 25;
    int width = 0, height = 0;
    bool hasAudio = false;
    std::vector<IndexedFrame> frames;
};

FrameIndex readFrameIndex(const Workspace& ws) {
    fs::path file = ws.framesDir(Side::Dst) / "index.json";
    if (!fs::exists(file))
        throw Error(ErrorCode::NotFound,
                    file.string() + ": missing (run `doppel extract --side dst` and merge first)");
    json j = readJsonFile(file);
    FrameIndex index;
    try {
        index.fps = j.value("fps", 0.0);
        if (!(index.fps > 0 && index.fps < 1000)) index.fps = 25;  // image folders have no rate
        if (j.contains("time_base") && j["time_base"].is_array() && j["time_base"].size() == 2) {
            index.timeBaseNum = j["time_base"][0].get<int>();
            index.timeBaseDen = j["time_base"][1].get<int>();
        }
        if (index.timeBaseNum <= 0 || index.timeBaseDen <= 0) {
            index.timeBaseNum = 1;
            index.timeBaseDen = int(std::lround(index.fps * 1000));  // ms-ish resolution per frame
        }
        index.width = j.value("width", 0);
        index.height = j.value("height", 0);
        index.hasAudio = j.value("has_audio", false);
        for (const auto& f : j.at("frames"))
            index.frames.push_back({f.at("file").get<std::string>(), f.value("pts", 0.0)});
    } catch (const json::exception& e) {
        throw Error(ErrorCode::InvalidInput,
                    file.string() + ": malformed frame index (" + e.what() + ")");
    }
    if (index.frames.empty())
        throw Error(ErrorCode::InvalidInput, file.string() + ": lists no frames");
    return index;
}

/// merged/<file> or the same stem with another image extension (merge may write .png for .jpg).
fs::path findMerged(const fs::path& dir, const std::string& file) {
    fs::path exact = dir / file;
    if (fs::exists(exact)) return exact;
    for (const char* ext : {".png", ".jpg"}) {
        fs::path other = dir / (fs::path(file).stem().string() + ext);
        if (fs::exists(other)) return other;
    }
    return {};
}

/// A small "AI-generated" tag in the bottom-right corner, readable at any size.
void drawVisibleLabel(cv::Mat& frame) {
    const std::string text = "AI-generated";
    double scale = std::max(0.35, frame.rows / 720.0 * 0.8);
    int thickness = std::max(1, int(std::lround(scale * 2)));
    int baseline = 0;
    cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
    int margin = std::max(4, frame.rows / 60);
    cv::Rect box(frame.cols - size.width - 2 * margin,
                 frame.rows - size.height - baseline - 2 * margin, size.width + margin,
                 size.height + baseline + margin);
    box &= cv::Rect(0, 0, frame.cols, frame.rows);
    cv::Mat roi = frame(box);
    cv::Mat dark(roi.size(), roi.type(), cv::Scalar(0, 0, 0));
    cv::addWeighted(roi, 0.45, dark, 0.55, 0, roi);  // a translucent plate keeps the text legible
    cv::putText(frame, text, cv::Point(box.x + margin / 2, box.y + margin / 2 + size.height),
                cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

/// Where `o.out` says, with `extension` (".mp4", ".png") where it names none.
fs::path outputPathFor(const Workspace& ws, const ExportOptions& o, const std::string& extension) {
    if (o.out.empty()) return ws.resultDir() / ("result" + extension);
    fs::path p(o.out);
    if (p.is_relative()) p = fs::absolute(p);
    std::error_code ec;
    // A folder that exists (or a path written as one, "out/") gets result.<ext> inside it.
    if (fs::is_directory(p, ec) || o.out.back() == '/') return p / ("result" + extension);
    if (p.extension().empty()) p += extension;
    return p;
}

/// An export must not overwrite what the workspace is made from: the inputs copied into it (the
/// destination's is also the audio source) or the files they were copied from.
void refuseOverwritingInputs(const Workspace& ws, const fs::path& output) {
    for (Side side : {Side::Src, Side::Dst}) {
        if (isWithin(output, ws.sideDir(side)))
            throw Error(ErrorCode::BadOption,
                        output.string() + ": inside the workspace's " + sideName(side) +
                            " data; export somewhere else (default: result/)");
        for (const SideInput& input : ws.inputs(side))
            if (!input.original.empty() && isWithin(output, input.original))
                throw Error(ErrorCode::BadOption, output.string() + " is the " + sideName(side) +
                                                      " input the workspace was made from (" +
                                                      input.original + "); export somewhere else");
    }
}

StageResult exportVideo(const Workspace& ws, const ExportOptions& o, const FrameIndex& index,
                        ProgressSink& progress, const CancelToken& cancel) {
    fs::path mergedDir = ws.mergedDir();
    size_t mergedPresent = 0;
    for (const auto& f : index.frames)
        if (!findMerged(mergedDir, f.file).empty()) ++mergedPresent;
    if (mergedPresent == 0)
        throw Error(ErrorCode::NotFound,
                    mergedDir.string() + ": no merged frames (run `doppel merge` first)");

    fs::path output = outputPathFor(ws, o, defaultContainerExtension(o.codec));
    refuseOverwritingInputs(ws, output);
    std::error_code ec;
    fs::create_directories(output.parent_path(),
                           ec);  // an unwritable folder is reported by the encoder

    // The first frame fixes the size; the index's size may be absent for old workspaces.
    cv::Mat first = loadImage(findMerged(mergedDir, index.frames.front().file).empty()
                                  ? ws.framesDir(Side::Dst) / index.frames.front().file
                                  : findMerged(mergedDir, index.frames.front().file));
    VideoEncoderSettings settings;
    settings.codec = o.codec;
    settings.crf = o.crf;
    settings.preset = o.preset;
    settings.width = first.cols;
    settings.height = first.rows;
    settings.timeBaseNum = index.timeBaseNum;
    settings.timeBaseDen = index.timeBaseDen;
    settings.fps = index.fps;
    settings.metadata = syntheticMediaTags();
    settings.audio = o.audio;
    settings.threads = o.threads;
    fs::path dstInput = ws.inputPath(Side::Dst);
    if (o.audio != "none" && index.hasAudio && fs::is_regular_file(dstInput))
        settings.audioSource = dstInput;

    VideoEncoder encoder(output, settings);  // fails here, before any frame, on a bad path

    // The masks go into a staging folder swapped in with the video: a cancelled or failed export
    // leaves no mask sequence of half a video (nor replaces one of an earlier export).
    fs::path maskOut, maskStaging;
    if (o.maskSequence) {
        maskOut = output.parent_path() / (output.stem().string() + "_mask");
        maskStaging = startFolderSwap(maskOut);
    }

    ProgressEvent event;
    event.stage = "export";
    event.total = int64_t(index.frames.size());
    const double ticksPerSecond = double(index.timeBaseDen) / index.timeBaseNum;
    int64_t fallbacks = 0, resized = 0, masksCopied = 0;
    std::string firstFallback;
    for (size_t i = 0; i < index.frames.size(); ++i) {
        if (cancel.isCancelled()) {
            encoder.abandon();
            if (o.maskSequence) abandonFolderSwap(maskOut);
            StageResult r = StageResult::cancelled("cancelled after " + std::to_string(i) + " of " +
                                                   std::to_string(index.frames.size()) +
                                                   " frames; no file was written");
            return r;
        }
        const IndexedFrame& f = index.frames[i];
        fs::path merged = findMerged(mergedDir, f.file);
        cv::Mat frame;
        if (merged.empty()) {
            // A frame merge skipped (no face, or a range export): the original keeps the timing.
            frame = loadImage(ws.framesDir(Side::Dst) / f.file);
            if (fallbacks++ == 0) firstFallback = f.file;
        } else {
            frame = loadImage(merged);
        }
        if (frame.size() != first.size()) {
            cv::resize(frame, frame, first.size(), 0, 0, cv::INTER_AREA);
            ++resized;
        }
        if (o.visibleLabel) drawVisibleLabel(frame);
        encoder.writeFrame(frame, int64_t(std::llround(f.ptsSeconds * ticksPerSecond)));
        if (o.maskSequence) {
            fs::path mask = findMerged(ws.mergedMaskDir(), f.file);
            if (!mask.empty()) {
                writeFileAtomic(maskStaging / (mask.stem().string() + ".png"),
                                encodeImage(loadImage(mask, ImageReadMode::Grey), ".png"));
                ++masksCopied;
            }
        }
        event.done = int64_t(i + 1);
        event.message = f.file;
        progress.report(event);
    }
    encoder.finish();
    if (o.maskSequence) commitFolderSwap(maskOut);

    StageResult result;
    // crf is a quality setting of the lossy codecs only (prores and ffv1 have none).
    const bool hasCrf = o.codec == "h264" || o.codec == "h265" || o.codec == "vp9";
    const std::string codec = hasCrf ? o.codec + " crf " + std::to_string(o.crf) : o.codec;
    char message[1024];
    std::snprintf(message, sizeof message,
                  "%lld frames to %s (%s, %.2f fps, audio: %s), labelled as AI-generated",
                  (long long)encoder.framesWritten(), output.string().c_str(), codec.c_str(),
                  index.fps, encoder.audioDescription().c_str());
    result = StageResult::succeeded(message,
                                    {{"output", output.string()},
                                     {"frames", encoder.framesWritten()},
                                     {"merged_frames", int64_t(index.frames.size()) - fallbacks},
                                     {"original_frames", fallbacks},
                                     {"resized_frames", resized},
                                     {"fps", index.fps},
                                     {"codec", o.codec},
                                     {"audio", encoder.audioDescription()},
                                     {"mask_frames", masksCopied},
                                     {"seconds", event.elapsedSeconds()},
                                     {"frames_per_second", event.rate()}});
    if (fallbacks > 0) {
        result.warnings.push_back(
            std::to_string(fallbacks) + " of " + std::to_string(index.frames.size()) +
            " frames had no merged image and use the original destination frame (first: " +
            firstFallback + ")");
    }
    if (resized > 0)
        result.warnings.push_back(std::to_string(resized) +
                                  " frames had another size and were resized");
    if (o.maskSequence) result.summary["mask_folder"] = maskOut.string();
    return result;
}

/// A destination that is one photo gets a photo back (a video of one frame is not what a user
/// swapping a face in a picture expects): PNG, or JPEG when `out` says .jpg, with the label in
/// its metadata (media/ImageLabel.h) and, when asked, drawn on it.
bool exportsAnImage(const Workspace& ws, const ExportOptions& o, const FrameIndex& index) {
    if (index.frames.size() != 1 || !ExportStage::destinationIsAPhoto(ws)) return false;
    // A folder, or a name without an extension, gets a photo too; a video extension a video.
    return o.out.empty() || hasImageExtension(o.out) ||
           outputPathFor(ws, o, ".png").extension() == ".png";
}

StageResult exportImage(const Workspace& ws, const ExportOptions& o, const FrameIndex& index) {
    const fs::path output = outputPathFor(ws, o, ".png");
    refuseOverwritingInputs(ws, output);
    const fs::path merged = findMerged(ws.mergedDir(), index.frames.front().file);
    if (merged.empty())
        throw Error(ErrorCode::NotFound,
                    ws.mergedDir().string() + ": no merged image (run `doppel merge` first)");
    cv::Mat image = loadImage(merged);
    if (o.visibleLabel) drawVisibleLabel(image);
    std::string ext = output.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (ext != ".png" && ext != ".jpg" && ext != ".jpeg")
        throw Error(ErrorCode::BadOption,
                    output.string() + ": a photo is exported as .png or .jpg");
    fs::create_directories(output.parent_path());
    writeFileAtomic(output, addImageLabel(encodeImage(image, ext, 95)));
    return StageResult::succeeded(
        "the photo to " + output.string() + " (" + std::to_string(image.cols) + "x" +
            std::to_string(image.rows) + "), labelled as AI-generated",
        {{"output", output.string()}, {"frames", 1}, {"merged_frames", 1}, {"image", true}});
}

/// An export must show one merge: refuses merged frames of a merge that is still running, was
/// cut short or failed, or whose frames are not all made with its settings (a range merged with
/// new ones); a merge made before the model or the faces changed is exported with a warning.
/// Merged frames that no Doppel merge recorded (put there by hand) are taken as they are.
void checkMergedFrames(const Workspace& ws, std::vector<std::string>& warnings) {
    const json project = ws.project();  // read once (each read probes the stage locks)
    const json stage =
        project.contains("stages") ? project["stages"].value("merge", json()) : json();
    std::string merge = stage.is_object() ? stage.value("status", "") : "";
    if (merge == "running") merge = "interrupted";  // the export holds merge's lock: none runs
    const std::string again =
        "run `doppel merge --workspace " + shellQuoted(ws.root().string()) + "` first";
    if (merge.empty()) return;
    if (merge != "done" && merge != "stale")
        throw Error(ErrorCode::InvalidInput,
                    "the last merge did not finish (" + merge +
                        "): some frames are not merged (or not with its settings); " + again +
                        " (it continues where it stopped)");
    std::string firstOld;
    if (const int64_t old = MergeState::framesOutOfDate(ws, firstOld); old > 0)
        throw Error(ErrorCode::InvalidInput,
                    std::to_string(old) + " merged frame(s) (first: " + firstOld +
                        ") were made with earlier merge settings or another model than the "
                        "others, or show a face deleted since: " +
                        again);
    if (merge == "stale")  // frames whose faces changed were removed: they would be originals
        throw Error(ErrorCode::InvalidInput, "the merged frames are out of date (" +
                                                 stage.value("message", std::string()) + "); " +
                                                 again);
    if (stageIsStale(project, "merge"))
        warnings.push_back(
            "the model was trained further, or the destination's faces or masks changed, since "
            "merging: this exports the frames as merged then (merge again for the latest)");
}

}  // namespace

const OptionSchema& ExportStage::optionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addChoice("codec", "h264", {"h264", "h265", "vp9", "prores", "ffv1"},
                    "video codec: h264/h265 (.mp4), vp9 (.webm), prores 4:2:2 10-bit (.mov), ffv1 "
                    "lossless (.mkv)")
            .inGroup("Video");
        s.addInt("crf", 18, 0, 63,
                 "quality for h264/h265/vp9: lower is better and bigger (18 ~ visually lossless)")
            .inGroup("Video");
        s.addChoice("preset", "medium",
                    {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                     "slower", "veryslow"},
                    "x264/x265 speed preset: slower gives smaller files at the same quality")
            .inGroup("Video");
        s.addChoice("audio", "copy", {"copy", "aac", "none"},
                    "destination audio: copy (re-encoded to AAC, or Opus for WebM, only if the "
                    "container needs it), "
                    "aac (always re-encode), none")
            .inGroup("Audio");
        s.addString("out", "",
                    "output file, or a folder to write result.<ext> into; empty = "
                    "result/result.<ext of the codec>; a missing extension "
                    "gets the codec's. A destination that is one photo is exported as a photo: "
                    "result/result.png, or the .png/.jpg named here")
            .inGroup("Output");
        s.addBool("mask_sequence", false,
                  "also write the merge masks as result/<name>_mask/NNNNNN.png (grey PNG)")
            .inGroup("Output");
        // On by default in the CLI and the studio alike: viewers see what the file is.
        s.addBool("visible_label", true,
                  "draw a small visible \"AI-generated\" label in the bottom-right corner "
                  "(on by default; --visible-label=false leaves it off)")
            .inGroup("Label");
        s.addInt("threads", 0, 0, 64, "encoder threads (0 = automatic)").inGroup("Video");
        return s;
    }();
    return schema;
}

bool ExportStage::destinationIsAPhoto(const Workspace& workspace) {
    return hasImageExtension(workspace.inputPath(Side::Dst));
}

StageResult ExportStage::run(const Workspace& workspace, const json& options,
                             ProgressSink& progress, const CancelToken& cancel) {
    const std::string key = "export";
    const StageLock lock(workspace.stageLockFile(key), "export");
    StageResult result = runStageSafely("export", [&] {
        json resolved = optionSchema().resolve(options);
        workspace.setStageStatus(key, "running");
        const ExportOptions o = readOptions(resolved);
        const FrameIndex index = readFrameIndex(workspace);
        // No merge may start while the merged frames are read.
        const StageLock mergeLock(workspace.stageLockFile("merge"), "export");
        std::vector<std::string> warnings;
        checkMergedFrames(workspace, warnings);
        // Said every time: a workspace keeps the option from its last export (one made before
        // the label was on by default kept it off without anyone asking).
        if (!o.visibleLabel)
            warnings.push_back(
                "the visible \"AI-generated\" label is off (visible_label=false, "
                "given or kept from the last export): --visible-label puts it on; "
                "the metadata label and the watermark are there either way");
        StageResult exported = exportsAnImage(workspace, o, index)
                                   ? exportImage(workspace, o, index)
                                   : exportVideo(workspace, o, index, progress, cancel);
        exported.warnings.insert(exported.warnings.begin(), warnings.begin(), warnings.end());
        // Saved for the next export once they worked: a refused output path is not offered again.
        if (exported.ok()) {
            // Kept as an absolute path: relative, it meant the folder the CLI ran in, and the
            // studio (or a CLI run elsewhere) would read it against another one.
            if (const std::string out = resolved.value("out", std::string()); !out.empty())
                resolved["out"] = fs::absolute(out).lexically_normal().string();
            workspace.setStageOptions(key, resolved);
        }
        return exported;
    });
    workspace.recordStageResult(key, result);
    return result;
}

}  // namespace doppel
