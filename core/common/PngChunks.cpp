#include "common/PngChunks.h"

#include <array>

namespace doppel {

uint32_t pngCrc32(const uint8_t* data, size_t size, uint32_t crc) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t n = 0; n < 256; ++n) {
            uint32_t c = n;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

void appendBigEndian32(std::string& out, uint32_t value) {
    out.push_back(char(value >> 24));
    out.push_back(char(value >> 16));
    out.push_back(char(value >> 8));
    out.push_back(char(value));
}

void appendPngChunk(std::string& out, const char* type, const std::string& data) {
    appendBigEndian32(out, uint32_t(data.size()));
    const std::string body = std::string(type, 4) + data;
    out += body;
    appendBigEndian32(out, pngCrc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

}  // namespace doppel
