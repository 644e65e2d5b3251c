#include "pipeline/FrameFiles.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

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
    bool numeric = true;
    for (const auto& f : frames) {
        std::string stem = f.path.stem().string();
        numeric =
            numeric && !stem.empty() && stem.size() <= 12 &&
            std::all_of(stem.begin(), stem.end(), [](unsigned char c) { return std::isdigit(c); });
    }
    for (size_t i = 0; i < frames.size(); ++i)
        frames[i].index = numeric ? std::stoll(frames[i].path.stem().string()) : int64_t(i + 1);
    return frames;
}

bool framesAreVideo(const fs::path& framesDir, size_t frameCount) {
    if (frameCount < 2) return false;
    fs::path index = framesDir / "index.json";
    if (fs::exists(index)) {
        try {
            nlohmann::json j = readJsonFile(index);
            for (const char* key : {"kind", "source_kind"})
                if (j.contains(key) && j[key].is_string())
                    return j[key].get<std::string>() == "video";
        } catch (const std::exception&) {
            // An unreadable index only loses the hint; the frames themselves are what matter.
        }
    }
    return true;
}

std::string frameStem(int64_t index) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%06lld", static_cast<long long>(index));
    return buffer;
}

}  // namespace doppel
