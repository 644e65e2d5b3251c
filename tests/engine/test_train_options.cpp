// The training options schema: defaults, ranges, resume rules, and the memory formula's shape.
#include <gtest/gtest.h>

#include <fstream>

#include "common/Error.h"
#include "models/MemoryEstimate.h"
#include "models/PngWriter.h"
#include "models/PreviewGrid.h"
#include "models/TrainOptions.h"
#include "models/Trainer.h"
#include "support/TestSupport.h"

using namespace doppel;
using namespace doppel::models;

TEST(TrainOptions, DefaultsFollowTheSpec) {
    nlohmann::json d = trainOptionSchema().defaults();
    EXPECT_EQ(d["archi"], "liae-ud");
    EXPECT_EQ(d["resolution"], 128);
    EXPECT_DOUBLE_EQ(d["lr"].get<double>(), 5e-5);
    EXPECT_EQ(d["optimizer"], "adabelief");
    EXPECT_EQ(d["random_flip_src"], false);
    EXPECT_EQ(d["random_flip_dst"], true);
    EXPECT_EQ(d["precision"], "fp32");
    EXPECT_EQ(d["ct_mode"], "none");
    EXPECT_EQ(d["face_style_power"], 0.0);
    EXPECT_EQ(d["bg_style_power"], 0.0);
    EXPECT_THROW(TrainOptions::fromJson({{"bg_style_power", 101}}), Error);
    EXPECT_DOUBLE_EQ(TrainOptions::fromJson({{"face_style_power", 2.5}}).faceStylePower, 2.5);
    const OptionSpec* archi = trainOptionSchema().find("archi");
    ASSERT_NE(archi, nullptr);
    EXPECT_EQ(archi->choices.size(), 8u);
    for (const char* key : {"ae_dims",
                            "e_dims",
                            "d_dims",
                            "d_mask_dims",
                            "batch",
                            "clip_grad",
                            "lr_dropout",
                            "random_warp",
                            "masked_training",
                            "eyes_mouth_priority",
                            "color_jitter",
                            "ct_mode",
                            "uniform_yaw",
                            "preview_every",
                            "autosave_minutes",
                            "backups",
                            "seed",
                            "threads",
                            "channels_last",
                            "winograd",
                            "gan_power",
                            "true_face_power",
                            "face_style_power",
                            "bg_style_power",
                            "blur_out_mask"})
        EXPECT_NE(trainOptionSchema().find(key), nullptr) << key;
}

TEST(TrainOptions, FromJsonReadsEveryKeyAndRoundTrips) {
    TrainOptions o = TrainOptions::fromJson(
        {{"archi", "df-ud"}, {"resolution", 64}, {"batch", 4}, {"lr", 1e-4}});
    EXPECT_EQ(o.archi, "df-ud");
    EXPECT_EQ(o.resolution, 64);
    EXPECT_EQ(o.batch, 4);
    EXPECT_DOUBLE_EQ(o.lr, 1e-4);
    EXPECT_EQ(o.aeDims, 256);
    EXPECT_EQ(trainOptionSchema().resolve(o.toJson()), o.toJson());
    EXPECT_EQ(TrainOptions::fromJson(o.toJson()).toJson(), o.toJson());
}

TEST(TrainOptions, RejectsBadValuesNamingTheKey) {
    try {
        TrainOptions::fromJson({{"archi", "vae"}});
        FAIL() << "accepted an unknown archi";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::BadOption);
        EXPECT_NE(std::string(e.what()).find("archi"), std::string::npos);
    }
    EXPECT_THROW(TrainOptions::fromJson({{"batch", 0}}), Error);
    EXPECT_THROW(TrainOptions::fromJson({{"precision", "int8"}}), Error);
    EXPECT_THROW(TrainOptions::fromJson({{"ct_mode", "sot"}}), Error);
    EXPECT_EQ(TrainOptions::fromJson({{"ct_mode", "rct"}}).ctMode, "rct");
    EXPECT_THROW(TrainOptions::fromJson({{"no_such_option", 1}}), Error);
    nlohmann::json values = nlohmann::json::object();
    EXPECT_THROW(trainOptionSchema().applyAssignment(values, "lr=fast"), Error);
    trainOptionSchema().applyAssignment(values, "random_warp=off");
    EXPECT_EQ(values["random_warp"], false);
}

TEST(TrainOptions, ModelShapeIsFixedOnResumeTrainingKnobsAreNot) {
    const OptionSchema& s = trainOptionSchema();
    for (const char* key :
         {"archi", "resolution", "ae_dims", "e_dims", "d_dims", "d_mask_dims", "optimizer"})
        EXPECT_FALSE(s.find(key)->changeableOnResume) << key;
    for (const char* key : {"batch", "lr", "random_warp", "masked_training", "clip_grad", "ct_mode",
                            "uniform_yaw", "preview_every", "gan_power", "true_face_power",
                            "face_style_power", "bg_style_power", "blur_out_mask"})
        EXPECT_TRUE(s.find(key)->changeableOnResume) << key;
    nlohmann::json saved = s.defaults();
    nlohmann::json changed = saved;
    changed["batch"] = 16;
    changed["random_warp"] = false;
    changed["lr"] = 1e-5;
    EXPECT_NO_THROW(s.checkResumeChange(saved, changed));
    changed["resolution"] = 256;
    try {
        s.checkResumeChange(saved, changed);
        FAIL() << "a resolution change was accepted on resume";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("resolution"), std::string::npos);
    }
}

