// End to end: a destination workspace made by the real CLI (new + extract + align on 10 GRID
// frames), merged with a test-double FaceSwapper: outputs, resume, cancel, pass-through frames,
// per-range overrides, and the clear errors (face type, unwritable output, missing model).
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "merge/FaceCompositor.h"
#include "merge/Watermark.h"
#include "pipeline/MergeStage.h"
#include "pipeline/MergeState.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

namespace {

class TintSwapper : public FaceSwapper {
  public:
    explicit TintSwapper(std::string type = "full") : type_(std::move(type)) {}
    int resolution() const override { return 128; }
    std::string faceType() const override { return type_; }
    std::string describe() const override { return "tint test double"; }
    std::vector<SwapPrediction> predict(const std::vector<ImageU8>& faces) override {
        std::vector<SwapPrediction> out;
        for (const auto& f : faces) {
            SwapPrediction p;
            p.face = ImageF32(f.width, f.height, 3);
            for (size_t i = 0; i < f.pixels.size(); ++i)
                p.face.pixels[i] =
                    std::min(1.0f, f.pixels[i] / 255.0f + (i % 3 == 2 ? 0.3f : 0.0f));
            p.predictedMask = ImageF32(f.width, f.height, 1, 1.0f);
            p.dstMask = ImageF32(f.width, f.height, 1, 1.0f);
            out.push_back(std::move(p));
        }
        return out;
    }

  private:
    std::string type_;
};

class CancelAfter : public ProgressSink {
  public:
    CancelAfter(CancelToken& token, int64_t n) : token_(token), n_(n) {}
    void report(const ProgressEvent& e) override {
        if (e.done >= n_) token_.cancel();
    }

  private:
    CancelToken& token_;
    int64_t n_;
};

int run(const std::string& command) {
    return WEXITSTATUS(std::system(command.c_str()));
}

// Built once with the real CLI; each test works on its own copy.
fs::path baseWorkspace() {
    static fs::path base;
    if (!base.empty()) return base;
    fs::path dir = test::scratchDir("merge_base") / "ws";
    std::string cli = test::cliPath().string(),
                log = " >" + (dir.parent_path() / "log.txt").string() + " 2>&1";
    std::string video = test::dataFile("video/grid_s2_150f.mp4").string();
    if (run(cli + " new --workspace " + dir.string() + " --src " + video + " --dst " + video +
            log) != 0 ||
        run(cli + " extract --workspace " + dir.string() + " --side dst --set end=0.4" + log) !=
            0 ||
        run(cli + " align --workspace " + dir.string() + " --side dst" + log) != 0)
        return {};
    base = dir;
    return base;
}

Workspace copyOf(const std::string& name) {
    fs::path base = baseWorkspace();
    if (base.empty())
        throw std::runtime_error(
            "doppel new/extract/align failed (see test-tmp/merge_base/log.txt)");
    fs::path dir = test::scratchDir(name) / "ws";
    fs::copy(base, dir, fs::copy_options::recursive);
    return Workspace::open(dir);
}

size_t countFiles(const fs::path& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".png") ++n;
    return n;
}

StageResult merge(const Workspace& ws, FaceSwapper& swapper,
                  nlohmann::json options = nlohmann::json::object()) {
    NullProgressSink quiet;
    CancelToken never;
    return MergeStage::run(ws, MergeStage::optionSchema().resolve(options), swapper, {}, quiet,
                           never);
}

}  // namespace

