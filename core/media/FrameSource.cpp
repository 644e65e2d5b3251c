#include "media/FrameSource.h"

#include <algorithm>
#include <cctype>

#include "common/Error.h"
#include "media/ImageIO.h"
#include "media/VideoReader.h"

namespace fs = std::filesystem;

namespace doppel {

const char* frameSourceKindName(FrameSourceKind kind) {
    switch (kind) {
        case FrameSourceKind::Video:
            return "video";
        case FrameSourceKind::Image:
            return "image";
        case FrameSourceKind::ImageFolder:
            return "folder";
    }
    return "";
}

bool naturalLess(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        bool digitA = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
        bool digitB = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
        if (digitA && digitB) {
            size_t endA = i, endB = j;
            while (endA < a.size() && std::isdigit(static_cast<unsigned char>(a[endA]))) ++endA;
            while (endB < b.size() && std::isdigit(static_cast<unsigned char>(b[endB]))) ++endB;
            // Compare the values without overflow: strip leading zeros, then longer is larger.
            size_t startA = i, startB = j;
            while (startA + 1 < endA && a[startA] == '0') ++startA;
            while (startB + 1 < endB && b[startB] == '0') ++startB;
            size_t lenA = endA - startA, lenB = endB - startB;
            if (lenA != lenB) return lenA < lenB;
            int cmp = a.compare(startA, lenA, b, startB, lenB);
            if (cmp != 0) return cmp < 0;
            // Equal values: fewer leading zeros first, so the order is still total.
            if (endA - i != endB - j) return endA - i < endB - j;
            i = endA, j = endB;
            continue;
        }
        if (a[i] != b[j])
            return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
        ++i, ++j;
    }
    return a.size() - i < b.size() - j;
}

std::vector<fs::path> listImagesNaturally(const fs::path& folder) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        // Another workspace's aligned/ brought in as photos holds each face's XSeg mask next
        // to it ("000001_0_xseg.png", AlignedFace::xsegMaskName): a mask, not a photo.
        const std::string name = it->path().filename().string();
        const bool xsegMask = name.size() > 9 && name.compare(name.size() - 9, 9, "_xseg.png") == 0;
        if (it->is_regular_file() && hasImageExtension(it->path()) && !xsegMask)
            files.push_back(it->path());
    }
    if (ec)
        throw Error(ErrorCode::Io,
                    folder.string() + ": cannot list the folder (" + ec.message() + ")");
    std::sort(files.begin(), files.end(), [](const fs::path& x, const fs::path& y) {
        return naturalLess(x.filename().string(), y.filename().string());
    });
    return files;
}

void FrameSource::requireFrames(const fs::path& path) {
    FrameSource source(path);
    SourceFrame first;
    if (source.next(first) && !first.bgr.empty()) return;
    std::string why = source.warnings().empty() ? "" : " (" + source.warnings().front() + ")";
    throw Error(ErrorCode::InvalidInput,
                path.string() + ": no frame could be decoded" + why + "; is it a video or photo?");
}

FrameSource::FrameSource(const fs::path& path) {
    info_.path = path;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorCode::NotFound, path.string() + ": not found");
    if (fs::is_directory(path, ec)) {
        info_.kind = FrameSourceKind::ImageFolder;
        images_ = listImagesNaturally(path);
        if (images_.empty())
            throw Error(
                ErrorCode::InvalidInput,
                path.string() + ": the folder holds no images (png, jpg, jpeg, bmp, tif, webp)");
        // What the folder holds besides: said once, not dropped without a word.
        int otherFiles = 0, folders = 0;
        std::string example;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (it->is_directory()) {
                ++folders;
            } else if (!hasImageExtension(it->path()) && !name.empty() && name[0] != '.' &&
                       it->path().extension() != ".json") {  // metadata beside photos
                if (otherFiles++ == 0) example = name;
            }
        }
        if (otherFiles > 0)
            warnings_.push_back(path.string() + ": " + std::to_string(otherFiles) +
                                " file(s) that are not photos were left out (e.g. " + example +
                                "; photos: png, jpg, bmp, tif, webp)");
        if (folders > 0)
            warnings_.push_back(path.string() + ": " + std::to_string(folders) +
                                " subfolder(s) not read (only the photos in the folder itself)");
    } else if (hasImageExtension(path)) {
        info_.kind = FrameSourceKind::Image;
        images_ = {path};
        // Decode now: a single broken image is an error, not something to skip.
        cv::Mat probe = loadImage(path);
        info_.width = probe.cols;
        info_.height = probe.rows;
    } else {
        info_.kind = FrameSourceKind::Video;
        video_ = std::make_unique<VideoReader>(path);
        const VideoStreamInfo& v = video_->info();
        info_.width = v.width;
        info_.height = v.height;
        info_.fps = v.averageFps;
        info_.timeBaseNum = v.timeBaseNum;
        info_.timeBaseDen = v.timeBaseDen;
        info_.durationSeconds = v.durationSeconds;
        info_.frameCountEstimate = v.frameCountEstimate;
        info_.hasAudio = v.hasAudio;
        info_.codecName = v.codecName;
        return;
    }
    info_.fps = kImageSequenceFps;
    info_.timeBaseNum = 1;
    info_.timeBaseDen = int(kImageSequenceFps);
    info_.frameCountEstimate = int64_t(images_.size());
    info_.durationSeconds = double(images_.size()) / kImageSequenceFps;
    info_.codecName = "image";
}

FrameSource::~FrameSource() = default;

bool FrameSource::next(SourceFrame& frame, bool needPixels) {
    return next(frame, [needPixels](const SourceFrame&) { return needPixels; });
}

bool FrameSource::next(SourceFrame& frame,
                       const std::function<bool(const SourceFrame&)>& wantPixels) {
    frame.bgr.release();
    if (video_) {
        if (videoEnded_) return false;
        VideoFrame decoded;
        if (!video_->decodeNext(decoded)) {
            videoEnded_ = true;
            if (!video_->warning().empty()) warnings_.push_back(video_->warning());
            return false;
        }
        frame.index = decoded.index;
        frame.ptsSeconds = decoded.ptsSeconds;
        frame.file.clear();
        if (wantPixels(frame)) frame.bgr = video_->currentFrameBgr();
        return true;
    }
    while (nextImage_ < images_.size()) {
        size_t index = nextImage_++;
        frame.index = int64_t(index);
        frame.ptsSeconds = double(index) / kImageSequenceFps;
        frame.file = images_[index];
        frame.bgr.release();
        if (!wantPixels(frame)) return true;
        try {
            frame.bgr = loadImage(images_[index]);
        } catch (const Error& e) {
            if (info_.kind == FrameSourceKind::Image) throw;
            warnings_.push_back(std::string("skipped ") + e.what());
            continue;
        }
        if (info_.width == 0) {
            info_.width = frame.bgr.cols;
            info_.height = frame.bgr.rows;
        }
        return true;
    }
    return false;
}

}  // namespace doppel
