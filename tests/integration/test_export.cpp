// Export end to end on a real workspace: merged frames (watermarked here, as merge does) plus the
// destination's index and audio -> result video; read back with libavformat; `doppel export` and
// `doppel verify` exit codes; the error paths and cancellation leave no file behind; a photo
// destination comes back as a labelled photo; a model's previews become a training timelapse.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

extern "C" {
#include <libavformat/avformat.h>
}
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "common/AtomicFile.h"
#include "common/StageLock.h"
#include "common/Workspace.h"
#include "media/ImageIO.h"
#include "media/VideoReader.h"
#include "merge/Watermark.h"
#include "pipeline/ExportStage.h"
#include "support/CliWorkspace.h"
#include "support/TestSupport.h"

using namespace doppel;
using doppel::test::CliRun;
using doppel::test::runCli;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The face in grid_sbia1a_75f_audio.mp4 (360x288), measured on frame 1.
const cv::Rect kFaceBox(120, 85, 125, 145);
constexpr int kMergedFrames = 70;  // of 75: the last five fall back to the original frames

/// A workspace whose dst side is extracted (frames + index.json as extract writes them) and
/// whose first 70 frames are "merged": the original frame with the watermark in the face box.
Workspace makeWorkspace(const std::string& name, bool withMerged = true) {
    fs::path dir = test::scratchDir("export_" + name) / "ws";
    Workspace ws = Workspace::create(dir, test::dataFile("video/grid_s2_150f.mp4"),
                                     test::dataFile("video/grid_sbia1a_75f_audio.mp4"));
    VideoReader reader(ws.inputPath(Side::Dst));
    fs::create_directories(ws.framesDir(Side::Dst));
    fs::create_directories(ws.mergedDir());
    fs::create_directories(ws.mergedMaskDir());
    json frames = json::array();
    VideoFrame frame;
    while (reader.read(frame)) {
        char file[32];
        std::snprintf(file, sizeof file, "%06lld.png", (long long)frame.index + 1);
        writeImageAtomic(ws.framesDir(Side::Dst) / file, frame.bgr);
        if (withMerged && frame.index < kMergedFrames) {
            cv::Mat merged = frame.bgr.clone();
            Watermark::embed(merged, kFaceBox);
            writeImageAtomic(ws.mergedDir() / file, merged);
            cv::Mat mask(frame.bgr.size(), CV_8U, cv::Scalar(0));
            mask(kFaceBox).setTo(255);
            writeImageAtomic(ws.mergedMaskDir() / file, mask);
        }
        frames.push_back({{"index", frame.index + 1}, {"file", file}, {"pts", frame.ptsSeconds}});
    }
    const VideoStreamInfo& info = reader.info();
    writeJsonAtomic(ws.framesDir(Side::Dst) / "index.json",
                    {{"source", ws.inputPath(Side::Dst).string()},
                     {"fps", info.averageFps},
                     {"time_base", {info.timeBaseNum, info.timeBaseDen}},
                     {"width", info.width},
                     {"height", info.height},
                     {"has_audio", info.hasAudio},
                     {"frames", frames}},
                    false);
    return ws;
}

struct Probe {
    int64_t videoPackets = 0, audioPackets = 0;
    double fps = 0, videoSeconds = 0, audioSeconds = 0, seconds = 0;
    std::string audioCodec, comment, sourceType;
};

/// Read back with libavformat directly, independent of the code under test.
Probe probe(const fs::path& file) {
    Probe p;
    AVFormatContext* fmt = nullptr;
    if (avformat_open_input(&fmt, file.string().c_str(), nullptr, nullptr) < 0) return p;
    avformat_find_stream_info(fmt, nullptr);
    p.seconds = double(fmt->duration) / AV_TIME_BASE;
    if (auto* e = av_dict_get(fmt->metadata, "comment", nullptr, 0)) p.comment = e->value;
    if (auto* e = av_dict_get(fmt->metadata, "digitalSourceType", nullptr, 0))
        p.sourceType = e->value;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        AVStream* st = fmt->streams[i];
        double seconds = st->duration > 0 ? double(st->duration) * av_q2d(st->time_base) : 0;
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            p.fps = av_q2d(st->avg_frame_rate);
            p.videoSeconds = seconds;
        } else if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
            p.audioSeconds = seconds;
            p.audioCodec = avcodec_get_name(st->codecpar->codec_id);
        }
    }
    AVPacket* pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
        auto type = fmt->streams[pkt->stream_index]->codecpar->codec_type;
        if (type == AVMEDIA_TYPE_VIDEO) ++p.videoPackets;
        if (type == AVMEDIA_TYPE_AUDIO) ++p.audioPackets;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return p;
}

