#pragma once
// Per-face metadata of an aligned face, stored as a JSON sidecar next to the aligned image
// (aligned/000001_0.jpg + aligned/000001_0.json), so that a faceset is readable without the
// original frames (training needs only faces; merge uses the matrix and landmarks).
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace doppel {

struct AlignedFace {
    std::string sourceFrame;     ///< frame file name in frames/, e.g. "000001.png"
    int64_t frameIndex = 0;      ///< 1-based frame number (matches the file name)
    int faceIndex = 0;           ///< 0.. within the frame
    int trackId = -1;            ///< face followed across frames (video), -1 for stills
    std::array<float, 4> box{};  ///< detector box in frame pixels: x, y, width, height
    double detectorScore = 0;
    /// "detected", or "interpolated" for a face the detector lost for a few video frames and
    /// align's fill_gaps placed between its neighbours.
    std::string placement = "detected";
    double rollDegrees = 0;  ///< rotation the detector needed (0, 90, 270, 180, +-25)
    std::vector<std::array<float, 2>> landmarks;  ///< 68 points (iBUG order) in frame pixels
    std::string faceType = "full";                ///< half, mid_full, full, whole_face, head
    int size = 256;                               ///< side of the aligned image in pixels
    std::array<double, 6> frameToAligned{};  ///< 2x3 affine, row-major: frame -> aligned pixels
    int frameWidth = 0, frameHeight = 0;

    std::string imageName() const;  ///< "000001_0.jpg"
    std::string metaName() const;   ///< "000001_0.json"
    /// The 68 landmarks mapped into aligned pixel coordinates.
    std::vector<std::array<float, 2>> alignedLandmarks() const;
};

nlohmann::json toJson(const AlignedFace& face);
/// Throws Error(InvalidInput) on missing fields.
AlignedFace alignedFaceFromJson(const nlohmann::json& json);
/// Atomic write of the sidecar.
void writeAlignedFace(const std::filesystem::path& path, const AlignedFace& face);
AlignedFace readAlignedFace(const std::filesystem::path& path);
/// Every face of an aligned folder whose image still exists (deleted faces drop out), sorted
/// by frame then face index.
std::vector<AlignedFace> listAlignedFaces(const std::filesystem::path& alignedDir);

}  // namespace doppel