TEST(TrainOptions, HelpTextListsEveryOption) {
    std::string help = trainOptionSchema().helpText();
    for (const auto& spec : trainOptionSchema().specs())
        EXPECT_NE(help.find(spec.key), std::string::npos);
    EXPECT_NE(help.find("fixed on resume"), std::string::npos);
}

TEST(TrainOptions, TheDeviceLineFollowsTheDeviceOption) {
    // The CLI and the studio print the device for the chosen option, not for "auto" (the GPU
    // machine printed "CUDA" for a device=cpu run).
    Trainer trainer;
    EXPECT_EQ(trainer.deviceDescription("cpu"), "CPU: chosen by the device option");
    const std::string cuda = trainer.deviceDescription("cuda");
    if (Trainer::cudaAvailable()) {
        EXPECT_EQ(cuda.rfind("CUDA", 0), 0u) << cuda;
    } else {
        EXPECT_EQ(cuda.rfind("unavailable: device=cuda was asked for", 0), 0u) << cuda;
    }
}

TEST(MemoryEstimate, GrowsWithBatchResolutionAndParameters) {
    TrainOptions o = TrainOptions::fromJson({{"archi", "liae"}, {"resolution", 128}, {"batch", 8}});
    MemoryEstimate base = MemoryEstimate::compute(o, 10'000'000, false, 100, 100, 128);
    EXPECT_EQ(base.totalBytes,
              base.parameterBytes + base.activationBytes + base.facesetBytes + base.runtimeBytes);
    EXPECT_EQ(base.facesetBytes, int64_t(200) * 128 * 128 * 5);
    // Weights + grads + two moments: at least 16 bytes per parameter.
    EXPECT_GE(base.parameterBytes, int64_t(10'000'000) * 16);
    TrainOptions bigBatch = o;
    bigBatch.batch = 16;
    EXPECT_NEAR(
        double(MemoryEstimate::compute(bigBatch, 10'000'000, false, 100, 100, 128).activationBytes),
        2.0 * double(base.activationBytes), 1.0);
    TrainOptions bigRes = o;
    bigRes.resolution = 256;
    EXPECT_GT(MemoryEstimate::featureElementsPerSample(bigRes),
              3.5 * MemoryEstimate::featureElementsPerSample(o));
    TrainOptions half = o;
    half.archi = "liae-d";
    EXPECT_LT(MemoryEstimate::featureElementsPerSample(half),
              MemoryEstimate::featureElementsPerSample(o) * 0.7);
    EXPECT_NE(base.describe().find("GiB"), std::string::npos);
}

TEST(PngWriter, WritesAWellFormedPngAndDetectsCorruption) {
    ImageU8 image(40, 30, 3);
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x)
            image.at(y, x, 0) = uint8_t(x * 6), image.at(y, x, 2) = uint8_t(y * 8);
    auto dir = test::scratchDir("png_writer");
    writePng(dir / "a.png", image);
    PngInfo info = readPngInfo(dir / "a.png");
    EXPECT_EQ(info.width, 40);
    EXPECT_EQ(info.height, 30);
    EXPECT_EQ(info.channels, 3);
    std::string bytes = encodePng(image);
    bytes[bytes.size() / 2] ^= 0x5A;  // a flipped byte inside IDAT breaks its CRC
    std::ofstream(dir / "bad.png", std::ios::binary) << bytes;
    EXPECT_THROW(readPngInfo(dir / "bad.png"), Error);
    EXPECT_THROW(readPngInfo(dir / "missing.png"), Error);
}

TEST(PreviewGrid, TilesRowsAndColumnsWithGaps) {
    ImageU8 colour(8, 8, 3, 200), grey(8, 8, 1, 100);
    ImageU8 grid = PreviewGrid::compose({{colour, grey, colour}, {grey, colour, grey}});
    const int g = PreviewGrid::kGap;
    EXPECT_EQ(grid.width, 3 * 8 + 4 * g);
    EXPECT_EQ(grid.height, 2 * 8 + 3 * g);
    EXPECT_EQ(grid.at(g, g, 0), 200);          // first tile
    EXPECT_EQ(grid.at(g, g + 8 + g, 2), 100);  // grey tile shown in all three channels
    EXPECT_EQ(grid.at(0, 0, 0), 32);           // separator
    EXPECT_THROW(PreviewGrid::compose({{colour}, {colour, colour}}), Error);
}
