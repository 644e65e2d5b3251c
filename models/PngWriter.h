#pragma once
// A small PNG encoder so models/ can save previews users can open, without OpenCV. Uses zlib when
// the build found it (DOPPEL_HAVE_ZLIB); otherwise stored (uncompressed) deflate blocks, which
// every PNG reader accepts.
#include <filesystem>
#include <string>

#include "common/Image.h"

namespace doppel::models {

/// PNG bytes of an 8-bit image: 1 channel (grey), 3 (BGR, stored as RGB) or 4 (BGRA).
std::string encodePng(const ImageU8& image);
/// Encodes and writes atomically; throws doppel::Error(Io) naming the file.
void writePng(const std::filesystem::path& path, const ImageU8& image);

struct PngInfo {
    int width = 0;
    int height = 0;
    int channels = 0;
};
/// Checks the signature and every chunk's CRC and reads the header, e.g. to verify a preview.
/// Throws doppel::Error(InvalidInput) naming the file when it is not a well-formed PNG.
PngInfo readPngInfo(const std::filesystem::path& path);

}  // namespace doppel::models
