// uniform_yaw: the yaw proxy from aligned landmarks, and draw weights that make every occupied
// yaw bin equally likely (a faceset that is 90 % frontal draws its side views half the time).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include "models/UniformYaw.h"

using namespace doppel::models;

namespace {

// 68 landmarks with the jaw ends at x 20 and 108 and the nose tip at `noseX`.
void appendFace(std::vector<float>& landmarks, float noseX) {
    std::vector<float> face(68 * 2, 64.0f);
    face[2 * 0] = 20.0f;
    face[2 * 16] = 108.0f;
    face[2 * 30] = noseX;
    landmarks.insert(landmarks.end(), face.begin(), face.end());
}

}  // namespace

TEST(UniformYaw, YawComesFromTheNoseOffsetAlongTheJaw) {
    std::vector<float> landmarks;
    appendFace(landmarks, 64.0f);                     // centred: frontal
    appendFace(landmarks, 86.0f);                     // halfway to the right jaw end
    appendFace(landmarks, 20.0f);                     // at the left jaw end
    appendFace(landmarks, 200.0f);                    // beyond: clamped
    landmarks.insert(landmarks.end(), 68 * 2, 0.0f);  // no landmarks: frontal
    const std::vector<float> yaw = yawFromLandmarks(landmarks, 5);
    ASSERT_EQ(yaw.size(), 5u);
    EXPECT_FLOAT_EQ(yaw[0], 0.0f);
    EXPECT_FLOAT_EQ(yaw[1], 0.5f);
    EXPECT_FLOAT_EQ(yaw[2], -1.0f);
    EXPECT_FLOAT_EQ(yaw[3], 1.0f);
    EXPECT_FLOAT_EQ(yaw[4], 0.0f);
    EXPECT_EQ(yawFromLandmarks({}, 3), std::vector<float>(3, 0.0f));  // no landmark array
}

TEST(UniformYaw, EachOccupiedBinIsDrawnEquallyOften) {
    std::vector<float> yaw(90, 0.02f);
    yaw.insert(yaw.end(), 10, 0.8f);
    EXPECT_EQ(occupiedYawBins(yaw), 2);
    const torch::Tensor weights = uniformYawWeights(yaw);
    ASSERT_EQ(weights.size(0), 100);
    EXPECT_NEAR(weights.sum().item<double>(), 1.0, 1e-5);
    EXPECT_NEAR(weights.narrow(0, 90, 10).sum().item<double>(), 0.5, 1e-5);

    auto generator = at::detail::createCPUGenerator(5);
    const torch::Tensor drawn = torch::multinomial(weights, 20000, true, generator);
    const double sideShare = (drawn >= 90).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(sideShare, 0.5, 0.02);  // without uniform_yaw it would be 0.1
}
