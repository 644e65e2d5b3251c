#include "media/ImageIO.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "common/AtomicFile.h"
#include "common/Error.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

std::string lowerExtension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

bool startsWith(const std::string& bytes, const char* magic, size_t size) {
    return bytes.size() >= size && std::memcmp(bytes.data(), magic, size) == 0;
}

// Names the format from the magic bytes, so the error says "corrupt PNG" rather than guessing
// from an extension that may lie.
const char* sniffFormat(const std::string& bytes) {
    if (startsWith(bytes, "\x89PNG\r\n\x1a\n", 8)) return "PNG";
    if (startsWith(bytes, "\xff\xd8\xff", 3)) return "JPEG";
    if (startsWith(bytes, "BM", 2)) return "BMP";
    if (startsWith(bytes, "II*\0", 4) || startsWith(bytes, "MM\0*", 4)) return "TIFF";
    if (bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 &&
        std::memcmp(bytes.data() + 8, "WEBP", 4) == 0)
        return "WebP";
    return nullptr;
}

uint32_t bigEndian32(const unsigned char* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
uint16_t bigEndian16(const unsigned char* p) {
    return uint16_t((p[0] << 8) | p[1]);
}

std::optional<cv::Size> pngHeader(const std::string& bytes) {
    // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4); IEND chunk last.
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.size() < 8 + 25 + 12 || std::memcmp(p + 12, "IHDR", 4) != 0) return std::nullopt;
    if (std::memcmp(p + bytes.size() - 8, "IEND", 4) != 0) return std::nullopt;
    cv::Size size(int(bigEndian32(p + 16)), int(bigEndian32(p + 20)));
    if (size.width <= 0 || size.height <= 0) return std::nullopt;
    return size;
}

std::optional<cv::Size> jpegHeader(const std::string& bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size();
    if (n < 4 || p[n - 2] != 0xFF || p[n - 1] != 0xD9) return std::nullopt;  // cut short
    // Walk the marker segments up to the first start-of-frame, which holds the size.
    size_t pos = 2;
    while (pos + 4 <= n) {
        if (p[pos] != 0xFF) return std::nullopt;
        unsigned char marker = p[pos + 1];
        if (marker == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        uint16_t length = bigEndian16(p + pos + 2);
        bool startOfFrame =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (startOfFrame) {
            if (pos + 9 > n) return std::nullopt;
            cv::Size size(bigEndian16(p + pos + 7), bigEndian16(p + pos + 5));
            if (size.width <= 0 || size.height <= 0) return std::nullopt;
            return size;
        }
        if (marker == 0xDA || length < 2) return std::nullopt;  // scan data before any frame header
        pos += 2 + length;
    }
    return std::nullopt;
}

}  // namespace

bool hasImageExtension(const fs::path& path) {
    static const char* known[] = {".png", ".jpg", ".jpeg", ".jfif", ".jpe",
                                  ".bmp", ".tif", ".tiff", ".webp"};
    std::string ext = lowerExtension(path);
    return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return ext == k; });
}

cv::Mat loadImage(const fs::path& path, ImageReadMode mode) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorCode::NotFound, path.string() + ": image not found");
    if (fs::is_directory(path, ec))
        throw Error(ErrorCode::InvalidInput, path.string() + ": is a folder, not an image");
    std::string bytes = readFileBytes(path);
    if (bytes.empty())
        throw Error(ErrorCode::InvalidInput, path.string() + ": the image file is empty (0 bytes)");
    const char* format = sniffFormat(bytes);
    if (!format)
        throw Error(
            ErrorCode::InvalidInput,
            path.string() + ": not an image in a supported format (PNG, JPEG, BMP, TIFF, WebP)");
    cv::Mat raw(1, int(bytes.size()), CV_8UC1, bytes.data());
    cv::Mat image;
    try {
        // imdecode applies the EXIF orientation for IMREAD_COLOR / IMREAD_GRAYSCALE.
        image = cv::imdecode(raw,
                             mode == ImageReadMode::Grey ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw Error(ErrorCode::InvalidInput,
                    path.string() + ": corrupt " + format + " data (" + e.err + ")");
    }
    if (image.empty())
        throw Error(ErrorCode::InvalidInput, path.string() + ": corrupt or truncated " +
                                                 std::string(format) +
                                                 " data (the decoder rejected it)");
    if (image.depth() != CV_8U) {
        // 16-bit PNG/TIFF: scale to 8 bits so every consumer sees one pixel type.
        cv::Mat eight;
        image.convertTo(eight, CV_8U, 1.0 / 257.0);
        image = eight;
    }
    return image;
}

std::string encodeImage(const cv::Mat& image, const std::string& extension, int jpegQuality) {
    std::string ext = lowerExtension(fs::path("x" + extension));
    if (image.empty())
        throw Error(ErrorCode::InvalidInput, "cannot encode an empty image as " + ext);
    if (!hasImageExtension(fs::path("x" + ext)))
        throw Error(ErrorCode::InvalidInput, "unknown image extension '" + extension + "'");
    std::vector<int> params;
    int quality = std::clamp(jpegQuality, 1, 100);
    if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, quality};
    // Level 1 compresses frames ~3x faster than the default 3 and costs only a few % in size.
    if (ext == ".png") params = {cv::IMWRITE_PNG_COMPRESSION, 1};
    std::vector<uchar> encoded;
    bool ok = false;
    try {
        ok = cv::imencode(ext, image, encoded, params);
    } catch (const cv::Exception& e) {
        throw Error(ErrorCode::InvalidInput, "cannot encode image as " + ext + ": " + e.err);
    }
    if (!ok || encoded.empty())
        throw Error(ErrorCode::InvalidInput, "cannot encode image as " + ext);
    return std::string(reinterpret_cast<const char*>(encoded.data()), encoded.size());
}

void writeImageAtomic(const fs::path& path, const cv::Mat& image, int jpegQuality) {
    std::string bytes;
    try {
        bytes = encodeImage(image, path.extension().string(), jpegQuality);
    } catch (const Error& e) {
        throw Error(e.code(), path.string() + ": " + e.what());
    }
    writeFileAtomic(path, bytes);
}

std::optional<cv::Size> readImageHeader(const fs::path& path) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec || size == 0) return std::nullopt;
    std::string bytes;
    try {
        bytes = readFileBytes(path);
    } catch (const Error&) {
        return std::nullopt;
    }
    const char* format = sniffFormat(bytes);
    if (!format) return std::nullopt;
    if (std::strcmp(format, "PNG") == 0) return pngHeader(bytes);
    if (std::strcmp(format, "JPEG") == 0) return jpegHeader(bytes);
    return std::nullopt;
}

}  // namespace doppel
