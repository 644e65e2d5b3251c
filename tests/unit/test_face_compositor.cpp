// Compositing: an identity model must give the frame back (within warp tolerance in the face
// region, exactly outside it); blend modes, face scale, colour transfer and the previewer cache.
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "merge/FaceCompositor.h"
#include "merge/MergePreviewer.h"
#include "merge/Watermark.h"
#include "support/TestSupport.h"

using namespace doppel;

namespace {

// Mean-face points 17..67 (algorithms.md §1.2) plus a jaw arc, in the unit square.
std::vector<cv::Point2d> unitFace() {
    const double pts[51][2] = {
        {0.000213, 0.106454}, {0.075262, 0.038915}, {0.181130, 0.018748}, {0.290770, 0.034489},
        {0.393397, 0.077391}, {0.586856, 0.077391}, {0.689483, 0.034489}, {0.799124, 0.018748},
        {0.904991, 0.038915}, {0.980040, 0.106454}, {0.490127, 0.203352}, {0.490127, 0.307009},
        {0.490127, 0.409805}, {0.490127, 0.515625}, {0.366880, 0.587326}, {0.426036, 0.609345},
        {0.490127, 0.628106}, {0.554217, 0.609345}, {0.613373, 0.587326}, {0.121737, 0.216423},
        {0.187122, 0.178758}, {0.265825, 0.179852}, {0.334606, 0.231733}, {0.260918, 0.245099},
        {0.182743, 0.244077}, {0.645647, 0.231733}, {0.714428, 0.179852}, {0.793132, 0.178758},
        {0.858516, 0.216423}, {0.797510, 0.244077}, {0.719335, 0.245099}, {0.254149, 0.780233},
        {0.340985, 0.745405}, {0.428858, 0.727388}, {0.490127, 0.742578}, {0.551395, 0.727388},
        {0.639268, 0.745405}, {0.726104, 0.780233}, {0.642159, 0.864805}, {0.556721, 0.902192},
        {0.490127, 0.909281}, {0.423532, 0.902192}, {0.338094, 0.864805}, {0.290379, 0.784792},
        {0.428096, 0.778746}, {0.490127, 0.785343}, {0.552157, 0.778746}, {0.689874, 0.784792},
        {0.553364, 0.824182}, {0.490127, 0.831803}, {0.426890, 0.824182}};
    std::vector<cv::Point2d> out;
    for (int i = 0; i < 17; ++i) {
        double t = i / 16.0;
        out.emplace_back(0.49 - 0.5 * std::cos(CV_PI * t), 0.2 + 0.95 * std::sin(CV_PI * t));
    }
    for (const auto& p : pts) out.emplace_back(p[0], p[1]);
    return out;
}

// A face whose unit square sits at `origin` with side `scale` frame px; aligned like "full".
AlignedFace syntheticFace(cv::Point2d origin, double scale, int size, const cv::Size& frame) {
    AlignedFace f;
    f.sourceFrame = "000001.png";
    f.frameIndex = 1;
    f.size = size;
    f.frameWidth = frame.width, f.frameHeight = frame.height;
    for (const auto& u : unitFace())
        f.landmarks.push_back({float(origin.x + u.x * scale), float(origin.y + u.y * scale)});
    double a = 0.625 * size / scale;
    f.frameToAligned = {a, 0, -origin.x * a + 0.1875 * size, 0, a, -origin.y * a + 0.1875 * size};
    f.box = {float(origin.x), float(origin.y), float(scale), float(scale)};
    return f;
}

class TestSwapper : public FaceSwapper {
  public:
    TestSwapper(int res, cv::Scalar shift = cv::Scalar(0, 0, 0)) : res_(res), shift_(shift) {}
    int resolution() const override { return res_; }
    std::string faceType() const override { return "full"; }
    std::string describe() const override { return "test double"; }
    std::vector<SwapPrediction> predict(const std::vector<ImageU8>& faces) override {
        ++calls;
        std::vector<SwapPrediction> out;
        for (const auto& f : faces) {
            cv::Mat face;
            toMat(f).convertTo(face, CV_32FC3, 1.0 / 255.0);
            face += shift_;
            SwapPrediction p;
            p.face = ImageF32(res_, res_, 3);
            face.copyTo(cv::Mat(res_, res_, CV_32FC3, p.face.pixels.data()));
            p.predictedMask = ImageF32(res_, res_, 1, 1.0f);
            p.dstMask = ImageF32(res_, res_, 1, 1.0f);
            out.push_back(std::move(p));
        }
        return out;
    }
    int calls = 0;

