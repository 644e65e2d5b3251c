#include "media/VideoReader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <opencv2/core.hpp>

#include "common/Error.h"
#include "common/Log.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

std::string avErrorText(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, text, sizeof text);
    return text;
}

// The deprecated yuvj* formats mean "this plane layout, full range"; swscale wants the plain
// layout plus an explicit range, otherwise it may treat the data as limited range.
AVPixelFormat plainLayoutOf(AVPixelFormat format, bool& fullRange) {
    switch (format) {
        case AV_PIX_FMT_YUVJ420P:
            fullRange = true;
            return AV_PIX_FMT_YUV420P;
        case AV_PIX_FMT_YUVJ422P:
            fullRange = true;
            return AV_PIX_FMT_YUV422P;
        case AV_PIX_FMT_YUVJ444P:
            fullRange = true;
            return AV_PIX_FMT_YUV444P;
        case AV_PIX_FMT_YUVJ440P:
            fullRange = true;
            return AV_PIX_FMT_YUV440P;
        case AV_PIX_FMT_YUVJ411P:
            fullRange = true;
            return AV_PIX_FMT_YUV411P;
        default:
            return format;
    }
}

// Untagged video follows the players' convention: HD and larger is BT.709, SD is BT.601.
int swsColorspaceOf(AVColorSpace space, int height) {
    switch (space) {
        case AVCOL_SPC_BT709:
            return SWS_CS_ITU709;
        case AVCOL_SPC_BT470BG:
        case AVCOL_SPC_SMPTE170M:
            return SWS_CS_ITU601;
        case AVCOL_SPC_FCC:
            return SWS_CS_FCC;
        case AVCOL_SPC_SMPTE240M:
            return SWS_CS_SMPTE240M;
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL:
            return SWS_CS_BT2020;
        default:
            return height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

// The display matrix holds the counter-clockwise rotation a player applies; we return the
// clockwise rotation needed to show the frame upright, snapped to a multiple of 90 degrees.
int displayRotationOf(const AVStream* stream) {
    const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
    if (!matrix) return 0;
    double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
    if (std::isnan(ccw)) return 0;
    int clockwise = int(std::lround(-ccw / 90.0)) * 90;
    return ((clockwise % 360) + 360) % 360;
}

// FFmpeg prints straight to stderr by default ("moov atom not found", one line per damaged
// h264 slice). The user gets one summarised line from us instead; FFmpeg's own lines go to the
// debug log, where they help diagnose a file without drowning the progress output.
void forwardFfmpegLog(void* avClass, int level, const char* format, va_list args) {
    if (level > AV_LOG_WARNING) return;
    char line[1024];
    int printPrefix = 1;
    av_log_format_line2(avClass, level, format, args, line, sizeof line, &printPrefix);
    size_t length = std::strlen(line);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = 0;
    if (length > 0) logDebug(std::string("ffmpeg: ") + line);
}

void installFfmpegLogForwarding() {
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_callback(forwardFfmpegLog); });
}

}  // namespace

struct VideoReader::Impl {
    VideoStreamInfo info;
    AVFormatContext* format = nullptr;
    AVCodecContext* decoder = nullptr;
    AVPacket* packet = nullptr;
    AVFrame* frame = nullptr;
    SwsContext* sws = nullptr;
    int streamIndex = -1;
    AVRational timeBase{0, 1};
    int64_t streamStart = AV_NOPTS_VALUE;  // pts of the stream start (subtracted from every pts)
    int64_t previousPts = AV_NOPTS_VALUE;
    int64_t defaultFrameDuration = 0;  // in time-base units, for frames without a timestamp

    // The conversion setup the cached sws context was built for.
    int swsWidth = 0, swsHeight = 0, swsFormat = -1, swsColorspace = -1;
    double pixelAspect = 1.0;  ///< the stream's SAR as a number; 1 for square pixels
    bool swsFullRange = false;

    bool inputEnded = false;
    bool finished = false;
    bool hasCurrent = false;  // `frame` holds the frame decodeNext() last returned
    int64_t decoded = 0;
    static constexpr int kMaxConsecutiveErrors = 64;
    int consecutiveDecodeErrors = 0;
    int consecutiveReadErrors = 0;
    int readError = 0;     // first av_read_frame error other than end of file
    int decodeErrors = 0;  // packets or frames the decoder rejected
    int lastDecodeError = 0;
    std::string warning;

