#include "pipeline/EmbeddedFrameFaces.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/ParallelFor.h"
#include "media/ImageIO.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

/// frames/index.json's records of photo frames: frame number -> file name in its input.
std::map<int64_t, std::string> photoSourceFiles(const fs::path& framesDir) {
    std::map<int64_t, std::string> out;
    const fs::path index = framesDir / "index.json";
    std::error_code ec;
    if (!fs::is_regular_file(index, ec)) return out;
    try {
        const nlohmann::json j = readJsonFile(index);
        if (!j.contains("frames") || !j["frames"].is_array()) return out;
        for (const auto& record : j["frames"])
            if (record.contains("source_file") && record["source_file"].is_string())
                out[record.value("index", int64_t(0))] = record["source_file"].get<std::string>();
    } catch (const std::exception&) {
        // Without the index the photos are simply detected, as before.
    }
    return out;
}

}  // namespace

std::map<int64_t, FrameEmbeddedFace> embeddedFacesOfFrames(const Workspace& workspace, Side side,
                                                           const std::vector<FrameFile>& frames,
                                                           std::vector<std::string>& warnings,
                                                           int threads) {
    const std::map<int64_t, std::string> sources = photoSourceFiles(workspace.framesDir(side));
    if (sources.empty()) return {};
    std::map<int, fs::path> inputOfBlock;
    for (const SideInput& input : workspace.inputs(side)) inputOfBlock[input.block] = input.path;
    struct Candidate {
        const FrameFile* frame;
        fs::path file;
        std::optional<FrameEmbeddedFace> found;
        std::string warning;
    };
    std::vector<Candidate> candidates;
    for (const FrameFile& frame : frames) {
        auto source = sources.find(frame.index);
        auto input = inputOfBlock.find(inputOfFrame(frame.index));
        if (source == sources.end() || input == inputOfBlock.end()) continue;
        std::error_code ec;
        candidates.push_back(
            {&frame,
             fs::is_directory(input->second, ec) ? input->second / source->second : input->second,
             std::nullopt, std::string()});
    }
    // A faceset brought in may hold thousands of faces: their files are read on every core.
    parallelFor(int64_t(candidates.size()), threads, [&](int64_t i, int) {
        Candidate& c = candidates[size_t(i)];
        try {
            std::optional<EmbeddedFace> face = readEmbeddedFace(c.file);
            if (!face) return;
            const std::optional<cv::Size> original = readImageHeader(c.file);
            const std::optional<cv::Size> decoded = readImageHeader(c.frame->path);
            if (!original || !decoded || original->width <= 0)
                throw Error(ErrorCode::InvalidInput, c.file.string() + ": unreadable image header");
            const double scale = double(decoded->width) / original->width;
            // The frame must be the photo, only scaled: a photo turned by its EXIF orientation,
            // or metadata written for an image of another size, would put the face elsewhere.
            const bool sameShape = std::abs(original->height * scale - decoded->height) <= 1.0;
            const bool metadataFits = face->width <= 0 || (face->width == original->width &&
                                                           face->height == original->height);
            if (!sameShape || !metadataFits)
                throw Error(ErrorCode::InvalidInput, c.file.string() +
                                                         ": its face metadata is for an image of "
                                                         "another size");
            c.found = FrameEmbeddedFace{std::move(*face), c.file, scale};
        } catch (const Error& e) {
            c.warning = std::string(e.what()) + "; the face is detected instead";
        }
    });
    std::map<int64_t, FrameEmbeddedFace> out;
    for (Candidate& c : candidates) {
        if (c.found) out[c.frame->index] = std::move(*c.found);
        if (!c.warning.empty()) warnings.push_back(std::move(c.warning));
    }
    return out;
}

EmbeddedFace inFramePixels(const FrameEmbeddedFace& embedded) {
    EmbeddedFace face = embedded.face;
    const float s = float(embedded.scale);
    for (auto& p : face.landmarks) p = {p[0] * s, p[1] * s};
    for (MaskPolygon& polygon : face.polygons)
        for (auto& p : polygon.points) p = {p[0] * s, p[1] * s};
    return face;
}

cv::Mat maskInAligned(const FrameEmbeddedFace& embedded, const cv::Matx23d& frameToAligned,
                      int size) {
    const cv::Mat mask = embedded.face.mask();
    if (mask.empty()) return {};
    // Scale to frame pixels first, then the face's own alignment: one warp, same as the image.
    cv::Matx33d toFrame(embedded.scale, 0, 0, 0, embedded.scale, 0, 0, 0, 1);
    cv::Matx33d align(frameToAligned(0, 0), frameToAligned(0, 1), frameToAligned(0, 2),
                      frameToAligned(1, 0), frameToAligned(1, 1), frameToAligned(1, 2), 0, 0, 1);
    const cv::Matx33d both = align * toFrame;
    cv::Mat aligned;
    cv::warpAffine(mask, aligned, cv::Matx23d(both.val), cv::Size(size, size), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar(0));
    return aligned;
}

DetectedFace asDetectedFace(const EmbeddedFace& face) {
    DetectedFace d;
    float left = face.landmarks[0][0], top = face.landmarks[0][1], right = left, bottom = top;
    for (const auto& p : face.landmarks) {
        left = std::min(left, p[0]), right = std::max(right, p[0]);
        top = std::min(top, p[1]), bottom = std::max(bottom, p[1]);
    }
    d.box = cv::Rect2f(left, top, right - left, bottom - top);
    d.score = 1;  // as sure as a face gets: someone aligned it and kept it
    d.landmarks = face.landmarks;
    return d;
}

std::vector<MaskPolygon> polygonsInAligned(const FrameEmbeddedFace& embedded,
                                           const cv::Matx23d& m) {
    std::vector<MaskPolygon> polygons = inFramePixels(embedded).polygons;
    for (MaskPolygon& polygon : polygons)
        for (auto& p : polygon.points)
            p = {float(m(0, 0) * p[0] + m(0, 1) * p[1] + m(0, 2)),
                 float(m(1, 0) * p[0] + m(1, 1) * p[1] + m(1, 2))};
    return polygons;
}

}  // namespace doppel