TEST(MergeStage, MergesEveryFrameAndResumes) {
    Workspace ws = copyOf("merge_full");
    TintSwapper swapper;
    StageResult r = merge(ws, swapper);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.summary["frames_merged"], 10);
    EXPECT_EQ(r.summary["faces_merged"], 10);
    EXPECT_EQ(countFiles(ws.mergedDir()), 10u);
    EXPECT_EQ(countFiles(ws.mergedMaskDir()), 10u);
    EXPECT_EQ(ws.stageStatus("merge"), "done");

    cv::Mat frame = cv::imread((ws.framesDir(Side::Dst) / "000004.png").string());
    cv::Mat merged = cv::imread((ws.mergedDir() / "000004.png").string());
    cv::Mat mask = cv::imread((ws.mergedMaskDir() / "000004.png").string(), cv::IMREAD_GRAYSCALE);
    ASSERT_EQ(merged.size(), frame.size());
    // The double adds +0.3 red (~76 levels). RCT (the default) matches the Lab mean and std
    // inside the mask, so it takes that tint back out: the face's red mean ends within a couple
    // of levels of the frame's (measured: -0.5). The face was still replaced (it is not the
    // frame), and the corner changed only by the watermark merge puts over the whole frame.
    cv::Mat face = mask > 200;
    ASSERT_GT(cv::countNonZero(face), 2000);
    EXPECT_NEAR(cv::mean(merged, face)[2], cv::mean(frame, face)[2], 2.5);
    EXPECT_GT(cv::norm(merged, frame, cv::NORM_L1, face) / cv::countNonZero(face), 1.0);
    cv::Rect corner(0, 0, 40, 40);
    EXPECT_GT(cv::norm(merged(corner), frame(corner), cv::NORM_INF), 0.0);
    EXPECT_LE(cv::norm(merged(corner), frame(corner), cv::NORM_INF), Watermark::kAmplitude);
    EXPECT_TRUE(Watermark::detect(merged).detected);
    cv::imwrite((ws.root() / "side_by_side.png").string(), [&] {
        cv::Mat both;
        cv::hconcat(frame, merged, both);
        return both;
    }());

    fs::remove(ws.mergedDir() / "000003.png");
    StageResult again = merge(ws, swapper);
    ASSERT_TRUE(again.ok()) << again.message;
    EXPECT_EQ(again.summary["frames_merged"], 1);
    EXPECT_EQ(again.summary["frames_skipped_already_merged"], 9);

    // Without colour transfer the tint stays: the face region really comes from the model.
    // Without the watermark the rest of the frame is exactly the original.
    StageResult plain =
        merge(ws, swapper, {{"color", "none"}, {"watermark", false}, {"redo", true}});
    ASSERT_TRUE(plain.ok()) << plain.message;
    EXPECT_EQ(plain.summary["frames_merged"], 10);
    cv::Mat tinted = cv::imread((ws.mergedDir() / "000004.png").string());
    EXPECT_GT(cv::mean(tinted, face)[2], cv::mean(frame, face)[2] + 30.0);
    EXPECT_EQ(cv::norm(tinted(corner), frame(corner), cv::NORM_INF), 0.0);
}

// A face with a drawn mask (mask editor) is swapped only inside it: here the left half of the
// aligned face; the right half (say, a hand) keeps the destination's pixels.
TEST(MergeStage, ADrawnMaskKeepsWhatWasDrawnOut) {
    Workspace ws = copyOf("merge_drawn");
    TintSwapper swapper;
    const fs::path sidecar = ws.alignedDir(Side::Dst) / "000004_0.json";
    AlignedFace face = readAlignedFace(sidecar);
    const float s = float(face.size);
    face.maskPolygons = {{true, {{0, 0}, {s / 2, 0}, {s / 2, s}, {0, s}}}};
    writeAlignedFace(sidecar, face);
    StageResult r = merge(ws, swapper, {{"watermark", false}, {"color", "none"}});
    ASSERT_TRUE(r.ok()) << r.message;
    cv::Mat frame = cv::imread((ws.framesDir(Side::Dst) / "000004.png").string());
    cv::Mat merged = cv::imread((ws.mergedDir() / "000004.png").string());
    cv::Mat mask = cv::imread((ws.mergedMaskDir() / "000004.png").string(), cv::IMREAD_GRAYSCALE);
    auto toFrame = [](const AlignedFace& f, double ax, double ay) {
        auto [x, y] = f.alignedToFrame({float(ax), float(ay)});
        return cv::Point(int(std::lround(x)), int(std::lround(y)));
    };
    const cv::Point left = toFrame(face, 0.35 * s, 0.55 * s),
                    right = toFrame(face, 0.65 * s, 0.55 * s);
    EXPECT_GT(mask.at<uint8_t>(left), 200);
    EXPECT_EQ(mask.at<uint8_t>(right), 0);
    EXPECT_GT(std::abs(merged.at<cv::Vec3b>(left)[2] - frame.at<cv::Vec3b>(left)[2]), 30);
    EXPECT_EQ(merged.at<cv::Vec3b>(right), frame.at<cv::Vec3b>(right));
    // Frame 5 has no drawn mask: its right cheek is swapped as usual.
    AlignedFace other = readAlignedFace(ws.alignedDir(Side::Dst) / "000005_0.json");
    cv::Mat otherMask =
        cv::imread((ws.mergedMaskDir() / "000005.png").string(), cv::IMREAD_GRAYSCALE);
    const cv::Point otherRight = toFrame(other, 0.65 * s, 0.55 * s);
    EXPECT_GT(otherMask.at<uint8_t>(otherRight), 200);
}

