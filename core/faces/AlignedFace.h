#pragma once
// Per-face metadata of an aligned face, stored as a JSON sidecar next to the aligned image
// (aligned/000001_0.jpg + aligned/000001_0.json), so that a faceset is readable without the
// original frames (training needs only faces; merge uses the matrix and landmarks).
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace doppel {

/// A polygon the user drew on an aligned face (Faces page, mask editor), in aligned pixels.
/// Drawn masks are applied in order: an include polygon sets its area to face, an exclude
/// polygon (a hand, a microphone, hair over the face) clears it; see drawnFaceMask().
struct MaskPolygon {
    bool include = true;
    std::vector<std::array<float, 2>> points;
    bool operator==(const MaskPolygon& o) const {
        return include == o.include && points == o.points;
    }
};

struct AlignedFace {
    std::string sourceFrame;     ///< frame file name in frames/, e.g. "000001.png"
    int64_t frameIndex = 0;      ///< 1-based frame number (matches the file name)
    int faceIndex = 0;           ///< 0.. within the frame
    int trackId = -1;            ///< face followed across frames (video), -1 for stills
    std::array<float, 4> box{};  ///< detector box in frame pixels: x, y, width, height
    double detectorScore = 0;
    /// "detected"; "interpolated" for a face the detector lost for a few video frames and
    /// align's fill_gaps placed between its neighbours; "manual" for a face the user placed
    /// (`doppel place-face`, the studio's Place faces), which align's redo keeps; "imported" for
    /// the landmarks its photo came with (a DeepFaceLab faceset, faces/EmbeddedFace.h).
    std::string placement = "detected";
    double rollDegrees = 0;  ///< rotation the detector needed (0, 90, 270, 180, +-25)
    std::vector<std::array<float, 2>> landmarks;  ///< 68 points (iBUG order) in frame pixels
    std::string faceType = "full";                ///< half, mid_full, full, whole_face, head
    int size = 256;                               ///< side of the aligned image in pixels
    std::array<double, 6> frameToAligned{};  ///< 2x3 affine, row-major: frame -> aligned pixels
    /// The face's drawn mask, if the user drew one (empty: the landmark hull is the mask). When
    /// present, pack puts it in place of the hull and merge uses it in place of (or on top of)
    /// the mask source.
    std::vector<MaskPolygon> maskPolygons;
    int frameWidth = 0, frameHeight = 0;

    std::string stem() const;       ///< "000001_0": frame and face number, the files' stem
    std::string imageName() const;  ///< "000001_0.jpg"
    std::string metaName() const;   ///< "000001_0.json"
    /// "000001_0_xseg.png": the face's mask predicted by the XSeg model (`doppel xseg-apply`),
    /// next to the image; grey, 255 = face.
    std::string xsegMaskName() const;
    bool hasDrawnMask() const { return !maskPolygons.empty(); }
    /// A point in aligned pixels mapped back into the frame (the inverse of frameToAligned).
    std::array<double, 2> alignedToFrame(const std::array<float, 2>& point) const;
    /// The 68 landmarks mapped into aligned pixel coordinates.
    std::vector<std::array<float, 2>> alignedLandmarks() const;
};

nlohmann::json toJson(const AlignedFace& face);
/// Throws Error(InvalidInput) on missing fields.
AlignedFace alignedFaceFromJson(const nlohmann::json& json);
/// `from`'s drawn mask moved onto `to`, the same face aligned again (another size, face type or
/// a re-detection): each point goes from `from`'s aligned space to the frame and into `to`'s.
std::vector<MaskPolygon> carriedMaskPolygons(const AlignedFace& from, const AlignedFace& to);

/// Atomic write of the sidecar.
void writeAlignedFace(const std::filesystem::path& path, const AlignedFace& face);
AlignedFace readAlignedFace(const std::filesystem::path& path);
/// Every face of an aligned folder whose image still exists (deleted faces drop out), sorted
/// by frame then face index.
std::vector<AlignedFace> listAlignedFaces(const std::filesystem::path& alignedDir);
/// The frame and face numbers of a face file's stem ("000042_1" -> {42, 1}), or nothing for a
/// name of another form.
std::optional<std::pair<int64_t, int>> parseFaceStem(const std::string& stem);
/// The face sidecars of a folder (aligned/ or trash/) by frame number: "000042_1.json" is a face
/// of frame 42. Paths sorted by face index; other files are ignored.
std::map<int64_t, std::vector<std::filesystem::path>> sidecarsByFrame(
    const std::filesystem::path& dir);

}  // namespace doppel
