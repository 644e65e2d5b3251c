#pragma once
// The frames of a side as the face stages see them (frames/ of data_src or data_dst): align
// detects in them, manual face placement walks them. One listing so both number them the same.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace doppel {

struct FrameFile {
    std::filesystem::path path;
    int64_t index = 0;  ///< 1-based frame number, from the file name when it is numeric
};

/// The images of `dir` sorted by name. Extracted frames ("000001.png"...) are numbered by their
/// name; when any name is not a number (a photo dropped in), every frame is numbered by position
/// so indices never collide. An absent folder gives no frames.
std::vector<FrameFile> listFrames(const std::filesystem::path& dir);

/// Whether the frames are a video's (tracked and smoothed across) rather than unrelated stills,
/// from frames/index.json's kind; one frame is never a video.
bool framesAreVideo(const std::filesystem::path& framesDir, size_t frameCount);

/// "000042": the stem aligned faces and merged frames of frame 42 are named with.
std::string frameStem(int64_t index);

}  // namespace doppel
