#include "pipeline/XSegStage.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/PackedFaceset.h"
#include "faces/AlignedFace.h"
#include "faces/HullMask.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

cv::Mat readFace(const fs::path& path, int resolution) {
    cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
    if (image.empty() || image.cols != image.rows)
        throw Error(ErrorCode::InvalidInput, path.string() + ": unreadable or not a square face");
    if (image.cols != resolution)
        cv::resize(image, image, cv::Size(resolution, resolution), 0, 0,
                   image.cols > resolution ? cv::INTER_AREA : cv::INTER_CUBIC);
    return image;
}

void writeMaskAtomic(const fs::path& path, const cv::Mat& mask) {
    std::vector<uchar> png;
    if (!cv::imencode(".png", mask, png))
        throw Error(ErrorCode::Io, "cannot encode " + path.string());
    writeFileAtomic(path, std::string(png.begin(), png.end()));
}

}  // namespace

StageResult XSegStage::prepareLabelled(const Workspace& ws, int resolution, ProgressSink& progress,
                                       const CancelToken& cancel) {
    PackedFaceset set;
    set.side = "labelled";
    set.resolution = resolution;
    const size_t r = size_t(resolution);
    int64_t perSide[2] = {0, 0};
    ProgressEvent event;
    event.stage = "xseg";
    event.message = "gathering faces with drawn masks";
    for (Side side : {Side::Src, Side::Dst}) {
        for (const AlignedFace& face : listAlignedFaces(ws.alignedDir(side))) {
            if (cancel.isCancelled()) return StageResult::cancelled("cancelled");
            if (!face.hasDrawnMask()) continue;
            cv::Mat image = readFace(ws.alignedDir(side) / face.imageName(), resolution);
            cv::Mat drawn = drawnFaceMask(face.maskPolygons, face.size, resolution);
            set.faces.insert(set.faces.end(), image.data, image.data + r * r * 3);
            cv::Mat both;
            cv::merge(std::vector<cv::Mat>{drawn, cv::Mat::zeros(drawn.size(), CV_8UC1)}, both);
            set.masks.insert(set.masks.end(), both.data, both.data + r * r * 2);
            for (const auto& p : face.alignedLandmarks()) {
                const float scale = float(resolution) / float(face.size);
                set.landmarks.push_back(p[0] * scale);
                set.landmarks.push_back(p[1] * scale);
            }
            set.ids.push_back((side == Side::Src ? 0 : 1'000'000'000LL) + face.frameIndex * 100 +
                              face.faceIndex);
            set.names.push_back(std::string(sideName(side)) + "/" + face.imageName());
            if (set.faceType.empty()) set.faceType = face.faceType;
            ++perSide[side == Side::Src ? 0 : 1];
            ++event.done;
            progress.report(event);
        }
    }
    if (set.count() == 0)
        throw Error(ErrorCode::NotFound,
                    "no face has a drawn mask yet: draw some first (studio: Faces page, double "
                    "click a face; the more varied, the better, e.g. 10-50 from both videos)");
    writePackedFaceset(ws.xsegDir() / "labelled", set);
    return StageResult::succeeded(
        std::to_string(set.count()) + " faces with drawn masks (" + std::to_string(perSide[0]) +
            " src, " + std::to_string(perSide[1]) + " dst)",
        {{"labelled", set.count()}, {"labelled_src", perSide[0]}, {"labelled_dst", perSide[1]}});
}

StageResult XSegStage::apply(const Workspace& ws, Side side, MaskPredictor& predictor,
                             ProgressSink& progress, const CancelToken& cancel) {
    return runStageSafely("xseg-apply", [&]() -> StageResult {
        const fs::path dir = ws.alignedDir(side);
        std::vector<AlignedFace> faces = listAlignedFaces(dir);
        if (faces.empty())
            throw Error(ErrorCode::NotFound, "no aligned faces in " + dir.string() +
                                                 ": run `doppel align --side " + sideName(side) +
                                                 "` first");
        const int res = predictor.resolution();
        ProgressEvent event;
        event.stage = "xseg-apply";
        event.side = sideName(side);
        event.total = int64_t(faces.size());
        event.started = std::chrono::steady_clock::now();
        constexpr size_t kBatch = 16;
        for (size_t start = 0; start < faces.size(); start += kBatch) {
            if (cancel.isCancelled())
                return StageResult::cancelled("cancelled after " + std::to_string(start) +
                                              " faces (their masks are written)");
            const size_t end = std::min(faces.size(), start + kBatch);
            std::vector<ImageU8> batch;
            for (size_t i = start; i < end; ++i) {
                cv::Mat image = readFace(dir / faces[i].imageName(), res);
                ImageU8 face(res, res, 3);
                std::copy(image.data, image.data + face.pixels.size(), face.pixels.begin());
                batch.push_back(std::move(face));
            }
            std::vector<ImageF32> masks = predictor.predict(batch);
            for (size_t i = start; i < end; ++i) {
                const ImageF32& m = masks[i - start];
                cv::Mat grey(res, res, CV_8UC1);
                for (size_t p = 0; p < m.pixels.size(); ++p)
                    grey.data[p] = cv::saturate_cast<uchar>(m.pixels[p] * 255.0f);
                writeMaskAtomic(dir / faces[i].xsegMaskName(), grey);
            }
            event.done = int64_t(end);
            event.message = faces[end - 1].imageName();
            progress.report(event);
        }
        const std::string message = std::to_string(faces.size()) + " " + sideName(side) +
                                    " face masks written next to the faces in " + dir.string() +
                                    " (" + predictor.describe() + ")";
        ws.setStageStatus(std::string("xseg.") + sideName(side), "done", message);
        return StageResult::succeeded(message, {{"faces", int64_t(faces.size())}});
    });
}

int XSegStage::removeMasks(const Workspace& ws, Side side) {
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(ws.alignedDir(side), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 9 && name.compare(name.size() - 9, 9, "_xseg.png") == 0 &&
            fs::remove(entry.path(), ec))
            ++removed;
    }
    // The faces' masks changed: packs and merges made with them are stale (StageFreshness).
    if (removed > 0)
        ws.setStageStatus(std::string("xseg.") + sideName(side), "done",
                          std::to_string(removed) + " face masks removed");
    return removed;
}

}  // namespace doppel
