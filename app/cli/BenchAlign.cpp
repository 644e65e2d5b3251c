// doppel bench align [--threads N] [--frames N] [--video FILE] [--out DIR]
//
// Frames per second of the align stage end to end -- PNG decode + detect + landmarks + align +
// JPEG/sidecar write -- on the bundled GRID clip at its own size (360x288) and upscaled to
// 1280x720 (the clip enlarged 2.5x, centred on a grey 1280x720 canvas). Frames are prepared as
// PNG in a scratch workspace first (not timed), then AlignStage runs as `doppel align` would.
// Each size runs with 1 thread and with N threads (default: all cores), with ROI tracking on (the
// default) and off (a full-frame search on every frame), and prints the share of thread time per
// step.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/BenchRegistry.h"
#include "cli/CliArgs.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/ParallelFor.h"
#include "common/Workspace.h"
#include "media/FrameSource.h"
#include "pipeline/AlignStage.h"

namespace fs = std::filesystem;

namespace doppel::cli {
namespace {

std::string cpuModel() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    return "unknown CPU";
}

/// Writes `count` frames of `video` (resized to `size` when non-empty) as PNG into a new workspace.
fs::path prepareWorkspace(const fs::path& root, const fs::path& video, int count, cv::Size size) {
    fs::remove_all(root);
    Workspace ws = Workspace::create(root, video, video);
    FrameSource source(video);  // the project's FFmpeg decoder (throws naming the file)
    fs::create_directories(ws.framesDir(Side::Src));
    SourceFrame decoded;
    int written = 0;
    while (written < count && source.next(decoded)) {
        const cv::Mat& frame = decoded.bgr;
        cv::Mat out = frame;
        if (!size.empty()) {
            double scale =
                std::min(double(size.width) / frame.cols, double(size.height) / frame.rows);
            cv::Mat enlarged;
            cv::resize(frame, enlarged, cv::Size(), scale, scale, cv::INTER_CUBIC);
            out = cv::Mat(size, CV_8UC3, cv::Scalar(128, 128, 128));
            enlarged.copyTo(
                out(cv::Rect((size.width - enlarged.cols) / 2, (size.height - enlarged.rows) / 2,
                             enlarged.cols, enlarged.rows)));
        }
        std::ostringstream name;
        name << std::setw(6) << std::setfill('0') << ++written << ".png";
        if (!cv::imwrite((ws.framesDir(Side::Src) / name.str()).string(), out))
            throw Error(ErrorCode::Io,
                        "cannot write bench frames into " + ws.framesDir(Side::Src).string());
    }
    if (written == 0) throw Error(ErrorCode::InvalidInput, video.string() + ": no frames decoded");
    writeJsonAtomic(ws.framesDir(Side::Src) / "index.json", {{"kind", "video"}, {"count", written}},
                    false);
    return root;
}

struct BenchRun {
    double seconds = 0;
    nlohmann::json summary;
};

BenchRun runOnce(const fs::path& root, int threads, bool trackRoi) {
    Workspace ws = Workspace::open(root);
    nlohmann::json options = AlignStage::optionSchema().defaults();
    options["threads"] = threads;
    options["track_roi"] = trackRoi;
    options["redo"] = true;
    NullProgressSink progress;
    CancelToken cancel;
    auto start = std::chrono::steady_clock::now();
    StageResult result = AlignStage::run(ws, Side::Src, options, progress, cancel);
    BenchRun run;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!result.ok())
        throw Error(ErrorCode::Internal, "bench align: the stage failed: " + result.message);
    run.summary = result.summary;
    return run;
}

int runBenchAlign(const CliArgs& args) {
    const int threads = int(args.intValue("threads", defaultThreadCount()));
    const int frames = int(args.intValue("frames", 150));
    const fs::path out =
        args.value("out", (fs::temp_directory_path() / "doppel-bench-align").string());
    const fs::path video = benchVideo(args);
    args.rejectUnused();
    if (threads < 1 || frames < 1) throw UsageError("--threads and --frames must be at least 1");

    std::cout << "machine: " << cpuModel() << ", " << defaultThreadCount() << " hardware threads\n"
              << "clip: " << video.string() << ", " << frames
              << " frames; align defaults (face_type full, "
              << "size 256, detect_size 640, smooth 2, keep largest, JPEG 95)\n\n";
    std::cout << std::left << std::setw(10) << "frames" << std::setw(9) << "threads"
              << std::setw(11) << "roi_track" << std::setw(10) << "frames/s" << std::setw(10)
              << "full_det"
              << "share of thread time: decode / "
              << "detect / landmarks / align / write\n";
    std::vector<int> threadCounts = {1};
    if (threads != 1) threadCounts.push_back(threads);
    for (auto [label, size] :
         {std::pair<const char*, cv::Size>{"native", cv::Size()}, {"720p", cv::Size(1280, 720)}}) {
        fs::path root = prepareWorkspace(out / label, video, frames, size);
        for (bool roi : {true, false})
            for (int t : threadCounts) {
                BenchRun run = runOnce(root, t, roi);
                int64_t processed = run.summary.value("frames_processed", int64_t(0));
                const auto& share = run.summary["step_share_percent"];
                std::ostringstream steps;
                steps << std::fixed << std::setprecision(1) << share.value("decode", 0.0) << " / "
                      << share.value("detect", 0.0) << " / " << share.value("landmarks", 0.0)
                      << " / " << share.value("align", 0.0) << " / " << share.value("write", 0.0)
                      << " %";
                std::cout << std::left << std::setw(10) << label << std::setw(9) << t
                          << std::setw(11) << (roi ? "on" : "off") << std::setw(10) << std::fixed
                          << std::setprecision(1) << processed / run.seconds << std::setw(10)
                          << run.summary.value("full_detections", int64_t(0)) << steps.str()
                          << "  (" << run.summary.value("faces_written", int64_t(0)) << " faces)\n";
            }
    }
    std::cout
        << "\nframes/s = frames processed / wall time of AlignStage::run (PNG decode, detection,\n"
           "landmarks, alignment, JPEG + sidecar writes). full_det = frames that needed a "
           "full-frame search.\n";
    return 0;
}

const bool registered = registerBench(
    {"align", "align stage frames/s at the clip's size and 720p, 1 vs N threads", runBenchAlign});

}  // namespace
}  // namespace doppel::cli