TEST(MergeStage, CancelThenContinue) {
    Workspace ws = copyOf("merge_cancel");
    TintSwapper swapper;
    CancelToken token;
    CancelAfter sink(token, 2);
    nlohmann::json options = MergeStage::optionSchema().resolve({{"threads", 1}, {"batch", 2}});
    StageResult first = MergeStage::run(ws, options, swapper, {}, sink, token);
    EXPECT_EQ(first.status, StageStatus::Cancelled);
    EXPECT_EQ(first.exitCode(), 130);
    EXPECT_EQ(ws.stageStatus("merge"), "cancelled");
    int64_t doneFirst = first.summary["frames_merged"];
    EXPECT_GE(doneFirst, 2);
    EXPECT_LT(doneFirst, 10);
    StageResult rest = merge(ws, swapper);
    ASSERT_TRUE(rest.ok()) << rest.message;
    EXPECT_EQ(rest.summary["frames_merged"].get<int64_t>() + doneFirst, 10);
}

TEST(MergeStage, NewSettingsMergeEveryFrameAgainAndACutRunResumes) {
    Workspace ws = copyOf("merge_new_settings");
    TintSwapper swapper;
    ASSERT_EQ(merge(ws, swapper).summary["frames_merged"], 10);
    StageResult same = merge(ws, swapper);
    EXPECT_EQ(same.summary["frames_merged"], 0);
    EXPECT_EQ(same.summary["frames_skipped_already_merged"], 10);
    // Another erosion: what the user asks for by merging again (DeepFaceLab's merger too).
    StageResult eroded = merge(ws, swapper, {{"erode", 10}});
    EXPECT_EQ(eroded.summary["frames_merged"], 10);
    // How many threads merge changes nothing in the output: nothing merged again.
    EXPECT_EQ(merge(ws, swapper, {{"erode", 10}, {"threads", 1}}).summary["frames_merged"], 0);

    // Cut short with new settings, then continued: the frames made with them are kept, the
    // ones made with the old settings are not.
    CancelToken token;
    CancelAfter sink(token, 2);
    const nlohmann::json wider =
        MergeStage::optionSchema().resolve({{"erode", 20}, {"threads", 1}, {"batch", 2}});
    StageResult cut = MergeStage::run(ws, wider, swapper, {}, sink, token);
    ASSERT_EQ(cut.status, StageStatus::Cancelled);
    const int64_t doneFirst = cut.summary["frames_merged"];
    StageResult rest = merge(ws, swapper, {{"erode", 20}});
    ASSERT_TRUE(rest.ok()) << rest.message;
    EXPECT_EQ(rest.summary["frames_merged"].get<int64_t>(), 10 - doneFirst);
}

TEST(MergeStage, FramesWithoutFacePassThroughUnchanged) {
    Workspace ws = copyOf("merge_passthrough");
    fs::remove(ws.alignedDir(Side::Dst) / "000005_0.jpg");  // deleted in review
    TintSwapper swapper;
    StageResult r = merge(ws, swapper);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.summary["frames_without_face"], 1);
    cv::Mat frame = cv::imread((ws.framesDir(Side::Dst) / "000005.png").string());
    cv::Mat merged = cv::imread((ws.mergedDir() / "000005.png").string());
    EXPECT_EQ(cv::norm(frame, merged, cv::NORM_INF), 0.0);
}

