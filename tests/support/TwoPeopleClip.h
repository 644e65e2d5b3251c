#pragma once
// A scene with two people for the tests of choosing whom to swap: the first frames of the two
// GRID speakers side by side (s2 on the left, sbia on the right, or trading places part way),
// 720x288 at 25 fps, encoded
// with the project's own encoder. Needs doppel_core (FFmpeg).
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

#include "media/VideoEncoder.h"
#include "media/VideoReader.h"
#include "support/TestSupport.h"

namespace doppel::test {

/// `tradeAfter` > 0: from that frame on the two trade places, as at a cut.
inline std::filesystem::path twoPeopleClip(const std::filesystem::path& dir, int frames = 12,
                                           int tradeAfter = 0) {
    const std::filesystem::path out =
        dir / (tradeAfter > 0 ? "two_people_trading.mp4" : "two_people.mp4");
    if (std::filesystem::exists(out)) return out;
    VideoReader left(dataFile("video/grid_s2_150f.mp4"));
    VideoReader right(dataFile("video/grid_sbia1a_75f_audio.mp4"));
    VideoEncoderSettings settings;
    settings.crf = 18;
    settings.preset = "veryfast";
    settings.width = left.info().width * 2;
    settings.height = left.info().height;
    settings.audio = "none";
    VideoEncoder encoder(out, settings);
    VideoFrame a, b;
    for (int i = 0; i < frames && left.read(a) && right.read(b); ++i) {
        cv::Mat both;
        if (tradeAfter > 0 && i >= tradeAfter)
            cv::hconcat(b.bgr, a.bgr, both);
        else
            cv::hconcat(a.bgr, b.bgr, both);
        encoder.writeFrame(both, i);
    }
    encoder.finish();
    return out;
}

}  // namespace doppel::test
