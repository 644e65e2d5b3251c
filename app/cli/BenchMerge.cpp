// doppel bench merge [--workspace DIR [--model NAME]] [--video FILE] [--frames N] [--out DIR]
//
// Measures the merge at 1920x1080: GRID frames (extracted and aligned for real) are upscaled to
// 1080p with their alignment. Reports per frame: compositing (warp, mask, colour transfer, blend:
// everything but the network) per colour/blend mode; the network alone (only with a real model);
// end-to-end frames/s of the merge stage (PNG writes included); the latency of re-merging one
// frame after a slider change with a cached prediction.
// Without a model, compositing runs on a "tinted identity" FaceSwapper (input face, +4 % blue):
// a stand-in so the non-network work can be timed; its figures never describe a network.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/BenchRegistry.h"
#include "cli/CliArgs.h"
#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/ParallelFor.h"
#include "common/Workspace.h"
#include "media/ImageIO.h"
#include "merge/FaceCompositor.h"
#include "merge/MergePreviewer.h"
#include "merge/MergeSource.h"
#include "models/models.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "pipeline/MergeStage.h"

namespace fs = std::filesystem;

namespace doppel::cli {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class TintedIdentitySwapper : public FaceSwapper {
  public:
    explicit TintedIdentitySwapper(int res) : res_(res) {}
    int resolution() const override { return res_; }
    std::string faceType() const override { return "full"; }
    std::string describe() const override { return "tinted identity stand-in (no network)"; }
    std::vector<SwapPrediction> predict(const std::vector<ImageU8>& faces) override {
        std::vector<SwapPrediction> out;
        for (const auto& f : faces) {
            SwapPrediction p;
            p.face = ImageF32(f.width, f.height, 3);
            for (size_t i = 0; i < f.pixels.size(); ++i)
                p.face.pixels[i] =
                    std::min(1.0f, f.pixels[i] / 255.0f + (i % 3 == 0 ? 0.04f : 0.0f));
            p.predictedMask = ImageF32(f.width, f.height, 1, 1.0f);
            p.dstMask = ImageF32(f.width, f.height, 1, 1.0f);
            out.push_back(std::move(p));
        }
        return out;
    }

  private:
    int res_;
};

class QuietProgress : public ProgressSink {
  public:
    void report(const ProgressEvent&) override {}
};

std::string machineDescription() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, model = "unknown CPU";
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    std::ostringstream os;
    os << model << ", " << std::thread::hardware_concurrency() << " hardware threads, OpenCV "
       << CV_VERSION << " (" << cv::getNumThreads() << " threads)";
    return os.str();
}

void runOrThrow(const StageResult& r, const std::string& what) {
    if (!r.ok()) throw Error(ErrorCode::Internal, "bench merge: " + what + " failed: " + r.message);
}

// GRID frames extracted and aligned for real, in a scratch workspace.
Workspace alignedGridWorkspace(const fs::path& dir, const fs::path& video, int frames) {
    fs::remove_all(dir);
    Workspace ws = Workspace::create(dir, video, video);
    QuietProgress quiet;
    CancelToken never;
    nlohmann::json extract = ExtractStage::optionSchema().resolve({{"end", (frames + 0.5) / 25.0}});
    runOrThrow(ExtractStage::run(ws, Side::Dst, extract, quiet, never), "extract");
    runOrThrow(AlignStage::run(ws, Side::Dst, AlignStage::optionSchema().defaults(), quiet, never),
               "align");
    return ws;
}

