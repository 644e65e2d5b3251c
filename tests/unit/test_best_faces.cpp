// pickBestFaces: the kept faces span the poses present (rare turns kept, the crowd of frontal
// faces thinned), the sharpest face of a pose wins, the blurriest fifth is left out while there
// are enough others, and the edge cases (keep all, keep none) hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "faces/BestFaces.h"

using namespace doppel;

namespace {

FaceSortKeys face(double yaw, double pitch, double blur) {
    FaceSortKeys k;
    k.yawDegrees = yaw;
    k.pitchDegrees = pitch;
    k.blur = blur;
    return k;
}

}  // namespace

TEST(BestFaces, RareTurnsAreKeptAndTheFrontalCrowdIsThinned) {
    // 900 frontal faces (yaw within +-5) and 100 spread over -60..60, random sharpness.
    std::mt19937 random(7);
    std::uniform_real_distribution<double> frontal(-5, 5), turned(-60, 60), pitch(-10, 10),
        sharpness(50, 500);
    std::vector<FaceSortKeys> keys;
    for (int i = 0; i < 900; ++i)
        keys.push_back(face(frontal(random), pitch(random), sharpness(random)));
    for (int i = 0; i < 100; ++i)
        keys.push_back(face(turned(random), pitch(random), sharpness(random)));

    const std::vector<size_t> kept = pickBestFaces(keys, 100);
    ASSERT_EQ(kept.size(), 100u);
    EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
    EXPECT_EQ(std::adjacent_find(kept.begin(), kept.end()), kept.end());  // no face twice
    int turnedKept = 0;
    for (size_t i : kept) turnedKept += std::abs(keys[i].yawDegrees) > 10 ? 1 : 0;
    // 10 % of the faces are turned more than 5 degrees; far more of the kept ones are.
    EXPECT_GT(turnedKept, 40) << turnedKept;
    // The most turned faces on both sides survive.
    double left = 0, right = 0;
    for (size_t i : kept)
        left = std::min(left, keys[i].yawDegrees), right = std::max(right, keys[i].yawDegrees);
    EXPECT_LT(left, -50);
    EXPECT_GT(right, 50);
    // Nothing of the blurriest fifth: there were enough sharper faces.
    std::vector<double> blur;
    for (const auto& k : keys) blur.push_back(k.blur);
    std::nth_element(blur.begin(), blur.begin() + 200, blur.end());
    const double fifth = blur[200];
    for (size_t i : kept) EXPECT_GE(keys[i].blur, fifth);
}

TEST(BestFaces, TheSharpestFaceOfAPoseWins) {
    std::vector<FaceSortKeys> keys = {face(0, 0, 10), face(0, 0, 300), face(0, 0, 200),
                                      face(40, 0, 5), face(40, 0, 50)};
    // Two bins over yaw 0..40: one face from each, the sharpest of each pose.
    EXPECT_EQ(pickBestFaces(keys, 2), (std::vector<size_t>{1, 4}));
    EXPECT_EQ(pickBestFaces(keys, 5).size(), 5u);
    EXPECT_EQ(pickBestFaces(keys, 9).size(), 5u);
    EXPECT_TRUE(pickBestFaces(keys, 0).empty());
    EXPECT_TRUE(pickBestFaces({}, 3).empty());
}
