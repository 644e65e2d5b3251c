#pragma once
// Invisible synthetic-media watermark that merge embeds over every frame it swapped a face in;
// survives H.264 CRF 35, and a downscale to half size followed by CRF 28. `doppel verify` uses
// detect() (images) and WatermarkVideoDetector (videos). See docs/synthetic-media.md for the design
// and measured rates.
//
// Design in one paragraph: the frame is divided into a grid of square cells whose size is a fixed
// fraction of the frame height (kGridRows rows), so the grid scales with the frame and a resized
// copy still lines up with it. Each cell carries a keyed pseudo-random sign; embedding adds
// +amplitude to blue and -amplitude to red (a chroma change, nearly no luminance change) in the
// cells of the frame (embedFrame) or of a region (embed). Chroma because skin and backgrounds are
// mostly flat in colour: the picture hides far less of the mark there than in luminance, and the
// eye is less sensitive to it. detect() averages B-R per cell (area resampling to the grid),
// removes the picture with a neighbour-mean predictor, and correlates the residual with the keyed
// signs in sliding windows of several sizes, so it needs no face region. Each window gives a
// z-statistic (about N(0,1) on unmarked frames); the score is the maximum over windows. Videos
// are scored on the mean of their frames, which averages coding noise and moving picture detail
// away while the mark stays.
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

struct WatermarkDetection {
    bool detected = false;
    double score = 0;  ///< detector statistic; compared against threshold
    double threshold = 0;
};

class Watermark {
  public:
    /// Rows of the cell grid over the frame height (cells are square).
    static constexpr int kGridRows = 36;
    /// Blue/red change per pixel at strength 1.0, in 8-bit levels (PSNR in the region ~41.5 dB).
    static constexpr double kAmplitude = 3.0;
    /// Score above which a frame (or a video's aggregate) is reported as watermarked.
    static constexpr double kThreshold = 5.0;
    /// The key every Doppel export uses (the mark says "made by Doppel", not who made it).
    static uint64_t defaultKey();

    /// Embeds the mark over the whole of `frame` (BGR 8-bit): what merge does to each frame it
    /// swapped a face in (about 6x the cells of a face region alone, hence the robustness).
    static void embedFrame(cv::Mat& frame, double strength = 1.0, uint64_t key = defaultKey());
    /// Embeds the mark into `frame` (BGR 8-bit) inside `faceRegion` (clipped to the frame),
    /// feathered over the region's outer tenth.
    static void embed(cv::Mat& frame, const cv::Rect& faceRegion, double strength = 1.0);
    static void embed(cv::Mat& frame, const cv::Rect& faceRegion, double strength, uint64_t key);
    /// Looks for the mark anywhere in the frame (any scale the export or a re-encode produced).
    static WatermarkDetection detect(const cv::Mat& frame);
    static WatermarkDetection detect(const cv::Mat& frame, uint64_t key);
};

/// Aggregates the detector over the frames of one video: the B-R planes are averaged over the
/// frames and the mean is scored like one image (an unmarked video's mean is just another
/// unmarked picture, so the false-positive rate stays that of one frame).
class WatermarkVideoDetector {
  public:
    explicit WatermarkVideoDetector(uint64_t key = Watermark::defaultKey());
    /// BGR 8-bit or grey; every frame must have the size of the first one (others are skipped).
    void addFrame(const cv::Mat& frame);
    int frameCount() const { return frames_; }
    WatermarkDetection result() const;

  private:
    uint64_t key_;
    int frames_ = 0;
    cv::Size size_;
    cv::Mat chromaSum_;  ///< CV_32F sum over frames of B-R
};

}  // namespace doppel
