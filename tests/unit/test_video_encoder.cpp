// VideoEncoder: real libavcodec encodes read back with libavformat (frame count, rate, duration,
// audio, label), the lossless path bit-exact, the WebM audio re-encode, and the error paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

#include "common/Error.h"
#include "media/ExportLabel.h"
#include "media/VideoEncoder.h"
#include "media/VideoReader.h"
#include "support/TestSupport.h"

using namespace doppel;
namespace fs = std::filesystem;

namespace {

struct Clip {
    std::vector<cv::Mat> frames;
    std::vector<int64_t> pts;
    VideoStreamInfo info;
};

Clip decodeClip(const fs::path& path, int maxFrames = 1 << 30) {
    VideoReader reader(path);
    Clip clip;
    clip.info = reader.info();
    VideoFrame frame;
    while (int(clip.frames.size()) < maxFrames && reader.read(frame)) {
        clip.frames.push_back(frame.bgr.clone());
        clip.pts.push_back(frame.pts);
    }
    return clip;
}

VideoEncoderSettings settingsFor(const Clip& clip, const std::string& codec) {
    VideoEncoderSettings s;
    s.codec = codec;
    s.crf = 23;
    s.preset = "veryfast";
    s.width = clip.info.width;
    s.height = clip.info.height;
    s.timeBaseNum = clip.info.timeBaseNum;
    s.timeBaseDen = clip.info.timeBaseDen;
    s.fps = clip.info.averageFps;
    s.metadata = syntheticMediaTags();
    return s;
}

void encodeAll(VideoEncoder& encoder, const Clip& clip) {
    for (size_t i = 0; i < clip.frames.size(); ++i) encoder.writeFrame(clip.frames[i], clip.pts[i]);
    encoder.finish();
}

}  // namespace

TEST(VideoEncoder, H264RoundTripKeepsTimingAudioAndLabel) {
    const fs::path source = test::dataFile("video/grid_sbia1a_75f_audio.mp4");
    Clip clip = decodeClip(source);
    ASSERT_EQ(clip.frames.size(), 75u);
    fs::path out = test::scratchDir("encoder_h264") / "out.mp4";
    VideoEncoderSettings s = settingsFor(clip, "h264");
    s.audioSource = source;
    VideoEncoder encoder(out, s);
    encodeAll(encoder, clip);
    EXPECT_EQ(encoder.audioDescription(), "aac copied");
    ASSERT_TRUE(fs::exists(out));
    EXPECT_FALSE(fs::exists(encoder.temporaryPath()));

    MediaFileSummary m = inspectMediaFile(out);
    const MediaStreamSummary* video = m.firstOfType("video");
    const MediaStreamSummary* audio = m.firstOfType("audio");
    ASSERT_NE(video, nullptr);
    ASSERT_NE(audio, nullptr);
    EXPECT_EQ(video->codec, "h264");
    EXPECT_EQ(video->packets, 75);
    EXPECT_NEAR(video->fps, 25.0, 0.01);
    EXPECT_NEAR(video->durationSeconds, 3.0, 0.01);
    EXPECT_EQ(audio->codec, "aac");
    EXPECT_NEAR(audio->durationSeconds, 3.0, 0.1);
    EXPECT_NEAR(m.durationSeconds, 3.0, 0.1);
    ASSERT_TRUE(m.tags.count("digitalSourceType"));
    EXPECT_EQ(m.tags["digitalSourceType"], kTrainedAlgorithmicMediaUri);
    EXPECT_NE(m.tags["comment"].find("AI-generated"), std::string::npos);
    EXPECT_TRUE(checkSyntheticLabel(m.tags).labelled);
    // The source itself carries no label.
    EXPECT_FALSE(checkSyntheticLabel(inspectMediaFile(source).tags).labelled);
}

TEST(VideoEncoder, Ffv1IsLossless) {
    Clip clip = decodeClip(test::dataFile("video/grid_s2_150f.mp4"), 5);
    fs::path out = test::scratchDir("encoder_ffv1") / "out.mkv";
    VideoEncoder encoder(out, settingsFor(clip, "ffv1"));
    encodeAll(encoder, clip);
    Clip back = decodeClip(out);
    ASSERT_EQ(back.frames.size(), 5u);
    for (size_t i = 0; i < 5; ++i)
        EXPECT_EQ(cv::norm(back.frames[i], clip.frames[i], cv::NORM_INF), 0) << "frame " << i;
    EXPECT_TRUE(checkSyntheticLabel(inspectMediaFile(out).tags).labelled)
        << "Matroska keeps the tags";
}

