#include "pipeline/PackStage.h"

#include <atomic>
#include <cstring>
#include <mutex>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "common/Log.h"
#include "common/PackedFaceset.h"
#include "common/ParallelFor.h"
#include "common/StageLock.h"
#include "faces/AlignedFace.h"
#include "faces/HullMask.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

/// A face's XSeg mask (xseg-apply) at `size`, thresholded to 0/255; empty when there is none.
cv::Mat readPredictedMask(const fs::path& path, int size) {
    if (!fs::exists(path)) return {};
    cv::Mat mask = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
    if (mask.empty()) {
        logWarning(path.string() + ": unreadable mask, the landmark hull is used");
        return {};
    }
    if (mask.cols != size) cv::resize(mask, mask, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
    cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
    return mask;
}

}  // namespace

const OptionSchema& PackStage::optionSchema() {
    static const OptionSchema schema = [] {
        OptionSchema s;
        s.addInt("resolution", 128, 32, 1024,
                 "side of the packed faces in pixels (the model's resolution)");
        s.addInt("threads", 0, 0, 256, "worker threads (0 = all cores)").inGroup("Performance");
        return s;
    }();
    return schema;
}

StageResult PackStage::runBothSides(const Workspace& workspace, const nlohmann::json& options,
                                    ProgressSink& progress, const CancelToken& cancel) {
    StageResult result = StageResult::succeeded("nothing packed");
    for (Side side : {Side::Src, Side::Dst}) {
        result = run(workspace, side, options, progress, cancel);
        if (!result.ok()) return result;
    }
    return result;
}

