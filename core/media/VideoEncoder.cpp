#include "media/VideoEncoder.h"

#include <cmath>
#include <system_error>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "media/MuxAudioTrack.h"

namespace doppel {
namespace fs = std::filesystem;
namespace {

std::string avErrorText(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, text, sizeof text);
    return text;
}

struct CodecChoice {
    const char* name;     ///< our option value
    const char* encoder;  ///< libavcodec encoder name
    AVPixelFormat pixelFormat;
    const char* extension;
};

const CodecChoice kCodecs[] = {
    {"h264", "libx264", AV_PIX_FMT_YUV420P, ".mp4"},
    {"h265", "libx265", AV_PIX_FMT_YUV420P, ".mp4"},
    {"vp9", "libvpx-vp9", AV_PIX_FMT_YUV420P, ".webm"},
    {"prores", "prores_ks", AV_PIX_FMT_YUV422P10LE,
     ".mov"},                                   // prores_ks takes only 4:2:2/4:4:4 10-bit
    {"ffv1", "ffv1", AV_PIX_FMT_BGR0, ".mkv"},  // lossless RGB: no colour conversion loss
};

const CodecChoice& findCodec(const std::string& name) {
    for (const auto& c : kCodecs)
        if (name == c.name) return c;
    throw Error(ErrorCode::BadOption,
                "unknown codec '" + name + "' (use h264, h265, vp9, prores or ffv1)");
}

bool isYuv(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && !(d->flags & AV_PIX_FMT_FLAG_RGB);
}

}  // namespace

std::string defaultContainerExtension(const std::string& codec) {
    return findCodec(codec).extension;
}

std::vector<std::string> availableVideoCodecs() {
    std::vector<std::string> out;
    for (const auto& c : kCodecs)
        if (avcodec_find_encoder_by_name(c.encoder)) out.push_back(c.name);
    return out;
}

struct VideoEncoder::Impl {
    fs::path outputPath;
    fs::path tempPath;
    VideoEncoderSettings settings;
    AVFormatContext* format = nullptr;
    AVCodecContext* encoder = nullptr;
    AVStream* stream = nullptr;
    SwsContext* scaler = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* packet = nullptr;
    std::unique_ptr<MuxAudioTrack> audio;
    std::string audioDescription = "none";
    bool fileOpen = false;
    bool headerWritten = false;
    bool finished = false;
    int64_t frames = 0;
    int64_t lastPts = INT64_MIN;
    double lastFrameEndSeconds = 0;
    int64_t frameDuration = 1;  ///< one frame in the encoder's time base

    ~Impl() { release(); }

    void release() {
        audio.reset();
        if (format) {
            if (fileOpen) avio_closep(&format->pb);
            avformat_free_context(format);
            format = nullptr;
        }
        fileOpen = false;
        avcodec_free_context(&encoder);
        av_frame_free(&frame);
        av_packet_free(&packet);
        sws_freeContext(scaler);
        scaler = nullptr;
    }

    void removeTemp() {
        std::error_code ec;
        fs::remove(tempPath, ec);
    }

    void checkIo(int rc, const std::string& what) {
        if (rc < 0)
            throw Error(ErrorCode::Io,
                        outputPath.string() + ": " + what + " failed (" + avErrorText(rc) + ")");
        if (format && format->pb && format->pb->error < 0)
            throw Error(ErrorCode::Io, outputPath.string() + ": " + what + " failed (" +
                                           avErrorText(format->pb->error) + ")");
    }

    /// Drains the encoder's packets into the file, audio interleaved up to each packet's time.
    void writePackets() {
        while (true) {
            int rc = avcodec_receive_packet(encoder, packet);
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
            if (rc < 0)
                throw Error(ErrorCode::Internal, "video encoding failed: " + avErrorText(rc));
            // Without a duration the MP4 muxer drops the last frame's length from the total.
            if (packet->duration <= 0) packet->duration = frameDuration;
            double seconds = double(packet->pts) * av_q2d(encoder->time_base);
            if (audio) audio->writeUntil(seconds);
            av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
            packet->stream_index = stream->index;
            checkIo(av_interleaved_write_frame(format, packet), "writing video");
        }
    }
};

