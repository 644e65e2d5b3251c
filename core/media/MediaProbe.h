#pragma once
// What the project page shows about an input before anything is extracted: kind, size, frame
// rate, length, audio, codec, and a small thumbnail. Plain types only (the GUI includes this).
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/Image.h"

namespace doppel {

enum class MediaKind { Video, Image, ImageFolder };
const char* mediaKindName(MediaKind kind);  ///< "video", "image", "folder"

struct MediaInfo {
    MediaKind kind = MediaKind::Video;
    std::filesystem::path path;
    int width = 0;  ///< folder: the first image that decodes
    int height = 0;
    double fps = 0;              ///< video: average fps; images: 0
    double durationSeconds = 0;  ///< video only
    int64_t frameCount = 0;      ///< video: the container's count or an estimate; folder: images
    bool hasAudio = false;
    std::string codec;  ///< "h264", ... or "image"

    /// One line such as "video 360x288, 25.00 fps, 6.0 s, 150 frames, h264, audio".
    std::string summary() const;
};

/// Throws doppel::Error naming the path when it is missing or not a video/image/image folder.
MediaInfo probeMedia(const std::filesystem::path& path);

/// A BGR thumbnail whose longer side is at most `maxSide` pixels: for a video, the frame about
/// a second in (or 10 % of a short clip), so it is rarely a black lead-in frame. Throws like
/// probeMedia.
ImageU8 readThumbnail(const std::filesystem::path& path, int maxSide = 320);

}  // namespace doppel
