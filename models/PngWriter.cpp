#include "models/PngWriter.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/PngChunks.h"

#ifdef DOPPEL_HAVE_ZLIB
#include <zlib.h>
#endif

namespace doppel::models {
namespace {

/// zlib stream of `raw`: real compression when zlib is there, else stored blocks + Adler-32.
std::string zlibStream(const std::string& raw) {
#ifdef DOPPEL_HAVE_ZLIB
    uLongf size = compressBound(uLong(raw.size()));
    std::string out(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                  reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()), 6) != Z_OK)
        throw Error(ErrorCode::Internal, "PNG: zlib compression failed");
    out.resize(size);
    return out;
#else
    std::string out = "\x78\x01";
    size_t pos = 0;
    do {
        size_t n = std::min<size_t>(65535, raw.size() - pos);
        bool last = pos + n == raw.size();
        out.push_back(char(last ? 1 : 0));
        out.push_back(char(n & 0xFF));
        out.push_back(char(n >> 8));
        out.push_back(char(~n & 0xFF));
        out.push_back(char((~n >> 8) & 0xFF));
        out.append(raw, pos, n);
        pos += n;
    } while (pos < raw.size());
    uint32_t a = 1, b = 0;
    for (unsigned char c : raw) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    appendBigEndian32(out, (b << 16) | a);
    return out;
#endif
}

}  // namespace

std::string encodePng(const ImageU8& image) {
    const int w = image.width, h = image.height, c = image.channels;
    if (w <= 0 || h <= 0 || (c != 1 && c != 3 && c != 4) ||
        image.pixels.size() != size_t(w) * h * c)
        throw Error(ErrorCode::Internal, "PNG: unsupported image layout");
    // Filter type 0 per row; BGR(A) is swapped to PNG's RGB(A) order.
    std::string raw;
    raw.reserve(size_t(h) * (size_t(w) * c + 1));
    for (int y = 0; y < h; ++y) {
        raw.push_back('\0');
        const uint8_t* row = image.row(y);
        for (int x = 0; x < w; ++x) {
            const uint8_t* p = row + size_t(x) * c;
            if (c == 1) {
                raw.push_back(char(p[0]));
            } else {
                raw.push_back(char(p[2]));
                raw.push_back(char(p[1]));
                raw.push_back(char(p[0]));
                if (c == 4) raw.push_back(char(p[3]));
            }
        }
    }
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    appendBigEndian32(header, uint32_t(w));
    appendBigEndian32(header, uint32_t(h));
    header.push_back(char(8));                              // bit depth
    header.push_back(char(c == 1 ? 0 : (c == 3 ? 2 : 6)));  // colour type
    header.append(std::string("\0\0\0", 3));  // deflate, adaptive filter, no interlace
    appendPngChunk(png, "IHDR", header);
    appendPngChunk(png, "IDAT", zlibStream(raw));
    appendPngChunk(png, "IEND", "");
    return png;
}

void writePng(const std::filesystem::path& path, const ImageU8& image) {
    writeFileAtomic(path, encodePng(image));
}

PngInfo readPngInfo(const std::filesystem::path& path) {
    std::string bytes = readFileBytes(path);
    auto bad = [&](const std::string& why) {
        return Error(ErrorCode::InvalidInput, path.string() + ": " + why);
    };
    if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0)
        throw bad("not a PNG file");
    auto u32 = [&](size_t at) {
        const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + at;
        return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) |
               uint32_t(p[3]);
    };
    PngInfo info;
    bool sawEnd = false;
    for (size_t pos = 8; pos < bytes.size() && !sawEnd;) {
        if (pos + 12 > bytes.size()) throw bad("truncated chunk");
        uint32_t length = u32(pos);
        if (pos + 12 + length > bytes.size()) throw bad("truncated chunk");
        std::string type = bytes.substr(pos + 4, 4);
        uint32_t stored = u32(pos + 8 + length);
        if (pngCrc32(reinterpret_cast<const uint8_t*>(bytes.data()) + pos + 4, length + 4) !=
            stored)
            throw bad("CRC mismatch in chunk " + type);
        if (type == "IHDR") {
            info.width = int(u32(pos + 8));
            info.height = int(u32(pos + 12));
            int colourType = uint8_t(bytes[pos + 17]);
            info.channels = colourType == 0 ? 1 : colourType == 2 ? 3 : colourType == 6 ? 4 : 0;
        }
        sawEnd = type == "IEND";
        pos += 12 + length;
    }
    if (!sawEnd || info.width <= 0) throw bad("missing IHDR or IEND chunk");
    return info;
}

}  // namespace doppel::models
