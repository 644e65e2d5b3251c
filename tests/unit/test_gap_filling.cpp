// Align's fill_gaps: faces the detector lost for a few video frames are placed between their
// neighbours (faces/FaceTracking fillGaps); and which left-out faces are other people.
#include <gtest/gtest.h>

#include "faces/FaceTracking.h"

using namespace doppel;

namespace {

/// A kept face whose box has its top-left corner at (x, y), 100 px wide; landmarks on a line.
TrackedFace faceAt(float x, float y, int track) {
    TrackedFace t;
    t.face.box = cv::Rect2f(x, y, 100, 100);
    t.face.score = 1;
    for (int k = 0; k < 68; ++k) t.face.landmarks.push_back({x + k, y + 50});
    t.trackId = track;
    t.keep = true;
    return t;
}

}  // namespace

TEST(GapFilling, ShortGapsAreInterpolatedAndContinueTheTrack) {
    FaceTimeline timeline(8);
    timeline[0] = {faceAt(0, 0, 0)};
    timeline[1] = {faceAt(10, 0, 0)};
    timeline[5] = {faceAt(50, 20, 1)};  // frames 2-4 lost; the detector gave a new track
    timeline[6] = {faceAt(60, 20, 1)};
    std::vector<bool> fillable(8, true);
    EXPECT_EQ(fillGaps(timeline, fillable, 3), 3);
    for (int f = 2; f <= 4; ++f) {
        ASSERT_EQ(timeline[f].size(), 1u) << f;
        const TrackedFace& placed = timeline[f][0];
        const float t = float(f - 1) / 4;
        EXPECT_NEAR(placed.face.box.x, 10 + t * 40, 1e-4) << f;
        EXPECT_NEAR(placed.face.box.y, t * 20, 1e-4) << f;
        EXPECT_NEAR(placed.face.landmarks[3][0], 13 + t * 40, 1e-4) << f;
        EXPECT_TRUE(placed.gapFilled);
        EXPECT_TRUE(placed.keep);
        EXPECT_EQ(placed.trackId, 0);
    }
    EXPECT_EQ(timeline[5][0].trackId, 0);
    EXPECT_EQ(timeline[6][0].trackId, 0);
    EXPECT_EQ(timeline[7].size(), 0u);  // no face after it: the end is not a gap
}

TEST(GapFilling, LongGapsCutsAndUnreadableFramesStayEmpty) {
    FaceTimeline timeline(12);
    timeline[0] = {faceAt(0, 0, 0)};
    timeline[5] = {faceAt(0, 0, 1)};    // 4 frames lost: longer than maxGap 3
    timeline[7] = {faceAt(400, 0, 2)};  // a cut: another face elsewhere, not the same one
    timeline[9] = {faceAt(400, 0, 3)};
    timeline[11] = {faceAt(400, 0, 4)};
    std::vector<bool> fillable(12, true);
    fillable[10] = false;  // unreadable
    EXPECT_EQ(fillGaps(timeline, fillable, 3), 1);
    for (int f : {1, 2, 3, 4, 6, 10}) EXPECT_TRUE(timeline[f].empty()) << f;
    ASSERT_EQ(timeline[8].size(), 1u);
    EXPECT_NEAR(timeline[8][0].face.box.x, 400, 1e-4);
    // Faces not kept (keep=track following someone else) are not carried into a gap.
    FaceTimeline unkept(3);
    unkept[0] = {faceAt(0, 0, 0)};
    unkept[0][0].keep = false;
    unkept[2] = {faceAt(0, 0, 0)};
    EXPECT_EQ(fillGaps(unkept, std::vector<bool>(3, true), 3), 0);
    EXPECT_TRUE(unkept[1].empty());
}

// Align's note that keep=largest left a person out counts another face, not a second box on
// the kept head.
TEST(FaceSelection, AFaceLeftOutBesideTheKeptOneIsAnotherPerson) {
    std::vector<TrackedFace> frame = {faceAt(0, 0, 0), faceAt(300, 0, 1)};
    EXPECT_FALSE(otherFaceLeftOut(frame));  // both kept
    frame[1].keep = false;
    EXPECT_TRUE(otherFaceLeftOut(frame));
    frame[1].face.box = cv::Rect2f(10, 10, 90, 90);  // nested on the kept face
    EXPECT_FALSE(otherFaceLeftOut(frame));
    EXPECT_STREQ(keepModeName(parseKeepMode("track")), "track");
}

// A track continues only onto a face that looks like it: the same place, another person (a cut)
// starts a new track; a face without a look (read back, placed by hand) is matched by place.
TEST(FaceTracking, ATrackDoesNotContinueOntoAFaceThatLooksOther) {
    cv::Mat one(32, 32, CV_32F), other(32, 32, CV_32F);
    cv::randn(one, 0, 1), cv::randn(other, 0, 1);
    FaceTimeline timeline(4);
    for (auto& frame : timeline) frame.push_back(faceAt(10, 10, -1));
    timeline[0][0].look = one;
    timeline[1][0].look = one.clone();
    timeline[2][0].look = other;  // the cut
    // timeline[3]: no look, continues whatever is there
    assignTracks(timeline);
    EXPECT_EQ(timeline[1][0].trackId, timeline[0][0].trackId);
    EXPECT_NE(timeline[2][0].trackId, timeline[1][0].trackId);
    EXPECT_EQ(timeline[3][0].trackId, timeline[2][0].trackId);
}

// keep=track follows the person: after a cut where they trade places with someone larger, the
// face that looks like them is kept at once, not the larger one.
TEST(FaceSelection, TrackModeFollowsThePersonAcrossACut) {
    cv::Mat first(32, 32, CV_32F), second(32, 32, CV_32F);
    cv::randn(first, 0, 1), cv::randn(second, 0, 1);
    FaceTimeline timeline(4);
    for (size_t f = 0; f < timeline.size(); ++f) {
        const bool afterCut = f >= 2;
        TrackedFace a = faceAt(afterCut ? 300 : 0, 0, -1), b = faceAt(afterCut ? 0 : 300, 0, -1);
        a.look = first, b.look = second;
        a.face.box.width = a.face.box.height = 120;  // the followed one, larger at first
        if (afterCut) b.face.box.width = b.face.box.height = 140;  // the other, larger after
        timeline[f] = {a, b};
    }
    assignTracks(timeline);
    selectFaces(timeline, KeepMode::Track);
    for (size_t f = 0; f < timeline.size(); ++f) {
        EXPECT_TRUE(timeline[f][0].keep) << "frame " << f;
        EXPECT_FALSE(timeline[f][1].keep) << "frame " << f;
    }
}
