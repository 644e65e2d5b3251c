// The synthetic-media label inside PNG and JPEG files (media/ImageLabel): added without touching
// the pixels, read back (XMP DigitalSourceType, comment), every PNG chunk with a correct CRC,
// nothing found in an unlabelled photo, and anything else refused.
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "media/ExportLabel.h"
#include "media/ImageIO.h"
#include "media/ImageLabel.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

namespace {

/// CRC-32 bit by bit (no table): a second way to the PNG checksum than the labeller's.
uint32_t slowCrc32(const std::string& bytes) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char byte : bytes) {
        crc ^= byte;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint32_t bigEndian(const std::string& s, size_t at) {
    return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
           (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

cv::Mat decoded(const std::string& bytes) {
    return cv::imdecode(cv::Mat(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data())),
                        cv::IMREAD_COLOR);
}

}  // namespace

TEST(ImageLabel, PngAndJpegCarryTheLabelAndKeepTheirPixels) {
    const cv::Mat photo = loadImage(test::dataFile("photos/grace_hopper.jpg"));
    const fs::path dir = test::scratchDir("image_label");
    for (const std::string ext : {".png", ".jpg"}) {
        const std::string plain = encodeImage(photo, ext, 95);
        const std::string labelled = addImageLabel(plain);
        EXPECT_GT(labelled.size(), plain.size() + 500) << ext;
        EXPECT_EQ(cv::norm(decoded(labelled), decoded(plain), cv::NORM_INF), 0.0) << ext;

        const fs::path file = dir / ("labelled" + ext);
        writeFileAtomic(file, labelled);
        const auto tags = readImageLabelTags(file);
        EXPECT_EQ(tags.at("digitalSourceType"), kTrainedAlgorithmicMediaUri) << ext;
        EXPECT_NE(tags.at("comment").find("AI-generated"), std::string::npos) << ext;
        EXPECT_TRUE(checkSyntheticLabel(tags).labelled) << ext;

        writeFileAtomic(dir / ("plain" + ext), plain);
        EXPECT_FALSE(checkSyntheticLabel(readImageLabelTags(dir / ("plain" + ext))).labelled);
    }
    EXPECT_FALSE(
        checkSyntheticLabel(readImageLabelTags(test::dataFile("photos/lisa3.jpg"))).labelled);
}

TEST(ImageLabel, EveryPngChunkHasAValidChecksum) {
    const std::string png =
        addImageLabel(encodeImage(cv::Mat(32, 48, CV_8UC3, {10, 200, 30}), ".png"));
    size_t at = 8, chunks = 0, text = 0;
    while (at + 12 <= png.size()) {
        const uint32_t length = bigEndian(png, at);
        const std::string typeAndData = png.substr(at + 4, 4 + length);
        EXPECT_EQ(bigEndian(png, at + 8 + length), slowCrc32(typeAndData))
            << typeAndData.substr(0, 4);
        text += typeAndData.compare(0, 4, "tEXt") == 0 || typeAndData.compare(0, 4, "iTXt") == 0;
        ++chunks;
        at += 12 + length;
    }
    EXPECT_EQ(at, png.size());
    EXPECT_EQ(text, 4u);
    EXPECT_GE(chunks, 7u);  // IHDR, iTXt, 3 tEXt, IDAT, IEND
}

TEST(ImageLabel, OtherFilesAreRefusedOrCarryNothing) {
    EXPECT_THROW(addImageLabel("GIF89a not an image we label"), Error);
    EXPECT_THROW(addImageLabel(""), Error);
    EXPECT_TRUE(readImageLabelTags(test::dataFile("bad/notavideo.mp4")).empty());
    EXPECT_THROW(readImageLabelTags("/nonexistent/photo.png"), Error);
}