    ~Impl() {
        sws_freeContext(sws);
        av_frame_free(&frame);
        av_packet_free(&packet);
        avcodec_free_context(&decoder);
        if (format) avformat_close_input(&format);
    }

    [[noreturn]] void fail(const std::string& problem) const {
        throw Error(ErrorCode::InvalidInput, info.path.string() + ": " + problem);
    }

    void open(const fs::path& path) {
        installFfmpegLogForwarding();
        info.path = path;
        std::error_code ec;
        if (!fs::exists(path, ec))
            throw Error(ErrorCode::NotFound, path.string() + ": file not found");
        if (fs::is_directory(path, ec)) fail("is a folder, not a video file");
        if (fs::file_size(path, ec) == 0) fail("the file is empty (0 bytes)");

        int rc = avformat_open_input(&format, path.c_str(), nullptr, nullptr);
        if (rc < 0) {
            format = nullptr;
            fail("not a readable video (" + avErrorText(rc) + ")");
        }
        rc = avformat_find_stream_info(format, nullptr);
        if (rc < 0) fail("cannot read the stream information (" + avErrorText(rc) + ")");

        streamIndex = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        if (streamIndex < 0) fail("contains no video stream");
        AVStream* stream = format->streams[streamIndex];
        if (stream->disposition & AV_DISPOSITION_ATTACHED_PIC)
            fail("contains only a cover picture, no video");

        const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
        if (!codec)
            fail("no decoder for the video codec '" +
                 std::string(avcodec_get_name(stream->codecpar->codec_id)) +
                 "' in this FFmpeg build");
        decoder = avcodec_alloc_context3(codec);
        if (!decoder) throw Error(ErrorCode::Internal, "avcodec_alloc_context3 failed");
        rc = avcodec_parameters_to_context(decoder, stream->codecpar);
        if (rc < 0) fail("bad codec parameters (" + avErrorText(rc) + ")");
        decoder->pkt_timebase = stream->time_base;
        decoder->thread_count = 0;  // auto: frame threading keeps decode well ahead of the writer
        decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        rc = avcodec_open2(decoder, codec, nullptr);
        if (rc < 0)
            fail("cannot open the " + std::string(codec->name) + " decoder (" + avErrorText(rc) +
                 ")");

        packet = av_packet_alloc();
        frame = av_frame_alloc();
        if (!packet || !frame)
            throw Error(ErrorCode::Internal, "out of memory allocating FFmpeg frames");

        fillInfo(stream);
    }

    void fillInfo(AVStream* stream) {
        timeBase = stream->time_base;
        streamStart = stream->start_time;
        info.containerName = format->iformat ? format->iformat->name : "";
        info.codecName = avcodec_get_name(stream->codecpar->codec_id);
        const char* pixName = av_get_pix_fmt_name(AVPixelFormat(stream->codecpar->format));
        info.pixelFormat = pixName ? pixName : "unknown";
        info.rotationDegrees = displayRotationOf(stream);
        const AVRational sar = av_guess_sample_aspect_ratio(format, stream, nullptr);
        if (sar.num > 0 && sar.den > 0 && sar.num != sar.den) {
            info.sampleAspectNum = sar.num, info.sampleAspectDen = sar.den;
            pixelAspect = av_q2d(sar);
        }
        const int squareWidth = squarePixelWidth(stream->codecpar->width);
        bool swapSides = info.rotationDegrees == 90 || info.rotationDegrees == 270;
        info.width = swapSides ? stream->codecpar->height : squareWidth;
        info.height = swapSides ? squareWidth : stream->codecpar->height;
        AVRational rate =
            stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
        info.averageFps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
        info.timeBaseNum = timeBase.num;
        info.timeBaseDen = timeBase.den;
        if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0)
            info.durationSeconds = double(stream->duration) * av_q2d(timeBase);
        else if (format->duration != AV_NOPTS_VALUE && format->duration > 0)
            info.durationSeconds = double(format->duration) / AV_TIME_BASE;
        if (stream->nb_frames > 0) {
            info.frameCountEstimate = stream->nb_frames;
            info.frameCountExact = true;
        } else if (info.durationSeconds > 0 && info.averageFps > 0) {
            info.frameCountEstimate = int64_t(std::llround(info.durationSeconds * info.averageFps));
        }
        for (unsigned i = 0; i < format->nb_streams; ++i)
            if (format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                info.hasAudio = true;
        if (info.averageFps > 0 && timeBase.num > 0)
            defaultFrameDuration = std::max<int64_t>(1, av_rescale_q(1, av_inv_q(rate), timeBase));
    }

