#include "pipeline/FrameFiles.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "common/AtomicFile.h"
#include "media/ImageIO.h"

namespace doppel {
namespace fs = std::filesystem;

std::vector<FrameFile> listFrames(const fs::path& dir) {
    std::vector<FrameFile> frames;
    if (!fs::is_directory(dir)) return frames;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && hasImageExtension(entry.path()))
            frames.push_back({entry.path(), 0});
    std::sort(frames.begin(), frames.end(), [](const FrameFile& a, const FrameFile& b) {
        return a.path.filename() < b.path.filename();
    });
    // Extracted frames "000001.png" ... and, from a second input on, "1000001.png" ...: numbered
    // by their names and ordered by number (a name sort puts 1000001 before 999999). Any other
    // name (a photo dropped in) numbers every frame by position, so indices never collide.
    bool numeric = true;
    for (const auto& f : frames) {
        std::string stem = f.path.stem().string();
        numeric =
            numeric && !stem.empty() && stem.size() <= 12 &&
            std::all_of(stem.begin(), stem.end(), [](unsigned char c) { return std::isdigit(c); });
    }
    for (size_t i = 0; i < frames.size(); ++i)
        frames[i].index = numeric ? std::stoll(frames[i].path.stem().string()) : int64_t(i + 1);
    if (numeric)
        std::stable_sort(frames.begin(), frames.end(),
                         [](const FrameFile& a, const FrameFile& b) { return a.index < b.index; });
    return frames;
}

std::vector<bool> videoFrames(const fs::path& framesDir, const std::vector<FrameFile>& frames) {
    std::vector<bool> video(frames.size(), frames.size() >= 2);
    if (frames.size() < 2) return video;
    const fs::path index = framesDir / "index.json";
    if (!fs::exists(index)) return video;
    try {
        const nlohmann::json j = readJsonFile(index);
        if (j.contains("segments") && j["segments"].is_array() && !j["segments"].empty()) {
            std::map<int, bool> inputIsVideo;
            for (const auto& segment : j["segments"])
                inputIsVideo[inputOfFrame(segment.value("first", int64_t(1)))] =
                    segment.value("kind", std::string()) == "video";
            for (size_t i = 0; i < frames.size(); ++i) {
                auto it = inputIsVideo.find(inputOfFrame(frames[i].index));
                video[i] = it != inputIsVideo.end() && it->second;
            }
            return video;
        }
        for (const char* key : {"kind", "source_kind"})
            if (j.contains(key) && j[key].is_string())
                return std::vector<bool>(frames.size(), j[key].get<std::string>() == "video");
    } catch (const std::exception&) {
        // An unreadable index only loses the hint; the frames themselves are what matter.
    }
    return video;
}

bool continuesVideo(const std::vector<FrameFile>& frames, const std::vector<bool>& video,
                    size_t i) {
    return i > 0 && i < frames.size() && video[i] && video[i - 1] &&
           inputOfFrame(frames[i].index) == inputOfFrame(frames[i - 1].index);
}

std::string frameStem(int64_t index) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%06lld", static_cast<long long>(index));
    return buffer;
}

}  // namespace doppel
