// OptionSchema: one description drives --set parsing, defaults, validation and resume checks.
#include <gtest/gtest.h>

#include "common/Error.h"
#include "common/OptionSchema.h"

using namespace doppel;

namespace {
OptionSchema makeSchema() {
    OptionSchema s;
    s.addInt("resolution", 128, 64, 512, "side in pixels").fixedOnResume();
    s.addFloat("lr", 5e-5, 0, 1, "learning rate");
    s.addBool("random_warp", true, "warp the input");
    s.addChoice("archi", "liae-ud", {"df", "liae-ud"}, "architecture").fixedOnResume();
    s.addString("note", "", "free text");
    return s;
}
}  // namespace

TEST(OptionSchema, DefaultsAndAssignments) {
    OptionSchema s = makeSchema();
    nlohmann::json v = nlohmann::json::object();
    s.applyAssignment(v, "resolution=96");
    s.applyAssignment(v, "random_warp=off");
    s.applyAssignment(v, "lr=1e-4");
    nlohmann::json r = s.resolve(v);
    EXPECT_EQ(r["resolution"], 96);
    EXPECT_EQ(r["random_warp"], false);
    EXPECT_DOUBLE_EQ(r["lr"].get<double>(), 1e-4);
    EXPECT_EQ(r["archi"], "liae-ud");
}

TEST(OptionSchema, RejectsBadValuesWithTheKeyInTheMessage) {
    OptionSchema s = makeSchema();
    nlohmann::json v;
    for (const char* bad :
         {"resolution=1000", "resolution=abc", "archi=vgg", "random_warp=maybe", "nokey=1", "=3"}) {
        try {
            s.applyAssignment(v, bad);
            FAIL() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::BadOption) << bad;
        }
    }
    try {
        s.applyAssignment(v, "resolution=1000");
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("resolution"), std::string::npos);
    }
}

TEST(OptionSchema, ResumeRefusesFixedOptionsOnly) {
    OptionSchema s = makeSchema();
    nlohmann::json saved = s.defaults();
    nlohmann::json changedLr = saved;
    changedLr["lr"] = 1e-5;
    EXPECT_NO_THROW(s.checkResumeChange(saved, changedLr));
    nlohmann::json changedRes = saved;
    changedRes["resolution"] = 256;
    try {
        s.checkResumeChange(saved, changedRes);
        FAIL() << "resolution change accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("resolution"), std::string::npos);
    }
}

TEST(OptionSchema, HelpListsEveryKey) {
    OptionSchema s = makeSchema();
    std::string help = s.helpText();
    for (const auto& spec : s.specs()) EXPECT_NE(help.find(spec.key), std::string::npos);
}