    // Feeds the decoder until it has a frame. Returns false at the end of the stream.
    bool decodeNext() {
        for (;;) {
            int rc = avcodec_receive_frame(decoder, frame);
            if (rc == 0) {
                consecutiveDecodeErrors = 0;
                return true;
            }
            if (rc == AVERROR_EOF) return false;
            if (rc != AVERROR(EAGAIN)) {
                // A broken frame: skip it and keep going, as players do; frames queued behind
                // it in a threaded decoder are still good.
                ++decodeErrors;
                lastDecodeError = rc;
                if (++consecutiveDecodeErrors >= kMaxConsecutiveErrors) return false;
                continue;
            }
            if (inputEnded) return false;  // a flushed decoder ends with EOF; never spin
            rc = av_read_frame(format, packet);
            if (rc < 0) {
                // A damaged packet ("partial file") is an error, yet later packets may still be
                // readable, as the ffmpeg tool does; give up after a run of failures.
                bool endOfFile = rc == AVERROR_EOF || avio_feof(format->pb);
                if (!endOfFile) {
                    readError = rc;
                    if (rc == AVERROR(EAGAIN) || ++consecutiveReadErrors < kMaxConsecutiveErrors)
                        continue;
                }
                inputEnded = true;
                avcodec_send_packet(decoder, nullptr);  // drain the frames still inside
                continue;
            }
            consecutiveReadErrors = 0;
            if (packet->stream_index == streamIndex) {
                int sent = avcodec_send_packet(decoder, packet);
                if (sent < 0 && sent != AVERROR(EAGAIN)) {
                    ++decodeErrors;
                    lastDecodeError = sent;
                }
            }
            av_packet_unref(packet);
        }
    }

    int64_t presentationTimeOf(const AVFrame* f) {
        int64_t ts = f->best_effort_timestamp;
        if (ts == AV_NOPTS_VALUE) ts = f->pts;
        if (ts == AV_NOPTS_VALUE)
            ts = previousPts == AV_NOPTS_VALUE
                     ? 0
                     : previousPts + std::max<int64_t>(1, defaultFrameDuration);
        previousPts = ts;
        if (streamStart == AV_NOPTS_VALUE) streamStart = ts;  // first frame defines time zero
        return ts - streamStart;
    }

    /// The width a row of `storedWidth` non-square pixels shows at (even, for 4:2:0 encoders).
    int squarePixelWidth(int storedWidth) const {
        if (pixelAspect == 1.0) return storedWidth;
        return std::max(2, 2 * int(std::lround(storedWidth * pixelAspect / 2)));
    }

