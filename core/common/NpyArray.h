#pragma once
// Minimal NumPy .npy (format 1.0) reader and writer for C-ordered uint8 and float32 arrays, so
// that packed facesets are readable by models/ without OpenCV, and by Python users with numpy.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace doppel {

struct NpyArray {
    std::string dtype;  ///< "|u1", "<f4", "<i4" or "<i8"
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;  ///< raw little-endian data, C order

    int64_t elementCount() const;
    size_t elementSize() const;

    static NpyArray fromU8(std::vector<int64_t> shape, std::vector<uint8_t> data);
    static NpyArray fromF32(std::vector<int64_t> shape, const std::vector<float>& data);
    static NpyArray fromI64(std::vector<int64_t> shape, const std::vector<int64_t>& data);
    std::vector<float> toF32() const;
    std::vector<int64_t> toI64() const;
};

/// Written atomically (tmp + rename). Throws doppel::Error.
void writeNpy(const std::filesystem::path& path, const NpyArray& array);
/// Throws doppel::Error(InvalidInput) naming the file on a malformed header or short data.
NpyArray readNpy(const std::filesystem::path& path);

}  // namespace doppel
