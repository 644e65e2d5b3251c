// The packed faceset (.npy + JSON) round-trips, and malformed files give clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/Error.h"
#include "common/NpyArray.h"
#include "common/PackedFaceset.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

TEST(PackedFaceset, RoundTrip) {
    fs::path dir = test::scratchDir("packed_roundtrip");
    PackedFaceset set;
    set.side = "src";
    set.resolution = 8;
    set.faceType = "full";
    const int n = 3;
    for (int i = 0; i < n * 8 * 8 * 3; ++i) set.faces.push_back(uint8_t(i * 7));
    for (int i = 0; i < n * 8 * 8 * 2; ++i) set.masks.push_back(uint8_t(i % 2 ? 255 : 0));
    for (int i = 0; i < n * 68 * 2; ++i) set.landmarks.push_back(float(i) * 0.5f);
    set.ids = {100, 200, 301};
    set.names = {"000001_0.jpg", "000002_0.jpg", "000003_1.jpg"};
    writePackedFaceset(dir, set);
    PackedFaceset back = readPackedFaceset(dir);
    EXPECT_EQ(back.count(), 3);
    EXPECT_EQ(back.faces, set.faces);
    EXPECT_EQ(back.masks, set.masks);
    EXPECT_EQ(back.landmarks, set.landmarks);
    EXPECT_EQ(back.ids, set.ids);
    EXPECT_EQ(back.names, set.names);
    EXPECT_EQ(back.faceType, "full");
}

TEST(PackedFaceset, TruncatedArrayIsReported) {
    fs::path dir = test::scratchDir("packed_truncated");
    writeNpy(dir / "a.npy", NpyArray::fromU8({4, 4}, std::vector<uint8_t>(16, 1)));
    fs::resize_file(dir / "a.npy", fs::file_size(dir / "a.npy") - 3);
    try {
        readNpy(dir / "a.npy");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
        EXPECT_NE(std::string(e.what()).find("a.npy"), std::string::npos);
    }
}

TEST(PackedFaceset, MissingFacesetSaysRunPack) {
    fs::path dir = test::scratchDir("packed_missing");
    try {
        readPackedFaceset(dir);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotFound);
        EXPECT_NE(std::string(e.what()).find("doppel pack"), std::string::npos);
    }
}

TEST(Workspace, CreateOpenAndStageState) {
    fs::path dir = test::scratchDir("workspace_create") / "ws";
    Workspace ws = Workspace::create(dir, test::dataFile("video/grid_s2_150f.mp4"),
                                     test::dataFile("video/grid_sbia1a_75f_audio.mp4"));
    EXPECT_TRUE(fs::exists(ws.inputPath(Side::Src)));
    EXPECT_EQ(fs::file_size(ws.inputPath(Side::Dst)),
              fs::file_size(test::dataFile("video/grid_sbia1a_75f_audio.mp4")));
    ws.setStageStatus("extract.src", "done", "150 frames");
    Workspace again = Workspace::open(dir);
    EXPECT_EQ(again.stageStatus("extract.src"), "done");
    EXPECT_EQ(again.stageStatus("align.src"), "");
    EXPECT_THROW(Workspace::create(dir, test::dataFile("video/grid_s2_150f.mp4"),
                                   test::dataFile("video/grid_s2_150f.mp4")),
                 Error);
    EXPECT_THROW(Workspace::open(dir / "nope"), Error);
}