bool noPartialFiles(const fs::path& dir) {
    if (!fs::exists(dir)) return true;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".partial") != std::string::npos) return false;
    return true;
}

/// Cancels the stage once it has reported `after` frames, as Ctrl-C or the GUI's stop button would.
class CancelAfter : public ProgressSink {
  public:
    CancelAfter(CancelToken& token, int64_t after) : token_(token), after_(after) {}
    void report(const ProgressEvent& e) override {
        if (e.done >= after_) token_.cancel();
    }

  private:
    CancelToken& token_;
    int64_t after_;
};

}  // namespace

TEST(Export, RoundTripKeepsFramesTimingAudioAndLabel) {
    Workspace ws = makeWorkspace("roundtrip");
    NullProgressSink progress;
    CancelToken cancel;
    json options = ExportStage::optionSchema().resolve(
        {{"crf", 20}, {"preset", "veryfast"}, {"mask_sequence", true}});
    StageResult r = ExportStage::run(ws, options, progress, cancel);
    ASSERT_TRUE(r.ok()) << r.message;
    fs::path out = ws.resultDir() / "result.mp4";
    ASSERT_TRUE(fs::exists(out));
    EXPECT_EQ(r.summary["original_frames"], 75 - kMergedFrames);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("5 of 75"), std::string::npos) << r.warnings[0];
    EXPECT_EQ(r.summary["mask_frames"], kMergedFrames);
    EXPECT_EQ(ws.stageStatus("export"), "done");

    Probe p = probe(out);
    EXPECT_EQ(p.videoPackets, 75);
    EXPECT_NEAR(p.fps, 25.0, 0.01);
    EXPECT_NEAR(p.videoSeconds, 3.0, 0.01);
    EXPECT_EQ(p.audioCodec, "aac");
    EXPECT_GT(p.audioPackets, 100);
    EXPECT_NEAR(p.audioSeconds, 3.0, 0.1);
    EXPECT_NEAR(p.seconds, 3.0, 0.1);
    EXPECT_NE(p.comment.find("AI-generated"), std::string::npos) << p.comment;
    EXPECT_NE(p.sourceType.find("trainedAlgorithmicMedia"), std::string::npos) << p.sourceType;
    EXPECT_TRUE(noPartialFiles(ws.root()));
    // The merged frames carry the watermark; the export keeps it.
    WatermarkVideoDetector detector;
    VideoReader reader(out);
    VideoFrame frame;
    while (reader.read(frame)) detector.addFrame(frame.bgr);
    EXPECT_TRUE(detector.result().detected) << "score " << detector.result().score;
}

TEST(Export, CliExportAndVerify) {
    Workspace ws = makeWorkspace("cli");
    fs::path out = ws.resultDir() / "take.mkv";
    CliRun e =
        runCli(ws.root(), "export --workspace " + ws.root().string() +
                              " --codec h264 --crf 23 --out " + out.string() + " --visible-label");
    ASSERT_EQ(e.exitCode, 0) << e.output();
    ASSERT_TRUE(fs::exists(out));
    EXPECT_EQ(probe(out).videoPackets, 75);

    CliRun v = runCli(ws.root(), "verify " + out.string());
    EXPECT_EQ(v.exitCode, 0) << v.output();
    EXPECT_NE(v.output().find("label:     yes"), std::string::npos) << v.output();
    EXPECT_NE(v.output().find("watermark: yes"), std::string::npos) << v.output();

    CliRun original =
        runCli(ws.root(), "verify " + test::dataFile("video/grid_sbia1a_75f_audio.mp4").string());
    EXPECT_EQ(original.exitCode, 3) << original.output();
    EXPECT_NE(original.output().find("watermark: no"), std::string::npos) << original.output();
    CliRun photo = runCli(ws.root(), "verify " + test::dataFile("photos/lisa3.jpg").string());
    EXPECT_EQ(photo.exitCode, 3) << photo.output();
    CliRun bad = runCli(ws.root(), "verify " + test::dataFile("bad/notavideo.mp4").string());
    EXPECT_EQ(bad.exitCode, 1) << bad.output();
    EXPECT_NE(bad.output().find("notavideo.mp4"), std::string::npos) << bad.output();
    EXPECT_EQ(runCli(ws.root(), "verify").exitCode, 2);
    EXPECT_EQ(runCli(ws.root(), "export --workspace " + ws.root().string() + " --set codec=mpeg9")
                  .exitCode,
              2);
}

