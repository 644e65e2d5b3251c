// VideoReader on the committed clips: real FFmpeg decoding, frame count, timestamps, colour
// sanity, truncated and broken files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "common/Error.h"
#include "media/VideoReader.h"
#include "support/TestSupport.h"

using doppel::Error;
using doppel::ErrorCode;
using doppel::VideoFrame;
using doppel::VideoReader;
using doppel::test::dataFile;

TEST(VideoReader, ReportsStreamInfoOfGridClip) {
    VideoReader reader(dataFile("video/grid_s2_150f.mp4"));
    const auto& info = reader.info();
    EXPECT_EQ(info.width, 360);
    EXPECT_EQ(info.height, 288);
    EXPECT_NEAR(info.averageFps, 25.0, 1e-6);
    EXPECT_EQ(info.timeBaseNum, 1);
    EXPECT_EQ(info.timeBaseDen, 12800);
    EXPECT_NEAR(info.durationSeconds, 6.0, 0.05);
    EXPECT_EQ(info.frameCountEstimate, 150);
    EXPECT_EQ(info.codecName, "h264");
    EXPECT_FALSE(info.hasAudio);
    EXPECT_EQ(info.rotationDegrees, 0);
}

TEST(VideoReader, SeesTheAudioStream) {
    VideoReader reader(dataFile("video/grid_s2_150f_audio.mp4"));
    EXPECT_TRUE(reader.info().hasAudio);
}

TEST(VideoReader, Decodes150FramesWithTimestampsEvery40ms) {
    VideoReader reader(dataFile("video/grid_s2_150f.mp4"));
    VideoFrame frame;
    int count = 0;
    double previous = -1;
    double meanSum = 0;
    while (reader.read(frame)) {
        ASSERT_EQ(frame.index, count);
        ASSERT_EQ(frame.bgr.type(), CV_8UC3);
        ASSERT_EQ(frame.bgr.cols, 360);
        ASSERT_EQ(frame.bgr.rows, 288);
        if (count == 0)
            EXPECT_NEAR(frame.ptsSeconds, 0.0, 1e-9);
        else
            EXPECT_NEAR(frame.ptsSeconds - previous, 0.04, 1e-6) << "at frame " << count;
        previous = frame.ptsSeconds;
        cv::Scalar mean = cv::mean(frame.bgr);
        meanSum += (mean[0] + mean[1] + mean[2]) / 3;
        ++count;
    }
    EXPECT_EQ(count, 150);
    EXPECT_EQ(reader.framesDecoded(), 150);
    EXPECT_TRUE(reader.warning().empty()) << reader.warning();
    // A real picture, not a black or saturated buffer.
    double mean = meanSum / count;
    EXPECT_GT(mean, 30.0);
    EXPECT_LT(mean, 220.0);
}

TEST(VideoReader, SkippingConversionKeepsTimestamps) {
    VideoReader reader(dataFile("video/grid_s2_150f.mp4"));
    VideoFrame frame;
    int count = 0;
    while (reader.decodeNext(frame)) {
        EXPECT_TRUE(frame.bgr.empty());
        if (count == 100) {
            EXPECT_NEAR(frame.ptsSeconds, 4.0, 1e-6);
            cv::Mat bgr = reader.currentFrameBgr();
            EXPECT_EQ(bgr.size(), cv::Size(360, 288));
        }
        ++count;
    }
    EXPECT_EQ(count, 150);
}

TEST(VideoReader, TruncatedFileYieldsDecodableFramesAndAWarning) {
    VideoReader reader(dataFile("bad/truncated_30pct.mp4"));
    VideoFrame frame;
    int count = 0;
    while (reader.read(frame)) ++count;
    EXPECT_GE(count, 35);
    EXPECT_LE(count, 42);
    ASSERT_FALSE(reader.warning().empty());
    EXPECT_NE(reader.warning().find("truncated_30pct.mp4"), std::string::npos) << reader.warning();
    EXPECT_NE(reader.warning().find("stopped after " + std::to_string(count) + " frames"),
              std::string::npos)
        << reader.warning();
    EXPECT_EQ(reader.warning().find('\n'), std::string::npos);
}

