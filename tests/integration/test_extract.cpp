// The extract stage end to end: the real `doppel` CLI (new + extract) on the committed clips,
// resume, bad inputs, an image folder with a broken image, and cancellation through the API.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include "common/AtomicFile.h"
#include "common/Workspace.h"
#include "media/ImageIO.h"
#include "pipeline/ExtractStage.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::CliRun;
using doppel::test::dataFile;
using doppel::test::runCli;
using doppel::test::scratchDir;

namespace {

CliRun newWorkspace(const fs::path& ws, const fs::path& src, const fs::path& dst) {
    return runCli(ws.parent_path(), "new --workspace '" + ws.string() + "' --src '" + src.string() +
                                        "' --dst '" + dst.string() + "'");
}

std::vector<std::string> frameFiles(const fs::path& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir)) return names;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string ext = e.path().extension().string();
        if (ext == ".png" || ext == ".jpg") names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

int countTmpFiles(const fs::path& root) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().extension() == ".tmp") ++n;
    return n;
}

int countLinesWith(const std::string& text, const std::string& needle) {
    std::istringstream lines(text);
    int n = 0;
    for (std::string line; std::getline(lines, line);)
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}

// libpng prints its own "libpng error: ..." line for a corrupt PNG; the CLI's lines start with
// "error:" / "warning:".
int countLinesStartingWith(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    int n = 0;
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(prefix, 0) == 0) ++n;
    return n;
}

