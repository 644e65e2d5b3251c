#include "merge/MergeSource.h"

#include <algorithm>
#include <map>

#include <opencv2/imgcodecs.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/Log.h"
#include "media/ImageIO.h"
#include "merge/FaceCompositor.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

// Frame number from a name like "000123.png"; 0 when the stem is not a number.
int64_t frameNumberOf(const fs::path& file) {
    std::string stem = file.stem().string();
    if (stem.empty() || !std::all_of(stem.begin(), stem.end(), ::isdigit)) return 0;
    return std::stoll(stem);
}

std::vector<MergeFrame> listFrames(const fs::path& framesDir) {
    std::vector<MergeFrame> frames;
    fs::path index = framesDir / "index.json";
    if (fs::exists(index)) {
        nlohmann::json j = readJsonFile(index);
        if (!j.contains("frames") || !j["frames"].is_array())
            throw Error(ErrorCode::InvalidInput, index.string() + ": no \"frames\" list");
        for (const auto& f : j["frames"]) {
            MergeFrame frame;
            frame.index = f.value("index", int64_t(0));
            frame.file = framesDir / f.value("file", std::string());
            if (frame.index <= 0 || frame.file.filename().empty())
                throw Error(ErrorCode::InvalidInput,
                            index.string() + ": bad frame entry " + f.dump());
            frames.push_back(std::move(frame));
        }
    } else if (fs::is_directory(framesDir)) {
        for (const auto& entry : fs::directory_iterator(framesDir)) {
            if (!entry.is_regular_file() || !hasImageExtension(entry.path())) continue;
            int64_t n = frameNumberOf(entry.path());
            if (n > 0) frames.push_back({n, entry.path(), {}});
        }
    }
    std::sort(frames.begin(), frames.end(),
              [](const MergeFrame& a, const MergeFrame& b) { return a.index < b.index; });
    return frames;
}

}  // namespace

MergeSource::MergeSource(const Workspace& workspace) {
    fs::path framesDir = workspace.framesDir(Side::Dst);
    frames_ = listFrames(framesDir);
    if (frames_.empty())
        throw Error(ErrorCode::NotFound, "no destination frames in " + framesDir.string() +
                                             " (run `doppel extract --side dst` first)");
    fs::path alignedDir = workspace.alignedDir(Side::Dst);
    alignedDir_ = alignedDir;
    std::vector<AlignedFace> faces =
        fs::is_directory(alignedDir) ? listAlignedFaces(alignedDir) : std::vector<AlignedFace>{};
    if (faces.empty())
        throw Error(ErrorCode::NotFound, "no aligned destination faces in " + alignedDir.string() +
                                             " (run `doppel align --side dst` first)");
    std::map<int64_t, size_t> byIndex;
    for (size_t i = 0; i < frames_.size(); ++i) byIndex[frames_[i].index] = i;
    for (auto& face : faces) {
        auto it = byIndex.find(face.frameIndex);
        if (it != byIndex.end()) frames_[it->second].faces.push_back(std::move(face));
    }
}

MergeSource::MergeSource(std::vector<MergeFrame> frames) : frames_(std::move(frames)) {
    std::sort(frames_.begin(), frames_.end(),
              [](const MergeFrame& a, const MergeFrame& b) { return a.index < b.index; });
}

const MergeFrame* MergeSource::find(int64_t index) const {
    auto it = std::lower_bound(frames_.begin(), frames_.end(), index,
                               [](const MergeFrame& f, int64_t i) { return f.index < i; });
    return it != frames_.end() && it->index == index ? &*it : nullptr;
}

int64_t MergeSource::faceCount() const {
    int64_t n = 0;
    for (const auto& f : frames_) n += int64_t(f.faces.size());
    return n;
}

std::string MergeSource::faceType() const {
    for (const auto& f : frames_)
        if (!f.faces.empty()) return f.faces.front().faceType;
    return "";
}

cv::Mat MergeSource::loadFrame(const MergeFrame& frame) {
    return loadImage(frame.file, ImageReadMode::Color);
}

const AlignedFace* MergeSource::sameTrack(int64_t frameIndex, const AlignedFace& face) const {
    const MergeFrame* other = find(frameIndex);
    if (!other) return nullptr;
    for (const auto& f : other->faces) {
        bool same = face.trackId >= 0 ? f.trackId == face.trackId : f.faceIndex == face.faceIndex;
        if (same) return &f;
    }
    return nullptr;
}

cv::Mat MergeSource::segmentationOf(const AlignedFace& face) const {
    if (alignedDir_.empty()) return {};
    const fs::path path = alignedDir_ / face.xsegMaskName();
    std::error_code ec;
    if (!fs::exists(path, ec)) return {};
    cv::Mat mask = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
    if (mask.empty()) logWarning(path.string() + ": unreadable xseg mask, the hull is used");
    return mask;
}

cv::Vec2d MergeSource::motionOf(const MergeFrame& frame, const AlignedFace& face) const {
    return FaceCompositor::landmarkMotion(sameTrack(frame.index - 1, face), face,
                                          sameTrack(frame.index + 1, face));
}

}  // namespace doppel
