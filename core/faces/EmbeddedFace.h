#pragma once
// A face whose landmarks come with its image. Facesets are hours of work (collected from many
// clips, curated face by face, masks drawn by hand), and a DeepFaceLab user moving to Doppel
// brings theirs: DeepFaceLab's aligned JPEGs carry a pickled dict in an APP15 segment with the
// 68 landmarks in the face image's pixels, the face type and the user's XSeg polygons. Doppel's
// own aligned faces carry the same in the sidecar JSON next to the image (a faceset reused from
// another workspace). Align takes such landmarks as given instead of detecting the face again:
// the detector can miss a face that is already cropped tight, and never agrees to the pixel
// with the landmarks the faceset was curated with.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "faces/AlignedFace.h"

namespace doppel {

struct EmbeddedFace {
    std::string origin;         ///< "DeepFaceLab" or "Doppel"
    std::string faceType;       ///< as the file names it ("whole_face", "full"...)
    int width = 0, height = 0;  ///< size of the image the coordinates below are in
    std::vector<std::array<float, 2>> landmarks;  ///< 68 points (iBUG order), image pixels
    /// The drawn mask (DeepFaceLab's XSeg polygons: includes first, then excludes, the order
    /// DeepFaceLab fills them in), image pixels; empty when none was drawn.
    std::vector<MaskPolygon> polygons;
    /// The applied XSeg mask (DeepFaceLab's `xseg_mask`, a Doppel face's `_xseg.png`) as its
    /// encoded PNG/JPEG bytes, at whatever size it was made (kept encoded: a faceset of
    /// thousands of faces would otherwise hold hundreds of MB); empty when the face has none.
    std::string encodedMask;

    /// encodedMask decoded and resized to the image: CV_8UC1, 255 = face; empty when there is
    /// none or it does not decode (the face is still good without it).
    cv::Mat mask() const;
};

/// The face metadata `image` carries, or nothing when it has none (an ordinary photo). Throws
/// Error(InvalidInput) naming the file when metadata is there but unusable (a damaged pickle,
/// landmarks that are not 68 points), so that align can say so and detect instead.
std::optional<EmbeddedFace> readEmbeddedFace(const std::filesystem::path& image);

/// The payload of a JPEG's APP15 segment (DeepFaceLab's pickled dict) and the image size from
/// its frame header; nothing when `bytes` is not a JPEG or has no APP15 before the scan.
struct JpegApp15 {
    std::string payload;
    int width = 0, height = 0;
};
std::optional<JpegApp15> findJpegApp15(const std::string& bytes);

/// The face in DeepFaceLab's pickled dict (see readEmbeddedFace); throws Error(InvalidInput).
EmbeddedFace faceFromDeepFaceLabDict(const std::string& pickle, int width, int height);

}  // namespace doppel
