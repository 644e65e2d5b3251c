// ImageIO, FrameSource and MediaProbe on the committed fixtures.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "media/FrameSource.h"
#include "media/ImageIO.h"
#include "media/MediaProbe.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;
using doppel::test::dataFile;
using doppel::test::scratchDir;

TEST(ImageIO, AppliesExifOrientation) {
    // Stored 600x512 with orientation 6 (rotate 90 clockwise to view): upright is 512 wide, 600
    // tall.
    cv::Mat image = loadImage(dataFile("bad/exif_orientation6_rot90.jpg"));
    EXPECT_EQ(image.cols, 512);
    EXPECT_EQ(image.rows, 600);
    EXPECT_EQ(image.type(), CV_8UC3);
    // Upright, it matches grace_hopper.jpg (same photo): compare a downscaled copy.
    cv::Mat reference = loadImage(dataFile("photos/grace_hopper.jpg"));
    ASSERT_EQ(reference.size(), image.size());
    cv::Mat a, b;
    cv::resize(image, a, {64, 75}, 0, 0, cv::INTER_AREA);
    cv::resize(reference, b, {64, 75}, 0, 0, cv::INTER_AREA);
    EXPECT_LT(cv::norm(a, b, cv::NORM_L1) / double(a.total() * 3), 12.0);
}

TEST(ImageIO, CorruptPngThrowsNamingTheFile) {
    try {
        loadImage(dataFile("bad/corrupt_body.png"));
        FAIL();
    } catch (const Error& e) {
        std::string m = e.what();
        EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
        EXPECT_NE(m.find("corrupt_body.png"), std::string::npos) << m;
        EXPECT_NE(m.find("corrupt"), std::string::npos) << m;
    }
}

TEST(ImageIO, TextFileIsNotAnImage) {
    auto dir = scratchDir("image_io_text");
    std::ofstream(dir / "note.png") << "hello";
    EXPECT_THROW(loadImage(dir / "note.png"), Error);
    EXPECT_THROW(loadImage(dir / "missing.png"), Error);
}

TEST(ImageIO, AtomicWriteRoundTripsAndHeaderCheckCatchesDamage) {
    auto dir = scratchDir("image_io_write");
    cv::Mat image(48, 64, CV_8UC3);
    cv::randu(image, 0, 255);
    writeImageAtomic(dir / "a.png", image);
    writeImageAtomic(dir / "b.jpg", image, 90);
    EXPECT_FALSE(fs::exists(dir / "a.png.tmp"));
    cv::Mat back = loadImage(dir / "a.png");
    EXPECT_EQ(cv::norm(back, image, cv::NORM_INF), 0.0);  // PNG is lossless
    auto pngSize = readImageHeader(dir / "a.png");
    auto jpgSize = readImageHeader(dir / "b.jpg");
    ASSERT_TRUE(pngSize && jpgSize);
    EXPECT_EQ(*pngSize, cv::Size(64, 48));
    EXPECT_EQ(*jpgSize, cv::Size(64, 48));

    // Cut both files short: the header check must notice.
    for (const char* name : {"a.png", "b.jpg"}) {
        fs::resize_file(dir / name, fs::file_size(dir / name) / 2);
        EXPECT_FALSE(readImageHeader(dir / name)) << name;
    }
    EXPECT_FALSE(readImageHeader(dir / "missing.png"));
    EXPECT_THROW(writeImageAtomic(dir / "c.xyz", image), Error);
}

TEST(FrameSource, NaturalOrder) {
    EXPECT_TRUE(naturalLess("img2.png", "img10.png"));
    EXPECT_FALSE(naturalLess("img10.png", "img2.png"));
    EXPECT_TRUE(naturalLess("a.png", "b.png"));
    EXPECT_TRUE(naturalLess("frame_009", "frame_10"));
    EXPECT_FALSE(naturalLess("x1", "x1"));
}

TEST(FrameSource, FolderSkipsBrokenImageWithOneWarning) {
    auto dir = scratchDir("frame_source_folder");
    fs::copy_file(dataFile("photos/grace_hopper.jpg"), dir / "img10.jpg");
    fs::copy_file(dataFile("photos/lisa3.jpg"), dir / "img2.jpg");
    fs::copy_file(dataFile("bad/corrupt_body.png"), dir / "img3.png");
    std::ofstream(dir / "notes.txt") << "not an image";
    FrameSource source(dir);
    EXPECT_EQ(source.info().kind, FrameSourceKind::ImageFolder);
    EXPECT_EQ(source.info().frameCountEstimate, 3);
    std::vector<std::string> names;
    SourceFrame frame;
    while (source.next(frame)) {
        names.push_back(frame.file.filename().string());
        EXPECT_FALSE(frame.bgr.empty());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"img2.jpg", "img10.jpg"}));
    // One line for what is not a photo (said when the folder is opened), one for the broken one.
    ASSERT_EQ(source.warnings().size(), 2u);
    EXPECT_NE(source.warnings()[0].find("1 file(s) that are not photos were left out (e.g. "
                                        "notes.txt"),
              std::string::npos)
        << source.warnings()[0];
    EXPECT_NE(source.warnings()[1].find("img3.png"), std::string::npos) << source.warnings()[1];
}

TEST(FrameSource, BrokenSingleImageThrows) {
    EXPECT_THROW(FrameSource(dataFile("bad/corrupt_body.png")), Error);
    auto empty = scratchDir("frame_source_empty_folder");
    EXPECT_THROW(FrameSource source(empty), Error);
}

TEST(MediaProbe, DescribesVideoImageAndFolder) {
    MediaInfo video = probeMedia(dataFile("video/grid_sbia1a_75f_audio.mp4"));
    EXPECT_EQ(video.kind, MediaKind::Video);
    EXPECT_EQ(video.width, 360);
    EXPECT_EQ(video.height, 288);
    EXPECT_NEAR(video.fps, 25.0, 1e-6);
    EXPECT_NEAR(video.durationSeconds, 3.0, 0.05);
    EXPECT_EQ(video.frameCount, 75);
    EXPECT_TRUE(video.hasAudio);
    EXPECT_EQ(video.codec, "h264");
    EXPECT_NE(video.summary().find("360x288"), std::string::npos);

    MediaInfo image = probeMedia(dataFile("photos/three_people.png"));
    EXPECT_EQ(image.kind, MediaKind::Image);
    EXPECT_EQ(image.width, 480);
    EXPECT_EQ(image.height, 270);

    MediaInfo folder = probeMedia(doppel::test::dataDir() / "photos");
    EXPECT_EQ(folder.kind, MediaKind::ImageFolder);
    EXPECT_EQ(folder.frameCount, 3);
    EXPECT_GT(folder.width, 0);

    EXPECT_THROW(probeMedia(dataFile("bad/notavideo.mp4")), Error);
}

TEST(MediaProbe, ThumbnailIsSmallAndNotBlack) {
    ImageU8 thumb = readThumbnail(dataFile("video/grid_s2_150f.mp4"), 160);
    EXPECT_EQ(thumb.width, 160);
    EXPECT_EQ(thumb.height, 128);
    EXPECT_EQ(thumb.channels, 3);
    double sum = 0;
    for (auto v : thumb.pixels) sum += v;
    EXPECT_GT(sum / double(thumb.pixels.size()), 30.0);
    ImageU8 photo = readThumbnail(dataFile("bad/exif_orientation6_rot90.jpg"), 100);
    EXPECT_LT(photo.width, photo.height);  // upright portrait
    EXPECT_EQ(photo.height, 100);
}
