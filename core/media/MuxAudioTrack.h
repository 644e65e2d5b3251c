#pragma once
// Internal to core/media (VideoEncoder.cpp): carries the first audio stream of a source file into
// an output being muxed, copied packet for packet when the container accepts the codec, else
// decoded, resampled and re-encoded (AAC, or Opus for WebM). Audio is written interleaved with
// the video: the encoder calls writeUntil(t) before each video packet at time t, so neither
// stream has to be buffered whole in memory. FFmpeg types appear here on purpose: only
// VideoEncoder.cpp includes this header.
#include <cstdint>
#include <filesystem>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

struct AVAudioFifo;
struct SwrContext;

namespace doppel {

class MuxAudioTrack {
  public:
    /// Adds the output stream to `output` (call before avformat_write_header). `mode` is "copy"
    /// (re-encode only when the container cannot take the codec) or "aac" (always re-encode).
    /// When the source has no audio stream, present() is false and nothing is added.
    /// Throws Error(InvalidInput) naming the source when it cannot be read.
    MuxAudioTrack(const std::filesystem::path& source, AVFormatContext* output,
                  const std::string& mode);
    ~MuxAudioTrack();
    MuxAudioTrack(const MuxAudioTrack&) = delete;
    MuxAudioTrack& operator=(const MuxAudioTrack&) = delete;

    bool present() const { return inputIndex_ >= 0; }
    /// e.g. "aac copied" or "opus (re-encoded from aac)".
    const std::string& description() const { return description_; }
    /// Writes the audio up to `seconds` of output time (relative to the first video frame).
    void writeUntil(double seconds);
    /// Writes what is left up to `endSeconds` and flushes a re-encoder.
    void finish(double endSeconds);
    int64_t packetsWritten() const { return packetsWritten_; }

  private:
    bool readNextPacket();  ///< fills pending_ with the next audio packet; false at the end
    void writePending();    ///< copies or transcodes pending_
    void decodeIntoFifo(AVPacket* packet);  ///< nullptr drains the decoder
    void encodeFromFifo(bool flushAll);
    void writeEncoded(AVPacket* packet);

    std::filesystem::path source_;
    AVFormatContext* input_ = nullptr;
    AVFormatContext* output_ = nullptr;
    int inputIndex_ = -1;
    AVStream* outStream_ = nullptr;
    int64_t startOffset_ =
        0;  ///< input start (video stream's, else audio's) in the audio time base
    bool transcode_ = false;
    AVCodecContext* decoder_ = nullptr;
    AVCodecContext* encoder_ = nullptr;
    SwrContext* resampler_ = nullptr;
    AVAudioFifo* fifo_ = nullptr;
    int64_t nextSample_ = 0;
    bool firstSampleSet_ = false;
    AVPacket* pending_ = nullptr;
    bool havePending_ = false;
    bool inputEnded_ = false;
    int64_t packetsWritten_ = 0;
    std::string description_;
};

}  // namespace doppel