ino_t inodeOf(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

TEST(ExtractCli, GridClipGives150FramesIndexAndResumesOnlyBrokenFrames) {
    fs::path scratch = scratchDir("extract_grid");
    fs::path ws = scratch / "ws";
    ASSERT_EQ(newWorkspace(ws, dataFile("video/grid_s2_150f.mp4"),
                           dataFile("video/grid_sbia1a_75f_audio.mp4"))
                  .exitCode,
              0);

    auto started = std::chrono::steady_clock::now();
    CliRun run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side src");
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(run.exitCode, 0) << run.err;
    std::printf(
        "[ figure ] extract of grid_s2_150f.mp4 (150 frames 360x288, png) via CLI: %.2f s, %.1f "
        "frames/s\n",
        seconds, 150 / seconds);
    EXPECT_EQ(countLinesWith(run.err, "warning"), 0) << run.err;

    fs::path frames = ws / "data_src" / "frames";
    auto names = frameFiles(frames);
    ASSERT_EQ(names.size(), 150u);
    EXPECT_EQ(names.front(), "000001.png");
    EXPECT_EQ(names.back(), "000150.png");
    EXPECT_EQ(countTmpFiles(ws), 0);
    auto size = readImageHeader(frames / "000075.png");
    ASSERT_TRUE(size);
    EXPECT_EQ(*size, cv::Size(360, 288));

    nlohmann::json index = readJsonFile(frames / "index.json");
    EXPECT_NEAR(index.at("fps").get<double>(), 25.0, 1e-9);
    EXPECT_EQ(index.at("time_base"), nlohmann::json::array({1, 12800}));
    EXPECT_EQ(index.at("width"), 360);
    EXPECT_EQ(index.at("height"), 288);
    EXPECT_EQ(index.at("has_audio"), false);
    EXPECT_NE(index.at("source").get<std::string>().find("data_src"), std::string::npos);
    const auto& list = index.at("frames");
    ASSERT_EQ(list.size(), 150u);
    EXPECT_EQ(list[0].at("index"), 1);
    EXPECT_EQ(list[0].at("file"), "000001.png");
    EXPECT_NEAR(list[0].at("pts").get<double>(), 0.0, 1e-9);
    EXPECT_NEAR(list[149].at("pts").get<double>(), 5.96, 1e-6);

    Workspace workspace = Workspace::open(ws);
    EXPECT_EQ(workspace.stageStatus("extract.src"), "done");
    EXPECT_EQ(workspace.stageOptions("extract.src").at("format"), "png");

    // Resume: delete one frame, cut another short; exactly those two are rewritten.
    std::map<std::string, ino_t> before;
    for (const auto& n : names) before[n] = inodeOf(frames / n);
    fs::remove(frames / "000010.png");
    fs::resize_file(frames / "000020.png", fs::file_size(frames / "000020.png") / 3);
    run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side src");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_NE(run.out.find("2 written, 148 kept"), std::string::npos) << run.out;
    names = frameFiles(frames);
    ASSERT_EQ(names.size(), 150u);
    // The deleted frame is back (its inode number may be reused, so it is checked by presence);
    // of the 149 others exactly the truncated one was rewritten.
    EXPECT_TRUE(fs::exists(frames / "000010.png"));
    int rewritten = 0;
    for (const auto& n : names)
        if (n != "000010.png" && inodeOf(frames / n) != before[n]) ++rewritten;
    EXPECT_EQ(rewritten, 1);
    EXPECT_NE(inodeOf(frames / "000020.png"), before["000020.png"]);
    EXPECT_EQ(readImageHeader(frames / "000020.png"), std::optional<cv::Size>(cv::Size(360, 288)));
    EXPECT_EQ(readJsonFile(frames / "index.json").at("frames").size(), 150u);
}

TEST(ExtractCli, FpsStartEndPickFramesByTimestampAndKeepDecodedNumbering) {
    fs::path scratch = scratchDir("extract_fps");
    fs::path ws = scratch / "ws";
    ASSERT_EQ(newWorkspace(ws, dataFile("video/grid_s2_150f.mp4"),
                           dataFile("video/grid_sbia1a_75f_audio.mp4"))
                  .exitCode,
              0);
    CliRun run = runCli(scratch, "extract --workspace '" + ws.string() +
                                     "' --side dst --set fps=10 --set format=jpg");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    fs::path frames = ws / "data_dst" / "frames";
    nlohmann::json index = readJsonFile(frames / "index.json");
    EXPECT_EQ(index.at("has_audio"), true);
    const auto& list = index.at("frames");
    EXPECT_EQ(list.size(), 30u);  // 3 s at 10 fps
    EXPECT_EQ(frameFiles(frames).size(), 30u);
    for (size_t i = 1; i < list.size(); ++i) {
        double gap = list[i].at("pts").get<double>() - list[i - 1].at("pts").get<double>();
        EXPECT_GE(gap, 0.079);
        EXPECT_LE(gap, 0.121);
    }
    EXPECT_EQ(list[1].at("file").get<std::string>().substr(6), ".jpg");

    // Changing the range re-extracts from scratch with numbering of the decoded order.
    run = runCli(scratch,
                 "extract --workspace '" + ws.string() +
                     "' --side dst --set fps=0 --set start=1 --set end=2 --set max_side=180");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    index = readJsonFile(frames / "index.json");
    ASSERT_EQ(index.at("frames").size(), 25u);
    EXPECT_EQ(index.at("frames")[0].at("index"), 26);
    EXPECT_EQ(index.at("frames")[0].at("file"), "000026.jpg");
    EXPECT_EQ(index.at("width"), 180);
    EXPECT_EQ(index.at("height"), 144);
    EXPECT_EQ(frameFiles(frames).size(), 25u);  // the fps=10 frames were removed
    // Saved options are reused: a plain re-run keeps everything.
    run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side dst");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_NE(run.out.find("0 written, 25 kept"), std::string::npos) << run.out;
    // A window between two frames (inside the clip's duration) finds none: refused before the
    // frames of the current range are removed, and not saved for the next run.
    run = runCli(scratch, "extract --workspace '" + ws.string() +
                              "' --side dst --set start=1.025 --set end=1.035");
    EXPECT_EQ(run.exitCode, 1) << run.err;
    EXPECT_NE(run.err.find("nothing was changed"), std::string::npos) << run.err;
    EXPECT_EQ(frameFiles(frames).size(), 25u);
    run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side dst");
    EXPECT_NE(run.out.find("0 written, 25 kept"), std::string::npos) << run.out;
}

TEST(ExtractCli, BadInputsFailWithOneLineNamingTheFile) {
    for (const char* bad : {"bad/empty.mp4", "bad/notavideo.mp4", "bad/corrupt_body.png"}) {
        SCOPED_TRACE(bad);
        fs::path scratch = scratchDir("extract_bad");
        fs::path ws = scratch / "ws";
        const std::string name = fs::path(bad).filename().string();
        // Refused by `new` already, naming the file; nothing is made.
        const CliRun refused =
            newWorkspace(ws, dataFile(bad), dataFile("video/grid_sbia1a_75f_audio.mp4"));
        EXPECT_EQ(refused.exitCode, 1) << refused.err;
        EXPECT_EQ(countLinesWith(refused.err, name), 1) << refused.err;
        EXPECT_FALSE(fs::exists(ws));
        // Broken after it was copied in (a disk error, a file replaced): extract names it.
        const fs::path good =
            dataFile(fs::path(bad).extension() == ".png" ? "photos/three_people.png"
                                                         : "video/grid_s2_150f.mp4");
        ASSERT_EQ(newWorkspace(ws, good, dataFile("video/grid_sbia1a_75f_audio.mp4")).exitCode, 0);
        const fs::path copy = Workspace::open(ws).inputPath(Side::Src);
        fs::copy_file(dataFile(bad), copy, fs::copy_options::overwrite_existing);
        CliRun run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side src");
        EXPECT_EQ(run.exitCode, 1) << run.out << run.err;
        EXPECT_EQ(countLinesStartingWith(run.err, "error:"), 1) << run.err;
        EXPECT_EQ(countLinesWith(run.err, copy.filename().string()), 1) << run.err;
        EXPECT_TRUE(frameFiles(ws / "data_src" / "frames").empty());
        EXPECT_FALSE(fs::exists(ws / "data_src" / "frames" / "index.json"));
        EXPECT_EQ(countTmpFiles(ws), 0);
        EXPECT_EQ(Workspace::open(ws).stageStatus("extract.src"), "failed");
    }
}

TEST(ExtractCli, TruncatedVideoKeepsDecodableFramesWithAWarning) {
    fs::path scratch = scratchDir("extract_truncated");
    fs::path ws = scratch / "ws";
    ASSERT_EQ(newWorkspace(ws, dataFile("bad/truncated_30pct.mp4"),
                           dataFile("video/grid_sbia1a_75f_audio.mp4"))
                  .exitCode,
              0);
    CliRun run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side src");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(countLinesStartingWith(run.err, "warning:"), 1) << run.err;
    EXPECT_EQ(countLinesWith(run.err, "stopped after"), 1) << run.err;
    size_t count = frameFiles(ws / "data_src" / "frames").size();
    EXPECT_GE(count, 35u);
    EXPECT_LE(count, 42u);
    EXPECT_EQ(readJsonFile(ws / "data_src" / "frames" / "index.json").at("frames").size(), count);
    EXPECT_EQ(countTmpFiles(ws), 0);
}

TEST(ExtractCli, ImageFolderWithOneCorruptImage) {
    fs::path scratch = scratchDir("extract_folder");
    fs::path photos = scratch / "photos";
    fs::create_directories(photos);
    fs::copy_file(dataFile("photos/grace_hopper.jpg"), photos / "shot1.jpg");
    fs::copy_file(dataFile("bad/corrupt_body.png"), photos / "shot2.png");
    fs::copy_file(dataFile("photos/three_people.png"), photos / "shot10.png");
    fs::copy_file(dataFile("photos/lisa3.jpg"), photos / "shot3.jpg");
    fs::path ws = scratch / "ws";
    ASSERT_EQ(newWorkspace(ws, photos, dataFile("video/grid_sbia1a_75f_audio.mp4")).exitCode, 0);
    CliRun run = runCli(scratch, "extract --workspace '" + ws.string() + "' --side src");
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(countLinesStartingWith(run.err, "warning:"), 1) << run.err;
    EXPECT_EQ(countLinesWith(run.err, "shot2.png"), 1) << run.err;
    fs::path frames = ws / "data_src" / "frames";
    EXPECT_EQ(frameFiles(frames),
              (std::vector<std::string>{"000001.png", "000003.png", "000004.png"}));
    nlohmann::json index = readJsonFile(frames / "index.json");
    ASSERT_EQ(index.at("frames").size(), 3u);
    EXPECT_EQ(index.at("frames")[1].at("source_file"), "shot3.jpg");
    EXPECT_EQ(index.at("frames")[2].at("source_file"), "shot10.png");
    EXPECT_EQ(index.at("frames")[2].at("width"), 480);
}

TEST(ExtractCli, UsageErrorsExitWith2) {
    fs::path scratch = scratchDir("extract_usage");
    fs::path ws = scratch / "ws";
    ASSERT_EQ(newWorkspace(ws, dataFile("video/grid_s2_150f.mp4"),
                           dataFile("video/grid_sbia1a_75f_audio.mp4"))
                  .exitCode,
              0);
    EXPECT_EQ(runCli(scratch, "extract --workspace '" + ws.string() + "'").exitCode, 2);
    EXPECT_EQ(runCli(scratch, "extract --workspace '" + ws.string() + "' --side left").exitCode, 2);
    CliRun run =
        runCli(scratch, "extract --workspace '" + ws.string() + "' --side src --set fps=-3");
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_NE(run.err.find("fps"), std::string::npos) << run.err;
    run = runCli(scratch, "extract --help");
    EXPECT_EQ(run.exitCode, 0);
    EXPECT_NE(run.out.find("max_side"), std::string::npos) << run.out;
    EXPECT_TRUE(frameFiles(ws / "data_src" / "frames").empty());
}

namespace {
// Cancels the token once `after` frames were reported, like a user pressing Stop.
class CancelAfter : public ProgressSink {
  public:
    CancelAfter(CancelToken& token, int64_t after) : token_(token), after_(after) {}
    void report(const ProgressEvent& e) override {
        last = e;
        ++reports;
        if (e.done >= after_) token_.cancel();
    }
    ProgressEvent last;
    int reports = 0;

  private:
    CancelToken& token_;
    int64_t after_;
};
}  // namespace

TEST(ExtractStageApi, CancelKeepsFramesAndResumeFinishes) {
    fs::path scratch = scratchDir("extract_cancel");
    Workspace ws = Workspace::create(scratch / "ws", dataFile("video/grid_sbia1a_75f_audio.mp4"),
                                     dataFile("video/grid_s2_150f.mp4"));
    CancelToken token;
    CancelAfter sink(token, 20);
    StageResult result = ExtractStage::run(ws, Side::Src, nlohmann::json::object(), sink, token);
    EXPECT_EQ(result.status, StageStatus::Cancelled) << result.message;
    EXPECT_EQ(result.exitCode(), 130);
    EXPECT_EQ(frameFiles(ws.framesDir(Side::Src)).size(), 20u);
    EXPECT_EQ(ws.stageStatus("extract.src"), "cancelled");
    EXPECT_EQ(sink.last.total, 75);
    EXPECT_EQ(sink.last.stage, "extract");
    EXPECT_EQ(sink.last.side, "src");

    token.reset();
    CancelAfter never(token, 1000);
    result = ExtractStage::run(ws, Side::Src, nlohmann::json::object(), never, token);
    ASSERT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.summary.at("kept"), 20);
    EXPECT_EQ(result.summary.at("written"), 55);
    EXPECT_EQ(never.reports, 75);
    EXPECT_EQ(never.last.done, 75);
    EXPECT_GT(never.last.rate(), 0.0);
    EXPECT_EQ(ws.stageStatus("extract.src"), "done");
}
