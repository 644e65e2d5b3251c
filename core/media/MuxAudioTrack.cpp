#include "media/MuxAudioTrack.h"

#include <cmath>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include "common/Error.h"

namespace doppel {
namespace {

std::string avErrorText(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, text, sizeof text);
    return text;
}

/// The codec the container accepts when the source's cannot be copied: Opus for WebM, else AAC.
AVCodecID reencodeTarget(const AVOutputFormat* format) {
    if (avformat_query_codec(format, AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) == 1)
        return AV_CODEC_ID_AAC;
    return AV_CODEC_ID_OPUS;
}

int pickSampleRate(const AVCodec* codec, int wanted) {
    if (!codec->supported_samplerates) return wanted;
    int best = 0;
    for (const int* r = codec->supported_samplerates; *r; ++r) {
        if (*r == wanted) return wanted;
        if (*r > best) best = *r;  // e.g. 48000 for Opus
    }
    return best;
}

}  // namespace

MuxAudioTrack::MuxAudioTrack(const std::filesystem::path& source, AVFormatContext* output,
                             const std::string& mode)
    : source_(source), output_(output) {
    const std::string name = source.string();
    int rc = avformat_open_input(&input_, name.c_str(), nullptr, nullptr);
    if (rc < 0)
        throw Error(ErrorCode::InvalidInput,
                    name + ": cannot open for its audio (" + avErrorText(rc) + ")");
    if ((rc = avformat_find_stream_info(input_, nullptr)) < 0)
        throw Error(ErrorCode::InvalidInput,
                    name + ": cannot read stream info (" + avErrorText(rc) + ")");
    inputIndex_ = av_find_best_stream(input_, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (inputIndex_ < 0) {
        inputIndex_ = -1;
        description_ = "none (the destination has no audio)";
        return;
    }
    AVStream* in = input_->streams[inputIndex_];
    // Keep the audio where it was relative to the video: output time 0 is the video's first frame.
    int videoIndex = av_find_best_stream(input_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (videoIndex >= 0 && input_->streams[videoIndex]->start_time != AV_NOPTS_VALUE) {
        AVStream* v = input_->streams[videoIndex];
        startOffset_ = av_rescale_q(v->start_time, v->time_base, in->time_base);
    } else if (in->start_time != AV_NOPTS_VALUE) {
        startOffset_ = in->start_time;
    }

    const char* codecName = avcodec_get_name(in->codecpar->codec_id);
    bool canCopy =
        avformat_query_codec(output->oformat, in->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 1;
    transcode_ = mode == "aac" || !canCopy;
    outStream_ = avformat_new_stream(output, nullptr);
    if (!outStream_) throw Error(ErrorCode::Internal, "cannot add an audio stream");
    if (!transcode_) {
        avcodec_parameters_copy(outStream_->codecpar, in->codecpar);
        outStream_->codecpar->codec_tag = 0;  // the source container's tag may be wrong for ours
        outStream_->time_base = in->time_base;
        description_ = std::string(codecName) + " copied";
    } else {
        const AVCodec* decoder = avcodec_find_decoder(in->codecpar->codec_id);
        if (!decoder)
            throw Error(ErrorCode::MissingDependency,
                        name + ": no decoder for its " + codecName + " audio");
        decoder_ = avcodec_alloc_context3(decoder);
        avcodec_parameters_to_context(decoder_, in->codecpar);
        decoder_->pkt_timebase = in->time_base;
        if ((rc = avcodec_open2(decoder_, decoder, nullptr)) < 0)
            throw Error(ErrorCode::InvalidInput,
                        name + ": cannot decode its audio (" + avErrorText(rc) + ")");

        AVCodecID target = mode == "aac" && avformat_query_codec(output->oformat, AV_CODEC_ID_AAC,
                                                                 FF_COMPLIANCE_NORMAL) == 1
                               ? AV_CODEC_ID_AAC
                               : reencodeTarget(output->oformat);
        const AVCodec* encoder = avcodec_find_encoder(target);
        if (!encoder)
            throw Error(ErrorCode::MissingDependency,
                        std::string("FFmpeg has no ") + avcodec_get_name(target) + " encoder");
        encoder_ = avcodec_alloc_context3(encoder);
        encoder_->sample_rate = pickSampleRate(encoder, decoder_->sample_rate);
        encoder_->sample_fmt = encoder->sample_fmts ? encoder->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
        int channels = std::min(2, decoder_->ch_layout.nb_channels);
        av_channel_layout_default(&encoder_->ch_layout, channels);
        encoder_->bit_rate = channels > 1 ? 160000 : 96000;
        encoder_->time_base = AVRational{1, encoder_->sample_rate};
        if (output->oformat->flags & AVFMT_GLOBALHEADER)
            encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if ((rc = avcodec_open2(encoder_, encoder, nullptr)) < 0)
            throw Error(ErrorCode::Internal,
                        std::string("cannot open the audio encoder: ") + avErrorText(rc));
        avcodec_parameters_from_context(outStream_->codecpar, encoder_);
        outStream_->time_base = encoder_->time_base;

        rc = swr_alloc_set_opts2(&resampler_, &encoder_->ch_layout, encoder_->sample_fmt,
                                 encoder_->sample_rate, &decoder_->ch_layout, decoder_->sample_fmt,
                                 decoder_->sample_rate, 0, nullptr);
        if (rc < 0 || swr_init(resampler_) < 0)
            throw Error(ErrorCode::Internal, "cannot set up audio resampling");
        fifo_ = av_audio_fifo_alloc(encoder_->sample_fmt, channels, 4096);
        description_ =
            std::string(avcodec_get_name(target)) + " (re-encoded from " + codecName + ")";
    }
    pending_ = av_packet_alloc();
}

MuxAudioTrack::~MuxAudioTrack() {
    av_packet_free(&pending_);
    if (fifo_) av_audio_fifo_free(fifo_);
    swr_free(&resampler_);
    avcodec_free_context(&encoder_);
    avcodec_free_context(&decoder_);
    avformat_close_input(&input_);
}

bool MuxAudioTrack::readNextPacket() {
    if (inputEnded_) return false;
    while (true) {
        int rc = av_read_frame(input_, pending_);
        if (rc < 0) {
            inputEnded_ = true;  // end of file or a damaged tail: keep what was read
            return false;
        }
        if (pending_->stream_index == inputIndex_) return true;
        av_packet_unref(pending_);
    }
}

void MuxAudioTrack::writeUntil(double seconds) {
    if (!present()) return;
    AVStream* in = input_->streams[inputIndex_];
    while (true) {
        if (!havePending_) {
            if (!readNextPacket()) return;
            havePending_ = true;
        }
        int64_t pts = pending_->pts != AV_NOPTS_VALUE ? pending_->pts : pending_->dts;
        double t = pts == AV_NOPTS_VALUE ? 0.0 : double(pts - startOffset_) * av_q2d(in->time_base);
        if (t >= seconds) return;
        writePending();
        havePending_ = false;
    }
}

void MuxAudioTrack::writePending() {
    AVStream* in = input_->streams[inputIndex_];
    if (!transcode_) {
        if (pending_->pts != AV_NOPTS_VALUE) pending_->pts -= startOffset_;
        if (pending_->dts != AV_NOPTS_VALUE) pending_->dts -= startOffset_;
        // Audio from before the first video frame would start the file with a gap in the video.
        if (pending_->pts != AV_NOPTS_VALUE && pending_->pts + pending_->duration <= 0) {
            av_packet_unref(pending_);
            return;
        }
        av_packet_rescale_ts(pending_, in->time_base, outStream_->time_base);
        pending_->stream_index = outStream_->index;
        pending_->pos = -1;
        writeEncoded(pending_);
        return;
    }
    decodeIntoFifo(pending_);
    av_packet_unref(pending_);
    encodeFromFifo(false);
}

void MuxAudioTrack::decodeIntoFifo(AVPacket* packet) {
    AVStream* in = input_->streams[inputIndex_];
    if (avcodec_send_packet(decoder_, packet) < 0)
        return;  // a damaged packet: skip it, as a player would
    AVFrame* frame = av_frame_alloc();
    while (avcodec_receive_frame(decoder_, frame) == 0) {
        if (!firstSampleSet_) {
            int64_t pts = frame->best_effort_timestamp;
            double t =
                pts == AV_NOPTS_VALUE ? 0.0 : double(pts - startOffset_) * av_q2d(in->time_base);
            nextSample_ = std::max<int64_t>(0, std::llround(t * encoder_->sample_rate));
            firstSampleSet_ = true;
        }
        int outSamples = swr_get_out_samples(resampler_, frame->nb_samples);
        uint8_t** buffers = nullptr;
        av_samples_alloc_array_and_samples(&buffers, nullptr, encoder_->ch_layout.nb_channels,
                                           outSamples, encoder_->sample_fmt, 0);
        int got = swr_convert(resampler_, buffers, outSamples,
                              (const uint8_t**)frame->extended_data, frame->nb_samples);
        if (got > 0) av_audio_fifo_write(fifo_, (void**)buffers, got);
        av_freep(&buffers[0]);
        av_freep(&buffers);
        av_frame_unref(frame);
    }
    av_frame_free(&frame);
}

void MuxAudioTrack::encodeFromFifo(bool flushAll) {
    int frameSize = encoder_->frame_size > 0 ? encoder_->frame_size : 1024;
    AVPacket* packet = av_packet_alloc();
    while (av_audio_fifo_size(fifo_) >= frameSize || (flushAll && av_audio_fifo_size(fifo_) > 0)) {
        AVFrame* frame = av_frame_alloc();
        frame->nb_samples = std::min(frameSize, av_audio_fifo_size(fifo_));
        if (frame->nb_samples < frameSize &&
            !(encoder_->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
            frame->nb_samples = frameSize;  // the last frame is padded with silence
        av_channel_layout_copy(&frame->ch_layout, &encoder_->ch_layout);
        frame->format = encoder_->sample_fmt;
        frame->sample_rate = encoder_->sample_rate;
        av_frame_get_buffer(frame, 0);
        av_samples_set_silence(frame->extended_data, 0, frame->nb_samples,
                               encoder_->ch_layout.nb_channels, encoder_->sample_fmt);
        av_audio_fifo_read(fifo_, (void**)frame->extended_data,
                           std::min(frame->nb_samples, av_audio_fifo_size(fifo_)));
        frame->pts = nextSample_;
        nextSample_ += frame->nb_samples;
        if (avcodec_send_frame(encoder_, frame) >= 0)
            while (avcodec_receive_packet(encoder_, packet) == 0) writeEncoded(packet);
        av_frame_free(&frame);
    }
    if (flushAll) {
        avcodec_send_frame(encoder_, nullptr);
        while (avcodec_receive_packet(encoder_, packet) == 0) writeEncoded(packet);
    }
    av_packet_free(&packet);
}

void MuxAudioTrack::writeEncoded(AVPacket* packet) {
    if (transcode_) {
        av_packet_rescale_ts(packet, encoder_->time_base, outStream_->time_base);
        packet->stream_index = outStream_->index;
    }
    int rc = av_interleaved_write_frame(output_, packet);
    if (rc < 0)
        throw Error(ErrorCode::Io, std::string("writing audio into ") +
                                       (output_->url ? output_->url : "the output") +
                                       " failed: " + avErrorText(rc));
    ++packetsWritten_;
}

void MuxAudioTrack::finish(double endSeconds) {
    if (!present()) return;
    writeUntil(endSeconds);
    if (transcode_) {
        decodeIntoFifo(nullptr);  // drain the decoder
        encodeFromFifo(true);
    }
}

}  // namespace doppel
