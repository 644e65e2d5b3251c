#pragma once
// Invisible synthetic-media watermark embedded in the merged face region; survives H.264 CRF 28
// and a downscale to half size. `doppel verify` uses detect().
#include <opencv2/core.hpp>

namespace doppel {

struct WatermarkDetection {
    bool detected = false;
    double score = 0;  ///< detector statistic; compared against threshold
    double threshold = 0;
};

class Watermark {
public:
    /// Embeds the mark into `frame` (BGR 8-bit) inside `faceRegion` (clipped to the frame).
    static void embed(cv::Mat& frame, const cv::Rect& faceRegion, double strength = 1.0);
    /// Looks for the mark anywhere in the frame (any scale the export or a re-encode produced).
    static WatermarkDetection detect(const cv::Mat& frame);
};

}  // namespace doppel
