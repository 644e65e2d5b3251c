#pragma once
// PNG chunk plumbing shared by models/PngWriter (previews written without OpenCV) and
// media/ImageLabel (the synthetic-media label added to an exported photo): the chunk CRC-32
// and writing a chunk (big-endian length, type, data, CRC of type + data).
#include <cstddef>
#include <cstdint>
#include <string>

namespace doppel {

/// The CRC-32 of PNG (and zlib/gzip): polynomial 0xEDB88320, continuing from `crc`.
uint32_t pngCrc32(const uint8_t* data, size_t size, uint32_t crc = 0);
/// Appends `value` as 4 big-endian bytes.
void appendBigEndian32(std::string& out, uint32_t value);
/// Appends one chunk: length, the 4-letter `type`, `data`, CRC.
void appendPngChunk(std::string& out, const char* type, const std::string& data);

}  // namespace doppel
