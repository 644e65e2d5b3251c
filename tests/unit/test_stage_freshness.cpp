// When a stage's result is out of date (common/StageFreshness): an earlier stage of its side (or
// one serving both sides) changed its outputs after it finished; a run that changed nothing
// (Workspace::setStageStatus with changedOutputs false) makes nothing stale.
#include <gtest/gtest.h>

#include "common/StageFreshness.h"

using namespace doppel;
using nlohmann::json;

namespace {

json stage(const std::string& status, const std::string& updated, const std::string& changed = "") {
    json s = {{"status", status}, {"updated", updated}};
    if (!changed.empty()) s["changed"] = changed;
    return s;
}

json projectWith(const json& stages) {
    return {{"stages", stages}};
}

}  // namespace

TEST(StageFreshness, LaterStageIsStaleWhenAnEarlierOneChangedAfterIt) {
    const json project = projectWith({{"align.src", stage("done", "2026-01-02T00:00:00Z")},
                                      {"pack.src", stage("done", "2026-01-01T00:00:00Z")},
                                      {"train", stage("done", "2026-01-03T00:00:00Z")},
                                      {"merge", stage("done", "2026-01-04T00:00:00Z")}});
    EXPECT_TRUE(stageIsStale(project, "pack.src"));
    EXPECT_FALSE(stageIsStale(project, "align.src"));
    // The pack is stale, yet training and merging ran after every change that reached them.
    EXPECT_FALSE(stageIsStale(project, "train"));
    EXPECT_FALSE(stageIsStale(project, "merge"));
}

TEST(StageFreshness, MoreTrainingMakesMergeAndExportStale) {
    json stages = {{"pack.src", stage("done", "2026-01-01T00:00:00Z")},
                   {"merge", stage("done", "2026-01-03T00:00:00Z")},
                   {"export", stage("done", "2026-01-04T00:00:00Z")},
                   {"train", stage("done", "2026-01-02T00:00:00Z")}};
    EXPECT_FALSE(stageIsStale(projectWith(stages), "merge"));
    stages["train"] = stage("done", "2026-01-05T00:00:00Z");
    EXPECT_TRUE(stageIsStale(projectWith(stages), "merge"));
    EXPECT_TRUE(stageIsStale(projectWith(stages), "export"));
}

TEST(StageFreshness, OtherSideNeverMakesAStageStale) {
    const json project = projectWith({{"align.dst", stage("done", "2026-01-05T00:00:00Z")},
                                      {"pack.src", stage("done", "2026-01-01T00:00:00Z")},
                                      {"pack.dst", stage("done", "2026-01-01T00:00:00Z")}});
    EXPECT_FALSE(stageIsStale(project, "pack.src"));
    EXPECT_TRUE(stageIsStale(project, "pack.dst"));
}

TEST(StageFreshness, ARunThatChangedNothingKeepsLaterStagesFresh) {
    // align ran again after the pack but resumed every frame: it ended later, changed earlier.
    json stages = {{"align.src", stage("done", "2026-01-03T00:00:00Z", "2026-01-01T00:00:00Z")},
                   {"pack.src", stage("done", "2026-01-02T00:00:00Z")}};
    EXPECT_FALSE(stageIsStale(projectWith(stages), "pack.src"));
    stages["align.src"]["changed"] = "2026-01-03T00:00:00Z";
    EXPECT_TRUE(stageIsStale(projectWith(stages), "pack.src"));
}

TEST(StageFreshness, OnlyStagesThatChangedSomethingCount) {
    json stages = {{"align.src", stage("cancelled", "2026-01-03T00:00:00Z")},
                   {"pack.src", stage("done", "2026-01-02T00:00:00Z")}};
    EXPECT_FALSE(stageIsStale(projectWith(stages), "pack.src"));
    // Stopped half way after changing some of its outputs (faces written, frames merged anew).
    stages["align.src"]["changed"] = "2026-01-03T00:00:00Z";
    EXPECT_TRUE(stageIsStale(projectWith(stages), "pack.src"));
    stages["align.src"].erase("changed");
    // A stage not done is never stale, whatever ran before it; one recorded stale always is.
    stages["align.src"] = stage("done", "2026-01-03T00:00:00Z");
    stages["pack.src"]["status"] = "failed";
    EXPECT_FALSE(stageIsStale(projectWith(stages), "pack.src"));
    stages["pack.src"]["status"] = "stale";
    EXPECT_TRUE(stageIsStale(projectWith(stages), "pack.src"));
}

TEST(StageFreshness, AppliedMasksFeedThePackButTheMaskModelAloneDoesNot) {
    json stages = {{"xseg.src", stage("done", "2026-01-03T00:00:00Z")},
                   {"xseg", stage("done", "2026-01-04T00:00:00Z")},
                   {"pack.src", stage("done", "2026-01-02T00:00:00Z")},
                   {"pack.dst", stage("done", "2026-01-02T00:00:00Z")}};
    EXPECT_TRUE(stageIsStale(projectWith(stages), "pack.src"));
    EXPECT_FALSE(stageIsStale(projectWith(stages), "pack.dst"));
}

TEST(StageFreshness, MissingOrMalformedProjectIsNeverStale) {
    EXPECT_FALSE(stageIsStale(json(), "pack.src"));
    EXPECT_FALSE(stageIsStale(json::object(), "pack.src"));
    EXPECT_FALSE(stageIsStale(projectWith(json::array()), "pack.src"));
    EXPECT_FALSE(stageIsStale(projectWith({{"pack.src", 3}}), "pack.src"));
    EXPECT_FALSE(stageIsStale(projectWith({{"unknown", stage("done", "2026")}}), "unknown"));
}
