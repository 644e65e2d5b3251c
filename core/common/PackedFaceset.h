#pragma once
// The engine's input, written by `doppel pack` (core) and read by models/ without OpenCV.
// A folder with .npy arrays (numpy-readable) plus a JSON header:
//   faceset.json     {"version":1,"side":"src","resolution":R,"face_type":"full","count":N,
//                     "names":[aligned file names...], ...}
//   faces.npy        uint8   [N, R, R, 3]  BGR aligned faces
//   masks.npy        uint8   [N, R, R, 2]  channel 0: landmark hull face mask (0/255),
//                                          channel 1: eyes + mouth region (0/255)
//   landmarks.npy    float32 [N, 68, 2]    landmarks in aligned pixel coordinates (x, y)
//   ids.npy          int64   [N]           per-face ids (source frame index * 100 + face index)
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace doppel {

struct PackedFaceset {
    std::string side;
    int resolution = 0;
    std::string faceType;
    std::vector<std::string> names;
    std::vector<uint8_t> faces;                       ///< count * R * R * 3
    std::vector<uint8_t> masks;                       ///< count * R * R * 2
    std::vector<float> landmarks;                     ///< count * 68 * 2
    std::vector<int64_t> ids;                         ///< count
    nlohmann::json extra = nlohmann::json::object();  ///< anything else the writer wants to keep

    int64_t count() const { return int64_t(ids.size()); }
    /// Throws Error(InvalidInput) when the arrays disagree with count and resolution.
    void checkConsistent() const;
};

/// Writes each file atomically; the header last, so a reader never sees a half-written set.
void writePackedFaceset(const std::filesystem::path& dir, const PackedFaceset& set);
/// Throws Error(NotFound) when the folder holds no faceset (run `doppel pack` first).
PackedFaceset readPackedFaceset(const std::filesystem::path& dir);

}  // namespace doppel