TEST(Export, NoMergedFramesIsAClearError) {
    Workspace ws = makeWorkspace("nomerged", false);
    CliRun e = runCli(ws.root(), "export --workspace " + ws.root().string());
    EXPECT_EQ(e.exitCode, 1) << e.output();
    EXPECT_NE(e.output().find("no merged frames"), std::string::npos) << e.output();
    EXPECT_TRUE(!fs::exists(ws.resultDir()) || fs::is_empty(ws.resultDir()));
}

TEST(Export, UnwritableOutputFailsBeforeEncoding) {
    Workspace ws = makeWorkspace("unwritable");
    // A path under a regular file can never be created, whoever runs the test (root included).
    fs::path blocker = ws.root() / "not_a_folder";
    std::ofstream(blocker) << "x";
    fs::path out = blocker / "result.mp4";
    NullProgressSink progress;
    CancelToken cancel;
    StageResult r = ExportStage::run(
        ws, ExportStage::optionSchema().resolve({{"out", out.string()}}), progress, cancel);
    EXPECT_EQ(r.status, StageStatus::Failed);
    EXPECT_NE(r.message.find(out.string()), std::string::npos) << r.message;
    EXPECT_EQ(ws.stageStatus("export"), "failed");
}

TEST(Export, CancelLeavesNoFile) {
    Workspace ws = makeWorkspace("cancel");
    CancelToken cancel;
    CancelAfter progress(cancel, 10);
    StageResult r = ExportStage::run(
        ws, ExportStage::optionSchema().resolve({{"preset", "veryfast"}}), progress, cancel);
    EXPECT_EQ(r.status, StageStatus::Cancelled) << r.message;
    EXPECT_EQ(r.exitCode(), 130);
    EXPECT_FALSE(fs::exists(ws.resultDir() / "result.mp4"));
    EXPECT_TRUE(noPartialFiles(ws.root()));
    EXPECT_EQ(ws.stageStatus("export"), "cancelled");
}

// A destination that is one photo comes back as a photo (not a one-frame video), labelled in
// its metadata; `doppel verify` finds the label and the watermark in it.
TEST(Export, APhotoDestinationIsExportedAsALabelledPhoto) {
    const fs::path scratch = test::scratchDir("export_photo");
    const fs::path photo = test::dataFile("photos/grace_hopper.jpg");
    Workspace ws = Workspace::open(test::cliWorkspace(scratch, photo, photo, "", ""));
    cv::Mat merged = loadImage(ws.framesDir(Side::Dst) / "000001.png");
    Watermark::embedFrame(merged);  // as merge does
    fs::create_directories(ws.mergedDir());
    writeImageAtomic(ws.mergedDir() / "000001.png", merged);

    // The visible label is on by default (CLI and studio alike): the bottom-right corner carries
    // it, the rest of the picture is as merged.
    CliRun e = runCli(scratch, "export --workspace " + test::quoted(ws.root()));
    ASSERT_EQ(e.exitCode, 0) << e.output();
    const fs::path png = ws.resultDir() / "result.png";
    ASSERT_TRUE(fs::exists(png)) << e.output();
    EXPECT_FALSE(fs::exists(ws.resultDir() / "result.mp4"));
    cv::Mat withLabel = loadImage(png);
    const cv::Rect corner(merged.cols * 3 / 4, merged.rows * 7 / 8, merged.cols / 4,
                          merged.rows / 8);
    const cv::Rect rest(0, 0, merged.cols / 2, merged.rows / 2);
    EXPECT_GT(cv::norm(withLabel(corner), merged(corner), cv::NORM_INF), 40.0);
    EXPECT_EQ(cv::norm(withLabel(rest), merged(rest), cv::NORM_INF), 0.0);
    // Left off on purpose: the pixels as merged, lossless.
    const fs::path unlabelled = scratch / "unlabelled.png";
    ASSERT_EQ(runCli(scratch, "export --workspace " + test::quoted(ws.root()) + " --out " +
                                  test::quoted(unlabelled) + " --visible-label=false")
                  .exitCode,
              0);
    EXPECT_EQ(cv::norm(loadImage(unlabelled), merged, cv::NORM_INF), 0.0);
    CliRun v = runCli(scratch, "verify " + test::quoted(png));
    EXPECT_EQ(v.exitCode, 0) << v.output();
    EXPECT_NE(v.output().find("label:     yes"), std::string::npos) << v.output();
    EXPECT_NE(v.output().find("trainedAlgorithmicMedia"), std::string::npos) << v.output();
    EXPECT_NE(v.output().find("watermark: yes"), std::string::npos) << v.output();

    const fs::path jpg = scratch / "swapped.jpg";
    CliRun j = runCli(scratch, "export --workspace " + test::quoted(ws.root()) +
                                   " --set out=" + test::quoted(jpg) + " --visible-label");
    ASSERT_EQ(j.exitCode, 0) << j.output();
    CliRun vj = runCli(scratch, "verify " + test::quoted(jpg));
    EXPECT_NE(vj.output().find("label:     yes"), std::string::npos) << vj.output();
    // A video named for a photo's destination is still a video.
    const fs::path video = scratch / "one_frame.mp4";
    ASSERT_EQ(runCli(scratch, "export --workspace " + test::quoted(ws.root()) +
                                  " --set out=" + test::quoted(video))
                  .exitCode,
              0);
    EXPECT_EQ(probe(video).videoPackets, 1);
    // A folder, or a name without an extension, gets a photo too.
    const fs::path folder = scratch / "photos_out";
    fs::create_directories(folder);
    ASSERT_EQ(runCli(scratch, "export --workspace " + test::quoted(ws.root()) +
                                  " --set out=" + test::quoted(folder))
                  .exitCode,
              0);
    EXPECT_TRUE(fs::exists(folder / "result.png"));
    ASSERT_EQ(runCli(scratch, "export --workspace " + test::quoted(ws.root()) +
                                  " --set out=" + test::quoted(scratch / "no_extension"))
                  .exitCode,
              0);
    EXPECT_TRUE(fs::exists(scratch / "no_extension.png"));
}