namespace {
void expectInvalidInputNaming(const std::string& file, const std::string& problem) {
    try {
        VideoReader reader(dataFile(file));
        FAIL() << file << " opened";
    } catch (const Error& e) {
        std::string message = e.what();
        EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
        EXPECT_NE(message.find(file), std::string::npos) << message;
        EXPECT_NE(message.find(problem), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}
}  // namespace

TEST(VideoReader, EmptyFileThrowsNamingTheFile) {
    expectInvalidInputNaming("bad/empty.mp4", "empty");
}

TEST(VideoReader, TextFileThrowsNamingTheFile) {
    expectInvalidInputNaming("bad/notavideo.mp4", "not a readable video");
}

TEST(VideoReader, MissingFileIsNotFound) {
    try {
        VideoReader reader(dataFile("video/no_such_clip.mp4"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotFound);
        EXPECT_NE(std::string(e.what()).find("no_such_clip.mp4"), std::string::npos);
    }
}

// Full-range (yuvj420p, e.g. MJPEG from webcams and phones) must not be squeezed into limited
// range: encode a white frame and a black frame and check the extremes survive. Uses the ffmpeg
// command-line tool only to make the fixture; skipped where it is not installed.
TEST(VideoReader, FullRangeMjpegKeepsBlackAndWhite) {
    if (std::system("command -v ffmpeg > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "ffmpeg CLI not installed";
    auto dir = doppel::test::scratchDir("video_reader_fullrange");
    auto file = dir / "range.avi";
    std::string command =
        "ffmpeg -v error -y -f lavfi -i color=c=white:s=64x48:r=5:d=0.4 -f lavfi -i "
        "color=c=black:s=64x48:r=5:d=0.4 "
        "-filter_complex '[0][1]concat=n=2:v=1' -c:v mjpeg -pix_fmt yuvj420p -q:v 2 '" +
        file.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
    VideoReader reader(file);
    EXPECT_EQ(reader.info().pixelFormat, "yuvj420p");
    VideoFrame frame;
    double brightest = 0, darkest = 255;
    while (reader.read(frame)) {
        double mean = cv::mean(frame.bgr)[1];
        brightest = std::max(brightest, mean);
        darkest = std::min(darkest, mean);
    }
    // Limited-range handling would give ~235 and ~16 (or clip), full range gives ~255 and ~0.
    EXPECT_GT(brightest, 250.0);
    EXPECT_LT(darkest, 5.0);
}

// Anamorphic video (non-square pixels: DVD, HDV) comes out at its display size, as players show
// it, so faces are not squeezed and the export (square pixels) looks like the input. Fixture:
// the GRID clip stored 270 px wide with a 4:3 pixel aspect, i.e. shown at its original 360x288.
TEST(VideoReader, NonSquarePixelsComeOutAtTheDisplaySize) {
    if (std::system("command -v ffmpeg > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "ffmpeg CLI not installed";
    auto dir = doppel::test::scratchDir("video_reader_sar");
    auto file = dir / "anamorphic.mp4";
    std::string command = "ffmpeg -v error -y -i '" + dataFile("video/grid_s2_150f.mp4").string() +
                          "' -frames:v 5 -vf scale=270:288,setsar=4/3 -c:v libx264 -crf 18 '" +
                          file.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
    VideoReader anamorphic(file);
    EXPECT_EQ(anamorphic.info().width, 360);
    EXPECT_EQ(anamorphic.info().height, 288);
    EXPECT_EQ(anamorphic.info().sampleAspectNum, 4);
    EXPECT_EQ(anamorphic.info().sampleAspectDen, 3);
    VideoReader original(dataFile("video/grid_s2_150f.mp4"));
    VideoFrame stretched, reference;
    ASSERT_TRUE(anamorphic.read(stretched));
    ASSERT_TRUE(original.read(reference));
    ASSERT_EQ(stretched.bgr.size(), reference.bgr.size());
    // The same picture: a squeezed one (or one stretched wrongly) differs by far more than the
    // resampling and re-encoding do.
    cv::Mat difference;
    cv::absdiff(stretched.bgr, reference.bgr, difference);
    const cv::Scalar mean = cv::mean(difference);
    EXPECT_LT((mean[0] + mean[1] + mean[2]) / 3, 6.0);
    EXPECT_EQ(original.info().sampleAspectNum, 0);  // square pixels say nothing
}