    void convert(const AVFrame* f, cv::Mat& out) {
        bool fullRange = f->color_range == AVCOL_RANGE_JPEG;
        AVPixelFormat layout = plainLayoutOf(AVPixelFormat(f->format), fullRange);
        int colorspace = swsColorspaceOf(f->colorspace, f->height);
        const int outWidth = squarePixelWidth(f->width);
        bool setupChanged = f->width != swsWidth || f->height != swsHeight ||
                            int(layout) != swsFormat || colorspace != swsColorspace ||
                            fullRange != swsFullRange;
        if (!sws || setupChanged) {
            sws_freeContext(sws);
            // Same size in and out for square pixels: the flags only pick chroma upsampling;
            // full chroma interpolation + accurate rounding keep colours right for later colour
            // transfer. Non-square pixels are resampled across (bicubic) to square ones.
            const int kernel = outWidth == f->width ? SWS_BILINEAR : SWS_BICUBIC;
            sws = sws_getContext(f->width, f->height, layout, outWidth, f->height, AV_PIX_FMT_BGR24,
                                 kernel | SWS_FULL_CHR_H_INT | SWS_ACCURATE_RND, nullptr, nullptr,
                                 nullptr);
            if (!sws)
                fail("cannot convert pixel format " + std::string(av_get_pix_fmt_name(layout)) +
                     " to BGR");
            // Brightness 0, contrast and saturation 1.0 in 16.16 fixed point; BGR output is full
            // range.
            sws_setColorspaceDetails(sws, sws_getCoefficients(colorspace), fullRange ? 1 : 0,
                                     sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
            swsWidth = f->width, swsHeight = f->height, swsFormat = int(layout);
            swsColorspace = colorspace, swsFullRange = fullRange;
        }
        cv::Mat bgr(f->height, outWidth, CV_8UC3);
        uint8_t* dstData[4] = {bgr.data, nullptr, nullptr, nullptr};
        int dstStride[4] = {int(bgr.step[0]), 0, 0, 0};
        sws_scale(sws, f->data, f->linesize, 0, f->height, dstData, dstStride);
        switch (info.rotationDegrees) {
            case 90:
                cv::rotate(bgr, out, cv::ROTATE_90_CLOCKWISE);
                break;
            case 180:
                cv::rotate(bgr, out, cv::ROTATE_180);
                break;
            case 270:
                cv::rotate(bgr, out, cv::ROTATE_90_COUNTERCLOCKWISE);
                break;
            default:
                out = bgr;
                break;
        }
    }

    void describeEnd(double lastSeconds) {
        char where[160];
        std::snprintf(where, sizeof where, "decoding stopped after %lld frames (%.2f s)",
                      (long long)decoded, decoded > 0 ? lastSeconds : 0.0);
        std::string text = info.path.string() + ": " + where;
        bool shortOfCount = info.frameCountExact && decoded < info.frameCountEstimate;
        if (shortOfCount) {
            char expected[120];
            std::snprintf(expected, sizeof expected, " of the %lld the container lists (%.2f s)",
                          (long long)info.frameCountEstimate, info.durationSeconds);
            text += expected;
        }
        if (readError != 0) {
            text += "; read error: " + avErrorText(readError);
        } else if (shortOfCount) {
            text += "; the file looks truncated";
        }
        if (decodeErrors > 0)
            text += "; " + std::to_string(decodeErrors) + " packet(s) failed to decode (" +
                    avErrorText(lastDecodeError) + ")";
        if (readError != 0 || shortOfCount || decodeErrors > 0) warning = text;
    }
};

VideoReader::VideoReader(const fs::path& path) : impl_(std::make_unique<Impl>()) {
    impl_->open(path);
}

VideoReader::~VideoReader() = default;

const VideoStreamInfo& VideoReader::info() const {
    return impl_->info;
}

int64_t VideoReader::framesDecoded() const {
    return impl_->decoded;
}

const std::string& VideoReader::warning() const {
    return impl_->warning;
}

bool VideoReader::decodeNext(VideoFrame& out) {
    Impl& d = *impl_;
    out.bgr.release();
    d.hasCurrent = false;
    if (d.finished) return false;
    // avcodec_receive_frame unreferences the previous frame itself, so the last frame stays
    // convertible until this point.
    if (!d.decodeNext()) {
        d.finished = true;
        double lastSeconds = d.previousPts == AV_NOPTS_VALUE || d.streamStart == AV_NOPTS_VALUE
                                 ? 0.0
                                 : double(d.previousPts - d.streamStart) * av_q2d(d.timeBase);
        d.describeEnd(lastSeconds);
        av_frame_unref(d.frame);
        return false;
    }
    d.hasCurrent = true;
    out.index = d.decoded++;
    out.pts = d.presentationTimeOf(d.frame);
    out.ptsSeconds = double(out.pts) * av_q2d(d.timeBase);
    return true;
}

cv::Mat VideoReader::currentFrameBgr() {
    Impl& d = *impl_;
    if (!d.hasCurrent)
        throw Error(ErrorCode::Internal, "VideoReader::currentFrameBgr without a decoded frame");
    cv::Mat bgr;
    d.convert(d.frame, bgr);
    return bgr;
}

bool VideoReader::read(VideoFrame& out, bool convertPixels) {
    if (!decodeNext(out)) return false;
    if (convertPixels) out.bgr = currentFrameBgr();
    return true;
}

}  // namespace doppel
