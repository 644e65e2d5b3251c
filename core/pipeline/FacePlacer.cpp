#include "pipeline/FacePlacer.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "common/Log.h"
#include "faces/FaceGeometry.h"
#include "media/ImageIO.h"
#include "pipeline/AlignStage.h"
#include "pipeline/FacesetReview.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

cv::Rect2f boxOf(const AlignedFace& face) {
    return {face.box[0], face.box[1], face.box[2], face.box[3]};
}

void removeIfPresent(const fs::path& path) {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) throw Error(ErrorCode::Io, "cannot remove " + path.string() + ": " + ec.message());
}

}  // namespace

FacePlacer::FacePlacer(const Workspace& workspace, Side side)
    : workspace_(workspace), side_(side), frames_(listFrames(workspace.framesDir(side))) {
    if (frames_.empty())
        throw Error(ErrorCode::NotFound, "no frames in " + workspace.framesDir(side).string() +
                                             ": run `doppel extract --side " + sideName(side) +
                                             "` first");
    // Placed faces must match the side's other faces: the crop align uses (or would use).
    const nlohmann::json options = AlignStage::optionSchema().resolve(
        workspace.stageOptions(std::string("align.") + sideName(side)));
    faceType_ = options.at("face_type").get<std::string>();
    size_ = options.at("size").get<int>();
    jpegQuality_ = options.at("jpeg_quality").get<int>();
    video_ = videoFrames(workspace.framesDir(side), frames_);
    aligned_ = sidecarsByFrame(workspace.alignedDir(side));
}

FacePlacer::~FacePlacer() = default;

const FrameFile& FacePlacer::frame(int64_t index) const {
    auto it = std::find_if(frames_.begin(), frames_.end(),
                           [&](const FrameFile& f) { return f.index == index; });
    if (it == frames_.end())
        throw Error(ErrorCode::NotFound, "no frame " + std::to_string(index) + " in " +
                                             workspace_.framesDir(side_).string() + " (frames " +
                                             std::to_string(frames_.front().index) + ".." +
                                             std::to_string(frames_.back().index) + ")");
    return *it;
}

std::vector<FrameFile> FacePlacer::framesWithoutFace() const {
    std::vector<FrameFile> without;
    for (const FrameFile& f : frames_)
        if (!aligned_.count(f.index)) without.push_back(f);
    return without;
}

std::vector<AlignedFace> FacePlacer::facesOf(int64_t frameIndex) const {
    std::vector<AlignedFace> faces;
    const fs::path dir = workspace_.alignedDir(side_);
    auto it = aligned_.find(frameIndex);
    if (it == aligned_.end()) return faces;
    for (const fs::path& meta : it->second) {
        AlignedFace face = readAlignedFace(meta);
        if (fs::exists(dir / face.imageName())) faces.push_back(std::move(face));
    }
    return faces;
}

cv::Mat FacePlacer::loadFrame(int64_t frameIndex) const {
    return loadImage(frame(frameIndex).path);
}

BoxFit FacePlacer::fit(const cv::Mat& frameImage, const cv::Rect2f& box) {
    if (!detector_) detector_ = std::make_unique<FaceDetector>();
    return detector_->fitInBox(frameImage, box);
}

int FacePlacer::trackIdNear(int64_t frameIndex, const cv::Rect2f& box) const {
    auto at = std::find_if(frames_.begin(), frames_.end(),
                           [&](const FrameFile& f) { return f.index == frameIndex; });
    if (at == frames_.end() || !video_[size_t(at - frames_.begin())]) return -1;
    // The same person in the frames around it: merge follows a track for colour and motion.
    for (int64_t distance = 1; distance <= 3; ++distance)
        for (int64_t neighbour : {frameIndex - distance, frameIndex + distance}) {
            if (inputOfFrame(neighbour) != inputOfFrame(frameIndex)) continue;  // another clip
            auto it = aligned_.find(neighbour);
            if (it == aligned_.end()) continue;
            for (const fs::path& meta : it->second) {
                const AlignedFace face = readAlignedFace(meta);
                if (face.trackId >= 0 && boxIoU(boxOf(face), box) >= 0.3) return face.trackId;
            }
        }
    return -1;
}

AlignedFace FacePlacer::place(int64_t frameIndex, const cv::Mat& frameImage,
                              const DetectedFace& face) {
    const FrameFile& file = frame(frameIndex);
    if (face.landmarks.size() != 68)
        throw Error(ErrorCode::InvalidInput, "a placed face needs 68 landmarks, got " +
                                                 std::to_string(face.landmarks.size()));
    if (frameImage.empty())
        throw Error(ErrorCode::InvalidInput, "placing a face on an empty frame");
    const fs::path alignedDir = workspace_.alignedDir(side_);
    fs::create_directories(alignedDir);

    std::vector<AlignedFace> existing = facesOf(frameIndex);
    const AlignedFace* replaced = nullptr;
    double bestIoU = 0.3;
    for (const AlignedFace& f : existing) {
        double iou = boxIoU(boxOf(f), face.box);
        if (iou >= bestIoU) replaced = &f, bestIoU = iou;
    }

    AlignedFace out;
    out.sourceFrame = file.path.filename().string();
    out.frameIndex = frameIndex;
    if (replaced) {
        out.faceIndex = replaced->faceIndex;
        out.trackId = replaced->trackId;
    } else {
        // A new index, also past deleted faces, so that restoring those never overwrites it.
        int next = 0;
        for (const auto& byFrame : {aligned_, sidecarsByFrame(workspace_.trashDir(side_))}) {
            auto it = byFrame.find(frameIndex);
            if (it == byFrame.end()) continue;
            for (const fs::path& meta : it->second)
                next = std::max(next, parseFaceStem(meta.stem().string())->second + 1);
        }
        out.faceIndex = next;
        out.trackId = trackIdNear(frameIndex, face.box);
    }
    out.box = {face.box.x, face.box.y, face.box.width, face.box.height};
    out.detectorScore = face.score;
    out.placement = "manual";
    out.rollDegrees = face.rollDegrees;
    out.landmarks = face.landmarks;
    out.faceType = faceType_;
    out.size = size_;
    out.frameWidth = frameImage.cols;
    out.frameHeight = frameImage.rows;
    const cv::Matx23d matrix = alignmentMatrix(face.landmarks, size_, parseFaceType(faceType_));
    for (int r = 0; r < 6; ++r) out.frameToAligned[size_t(r)] = matrix.val[r];
    if (replaced) out.maskPolygons = carriedMaskPolygons(*replaced, out);

    cv::Mat aligned;
    cv::warpAffine(frameImage, aligned, matrix, cv::Size(size_, size_), cv::INTER_CUBIC,
                   cv::BORDER_REPLICATE);
    // The predicted mask fitted the old crop (xseg-apply again); image first, sidecar last, as
    // align writes them: a sidecar marks a finished face.
    removeIfPresent(alignedDir / out.xsegMaskName());
    writeImageAtomic(alignedDir / out.imageName(), aligned, jpegQuality_);
    writeAlignedFace(alignedDir / out.metaName(), out);
    auto& sidecars = aligned_[frameIndex];
    if (std::find(sidecars.begin(), sidecars.end(), alignedDir / out.metaName()) == sidecars.end())
        sidecars.push_back(alignedDir / out.metaName());
    FacesetReview::markFacesChanged(workspace_, side_, {frameIndex}, "faces placed by hand");
    logInfo(std::string("placed face ") + out.stem() + " of " + sideName(side_) + " frame " +
            std::to_string(frameIndex) + (replaced ? " (replacing the face there)" : ""));
    return out;
}

}  // namespace doppel