StageResult PackStage::run(const Workspace& workspace, Side side,
                           const nlohmann::json& givenOptions, ProgressSink& progress,
                           const CancelToken& cancel) {
    const std::string key = std::string("pack.") + sideName(side);
    const StageLock lock(workspace.stageLockFile(key), std::string("pack ") + sideName(side));
    StageResult result = runStageSafely("pack", [&]() -> StageResult {
        nlohmann::json options = optionSchema().resolve(givenOptions);
        const int resolution = options.at("resolution").get<int>();
        const int threads = options.at("threads").get<int>() > 0 ? options.at("threads").get<int>()
                                                                 : defaultThreadCount();
        workspace.setStageOptions(key, options);
        workspace.setStageStatus(key, "running");

        const fs::path alignedDir = workspace.alignedDir(side);
        // Faces whose image was deleted in review drop out here (listAlignedFaces skips them).
        std::vector<AlignedFace> faces = listAlignedFaces(alignedDir);
        if (faces.empty())
            throw Error(ErrorCode::NotFound, "no aligned faces in " + alignedDir.string() +
                                                 ": run `doppel align --side " + sideName(side) +
                                                 "` first");
        for (const auto& f : faces)
            if (f.faceType != faces.front().faceType)
                throw Error(ErrorCode::InvalidInput,
                            (alignedDir / f.metaName()).string() + ": face type " + f.faceType +
                                " differs from " + faces.front().faceType +
                                " of the other faces; re-run align with --set redo=true");

        const size_t n = faces.size(), r = size_t(resolution);
        const size_t facePixels = r * r * 3, maskPixels = r * r * 2;
        std::vector<uint8_t> facesData(n * facePixels), masksData(n * maskPixels);
        std::vector<float> landmarksData(n * 68 * 2);
        std::vector<char> usable(n, 0);
        std::atomic<int64_t> done{0}, predicted{0};
        std::mutex progressMutex;
        ProgressEvent event;
        event.stage = "pack";
        event.side = sideName(side);
        event.total = int64_t(n);

        parallelFor(int64_t(n), threads, [&](int64_t i, int) {
            if (cancel.isCancelled()) return;
            const AlignedFace& face = faces[size_t(i)];
            fs::path imagePath = alignedDir / face.imageName();
            cv::Mat image = cv::imread(imagePath.string(), cv::IMREAD_COLOR);
            if (!image.empty() && image.cols == image.rows) {
                cv::Mat resized;
                int interpolation = image.cols > resolution ? cv::INTER_AREA : cv::INTER_CUBIC;
                cv::resize(image, resized, cv::Size(resolution, resolution), 0, 0, interpolation);
                std::memcpy(facesData.data() + size_t(i) * facePixels, resized.data, facePixels);

                // Landmarks at the packed resolution: aligned space scaled by resolution / size.
                float scale = float(resolution) / float(face.size);
                LandmarkPoints points = face.alignedLandmarks();
                for (auto& p : points) p = {p[0] * scale, p[1] * scale};
                for (size_t k = 0; k < 68; ++k) {
                    landmarksData[size_t(i) * 136 + 2 * k] = points[k][0];
                    landmarksData[size_t(i) * 136 + 2 * k + 1] = points[k][1];
                }
                // The face's mask: drawn (mask editor), else predicted (xseg-apply), else the
                // landmark hull.
                cv::Mat hull;
                if (face.hasDrawnMask()) {
                    hull = drawnFaceMask(face.maskPolygons, face.size, resolution);
                } else {
                    hull = readPredictedMask(alignedDir / face.xsegMaskName(), resolution);
                    if (!hull.empty()) ++predicted;
                }
                if (hull.empty()) hull = landmarkHullMask(points, resolution);
                cv::Mat eyesMouth = eyesMouthMask(points, resolution);
                cv::Mat both;
                cv::merge(std::vector<cv::Mat>{hull, eyesMouth}, both);
                std::memcpy(masksData.data() + size_t(i) * maskPixels, both.data, maskPixels);
                usable[size_t(i)] = 1;
            }
            int64_t now = ++done;
            std::lock_guard<std::mutex> lock(progressMutex);
            ProgressEvent e = event;
            e.done = now;
            e.message = face.imageName();
            progress.report(e);
        });
        if (cancel.isCancelled()) {
            StageResult stopped = StageResult::cancelled("cancelled while packing");
            stopped.changedNothing = true;  // nothing written yet: the pack from before stands
            return stopped;
        }

        PackedFaceset set;
        set.side = sideName(side);
        set.resolution = resolution;
        set.faceType = faces.front().faceType;
        std::vector<std::string> warnings;
        for (size_t i = 0; i < n; ++i) {
            if (!usable[i]) {
                warnings.push_back((alignedDir / faces[i].imageName()).string() +
                                   ": unreadable or not square, left out of the pack");
                continue;
            }
            set.names.push_back(faces[i].imageName());
            set.ids.push_back(faces[i].frameIndex * 100 + faces[i].faceIndex);
            set.faces.insert(set.faces.end(), facesData.begin() + i * facePixels,
                             facesData.begin() + (i + 1) * facePixels);
            set.masks.insert(set.masks.end(), masksData.begin() + i * maskPixels,
                             masksData.begin() + (i + 1) * maskPixels);
            set.landmarks.insert(set.landmarks.end(), landmarksData.begin() + i * 136,
                                 landmarksData.begin() + (i + 1) * 136);
        }
        if (set.ids.empty())
            throw Error(ErrorCode::InvalidInput, "none of the " + std::to_string(n) +
                                                     " aligned faces in " + alignedDir.string() +
                                                     " could be read");
        int64_t drawn = 0;
        for (size_t i = 0; i < n; ++i) drawn += usable[i] && faces[i].hasDrawnMask();
        set.extra = {{"aligned_size", faces.front().size},
                     {"mask_channels", {"hull", "eyes_mouth"}},
                     {"drawn_masks", drawn},
                     {"xseg_masks", predicted.load()},
                     {"created", utcTimestamp()}};
        writePackedFaceset(workspace.packedDir(side), set);

        StageResult ok = StageResult::succeeded(
            "packed " + std::to_string(set.count()) + " faces at " + std::to_string(resolution) +
                " px into " + workspace.packedDir(side).string() +
                (drawn ? " (" + std::to_string(drawn) + " with drawn masks)" : "") +
                (predicted ? " (" + std::to_string(predicted.load()) + " with xseg masks)" : ""),
            {{"faces", set.count()},
             {"drawn_masks", drawn},
             {"xseg_masks", predicted.load()},
             {"left_out", int64_t(n) - set.count()},
             {"resolution", resolution},
             {"face_type", set.faceType}});
        ok.warnings = warnings;
        return ok;
    });
    workspace.recordStageResult(key, result);
    return result;
}

}  // namespace doppel