  private:
    int res_;
    cv::Scalar shift_;
};

cv::Mat loadPhoto() {
    cv::Mat img = cv::imread(test::dataFile("photos/grace_hopper.jpg").string(), cv::IMREAD_COLOR);
    EXPECT_FALSE(img.empty());
    return img;
}

struct Merged {
    cv::Mat frame, mask;
    cv::Rect region;
};

Merged mergeOnce(const cv::Mat& frame, const AlignedFace& face, TestSwapper& swapper,
                 const MergeSettings& s) {
    FaceMergeInput in;
    in.face = face;
    in.alignedDst = FaceCompositor::warpToAligned(frame, face, swapper.resolution());
    in.prediction = FaceCompositor::predictBatched(swapper, {in.alignedDst}, 8).at(0);
    PreparedFace prepared = FaceCompositor::prepare(in, s);
    Merged m{frame.clone(), cv::Mat::zeros(frame.size(), CV_8UC1), {}};
    m.region = FaceCompositor::composite(m.frame, m.mask, prepared, s);
    return m;
}

MergeSettings plainSettings() {
    MergeSettings s;
    s.watermark = false;
    s.color = ColorMode::None;
    return s;
}

double meanAbsDiff(const cv::Mat& a, const cv::Mat& b, const cv::Mat& where) {
    cv::Mat d;
    cv::absdiff(a, b, d);
    cv::Scalar m = cv::mean(d, where);
    return (m[0] + m[1] + m[2]) / 3.0;
}

// Mean abs difference a cubic warp into aligned space at `res` and back costs, inside `where`.
double roundTripLoss(const cv::Mat& frame, const AlignedFace& face, int res, const cv::Mat& where) {
    const double k = double(res) / face.size;
    const auto& a = face.frameToAligned;
    cv::Matx23d toAligned(a[0] * k, a[1] * k, a[2] * k, a[3] * k, a[4] * k, a[5] * k);
    cv::Mat aligned, back;
    cv::warpAffine(frame, aligned, toAligned, {res, res}, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    cv::warpAffine(aligned, back, toAligned, frame.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);
    return meanAbsDiff(back, frame, where);
}

}  // namespace

TEST(FaceCompositor, IdentityModelRoundTripsTheFrame) {
    cv::Mat frame = loadPhoto();
    AlignedFace face =
        syntheticFace({frame.cols * 0.3, frame.rows * 0.25}, frame.cols * 0.4, 256, frame.size());
    for (int res : {128, 256}) {
        for (ColorMode color : {ColorMode::None, ColorMode::Rct}) {
            TestSwapper swapper(res);
            MergeSettings s = plainSettings();
            s.color = color;
            Merged m = mergeOnce(frame, face, swapper, s);
            ASSERT_FALSE(m.region.empty());
            // Only the face's bounding region is touched, and it is much smaller than the frame.
            EXPECT_LT(m.region.area(), frame.size().area() / 2);
            cv::Mat outside(frame.size(), CV_8UC1, cv::Scalar(255));
            outside(m.region).setTo(0);
            EXPECT_EQ(cv::norm(m.frame, frame, cv::NORM_INF, outside), 0.0) << "res " << res;
            cv::Mat inside = m.mask > 128;
            ASSERT_GT(cv::countNonZero(inside), 1000);
            // The face is resampled to res px and back, which loses detail (the aligned square
            // spans ~330 frame px: at 128 px that is a 2.6x downsample). The bound is what a plain
            // cubic warp there and back loses on the same geometry; a misplaced or resampled-twice
            // composite (even by one pixel) is well above it.
            double lost = roundTripLoss(frame, face, res, inside);
            EXPECT_LT(lost, res == 128 ? 12.0 : 4.0) << "res " << res;
            EXPECT_LT(meanAbsDiff(m.frame, frame, inside), lost * 1.15 + 0.5) << "res " << res;
            cv::Mat maskZero = m.mask == 0;
            EXPECT_EQ(cv::norm(m.frame, frame, cv::NORM_INF, maskZero), 0.0);
        }
    }
}

TEST(FaceCompositor, ColourTransferPullsAShiftedFaceBack) {
    cv::Mat frame = loadPhoto();
    AlignedFace face =
        syntheticFace({frame.cols * 0.3, frame.rows * 0.25}, frame.cols * 0.4, 256, frame.size());
    TestSwapper bluish(128, cv::Scalar(0.25, -0.1, -0.1));
    MergeSettings s = plainSettings();
    Merged shifted = mergeOnce(frame, face, bluish, s);
    s.color = ColorMode::Rct;
    Merged corrected = mergeOnce(frame, face, bluish, s);
    cv::Mat inside = shifted.mask > 200;
    double before = meanAbsDiff(shifted.frame, frame, inside),
           after = meanAbsDiff(corrected.frame, frame, inside);
    EXPECT_GT(before, 20.0);
    EXPECT_LT(after, before / 3.0) << "before " << before << " after " << after;
}

TEST(FaceCompositor, BlendModesScaleAndWatermark) {
    cv::Mat frame = loadPhoto();
    AlignedFace face =
        syntheticFace({frame.cols * 0.3, frame.rows * 0.25}, frame.cols * 0.4, 256, frame.size());
    TestSwapper swapper(128, cv::Scalar(0.1, 0.1, 0.1));
    MergeSettings s = plainSettings();
    Merged overlay = mergeOnce(frame, face, swapper, s);
    double overlayArea = cv::countNonZero(overlay.mask > 128);

    s.faceScale = 20;
    Merged bigger = mergeOnce(frame, face, swapper, s);
    double ratio = cv::countNonZero(bigger.mask > 128) / overlayArea;
    EXPECT_NEAR(ratio, 1.44, 0.08);
    s.faceScale = 0;

    s.blend = BlendMode::Raw;
    Merged raw = mergeOnce(frame, face, swapper, s);
    // Raw pastes the whole predicted square: its mask covers the aligned square's footprint.
    EXPECT_GT(cv::countNonZero(raw.mask == 255), overlayArea);

    s.blend = BlendMode::Seamless;
    Merged seamless = mergeOnce(frame, face, swapper, s);
    cv::Mat inside = seamless.mask > 200;
    // Poisson cloning removes the constant +0.1 brightness offset the test model adds.
    EXPECT_LT(meanAbsDiff(seamless.frame, frame, inside),
              meanAbsDiff(overlay.frame, frame, inside) / 2);

    // composite() changes only the face's region; finishFrame() then marks the whole frame.
    s.blend = BlendMode::Overlay;
    s.watermark = true;
    Merged marked = mergeOnce(frame, face, swapper, s);
    cv::Mat outside(frame.size(), CV_8UC1, cv::Scalar(255));
    outside(marked.region).setTo(0);
    EXPECT_EQ(cv::norm(marked.frame, frame, cv::NORM_INF, outside), 0.0);
    cv::Mat finished = marked.frame.clone();
    FaceCompositor::finishFrame(finished, s, 1);
    EXPECT_GT(cv::norm(finished, marked.frame, cv::NORM_INF, outside), 0.0);
    EXPECT_TRUE(Watermark::detect(finished).detected);
    EXPECT_FALSE(Watermark::detect(marked.frame).detected);
    cv::Mat untouched = marked.frame.clone();
    FaceCompositor::finishFrame(untouched, s, 0);  // no face merged: the frame stays as it was
    EXPECT_EQ(cv::norm(untouched, marked.frame, cv::NORM_INF), 0.0);
    s.watermark = false;
    FaceCompositor::finishFrame(untouched, s, 1);
    EXPECT_EQ(cv::norm(untouched, marked.frame, cv::NORM_INF), 0.0);
}

TEST(FaceCompositor, FaceOffFrameIsSkipped) {
    cv::Mat frame = loadPhoto();
    AlignedFace face = syntheticFace({frame.cols * 3.0, frame.rows * 3.0}, 100, 256, frame.size());
    TestSwapper swapper(64);
    Merged m = mergeOnce(frame, face, swapper, plainSettings());
    EXPECT_TRUE(m.region.empty());
    EXPECT_EQ(cv::norm(m.frame, frame, cv::NORM_INF), 0.0);
}

TEST(MergePreviewer, SliderChangeReusesThePrediction) {
    auto dir = test::scratchDir("merge_previewer");
    cv::Mat frame = loadPhoto();
    cv::imwrite((dir / "000001.png").string(), frame);
    AlignedFace face =
        syntheticFace({frame.cols * 0.3, frame.rows * 0.25}, frame.cols * 0.4, 256, frame.size());
    MergeFrame mf{1, dir / "000001.png", {face}};
    TestSwapper swapper(128);
    MergePreviewer previewer(MergeSource({mf}), swapper);
    MergeSettings s = plainSettings();
    MergePreview first = previewer.render(1, s);
    EXPECT_FALSE(first.fromCache);
    EXPECT_EQ(first.faces, 1);
    s.erode = 30;
    s.color = ColorMode::Lct;
    MergePreview second = previewer.render(1, s);
    EXPECT_TRUE(second.fromCache);
    EXPECT_EQ(swapper.calls, 1);
    EXPECT_EQ(previewer.predictCalls(), 1);
    // More erosion: a smaller mask.
    EXPECT_LT(cv::countNonZero(second.mask), cv::countNonZero(first.mask));
    EXPECT_EQ(cv::norm(second.before, frame, cv::NORM_INF), 0.0);
    EXPECT_THROW(previewer.render(2, s), Error);
}