TEST(VideoEncoder, WebmGetsOpusAudioAndProresGets422) {
    const fs::path source = test::dataFile("video/grid_sbia1a_75f_audio.mp4");
    Clip clip = decodeClip(source, 25);
    fs::path dir = test::scratchDir("encoder_webm");
    VideoEncoderSettings s = settingsFor(clip, "vp9");
    s.audioSource = source;
    VideoEncoder webm(dir / "out.webm", s);
    encodeAll(webm, clip);
    MediaFileSummary m = inspectMediaFile(dir / "out.webm");
    ASSERT_NE(m.firstOfType("audio"), nullptr);
    EXPECT_EQ(m.firstOfType("audio")->codec, "opus");  // AAC cannot go into WebM
    EXPECT_EQ(m.firstOfType("video")->codec, "vp9");
    EXPECT_EQ(m.firstOfType("video")->packets, 25);

    VideoEncoder mov(dir / "out.mov", settingsFor(clip, "prores"));
    encodeAll(mov, clip);
    MediaFileSummary p = inspectMediaFile(dir / "out.mov");
    EXPECT_EQ(p.firstOfType("video")->codec, "prores");
    EXPECT_TRUE(checkSyntheticLabel(p.tags).labelled);
    EXPECT_EQ(VideoReader(dir / "out.mov").info().pixelFormat, "yuv422p10le");
}

TEST(VideoEncoder, UnwritablePathFailsBeforeEncodingAndNamesTheFile) {
    Clip clip = decodeClip(test::dataFile("video/grid_s2_150f.mp4"), 1);
    const fs::path bad = "/nonexistent-doppel-dir/out.mp4";
    try {
        VideoEncoder encoder(bad, settingsFor(clip, "h264"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Io);
        EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(bad));
    EXPECT_THROW(
        VideoEncoder(test::scratchDir("encoder_codec") / "x.mp4", settingsFor(clip, "mpeg9")),
        Error);
    // A container that cannot hold the codec is refused up front.
    EXPECT_THROW(
        VideoEncoder(test::scratchDir("encoder_codec2") / "x.webm", settingsFor(clip, "h265")),
        Error);
}

TEST(VideoEncoder, AbandonedEncodeLeavesNoFile) {
    Clip clip = decodeClip(test::dataFile("video/grid_s2_150f.mp4"), 10);
    fs::path dir = test::scratchDir("encoder_abandon");
    fs::path out = dir / "out.mp4";
    fs::path partial;
    {
        VideoEncoder encoder(out, settingsFor(clip, "h264"));
        partial = encoder.temporaryPath();
        for (size_t i = 0; i < clip.frames.size(); ++i)
            encoder.writeFrame(clip.frames[i], clip.pts[i]);
        EXPECT_TRUE(fs::exists(partial));
        EXPECT_FALSE(fs::exists(out));
    }  // destroyed without finish(): an error or a cancel
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(partial));
    EXPECT_TRUE(fs::is_empty(dir));
}

// HEVC in MP4 is tagged "hvc1", which Apple's players need (FFmpeg's default "hev1" is refused).
TEST(VideoEncoder, H265InMp4IsTaggedForApplePlayers) {
    Clip clip = decodeClip(test::dataFile("video/grid_sbia1a_75f_audio.mp4"), 5);
    const fs::path out = test::scratchDir("encoder_hvc1") / "out.mp4";
    VideoEncoder encoder(out, settingsFor(clip, "h265"));
    encodeAll(encoder, clip);
    AVFormatContext* format = nullptr;
    ASSERT_EQ(avformat_open_input(&format, out.string().c_str(), nullptr, nullptr), 0);
    ASSERT_EQ(avformat_find_stream_info(format, nullptr) >= 0, true);
    const AVCodecParameters* video = format->streams[0]->codecpar;
    EXPECT_EQ(video->codec_id, AV_CODEC_ID_HEVC);
    EXPECT_EQ(video->codec_tag, MKTAG('h', 'v', 'c', '1'));
    avformat_close_input(&format);
}
