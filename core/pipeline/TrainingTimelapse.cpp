#include "pipeline/TrainingTimelapse.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "media/ExportLabel.h"
#include "media/ImageIO.h"
#include "media/VideoEncoder.h"
#include "merge/Watermark.h"

namespace doppel {
namespace fs = std::filesystem;
namespace {

constexpr int kLeastHeight = 540;
/// A timelapse has a few frames, each a different picture, where an export averages hundreds of
/// similar ones: its mark is embedded twice as strong to be found as surely.
constexpr double kWatermarkStrength = 2.0;

struct SavedGrid {
    long long iteration = 0;
    fs::path path;
};

/// preview_00001250.png (or masks_...) in iteration order.
std::vector<SavedGrid> savedGrids(const fs::path& dir, const std::string& prefix) {
    std::vector<SavedGrid> grids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        long long iteration = 0;
        char tail[8] = {};
        if (name.rfind(prefix, 0) == 0 &&
            std::sscanf(name.c_str() + prefix.size(), "%lld.%4s", &iteration, tail) == 2 &&
            std::string(tail) == "png")
            grids.push_back({iteration, entry.path()});
    }
    std::sort(grids.begin(), grids.end(),
              [](const SavedGrid& a, const SavedGrid& b) { return a.iteration < b.iteration; });
    return grids;
}

/// The grid enlarged `enlarge` times (a grid of pixels, not a blur) at the top left of a canvas
/// of even size (H.264's 4:2:0) that holds `gridSize`, with a caption band below it. Grids of
/// another size (fewer faces early in a training) keep their shape: the canvas is the largest.
cv::Mat captioned(const cv::Mat& grid, cv::Size gridSize, int enlarge, long long iteration) {
    const int band = std::max(18, gridSize.height / 14);
    cv::Mat frame(((gridSize.height + band + 1) / 2) * 2, ((gridSize.width + 1) / 2) * 2, CV_8UC3,
                  cv::Scalar(24, 24, 24));
    cv::Mat fitted = grid;
    if (enlarge > 1) cv::resize(grid, fitted, cv::Size(), enlarge, enlarge, cv::INTER_NEAREST);
    const cv::Rect placed =
        cv::Rect(0, 0, fitted.cols, fitted.rows) & cv::Rect(0, 0, gridSize.width, gridSize.height);
    fitted(placed).copyTo(frame(placed));
    const double scale = band / 32.0;
    cv::putText(frame, "iteration " + std::to_string(iteration),
                cv::Point(band / 3, gridSize.height + band * 3 / 4), cv::FONT_HERSHEY_SIMPLEX,
                scale, cv::Scalar(235, 235, 235), std::max(1, int(std::lround(scale * 2))),
                cv::LINE_AA);
    return frame;
}

}  // namespace

fs::path TrainingTimelapse::defaultOutput(const fs::path& modelDir, bool masks) {
    return modelDir / (masks ? "timelapse_masks.mp4" : "timelapse.mp4");
}

StageResult TrainingTimelapse::write(const fs::path& modelDir, const fs::path& output, double fps,
                                     bool masks, ProgressSink& progress,
                                     const CancelToken& cancel) {
    const fs::path dir = modelDir / "previews";
    const std::vector<SavedGrid> grids = savedGrids(dir, masks ? "masks_" : "preview_");
    if (grids.empty())
        throw Error(ErrorCode::NotFound,
                    dir.string() + ": no saved previews (train the model first; it saves one " +
                        "every preview_every iterations)");
    if (!(fps > 0)) throw Error(ErrorCode::BadOption, "the frame rate must be above 0");
    cv::Size largest(0, 0);
    for (const SavedGrid& grid : grids)
        if (const auto size = readImageHeader(grid.path)) {
            largest.width = std::max(largest.width, size->width);
            largest.height = std::max(largest.height, size->height);
        }
    if (largest.area() == 0) largest = loadImage(grids.front().path).size();  // names the file
    // Grids of a small model are a few hundred pixels: enlarged by a whole factor to at least
    // 540 px high, to be watched, and so that the watermark has the pixels to survive a
    // re-encode (a 286 px timelapse halved and re-encoded lost it: score 4.6 of 5).
    const int enlarge = std::max(1, (kLeastHeight + largest.height - 1) / largest.height);
    const cv::Size gridSize(largest.width * enlarge, largest.height * enlarge);
    const cv::Mat sample =
        captioned(loadImage(grids.front().path), gridSize, enlarge, grids.front().iteration);

    VideoEncoderSettings settings;
    settings.codec = output.extension() == ".webm" ? "vp9" : "h264";  // WebM holds no H.264
    settings.crf = 18;
    settings.preset = "medium";
    settings.width = sample.cols;
    settings.height = sample.rows;
    const int ticks = std::max(1, int(std::lround(fps * 1000)));
    settings.timeBaseNum = 1;
    settings.timeBaseDen = ticks;  // a thousandth of a frame: any fps, exact timestamps
    settings.fps = fps;
    settings.metadata = syntheticMediaTags();
    settings.audio = "none";
    fs::create_directories(output.parent_path());
    VideoEncoder encoder(output, settings);

    ProgressEvent event;
    event.stage = "timelapse";
    event.total = int64_t(grids.size());
    for (size_t i = 0; i < grids.size(); ++i) {
        if (cancel.isCancelled()) {
            encoder.abandon();
            return StageResult::cancelled("cancelled; no file was written");
        }
        cv::Mat frame = captioned(loadImage(grids[i].path), gridSize, enlarge, grids[i].iteration);
        // The grid only: on the flat dark caption band the mark would show as faint blocks.
        Watermark::embed(frame, cv::Rect(cv::Point(0, 0), gridSize), kWatermarkStrength);
        encoder.writeFrame(frame, int64_t(i) * 1000);
        event.done = int64_t(i + 1);
        event.message = grids[i].path.filename().string();
        progress.report(event);
    }
    encoder.finish();
    return StageResult::succeeded(std::to_string(grids.size()) + " previews (iterations " +
                                      std::to_string(grids.front().iteration) + "-" +
                                      std::to_string(grids.back().iteration) + ") to " +
                                      output.string() + ", labelled as AI-generated",
                                  {{"output", output.string()},
                                   {"frames", int64_t(grids.size())},
                                   {"first_iteration", grids.front().iteration},
                                   {"last_iteration", grids.back().iteration}});
}

}  // namespace doppel
