#pragma once
// Image files in and out for every stage (extract, align, merge), so that they all agree on
// orientation, error messages and atomic writes:
//   loadImage(path)              BGR (or grey) cv::Mat with the EXIF orientation applied
//   writeImageAtomic(path, img)  encode by extension in memory, then tmp + fsync + rename
//   readImageHeader(path)        cheap "is this a complete PNG/JPEG and how big" check
// Every failure throws doppel::Error with one line naming the file and the problem.
#include <filesystem>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

namespace doppel {

enum class ImageReadMode {
    Color,  ///< CV_8UC3 BGR (alpha dropped, grey expanded)
    Grey,   ///< CV_8UC1
};

/// Throws Error(NotFound) for a missing file and Error(InvalidInput) "<file>: <problem>" for an
/// empty, truncated, corrupt or unsupported image. JPEG EXIF orientation is applied, so a phone
/// photo comes out upright.
cv::Mat loadImage(const std::filesystem::path& path, ImageReadMode mode = ImageReadMode::Color);

/// Encodes `image` (8-bit, 1 or 3 channels) as the format of `path`'s extension (.png, .jpg,
/// .jpeg, .bmp, .webp, .tif) and writes it atomically. `jpegQuality` 1..100 is used for JPEG/WebP.
/// Throws Error(InvalidInput) for an unknown extension or an empty image, Error(Io) on a write
/// error.
void writeImageAtomic(const std::filesystem::path& path, const cv::Mat& image,
                      int jpegQuality = 95);

/// The encoded bytes, as writeImageAtomic would write them (`extension` like ".png").
std::string encodeImage(const cv::Mat& image, const std::string& extension, int jpegQuality = 95);

/// Width and height read from a PNG or JPEG header, or nullopt when the file is missing, empty,
/// not PNG/JPEG, or cut short (a PNG must end with IEND, a JPEG with its end marker). Reads the
/// bytes but decodes no pixels: the resume check for thousands of frames.
std::optional<cv::Size> readImageHeader(const std::filesystem::path& path);

/// True for the extensions loadImage accepts (png, jpg, jpeg, bmp, tif, tiff, webp), any case.
bool hasImageExtension(const std::filesystem::path& path);

}  // namespace doppel