// A destination face deleted by hand after merging (a file manager, not the studio's review):
// the next merge makes that frame again, as the original frame, instead of keeping the swap.
TEST(MergeStage, AFaceDeletedByHandAfterMergingIsMergedAgain) {
    Workspace ws = copyOf("merge_hand_deleted");
    TintSwapper swapper;
    ASSERT_TRUE(merge(ws, swapper).ok());
    std::string first;
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 0);
    for (const char* extension : {".jpg", ".json"})
        fs::remove(ws.alignedDir(Side::Dst) / (std::string("000006_0") + extension));
    // Status and export see it before any merge: that frame is out of date.
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 1);
    EXPECT_EQ(first, "000006.png");
    StageResult again = merge(ws, swapper);
    ASSERT_TRUE(again.ok()) << again.message;
    EXPECT_EQ(again.summary["frames_merged"], 1);
    EXPECT_EQ(again.summary["frames_skipped_already_merged"], 9);
    cv::Mat mask = cv::imread((ws.mergedMaskDir() / "000006.png").string(), cv::IMREAD_GRAYSCALE);
    EXPECT_EQ(cv::countNonZero(mask), 0);
    // And once made again, it stays made.
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 0);
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 0);
}

TEST(MergeStage, ClearErrors) {
    Workspace ws = copyOf("merge_errors");
    TintSwapper wholeFace("whole_face");
    StageResult r = merge(ws, wholeFace);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.message.find("whole_face"), std::string::npos) << r.message;

    std::ofstream(ws.mergedDir()) << "not a folder";
    TintSwapper swapper;
    r = merge(ws, swapper);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.message.find("merged"), std::string::npos) << r.message;
    EXPECT_EQ(ws.stageStatus("merge"), "failed");

    fs::remove(ws.mergedDir());
    fs::remove_all(ws.alignedDir(Side::Dst));
    r = merge(ws, swapper);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.message.find("aligned"), std::string::npos) << r.message;
}