// An export shows one merge, and never overwrites what the workspace is made from.
TEST(Export, RefusesAMixOfMergesAndTheWorkspaceInputs) {
    Workspace ws = makeWorkspace("refuses");
    NullProgressSink progress;
    CancelToken cancel;
    auto exportWith = [&](const json& options) {
        return ExportStage::run(ws, ExportStage::optionSchema().resolve(options), progress, cancel);
    };
    // A merge cut short: its frames are partly old, partly new.
    ws.setStageStatus("merge", "cancelled", "stopped after 9 frames");
    StageResult cut = exportWith({{"preset", "ultrafast"}});
    EXPECT_EQ(cut.status, StageStatus::Failed);
    EXPECT_NE(cut.message.find("did not finish (cancelled)"), std::string::npos) << cut.message;
    EXPECT_NE(cut.message.find("doppel merge"), std::string::npos) << cut.message;

    // Frames made before the settings of the last merge (merged/merge_state.json's `since`).
    ws.setStageStatus("merge", "done", "70 frames merged");
    const int64_t now =
        int64_t(fs::file_time_type::clock::now().time_since_epoch().count()) + 1000000000;
    writeJsonAtomic(ws.mergedDir() / "merge_state.json", {{"since", now}}, false);
    StageResult mixed = exportWith({{"preset", "ultrafast"}});
    EXPECT_EQ(mixed.status, StageStatus::Failed);
    EXPECT_NE(mixed.message.find("70 merged frame(s) (first: 000001.png)"), std::string::npos)
        << mixed.message;
    fs::remove(ws.mergedDir() / "merge_state.json");

    // Trained further since merging: exported as merged, with a word.
    ws.updateProject([](json& p) {
        p["stages"]["train"] = {{"status", "done"}, {"updated", "2999-01-01T00:00:00Z"}};
    });
    StageResult older = exportWith({{"preset", "ultrafast"}});
    ASSERT_TRUE(older.ok()) << older.message;
    ASSERT_FALSE(older.warnings.empty());
    EXPECT_NE(older.warnings.front().find("trained further"), std::string::npos);

    // The destination's own video (the audio source) and the file it was copied from.
    for (const fs::path& input :
         {ws.inputPath(Side::Dst), test::dataFile("video/grid_sbia1a_75f_audio.mp4")}) {
        const std::string before = test::readWholeFile(input);
        StageResult r = exportWith({{"out", input.string()}});
        EXPECT_EQ(r.status, StageStatus::Failed) << input;
        EXPECT_NE(r.message.find("somewhere else"), std::string::npos) << r.message;
        EXPECT_EQ(test::readWholeFile(input), before);
    }

    // A merge running in another process: export waits for nothing and says so.
    {
        const StageLock merging(ws.stageLockFile("merge"), "merge");
        StageResult busy = exportWith({{"preset", "ultrafast"}});
        EXPECT_EQ(busy.status, StageStatus::Failed);
        EXPECT_NE(busy.message.find("merge"), std::string::npos) << busy.message;
    }
}

