#include "pipeline/ExtractStage.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <regex>
#include <set>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "common/StageLock.h"
#include "media/FrameSource.h"
#include "media/ImageIO.h"
#include "pipeline/FacesetReview.h"
#include "pipeline/FrameFiles.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace doppel {
namespace {

// Which options the frames on disk were made with; a resume keeps frames only when these match.
constexpr const char* kSettingsFile = ".extract_settings.json";
constexpr const char* kIndexFile = "index.json";

struct ExtractOptions {
    double fps = 0;
    double start = 0;
    double end = 0;
    std::string format = "png";
    int jpegQuality = 95;
    int maxSide = 0;

    std::string extension() const { return format == "jpg" ? ".jpg" : ".png"; }
};

ExtractOptions parseOptions(const json& resolved) {
    ExtractOptions o;
    o.fps = resolved.at("fps").get<double>();
    o.start = resolved.at("start").get<double>();
    o.end = resolved.at("end").get<double>();
    o.format = resolved.at("format").get<std::string>();
    o.jpegQuality = resolved.at("jpeg_quality").get<int>();
    o.maxSide = resolved.at("max_side").get<int>();
    if (o.end > 0 && o.end <= o.start) {
        char text[160];
        std::snprintf(text, sizeof text,
                      "end (%.3f s) must be after start (%.3f s), or 0 for the whole input", o.end,
                      o.start);
        throw Error(ErrorCode::BadOption, text);
    }
    return o;
}

/// The options as they apply to an input of `kind`: fps, start and end pick frames of a video
/// by time; photos have no time, so every photo is taken (an fps of 5 must not keep one photo
/// in five of an imported faceset).
ExtractOptions optionsFor(const ExtractOptions& o, FrameSourceKind kind) {
    if (kind == FrameSourceKind::Video) return o;
    ExtractOptions photos = o;
    photos.fps = photos.start = photos.end = 0;
    return photos;
}

// The options that change what a frame file contains or which frames exist, and the inputs the
// frames come from (each input's frames are a block of their own, see FrameFiles.h), with
// which of them are videos (the time options only change a video's frames).
json outputSettings(const ExtractOptions& o, const std::vector<SideInput>& inputs,
                    const std::vector<bool>& inputIsVideo) {
    json names = json::array(), videos = json::array();  // by block; a removed input's is null
    for (size_t k = 0; k < inputs.size(); ++k) {
        while (int(names.size()) < inputs[k].block) {
            names.push_back(nullptr);
            videos.push_back(nullptr);
        }
        names.push_back(inputs[k].path.filename().string());
        videos.push_back(bool(inputIsVideo[k]));
    }
    json s = {{"inputs", names}, {"videos", videos},   {"fps", o.fps},         {"start", o.start},
              {"end", o.end},    {"format", o.format}, {"max_side", o.maxSide}};
    if (o.format == "jpg") s["jpeg_quality"] = o.jpegQuality;
    return s;
}

cv::Size scaledSize(int width, int height, int maxSide) {
    int longer = std::max(width, height);
    if (maxSide <= 0 || longer <= maxSide) return {width, height};
    double scale = double(maxSide) / longer;
    return {std::max(1, int(std::lround(width * scale))),
            std::max(1, int(std::lround(height * scale)))};
}

std::string frameFileName(int64_t oneBasedIndex, const std::string& extension) {
    char name[32];
    std::snprintf(name, sizeof name, "%06lld%s", (long long)oneBasedIndex, extension.c_str());
    return name;
}

/// Which frames on disk are no longer valid: all of them when the options changed, else the
/// blocks of the inputs that changed (removed, or another file in that place).
struct StaleFrames {
    bool all = false;
    std::set<int> blocks;
    bool any() const { return all || !blocks.empty(); }
    bool covers(int64_t index) const { return all || blocks.count(inputOfFrame(index)) > 0; }
};

// Removes what a run with other settings left: the index, and the stale frame files.
int removeOldFrames(const fs::path& framesDir, const StaleFrames& stale) {
    static const std::regex frameName(R"((\d{6,})\.(png|jpg)(\.tmp)?)");
    static const std::regex indexName(R"(index\.json(\.tmp|\.bak)?)");
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(framesDir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        const std::string name = it->path().filename().string();
        std::smatch match;
        if (std::regex_match(name, match, frameName)) {
            if (!stale.covers(std::stoll(match[1].str()))) continue;
            fs::remove(it->path(), ec);
            ++removed;
        } else if (std::regex_match(name, indexName)) {
            fs::remove(it->path(), ec);
        }
    }
    return removed;
}

StaleFrames staleFrames(json saved, const json& wanted) {
    if (saved.is_object() && saved.contains("source") && !saved.contains("inputs")) {
        saved["inputs"] = json::array({saved["source"]});  // written before several inputs
        saved.erase("source");
    }
    if (!saved.is_object() || !saved.contains("inputs")) return {true, {}};
    json savedOptions = saved, wantedOptions = wanted;
    StaleFrames stale;
    const json& before = saved["inputs"];
    const json& now = wanted["inputs"];
    // Time options changed: only videos' frames change (settings of an older Doppel, without
    // "videos", count every input as one).
    bool timeChanged = false;
    for (const char* timeKey : {"fps", "start", "end"}) {
        timeChanged |= savedOptions.value(timeKey, json()) != wantedOptions.value(timeKey, json());
        savedOptions.erase(timeKey);
        wantedOptions.erase(timeKey);
    }
    for (json* options : {&savedOptions, &wantedOptions})
        for (const char* listKey : {"inputs", "videos"}) options->erase(listKey);
    if (savedOptions != wantedOptions) return {true, {}};
    if (timeChanged) {
        const json videos = saved.value("videos", json());
        for (size_t k = 0; k < before.size(); ++k)
            if (!videos.is_array() || k >= videos.size() || !videos[k].is_boolean() ||
                videos[k].get<bool>())
                stale.blocks.insert(int(k));
    }
    for (size_t k = 0; k < before.size(); ++k)
        if (!before[k].is_null() && (k >= now.size() || before[k] != now[k]))
            stale.blocks.insert(int(k));
    return stale;
}

// Stray "*.tmp" files from a killed run are never valid frames.
void removeTemporaries(const fs::path& framesDir) {
    std::error_code ec;
    for (fs::directory_iterator it(framesDir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".tmp") fs::remove(it->path(), ec);
}

// Picks frames by timestamp for the `fps` option: a frame is taken when it is the first at or
// after the next target time (within half a source frame); targets advance by 1/fps, and skip
// ahead over gaps so a stall in a variable-frame-rate video does not cause a burst afterwards.
class FramePicker {
  public:
    FramePicker(const ExtractOptions& o, double sourceFps)
        : step_(o.fps > 0 ? 1.0 / o.fps : 0),
          start_(o.start),
          end_(o.end),
          tolerance_(sourceFps > 0 ? 0.5 / sourceFps - 1e-6 : 1e-3),
          nextTarget_(o.start) {}

    bool pastEnd(double pts) const { return end_ > 0 && pts >= end_ - 1e-9; }

    bool take(double pts) {
        if (pts + tolerance_ < start_ || pastEnd(pts)) return false;
        if (step_ <= 0) return true;
        if (pts < nextTarget_ - tolerance_) return false;
        do nextTarget_ += step_;
        while (nextTarget_ - tolerance_ <= pts);
        return true;
    }

  private:
    double step_, start_, end_, tolerance_, nextTarget_;
};

struct Tally {
    int64_t written = 0;
    int64_t kept = 0;
    int64_t decoded = 0;
};

/// One input of the side opened, with what its frames get: the first frame number of its block.
struct OpenedInput {
    fs::path path;
    std::unique_ptr<FrameSource> source;
    int64_t firstFrame = 1;
};

OpenedInput openInput(const SideInput& input) {
    const int k = input.block;
    OpenedInput opened{input.path, nullptr, firstFrameOfInput(k)};
    try {
        opened.source = std::make_unique<FrameSource>(input.path);
    } catch (const Error& e) {
        // The message names the workspace copy; add the file the user actually gave.
        std::string original = input.original;
        if (k > 0)
            original += (original.empty() ? "" : "; ") +
                        std::string("`doppel add-source --remove ") +
                        input.path.filename().string() + "` takes it out";
        throw Error(e.code(), std::string(e.what()) +
                                  (original.empty() ? "" : " (copied from " + original + ")"));
    }
    return opened;
}

/// Whether the video at `path` has a frame that `o`'s time range takes: decodes (without
/// converting) up to the first one. A start inside the listed duration can still find none (a
/// container that lists more than it holds, a window between two frames); that must be known
/// before the frames of the old settings are removed.
bool rangeHasAFrame(const fs::path& path, const ExtractOptions& o) {
    FrameSource probe(path);
    FramePicker picker(o, probe.info().fps);
    bool found = false, past = false;
    SourceFrame frame;
    while (!found && !past && probe.next(frame, [&](const SourceFrame& f) {
        past = picker.pastEnd(f.ptsSeconds);
        found = !past && picker.take(f.ptsSeconds);
        return false;
    })) {
    }
    return found;
}

int64_t estimateFrames(const FrameSourceInfo& info, const ExtractOptions& o) {
    int64_t estimate = info.frameCountEstimate;
    if (info.durationSeconds > 0 && info.fps > 0) {
        double rangeEnd = o.end > 0 ? std::min(o.end, info.durationSeconds) : info.durationSeconds;
        double seconds = std::max(0.0, rangeEnd - o.start);
        double rate = o.fps > 0 ? std::min(o.fps, info.fps) : info.fps;
        estimate = std::max<int64_t>(1, int64_t(std::llround(seconds * rate)));
        if (o.fps <= 0 && o.start <= 0 && o.end <= 0 && info.frameCountEstimate > 0)
            estimate = info.frameCountEstimate;
    }
    return estimate;
}

StageResult extract(const Workspace& workspace, Side side, const json& resolved,
                    ProgressSink& progress, const CancelToken& cancel) {
    const std::string sideText = sideName(side);
    const std::string key = std::string("extract.") + sideText;
    ExtractOptions o = parseOptions(resolved);
    // Every input opened first: a broken second clip is reported before any work is done.
    const std::vector<SideInput> sideInputs = workspace.inputs(side);
    std::vector<OpenedInput> inputs;
    for (const SideInput& input : sideInputs) inputs.push_back(openInput(input));
    // A start past the end would find no frame, after the frames of the old settings were
    // removed: refuse it first. Options are saved only once they are known to work, so a bad
    // value does not stick to every later run either.
    for (const OpenedInput& input : inputs) {
        const FrameSourceInfo& info = input.source->info();
        if (info.kind == FrameSourceKind::Video && info.durationSeconds > 0 &&
            o.start >= info.durationSeconds) {
            char text[200];
            std::snprintf(text, sizeof text, "start (%.3f s) is past the end of %s (%.3f s long)",
                          o.start, input.path.filename().string().c_str(), info.durationSeconds);
            throw Error(ErrorCode::BadOption, text);
        }
        if (info.kind == FrameSourceKind::Video && (o.start > 0 || o.end > 0) &&
            !rangeHasAFrame(input.path, o)) {
            char end[32] = "the end";
            if (o.end > 0) std::snprintf(end, sizeof end, "%.3f s", o.end);
            char text[300];
            std::snprintf(text, sizeof text,
                          "no frame of %s lies between start %.3f s and %s: nothing was "
                          "changed; choose a wider range",
                          input.path.filename().string().c_str(), o.start, end);
            throw Error(ErrorCode::BadOption, text);
        }
    }
    workspace.setStageOptions(key, resolved);
    workspace.setStageStatus(key, "running");

    fs::path framesDir = workspace.framesDir(side);
    std::error_code ec;
    fs::create_directories(framesDir, ec);
    if (ec) throw Error(ErrorCode::Io, "cannot create " + framesDir.string() + ": " + ec.message());
    removeTemporaries(framesDir);

    // Frames made with other settings would be silently mixed in: start over instead (only for
    // the inputs that changed when the options are the same).
    std::vector<bool> inputIsVideo;
    for (const OpenedInput& input : inputs)
        inputIsVideo.push_back(input.source->info().kind == FrameSourceKind::Video);
    json settings = outputSettings(o, sideInputs, inputIsVideo);
    fs::path settingsPath = framesDir / kSettingsFile;
    json saved;
    if (fs::exists(settingsPath)) {
        try {
            saved = readJsonFile(settingsPath);
        } catch (const Error&) {
        }
    }
    int removed = 0;
    if (const StaleFrames stale = staleFrames(saved, settings); stale.any()) {
        removed = removeOldFrames(framesDir, stale);
        if (removed > 0) {
            logInfo("extract " + sideText + ": settings changed, removed " +
                    std::to_string(removed) + " frames made with the old settings");
            // The new frames reuse those numbers for other pictures: their old faces must go.
            FacesetReview::setAsideFacesOfFrames(
                workspace, side, [&](int64_t frame) { return stale.covers(frame); },
                "frames extracted with other settings");
        }
    }
    writeJsonAtomic(settingsPath, settings, false);

    const std::string extension = o.extension();
    ProgressEvent event;
    event.stage = "extract";
    event.side = sideText;
    for (const OpenedInput& input : inputs)
        event.total +=
            estimateFrames(input.source->info(), optionsFor(o, input.source->info().kind));
    event.started = std::chrono::steady_clock::now();

    Tally tally;
    json frames = json::array();
    json segments = json::array();
    cv::Size firstOutputSize(0, 0);
    bool cancelled = false;

    for (OpenedInput& input : inputs) {
        FrameSource& source = *input.source;
        const FrameSourceInfo& info = source.info();
        // Video frames all have one size, known before decoding; images vary, so any size is fine.
        const bool fixedSize = info.kind == FrameSourceKind::Video;
        const cv::Size expectedSize = scaledSize(info.width, info.height, o.maxSide);
        FramePicker picker(optionsFor(o, info.kind), info.fps);
        cv::Size outputSize(0, 0);
        bool stoppedAtEnd = false;
        const size_t firstRecord = frames.size();

        // Decides, once the frame's time is known, whether its pixels are needed.
        bool selected = false;
        fs::path target;
        std::optional<cv::Size> existing;
        auto wantPixels = [&](const SourceFrame& f) {
            selected = false;
            existing.reset();
            if (picker.pastEnd(f.ptsSeconds)) {
                stoppedAtEnd = true;
                return false;
            }
            if (!picker.take(f.ptsSeconds)) return false;
            if (f.index + 1 >= kInputFrameBlock)
                throw Error(ErrorCode::InvalidInput,
                            input.path.string() + ": more than " +
                                std::to_string(kInputFrameBlock - 1) +
                                " frames; extract fewer (fps, start/end) or split it");
            selected = true;
            target = framesDir / frameFileName(input.firstFrame + f.index, extension);
            existing = readImageHeader(target);
            if (existing && fixedSize && *existing != expectedSize) existing.reset();
            return !existing.has_value();
        };

        SourceFrame frame;
        while (source.next(frame, wantPixels)) {
            ++tally.decoded;
            if (cancel.isCancelled()) {
                cancelled = true;
                break;
            }
            if (stoppedAtEnd) break;
            if (!selected) continue;
            cv::Size size;
            if (existing) {
                size = *existing;
                ++tally.kept;
            } else {
                cv::Mat image = frame.bgr;
                cv::Size wanted = scaledSize(image.cols, image.rows, o.maxSide);
                if (wanted != image.size()) cv::resize(image, image, wanted, 0, 0, cv::INTER_AREA);
                writeImageAtomic(target, image, o.jpegQuality);
                size = image.size();
                ++tally.written;
            }
            if (outputSize.width == 0) outputSize = size;
            json record = {{"index", input.firstFrame + frame.index},
                           {"file", target.filename().string()},
                           {"pts", frame.ptsSeconds}};
            if (!fixedSize) {
                record["source_file"] = frame.file.filename().string();
                record["width"] = size.width;
                record["height"] = size.height;
            }
            frames.push_back(std::move(record));

            event.done = int64_t(frames.size());
            event.total = std::max(event.total, event.done);
            event.message = target.filename().string();
            progress.report(event);
        }
        if (cancelled) break;
        if (frames.size() == firstRecord) {
            std::string why = info.kind == FrameSourceKind::ImageFolder
                                  ? "no image in " + input.path.string() + " could be decoded"
                              : o.start > 0 || o.end > 0
                                  ? input.path.string() + ": no frame in the chosen time range"
                                  : input.path.string() + ": no frame could be decoded";
            if (!source.warnings().empty()) why += " (" + source.warnings().front() + ")";
            throw Error(ErrorCode::InvalidInput, why);
        }
        if (firstOutputSize.width == 0) firstOutputSize = outputSize;
        // Align tracks faces within a video input only, never from one input into the next.
        segments.push_back({{"first", frames[firstRecord]["index"]},
                            {"last", frames.back()["index"]},
                            {"kind", frameSourceKindName(info.kind)},
                            {"source", input.path.filename().string()},
                            {"fps", info.fps}});
    }

    std::vector<std::string> warnings;
    for (const OpenedInput& input : inputs)
        for (const std::string& w : input.source->warnings()) warnings.push_back(w);
    const FrameSourceInfo& info = inputs.front().source->info();
    StageResult result;
    json summary = {{"frames", frames.size()},
                    {"written", tally.written},
                    {"kept", tally.kept},
                    {"decoded", tally.decoded},
                    {"inputs", inputs.size()},
                    {"seconds", event.elapsedSeconds()},
                    {"frames_per_second", event.rate()},
                    {"source_kind", frameSourceKindName(info.kind)}};
    if (cancelled) {
        // Frames written so far stay; the index is only written for a complete run.
        result = StageResult::cancelled("cancelled after " + std::to_string(frames.size()) +
                                        " frames; they are kept, run again to resume");
        result.summary = summary;
        result.warnings = warnings;
        return result;
    }

    json index = {{"source", inputs.front().path.string()},
                  {"kind", frameSourceKindName(info.kind)},
                  {"fps", info.fps},
                  {"time_base", {info.timeBaseNum, info.timeBaseDen}},
                  {"width", firstOutputSize.width},
                  {"height", firstOutputSize.height},
                  {"source_width", info.width},
                  {"source_height", info.height},
                  {"has_audio", info.hasAudio},
                  {"codec", info.codecName},
                  {"duration", info.durationSeconds},
                  {"options", settings},
                  {"segments", segments},
                  {"frames", frames}};
    writeJsonAtomic(framesDir / kIndexFile, index, false);

    char message[256];
    std::snprintf(message, sizeof message,
                  "%zu frames in %s (%lld written, %lld kept), %.1f frames/s", frames.size(),
                  framesDir.string().c_str(), (long long)tally.written, (long long)tally.kept,
                  event.rate());
    result = StageResult::succeeded(
        message + (inputs.size() > 1 ? " from " + std::to_string(inputs.size()) + " inputs"
                                     : std::string()),
        summary);
    result.warnings = warnings;
    result.changedNothing = removed == 0 && tally.written == 0;  // every frame there already
    return result;
}

}  // namespace

const OptionSchema& ExtractStage::optionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addFloat("fps", 0, 0, 1000,
                   "frames per second to keep, picked by timestamp (0 = every frame)")
            .inGroup("Frames");
        s.addFloat("start", 0, 0, 1e7, "start time in seconds (0 = from the beginning)")
            .inGroup("Frames");
        s.addFloat("end", 0, 0, 1e7, "end time in seconds, exclusive (0 = to the end)")
            .inGroup("Frames");
        s.addChoice("format", "png", {"png", "jpg"}, "frame file format (png is lossless)")
            .inGroup("Output");
        s.addInt("jpeg_quality", 95, 1, 100, "JPEG quality when format=jpg").inGroup("Output");
        s.addInt("max_side", 0, 0, 16384,
                 "downscale so the longer side is at most this many pixels (0 = keep)")
            .inGroup("Output");
        return s;
    }();
    return schema;
}

StageResult ExtractStage::run(const Workspace& workspace, Side side, const json& options,
                              ProgressSink& progress, const CancelToken& cancel) {
    const std::string key = std::string("extract.") + sideName(side);
    const StageLock lock(workspace.stageLockFile(key), std::string("extract ") + sideName(side));
    // The destination's frames are what merge and export read: neither may run meanwhile.
    std::optional<StageLock> mergeLock;
    if (side == Side::Dst) mergeLock.emplace(workspace.stageLockFile("merge"), "extract dst");
    StageResult result = runStageSafely(std::string("extract ") + sideName(side), [&] {
        return extract(workspace, side, optionSchema().resolve(options), progress, cancel);
    });
    workspace.recordStageResult(key, result);
    return result;
}

}  // namespace doppel
