#pragma once
// One way to walk the frames of a side's input, whatever it is: a video file (VideoReader), a
// single image, or a folder of images in natural order ("frame2" before "frame10"). In a folder,
// an image that does not decode is skipped with a warning (its index is still used up, so the
// numbering matches the folder's order); a broken single image or video throws.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace doppel {

class VideoReader;

enum class FrameSourceKind { Video, Image, ImageFolder };
const char* frameSourceKindName(FrameSourceKind kind);  ///< "video", "image", "folder"

/// Image sequences have no clock; they are timed as this many frames per second.
constexpr double kImageSequenceFps = 25.0;

struct FrameSourceInfo {
    FrameSourceKind kind = FrameSourceKind::Video;
    std::filesystem::path path;
    int width = 0;  ///< video: stream size; image: its size; folder: 0 until a frame decoded
    int height = 0;
    double fps = 0;  ///< average fps; kImageSequenceFps for images
    int timeBaseNum = 1;
    int timeBaseDen = 25;
    double durationSeconds = 0;
    int64_t frameCountEstimate = 0;  ///< exact for images and most containers
    bool hasAudio = false;
    std::string codecName;  ///< video codec, or "image"
};

struct SourceFrame {
    cv::Mat bgr;                 ///< CV_8UC3; empty when next() was asked not to decode pixels
    int64_t index = 0;           ///< 0-based position in the source's order
    double ptsSeconds = 0;       ///< presentation time relative to the start
    std::filesystem::path file;  ///< the image file (image sources), else empty
};

class FrameSource {
  public:
    /// Opens a video file, an image, or a folder of images. Throws doppel::Error naming the path
    /// (missing, empty, not a video/image, a folder with no images).
    explicit FrameSource(const std::filesystem::path& path);
    ~FrameSource();
    FrameSource(const FrameSource&) = delete;
    FrameSource& operator=(const FrameSource&) = delete;

    const FrameSourceInfo& info() const { return info_; }

    /// Throws doppel::Error naming `path` unless it opens and its first frame decodes: what
    /// `doppel new`, `add-source` and the studio check before they copy an input in, so that a
    /// file that is no video (or an image that is damaged) is refused at once, not at extract.
    static void requireFrames(const std::filesystem::path& path);

    /// The next frame; false at the end. `needPixels` false skips decoding the pixels where the
    /// source allows it (images are not read at all; video frames are decoded but not converted).
    bool next(SourceFrame& frame, bool needPixels = true);
    /// As above, but asks `wantPixels` (with index, time and file filled in) whether to decode
    /// the pixels of this frame; extraction uses it to skip frames outside its time range and
    /// frames already on disk without converting them.
    bool next(SourceFrame& frame, const std::function<bool(const SourceFrame&)>& wantPixels);

    /// One line per problem met so far (a skipped image, a video that stopped early).
    const std::vector<std::string>& warnings() const { return warnings_; }

  private:
    FrameSourceInfo info_;
    std::unique_ptr<VideoReader> video_;
    std::vector<std::filesystem::path> images_;
    size_t nextImage_ = 0;
    bool videoEnded_ = false;
    std::vector<std::string> warnings_;
};

/// "img2.png" < "img10.png": digit runs compare by value, the rest byte-wise.
bool naturalLess(const std::string& a, const std::string& b);

/// The image files directly inside `folder` (see hasImageExtension), in natural order.
std::vector<std::filesystem::path> listImagesNaturally(const std::filesystem::path& folder);

}  // namespace doppel