VideoEncoder::VideoEncoder(const fs::path& outputPath, const VideoEncoderSettings& settings)
    : impl_(std::make_unique<Impl>()) {
    Impl& d = *impl_;
    d.settings = settings;
    d.outputPath = outputPath;
    d.tempPath = outputPath.parent_path() /
                 (outputPath.stem().string() + ".partial" + outputPath.extension().string());
    const CodecChoice& choice = findCodec(settings.codec);
    // x264/x265 print their banners at info level; the CLI's stderr is for our progress and errors.
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
    const std::string out = outputPath.string();
    if (settings.width <= 0 || settings.height <= 0)
        throw Error(ErrorCode::InvalidInput, out + ": frame size " +
                                                 std::to_string(settings.width) + "x" +
                                                 std::to_string(settings.height) + " is not valid");
    if (fs::is_directory(outputPath))
        throw Error(ErrorCode::Io, out + ": is a folder, not a file name");

    int rc = avformat_alloc_output_context2(&d.format, nullptr, nullptr, out.c_str());
    if (rc < 0 || !d.format)
        throw Error(ErrorCode::BadOption, out + ": unknown container for extension '" +
                                              outputPath.extension().string() +
                                              "' (use .mp4, .mkv, .mov or .webm)");
    const AVCodec* codec = avcodec_find_encoder_by_name(choice.encoder);
    if (!codec)
        throw Error(ErrorCode::MissingDependency,
                    std::string("FFmpeg has no ") + choice.encoder + " encoder");
    if (avformat_query_codec(d.format->oformat, codec->id, FF_COMPLIANCE_NORMAL) != 1)
        throw Error(ErrorCode::BadOption, out + ": the " + d.format->oformat->name +
                                              " container cannot hold " + settings.codec +
                                              " video (try " + choice.extension + ")");

    d.encoder = avcodec_alloc_context3(codec);
    AVCodecContext* enc = d.encoder;
    // 4:2:0 needs even sizes; the odd last row/column is dropped rather than refusing the export.
    bool subsampled = choice.pixelFormat == AV_PIX_FMT_YUV420P;
    enc->width = subsampled ? settings.width & ~1 : settings.width;
    enc->height = subsampled ? settings.height & ~1 : settings.height;
    enc->pix_fmt = choice.pixelFormat;
    enc->time_base = AVRational{settings.timeBaseNum, settings.timeBaseDen};
    enc->framerate = av_d2q(settings.fps > 0 ? settings.fps : 25, 100000);
    d.frameDuration =
        std::max<int64_t>(1, av_rescale_q(1, av_inv_q(enc->framerate), enc->time_base));
    if (settings.threads > 0) enc->thread_count = settings.threads;
    enc->sample_aspect_ratio = AVRational{1, 1};
    bool hd = enc->height >= 720;
    if (isYuv(enc->pix_fmt)) {
        enc->color_range = AVCOL_RANGE_MPEG;
        enc->colorspace = hd ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
        enc->color_primaries = hd ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
        enc->color_trc = hd ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
    }
    if (d.format->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary* codecOptions = nullptr;
    std::string crf = std::to_string(settings.crf);
    if (settings.codec == "h264" || settings.codec == "h265") {
        av_dict_set(&codecOptions, "crf", crf.c_str(), 0);
        av_dict_set(&codecOptions, "preset", settings.preset.c_str(), 0);
        if (settings.codec == "h265")
            av_dict_set(&codecOptions, "x265-params", "log-level=error", 0);
    } else if (settings.codec == "vp9") {
        av_dict_set(&codecOptions, "crf", crf.c_str(), 0);
        enc->bit_rate = 0;  // constant quality
        av_dict_set(&codecOptions, "row-mt", "1", 0);
        av_dict_set(&codecOptions, "cpu-used", "4", 0);
    } else if (settings.codec == "ffv1") {
        av_dict_set(&codecOptions, "level", "3", 0);
    }
    rc = avcodec_open2(enc, codec, &codecOptions);
    AVDictionaryEntry* unused = av_dict_get(codecOptions, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    std::string unusedKey = unused ? unused->key : "";
    av_dict_free(&codecOptions);
    if (rc < 0)
        throw Error(ErrorCode::BadOption, std::string("cannot open the ") + choice.encoder +
                                              " encoder with preset '" + settings.preset +
                                              "', crf " + crf + ": " + avErrorText(rc));
    if (!unusedKey.empty())
        logWarning(std::string(choice.encoder) + " ignored option " + unusedKey);

    d.stream = avformat_new_stream(d.format, nullptr);
    avcodec_parameters_from_context(d.stream->codecpar, enc);
    // HEVC in MP4/MOV tagged "hvc1" (parameter sets in the sample description), as Apple's
    // players require; FFmpeg's default "hev1" does not play in QuickTime, Safari or on iOS.
    const std::string container = d.format->oformat->name;
    if (enc->codec_id == AV_CODEC_ID_HEVC &&
        (container.find("mp4") != std::string::npos || container.find("mov") != std::string::npos))
        d.stream->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
    d.stream->time_base = enc->time_base;
    d.stream->avg_frame_rate = enc->framerate;
    d.stream->r_frame_rate = enc->framerate;

    for (const auto& [key, value] : settings.metadata)
        av_dict_set(&d.format->metadata, key.c_str(), value.c_str(), 0);

    if (settings.audio != "none" && !settings.audioSource.empty()) {
        d.audio = std::make_unique<MuxAudioTrack>(settings.audioSource, d.format, settings.audio);
        d.audioDescription = d.audio->description();
    } else if (settings.audio == "none") {
        d.audioDescription = "none (audio=none)";
    }

    // Open the output before any frame is encoded, so an unwritable path fails at once.
    const std::string temp = d.tempPath.string();
    rc = avio_open(&d.format->pb, temp.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) throw Error(ErrorCode::Io, out + ": cannot write here (" + avErrorText(rc) + ")");
    d.fileOpen = true;
    AVDictionary* muxOptions = nullptr;
    // MP4/MOV keep only a few well-known tags unless told to write arbitrary keys
    // (digitalSourceType).
    av_dict_set(&muxOptions, "movflags", "use_metadata_tags", 0);
    rc = avformat_write_header(d.format, &muxOptions);
    av_dict_free(&muxOptions);
    if (rc < 0) {
        d.release();
        d.removeTemp();
        throw Error(ErrorCode::Io, out + ": cannot start the " + settings.codec + " file (" +
                                       avErrorText(rc) + ")");
    }
    d.headerWritten = true;

    d.frame = av_frame_alloc();
    d.frame->format = enc->pix_fmt;
    d.frame->width = enc->width;
    d.frame->height = enc->height;
    if (av_frame_get_buffer(d.frame, 0) < 0)
        throw Error(ErrorCode::Internal, "cannot allocate a video frame");
    d.packet = av_packet_alloc();
    d.scaler = sws_getContext(enc->width, enc->height, AV_PIX_FMT_BGR24, enc->width, enc->height,
                              enc->pix_fmt, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                              nullptr, nullptr, nullptr);
    if (!d.scaler)
        throw Error(ErrorCode::Internal, "cannot set up colour conversion to the encoder's format");
    if (isYuv(enc->pix_fmt)) {
        const int* coefficients = sws_getCoefficients(hd ? SWS_CS_ITU709 : SWS_CS_ITU601);
        sws_setColorspaceDetails(d.scaler, coefficients, 1, coefficients, 0, 0, 1 << 16, 1 << 16);
    }
}

VideoEncoder::~VideoEncoder() {
    if (impl_ && !impl_->finished) abandon();
}

void VideoEncoder::writeFrame(const cv::Mat& bgr, int64_t pts) {
    Impl& d = *impl_;
    if (d.finished || !d.headerWritten)
        throw Error(ErrorCode::Internal, "writeFrame after finish()");
    if (bgr.type() != CV_8UC3 || bgr.cols != d.settings.width || bgr.rows != d.settings.height)
        throw Error(ErrorCode::InvalidInput,
                    "frame " + std::to_string(d.frames + 1) + " is " + std::to_string(bgr.cols) +
                        "x" + std::to_string(bgr.rows) + ", the video is " +
                        std::to_string(d.settings.width) + "x" + std::to_string(d.settings.height));
    if (pts <= d.lastPts) pts = d.lastPts + 1;  // timestamps must increase strictly
    d.lastPts = pts;
    if (av_frame_make_writable(d.frame) < 0)
        throw Error(ErrorCode::Internal, "video frame not writable");
    const uint8_t* src[1] = {bgr.data};
    int srcStride[1] = {int(bgr.step[0])};
    sws_scale(d.scaler, src, srcStride, 0, d.encoder->height, d.frame->data, d.frame->linesize);
    d.frame->pts = pts;
    int rc = avcodec_send_frame(d.encoder, d.frame);
    if (rc < 0) throw Error(ErrorCode::Internal, "video encoding failed: " + avErrorText(rc));
    d.writePackets();
    ++d.frames;
    d.lastFrameEndSeconds = double(pts + d.frameDuration) * av_q2d(d.encoder->time_base);
}

void VideoEncoder::finish() {
    Impl& d = *impl_;
    if (d.finished) return;
    try {
        if (d.frames == 0)
            throw Error(ErrorCode::InvalidInput,
                        d.outputPath.string() + ": no frames were written");
        avcodec_send_frame(d.encoder, nullptr);
        d.writePackets();
        if (d.audio) d.audio->finish(d.lastFrameEndSeconds);
        d.checkIo(av_write_trailer(d.format), "finishing the file");
        d.checkIo(avio_closep(&d.format->pb), "closing the file");
        d.fileOpen = false;
        d.release();
        commitFile(d.tempPath, d.outputPath);  // fsync + rename: the final name appears complete
        d.finished = true;
    } catch (...) {
        abandon();
        throw;
    }
}

void VideoEncoder::abandon() {
    Impl& d = *impl_;
    d.release();
    d.removeTemp();
    d.finished = true;
}

const fs::path& VideoEncoder::outputPath() const {
    return impl_->outputPath;
}
const fs::path& VideoEncoder::temporaryPath() const {
    return impl_->tempPath;
}
int64_t VideoEncoder::framesWritten() const {
    return impl_->frames;
}
std::string VideoEncoder::audioDescription() const {
    return impl_->audioDescription;
}

}  // namespace doppel
