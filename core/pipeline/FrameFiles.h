#pragma once
// The frames of a side as the face stages see them (frames/ of data_src or data_dst): align
// detects in them, manual face placement walks them. One listing so both number them the same.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace doppel {

/// The frames of a side's inputs (the source may have several: clips and photos of one person)
/// are numbered in blocks: input k (0-based) from k * kInputFrameBlock + 1, so the first input's
/// frames keep their plain numbers (000001.png ...) and adding an input never renumbers frames
/// that faces were already aligned from.
constexpr int64_t kInputFrameBlock = 1000000;
inline int64_t firstFrameOfInput(int input) {
    return int64_t(input) * kInputFrameBlock + 1;
}
inline int inputOfFrame(int64_t index) {
    return int((index - 1) / kInputFrameBlock);
}

struct FrameFile {
    std::filesystem::path path;
    int64_t index = 0;  ///< 1-based frame number, from the file name when it is numeric
};

/// The images of `dir` sorted by name. Extracted frames ("000001.png"...) are numbered by their
/// name; when any name is not a number (a photo dropped in), every frame is numbered by position
/// so indices never collide. An absent folder gives no frames.
std::vector<FrameFile> listFrames(const std::filesystem::path& dir);

/// For each of `frames` (listFrames of framesDir): whether it comes from a video input (faces
/// tracked and smoothed across frames) rather than unrelated stills, from frames/index.json's
/// segments (one per input; an older index has one kind for all). A lone frame is never video.
std::vector<bool> videoFrames(const std::filesystem::path& framesDir,
                              const std::vector<FrameFile>& frames);

/// Whether frames[i] continues the video of frames[i - 1]: both video, from the same input. Align
/// tracks, smooths and fills gaps only across such steps, never from one clip into the next.
bool continuesVideo(const std::vector<FrameFile>& frames, const std::vector<bool>& video, size_t i);

/// "000042": the stem aligned faces and merged frames of frame 42 are named with.
std::string frameStem(int64_t index);

}  // namespace doppel
