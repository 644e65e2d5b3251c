#pragma once
// Encodes BGR frames into a video file with libavcodec/libavformat (no subprocess): H.264
// (libx264), H.265 (libx265), VP9 (libvpx-vp9), ProRes (prores_ks, 4:2:2 10-bit) or lossless
// FFV1, with the caller's timestamps, container metadata (the synthetic-media label) and,
// optionally, the audio stream of another file copied in (or re-encoded to AAC / Opus when the
// container cannot take it, e.g. AAC into WebM).
//
// The file is written under a temporary name next to the final one ("<stem>.partial<ext>") and
// renamed only by finish(); destroying an unfinished encoder (an error, a cancel) deletes it, so
// a half-written video never appears under the final name. FFmpeg types stay in the .cpp files.
// Not thread-safe: one thread drives an encoder.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

struct VideoEncoderSettings {
    std::string codec = "h264";     ///< h264 | h265 | vp9 | prores | ffv1
    int crf = 18;                   ///< quality for h264/h265/vp9 (0 = lossless for h264/h265)
    std::string preset = "medium";  ///< x264/x265 preset (ultrafast ... veryslow)
    int width = 0;                  ///< frame size; every frame must have it
    int height = 0;
    int timeBaseNum = 1;  ///< unit of the pts passed to writeFrame, e.g. 1/12800 or 1/25
    int timeBaseDen = 25;
    double fps = 25;  ///< nominal frame rate (stream's avg_frame_rate, frame duration)
    std::map<std::string, std::string> metadata;  ///< container tags (comment, description, ...)
    std::filesystem::path audioSource;  ///< a file whose first audio stream is added; empty: none
    std::string audio = "copy";  ///< copy (re-encoded only if the container needs it) | aac | none
    int threads = 0;             ///< 0 = let the encoder choose
};

/// The container a codec gets when the user names no output file: .mp4 for h264/h265,
/// .webm for vp9, .mov for prores, .mkv for ffv1. Throws Error(BadOption) for an unknown codec.
std::string defaultContainerExtension(const std::string& codec);
/// The codecs this build can encode (those whose libavcodec encoder is present).
std::vector<std::string> availableVideoCodecs();

class VideoEncoder {
  public:
    /// Opens the encoder and the temporary output. Throws Error(Io) naming the file when its folder
    /// cannot be written, Error(BadOption) for an unknown codec or a container that cannot hold it,
    /// Error(MissingDependency) when FFmpeg lacks the encoder, Error(InvalidInput) for a bad
    /// audio source.
    VideoEncoder(const std::filesystem::path& outputPath, const VideoEncoderSettings& settings);
    ~VideoEncoder();
    VideoEncoder(const VideoEncoder&) = delete;
    VideoEncoder& operator=(const VideoEncoder&) = delete;

    /// `bgr` is CV_8UC3 of the configured size; `pts` in the configured time base, increasing.
    void writeFrame(const cv::Mat& bgr, int64_t pts);
    /// Flushes the encoder, adds the remaining audio, writes the trailer and renames the
    /// temporary file to the final name. Throws Error(Io) (e.g. disk full) and removes it.
    void finish();
    /// Deletes the temporary file (also what the destructor does when finish() was not called).
    void abandon();

    const std::filesystem::path& outputPath() const;
    const std::filesystem::path& temporaryPath() const;
    int64_t framesWritten() const;
    /// "copy aac", "aac (re-encoded from ...)", "none" ... for the export summary.
    std::string audioDescription() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
