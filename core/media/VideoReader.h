#pragma once
// Decodes the video stream of any container/codec that the system's FFmpeg reads
// (libavformat + libavcodec, no subprocess, no cv::VideoCapture) into BGR cv::Mat frames via
// swscale, with each frame's presentation time. Full-range ("JPEG", yuvj*) input is converted
// with full-range coefficients, and the display-matrix rotation of phone videos is applied.
//
// A damaged or truncated file yields every frame that decodes; warning() then says where and
// why decoding stopped. A file that is not a video at all throws doppel::Error(InvalidInput)
// naming the file. FFmpeg types stay inside VideoReader.cpp (libav* is a private dependency).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace doppel {

struct VideoStreamInfo {
    std::filesystem::path path;
    std::string containerName;  ///< e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    std::string codecName;      ///< e.g. "h264"
    std::string pixelFormat;    ///< e.g. "yuv420p", "yuvj420p"
    int width = 0;              ///< after rotation, i.e. as the frames come out
    int height = 0;
    /// The stream's pixel aspect (SAR) when not square, e.g. 32/27 for a 720x480 widescreen
    /// DVD (0/0 when square or unknown). Frames come out resampled to square pixels, so such a
    /// video is extracted at its display size (854x480: even, for encoders), as players show it.
    int sampleAspectNum = 0;
    int sampleAspectDen = 0;
    int rotationDegrees = 0;  ///< clockwise rotation applied to every decoded frame (0/90/180/270)
    double averageFps = 0;    ///< 0 when the container does not say
    int timeBaseNum = 0;      ///< the video stream's time base (pts unit), e.g. 1/12800
    int timeBaseDen = 1;
    double durationSeconds = 0;      ///< 0 when unknown
    int64_t frameCountEstimate = 0;  ///< the container's count, else duration * fps; 0 when unknown
    bool frameCountExact = false;    ///< true when the container stores the frame count
    bool hasAudio = false;
};

struct VideoFrame {
    cv::Mat bgr;            ///< CV_8UC3; empty when read() was asked not to convert
    int64_t index = 0;      ///< 0-based position in decoding (presentation) order
    int64_t pts = 0;        ///< in the stream's time base, relative to the stream start
    double ptsSeconds = 0;  ///< pts in seconds, relative to the stream start (first frame ~0)
};

class VideoReader {
  public:
    /// Opens the file and its decoder. Throws Error(NotFound) for a missing file and
    /// Error(InvalidInput) "<file>: <problem>" for an empty file, a non-video, or no decoder.
    explicit VideoReader(const std::filesystem::path& path);
    ~VideoReader();
    VideoReader(const VideoReader&) = delete;
    VideoReader& operator=(const VideoReader&) = delete;

    const VideoStreamInfo& info() const;

    /// Decodes the next frame and fills its index and timestamps, not its pixels, so a caller
    /// can decide from the timestamp whether the frame is worth converting. False at the end.
    bool decodeNext(VideoFrame& frame);
    /// The frame decodeNext() last returned, as BGR with the rotation applied.
    cv::Mat currentFrameBgr();

    /// decodeNext() plus, unless told otherwise, currentFrameBgr(). With `convertPixels` false the
    /// BGR conversion is skipped (cheap skipping of frames outside a time range). Returns false at
    /// the end of the stream.
    bool read(VideoFrame& frame, bool convertPixels = true);

    /// Frames decoded so far.
    int64_t framesDecoded() const;
    /// After read() returned false: "" when the stream ended cleanly, else one line saying
    /// where decoding stopped and why (truncated file, read or decode errors).
    const std::string& warning() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