// A model's preview grids become a captioned, labelled video in iteration order; a model
// without previews is a clear error.
TEST(Export, TrainingTimelapseFromThePreviewGrids) {
    const fs::path scratch = test::scratchDir("export_timelapse");
    const fs::path photo = test::dataFile("photos/grace_hopper.jpg");  // any workspace will do
    Workspace ws = Workspace::open(test::cliWorkspace(scratch, photo, photo, "", ""));
    const fs::path previews = ws.modelDir("demo") / "previews";
    fs::create_directories(previews);
    CliRun none =
        runCli(scratch, "timelapse --workspace " + test::quoted(ws.root()) + " --model demo");
    EXPECT_EQ(none.exitCode, 1);
    EXPECT_NE(none.err.find("no saved previews"), std::string::npos) << none.err;

    // Grids that brighten with the iteration; the last one saved at another size.
    for (int iteration : {300, 100, 200}) {
        cv::Mat grid(iteration == 300 ? 200 : 160, iteration == 300 ? 300 : 240, CV_8UC3,
                     cv::Scalar::all(iteration / 2));
        char name[32];
        std::snprintf(name, sizeof name, "preview_%08d.png", iteration);
        writeImageAtomic(previews / name, grid);
    }
    writeImageAtomic(previews / "masks_00000100.png", cv::Mat(160, 240, CV_8UC3, cv::Scalar(0)));
    CliRun made = runCli(
        scratch, "timelapse --workspace " + test::quoted(ws.root()) + " --model demo --fps 4");
    ASSERT_EQ(made.exitCode, 0) << made.output();
    const fs::path video = ws.modelDir("demo") / "timelapse.mp4";
    ASSERT_TRUE(fs::exists(video)) << made.output();
    EXPECT_NE(made.out.find("3 previews (iterations 100-300)"), std::string::npos) << made.out;
    const Probe p = probe(video);
    EXPECT_EQ(p.videoPackets, 3);
    EXPECT_NEAR(p.fps, 4.0, 0.01);
    // In iteration order: each frame brighter than the one before, above the caption band.
    VideoReader reader(video);
    // The largest grid's size (300x200) enlarged by a whole factor to 540 px or more, a caption
    // band below; the smaller grids keep their shape at its top left.
    EXPECT_EQ(reader.info().width, 3 * 300);
    EXPECT_GT(reader.info().height, 3 * 200);
    VideoFrame frame;
    double previous = -1;
    while (reader.read(frame)) {
        const double level = cv::mean(frame.bgr(cv::Rect(20, 20, 100, 100)))[0];
        EXPECT_GT(level, previous + 20);
        previous = level;
    }
    CliRun verified = runCli(scratch, "verify " + test::quoted(video));
    EXPECT_NE(verified.output().find("label:     yes"), std::string::npos) << verified.output();
    EXPECT_NE(verified.output().find("watermark: yes"), std::string::npos) << verified.output();

    // --out as export takes it: a folder gets timelapse.mp4 in it; WebM is encoded as VP9.
    const fs::path folder = scratch / "timelapses";
    fs::create_directories(folder);
    ASSERT_EQ(runCli(scratch, "timelapse --workspace " + test::quoted(ws.root()) +
                                  " --model demo --out " + test::quoted(folder))
                  .exitCode,
              0);
    EXPECT_TRUE(fs::exists(folder / "timelapse.mp4"));
    ASSERT_EQ(runCli(scratch, "timelapse --workspace " + test::quoted(ws.root()) +
                                  " --model demo --out " + test::quoted(folder / "grids.webm"))
                  .exitCode,
              0);
    EXPECT_EQ(probe(folder / "grids.webm").videoPackets, 3);
    CliRun missing =
        runCli(scratch, "timelapse --workspace " + test::quoted(ws.root()) + " --model nope");
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.err.find("model 'nope' not found"), std::string::npos) << missing.err;
}
