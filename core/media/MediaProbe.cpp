#include "media/MediaProbe.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "media/FrameSource.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

MediaKind mediaKindOf(FrameSourceKind kind) {
    switch (kind) {
        case FrameSourceKind::Video:
            return MediaKind::Video;
        case FrameSourceKind::Image:
            return MediaKind::Image;
        case FrameSourceKind::ImageFolder:
            return MediaKind::ImageFolder;
    }
    return MediaKind::Video;
}

ImageU8 toImageU8(const cv::Mat& bgr) {
    ImageU8 out(bgr.cols, bgr.rows, bgr.channels());
    for (int y = 0; y < bgr.rows; ++y)
        std::copy(bgr.ptr<uint8_t>(y), bgr.ptr<uint8_t>(y) + size_t(bgr.cols) * bgr.channels(),
                  out.row(y));
    return out;
}

}  // namespace

const char* mediaKindName(MediaKind kind) {
    switch (kind) {
        case MediaKind::Video:
            return "video";
        case MediaKind::Image:
            return "image";
        case MediaKind::ImageFolder:
            return "folder";
    }
    return "";
}

std::string MediaInfo::summary() const {
    char text[256];
    if (kind == MediaKind::Video) {
        std::snprintf(text, sizeof text, "video %dx%d, %.2f fps, %.1f s, %lld frames, %s%s", width,
                      height, fps, durationSeconds, (long long)frameCount, codec.c_str(),
                      hasAudio ? ", audio" : ", no audio");
    } else if (kind == MediaKind::Image) {
        std::snprintf(text, sizeof text, "image %dx%d", width, height);
    } else {
        std::snprintf(text, sizeof text, "folder of %lld images, first %dx%d",
                      (long long)frameCount, width, height);
    }
    return text;
}

MediaInfo probeMedia(const fs::path& path) {
    FrameSource source(path);
    const FrameSourceInfo& s = source.info();
    MediaInfo info;
    info.kind = mediaKindOf(s.kind);
    info.path = path;
    info.width = s.width;
    info.height = s.height;
    info.frameCount = s.frameCountEstimate;
    info.codec = s.codecName;
    if (s.kind == FrameSourceKind::Video) {
        info.fps = s.fps;
        info.durationSeconds = s.durationSeconds;
        info.hasAudio = s.hasAudio;
    } else if (s.kind == FrameSourceKind::ImageFolder) {
        // The folder's size is that of its first image that decodes.
        SourceFrame frame;
        if (source.next(frame, true)) {
            info.width = frame.bgr.cols;
            info.height = frame.bgr.rows;
        }
    }
    return info;
}

ImageU8 readThumbnail(const fs::path& path, int maxSide) {
    FrameSource source(path);
    const FrameSourceInfo& s = source.info();
    double wanted = s.kind == FrameSourceKind::Video ? std::min(1.0, 0.1 * s.durationSeconds) : 0.0;
    // Converting the few frames before the wanted time costs less than seeking (~25 frames).
    SourceFrame frame;
    cv::Mat chosen;
    while (source.next(frame, true)) {
        chosen = frame.bgr;
        if (frame.ptsSeconds + 1e-6 >= wanted) break;
    }
    if (chosen.empty())
        throw Error(ErrorCode::InvalidInput,
                    path.string() + ": no frame could be decoded for a thumbnail");
    cv::Mat bgr = chosen;
    int longer = std::max(bgr.cols, bgr.rows);
    if (maxSide > 0 && longer > maxSide) {
        double scale = double(maxSide) / longer;
        cv::resize(bgr, bgr,
                   cv::Size(std::max(1, int(bgr.cols * scale + 0.5)),
                            std::max(1, int(bgr.rows * scale + 0.5))),
                   0, 0, cv::INTER_AREA);
    }
    return toImageU8(bgr);
}

}  // namespace doppel