TEST(MergeCli, MissingModelAndSavedRanges) {
    Workspace ws = copyOf("merge_cli");
    std::string cli = test::cliPath().string(), dir = ws.root().string();
    std::string errFile = (ws.root().parent_path() / "err.txt").string();
    EXPECT_EQ(run(cli + " merge --workspace " + dir + " --model nope 2>" + errFile), 1);
    std::ifstream in(errFile);
    std::string err((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NE(err.find("nope"), std::string::npos) << err;

    EXPECT_EQ(run(cli + " merge --workspace " + dir +
                  " --frames 3-5 --set erode=40 --set blend=seamless --save-range >/dev/null"),
              0);
    EXPECT_EQ(run(cli + " merge --workspace " + dir +
                  " --frames 3-5 --set erode=9999 --save-range 2>/dev/null"),
              2);
    nlohmann::json overrides = ws.project()["options"]["merge.overrides"];
    ASSERT_EQ(overrides.size(), 1u);
    EXPECT_EQ(overrides[0]["first"], 3);
    EXPECT_EQ(overrides[0]["set"]["erode"], 40);
    // Choice options validate in the CLI too (their lists are built during static init).
    EXPECT_EQ(overrides[0]["set"]["blend"], "seamless");

    // The stage applies the stored override to frames 3-5 only: their masks are smaller.
    TintSwapper swapper;
    ASSERT_TRUE(merge(ws, swapper).ok());
    auto maskArea = [&](const std::string& name) {
        return cv::countNonZero(
            cv::imread((ws.mergedMaskDir() / name).string(), cv::IMREAD_GRAYSCALE) > 128);
    };
    EXPECT_LT(maskArea("000004.png"), 0.8 * maskArea("000002.png"));
    EXPECT_LT(maskArea("000004.png"), 0.8 * maskArea("000007.png"));
}

TEST(MergeStage, ARangeRedoOrARangeSettingRemergesOnlyItsFrames) {
    Workspace ws = copyOf("merge_ranges");
    TintSwapper swapper;
    ASSERT_EQ(merge(ws, swapper).summary["frames_merged"], 10);
    NullProgressSink quiet;
    CancelToken never;
    const nlohmann::json redo = MergeStage::optionSchema().resolve({{"redo", true}});
    StageResult ranged = MergeStage::run(ws, redo, swapper, {3, 4}, quiet, never);
    EXPECT_EQ(ranged.summary["frames_merged"], 2);
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 0);  // the others stayed up to date

    // A setting for frames 5-6 (the studio's "save for this range"): those two frames only.
    auto setOverrides = [&](const nlohmann::json& list) {
        ws.updateProject([&](nlohmann::json& p) { p["options"]["merge.overrides"] = list; });
    };
    setOverrides({{{"first", 5}, {"last", 6}, {"set", {{"erode", 15}}}}});
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 2);
    setOverrides({{{"first", 5}, {"last", 7}, {"set", {{"erode", 15}}}}});
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 1);  // frame 7 joined
    setOverrides(nlohmann::json::array());
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 3);  // back to the settings of all
    std::string first;
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 0);

    // New settings merged for a range only: the other frames are out of date (export refuses).
    const nlohmann::json eroded = MergeStage::optionSchema().resolve({{"erode", 30}});
    ASSERT_TRUE(MergeStage::run(ws, eroded, swapper, {1, 3}, quiet, never).ok());
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 7);
    EXPECT_EQ(first, "000004.png");
    EXPECT_EQ(merge(ws, swapper, {{"erode", 30}}).summary["frames_merged"], 7);
    EXPECT_EQ(MergeState::framesOutOfDate(ws, first), 0);
}

TEST(MergeStage, FacesAlignedAgainOrFramesFromAnOlderDoppelAreJudgedRight) {
    Workspace ws = copyOf("merge_inputs");
    TintSwapper swapper;
    ASSERT_EQ(merge(ws, swapper).summary["frames_merged"], 10);
    // An align that resumed every frame changed nothing; one that aligned again did.
    ws.setStageStatus("align.dst", "done", "", false);
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 0);
    ws.setStageStatus("align.dst", "done");
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 10);

    // Merged before merge_state.json existed: the settings saved by that merge tell what the
    // frames are made with, so new settings are noticed and the same ones are not.
    fs::remove(ws.mergedDir() / "merge_state.json");
    EXPECT_EQ(merge(ws, swapper).summary["frames_merged"], 0);
    fs::remove(ws.mergedDir() / "merge_state.json");
    EXPECT_EQ(merge(ws, swapper, {{"mask", "predicted"}}).summary["frames_merged"], 10);
}

TEST(MergeStage, WarningsSayWhyAFaceWasNotSwapped) {
    Workspace ws = copyOf("merge_warnings");
    TintSwapper swapper;
    auto warned = [](const StageResult& r, const std::string& text) {
        for (const auto& w : r.warnings)
            if (w.find(text) != std::string::npos) return true;
        return false;
    };
    // Eroded to nothing: the frames have faces, which is not what "no aligned face" says.
    StageResult eroded = merge(ws, swapper, {{"erode", 200}});
    ASSERT_TRUE(eroded.ok()) << eroded.message;
    EXPECT_EQ(eroded.summary["frames_without_face"], 0);
    EXPECT_EQ(eroded.summary["frames_masked_out"], 10);
    EXPECT_TRUE(warned(eroded, "mask came out empty (erode 200)"));
    EXPECT_FALSE(warned(eroded, "no aligned face"));
    // mask=xseg before xseg-apply: the hull stands in, and the user is told.
    StageResult xseg = merge(ws, swapper, {{"mask", "xseg"}});
    ASSERT_TRUE(xseg.ok()) << xseg.message;
    EXPECT_TRUE(warned(xseg, "10 face(s) have no XSeg mask"));
}