// Copies the first `count` frames with a face into `dir` upscaled onto a 1920x1080 canvas,
// with their aligned faces moved along (matrix and landmarks), as a workspace of its own.
Workspace upscaledWorkspace(const MergeSource& from, const fs::path& dir, const fs::path& video,
                            int count) {
    fs::remove_all(dir);
    Workspace ws = Workspace::create(dir, video, video);
    fs::create_directories(ws.framesDir(Side::Dst));
    fs::create_directories(ws.alignedDir(Side::Dst));
    int written = 0;
    for (const auto& frame : from.frames()) {
        if (frame.faces.empty()) continue;
        if (written++ >= count) break;
        cv::Mat image = MergeSource::loadFrame(frame);
        const double s = 1080.0 / image.rows;
        const int w = int(std::lround(image.cols * s));
        const double ox = (1920 - w) / 2.0;
        cv::Mat big(1080, 1920, CV_8UC3, cv::Scalar(40, 40, 40)), scaled;
        cv::resize(image, scaled, cv::Size(w, 1080), 0, 0, cv::INTER_CUBIC);
        scaled.copyTo(big(cv::Rect(int(ox), 0, w, 1080)));
        writeImageAtomic(ws.framesDir(Side::Dst) / frame.outputName(), big);
        for (AlignedFace face : frame.faces) {
            auto& m = face.frameToAligned;
            // aligned = A (x' - o) / s + t
            std::array<double, 6> moved = {m[0] / s, m[1] / s, m[2] - (m[0] * ox) / s,
                                           m[3] / s, m[4] / s, m[5] - (m[3] * ox) / s};
            m = moved;
            for (auto& p : face.landmarks) p = {float(p[0] * s + ox), float(p[1] * s)};
            face.box = {float(face.box[0] * s + ox), float(face.box[1] * s), float(face.box[2] * s),
                        float(face.box[3] * s)};
            face.frameWidth = 1920, face.frameHeight = 1080;
            fs::copy_file(frame.file.parent_path().parent_path() / "aligned" / face.imageName(),
                          ws.alignedDir(Side::Dst) / face.imageName(),
                          fs::copy_options::overwrite_existing);
            writeAlignedFace(ws.alignedDir(Side::Dst) / face.metaName(), face);
        }
    }
    if (written == 0)
        throw Error(ErrorCode::NotFound, "bench merge: no frame with an aligned face to upscale");
    return ws;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

int runBenchMerge(const CliArgs& args) {
    const int frames = int(args.intValue("frames", 8));
    const fs::path out =
        args.value("out", (fs::temp_directory_path() / "doppel-bench-merge").string());
    const std::string workspaceDir = args.value("workspace");
    const std::string modelName = args.value("model", "");
    const fs::path video = benchVideo(args);
    args.rejectUnused();
    if (frames < 1) throw UsageError("--frames must be at least 1");

    std::cout << "bench merge: " << machineDescription() << "\n";
    std::unique_ptr<FaceSwapper> model;
    std::string networkNote;
    fs::create_directories(out);
    std::unique_ptr<MergeSource> original;
    if (!workspaceDir.empty()) {
        Workspace user = Workspace::open(workspaceDir);
        original = std::make_unique<MergeSource>(user);
        std::string name = modelName;
        if (name.empty())
            for (const auto& e : fs::directory_iterator(user.modelsDir()))
                if (e.is_directory()) name = e.path().filename().string();
        if (!name.empty() && fs::is_directory(user.modelDir(name)))
            model = models::createTrainingEngine()->loadSwapper(user.modelDir(name));
        else
            networkNote = "skipped: no trained model in " + user.modelsDir().string();
    } else {
        std::cout << "preparing: extract + align " << frames << " GRID frames from "
                  << video.string() << "\n";
        Workspace grid = alignedGridWorkspace(out / "grid", video, frames);
        original = std::make_unique<MergeSource>(grid);
        networkNote = "skipped: no model (pass --workspace DIR with a trained model)";
    }
    Workspace ws = upscaledWorkspace(*original, out / "ws1080", video, frames);
    MergeSource source(ws);
    TintedIdentitySwapper standIn(model ? model->resolution() : 256);
    FaceSwapper& swapper = model ? *model : static_cast<FaceSwapper&>(standIn);
    std::cout << "frames: " << source.frames().size() << " at 1920x1080, model resolution "
              << swapper.resolution() << ", swapper: " << swapper.describe() << "\n\n";

    // Frames and predictions in memory, so the loop below times only the compositing.
    std::vector<cv::Mat> images;
    std::vector<std::vector<FaceMergeInput>> inputs;
    for (const auto& f : source.frames()) {
        images.push_back(MergeSource::loadFrame(f));
        std::vector<FaceMergeInput> faces;
        for (const auto& face : f.faces) {
            cv::Mat aligned =
                FaceCompositor::warpToAligned(images.back(), face, swapper.resolution());
            faces.push_back({face, aligned,
                             FaceCompositor::predictBatched(standIn, {aligned}, 1).at(0),
                             source.motionOf(f, face)});
        }
        inputs.push_back(std::move(faces));
    }

    struct Mode {
        ColorMode color;
        BlendMode blend;
    };
    const std::vector<Mode> modes = {
        {ColorMode::None, BlendMode::Overlay},      {ColorMode::Rct, BlendMode::Overlay},
        {ColorMode::Lct, BlendMode::Overlay},       {ColorMode::Mkl, BlendMode::Overlay},
        {ColorMode::HistMatch, BlendMode::Overlay}, {ColorMode::Idt, BlendMode::Overlay},
        {ColorMode::Sot, BlendMode::Overlay},       {ColorMode::Rct, BlendMode::Seamless},
        {ColorMode::None, BlendMode::Raw}};
    std::cout << "compositing per 1080p frame (warp in + mask + colour + warp back + blend + "
                 "watermark), median of "
              << images.size() << " frames, one thread per frame:\n";
    for (const auto& mode : modes) {
        MergeSettings s;
        s.color = mode.color;
        s.blend = mode.blend;
        std::vector<double> times;
        for (size_t i = 0; i < images.size(); ++i) {
            cv::Mat frame = images[i].clone(), mask = cv::Mat::zeros(frame.size(), CV_8UC1);
            auto t = Clock::now();
            for (auto& in : inputs[i]) {
                in.alignedDst =
                    FaceCompositor::warpToAligned(images[i], in.face, swapper.resolution());
                FaceCompositor::composite(frame, mask, FaceCompositor::prepare(in, s), s);
            }
            times.push_back(msSince(t));
            if (i == 0 && mode.color == ColorMode::Rct && mode.blend == BlendMode::Overlay)
                writeImageAtomic(out / "merged_sample_1080p.png", frame);
        }
        std::cout << "  " << std::left << std::setw(8) << colorModeName(mode.color) << std::setw(10)
                  << blendModeName(mode.blend) << std::right << std::fixed << std::setprecision(1)
                  << median(times) << " ms\n";
    }

    std::cout << "\nnetwork: ";
    if (model) {
        std::vector<cv::Mat> batch;
        for (int i = 0; i < 8; ++i)
            batch.push_back(inputs[size_t(i) % inputs.size()].at(0).alignedDst);
        FaceCompositor::predictBatched(*model, batch, 8);  // warm-up
        auto t = Clock::now();
        FaceCompositor::predictBatched(*model, batch, 8);
        std::cout << std::setprecision(1) << msSince(t) / 8.0 << " ms per face (batch 8, "
                  << model->describe() << ")\n";
    } else {
        std::cout << networkNote << "\n";
    }

    MergeSettings defaults;
    CancelToken never;
    QuietProgress quiet;
    nlohmann::json options = MergeStage::optionSchema().resolve({{"redo", true}});
    StageResult e2e = MergeStage::run(ws, options, swapper, {}, quiet, never);
    runOrThrow(e2e, "merge stage");
    std::cout << "end to end (merge stage, " << defaults.batch << " faces per predict call, "
              << defaultThreadCount()
              << " compositing threads, PNG writes): " << std::setprecision(2)
              << e2e.summary.value("frames_per_second", 0.0) << " frames/s"
              << (model ? "" : " (stand-in swapper: no network time)") << "\n";

    MergePreviewer previewer(ws, swapper);
    const int64_t first = source.frames().front().index;
    auto t0 = Clock::now();
    previewer.render(first, defaults);
    double uncached = msSince(t0);
    std::vector<double> slider;
    for (int erode : {5, 10, 15, 20, 25}) {
        MergeSettings s = defaults;
        s.erode = erode;
        auto t = Clock::now();
        MergePreview p = previewer.render(first, s);
        slider.push_back(msSince(t));
        if (!p.fromCache)
            throw Error(ErrorCode::Internal, "bench merge: the previewer did not use its cache");
    }
    std::cout << "preview: first render " << std::setprecision(1) << uncached
              << " ms, slider change (cached) " << median(slider) << " ms median of 5\n";
    std::cout << "sample merged frame: " << (out / "merged_sample_1080p.png").string() << "\n";
    return 0;
}

const bool registered = registerBench(
    {"merge", "merge compositing ms per 1080p frame, frames/s, slider latency", runBenchMerge});

}  // namespace
}  // namespace doppel::cli
