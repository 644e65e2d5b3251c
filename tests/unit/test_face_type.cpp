// Face-type crop presets against the algorithms.md §1.3 table: crop side vs the mean-face square,
// the whole_face / head centre shifts, and independence from head roll.
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "faces/FaceGeometry.h"

using namespace doppel;

namespace {
// A plausible 68-point face: the mean face for 17..67 and a U-shaped jaw, as a similarity of the
// unit square (side `scale` pixels, rolled by `degrees`, its top-left at `origin`).
std::vector<std::array<float, 2>> syntheticFace(double scale, double degrees, cv::Point2d origin) {
    std::vector<cv::Point2d> unit(68);
    for (int k = 0; k < 17; ++k) {
        double t = k / 16.0;
        unit[k] = {0.49 - 0.5 * std::cos(CV_PI * t), 0.25 + 0.75 * std::sin(CV_PI * t)};
    }
    for (int k = 17; k < 68; ++k) unit[k] = meanFacePoint(k);
    double a = degrees * CV_PI / 180, c = std::cos(a), s = std::sin(a);
    std::vector<std::array<float, 2>> out;
    for (auto p : unit)
        out.push_back({float(scale * (c * p.x - s * p.y) + origin.x),
                       float(scale * (s * p.x + c * p.y) + origin.y)});
    return out;
}

cv::Point2d cropCentreInUnit(const cv::Matx23d& frameToAligned, int size,
                             const cv::Matx23d& frameToUnit) {
    cv::Matx23d alignedToFrame;
    cv::invertAffineTransform(frameToAligned, alignedToFrame);
    auto centre = transformPoints(alignedToFrame, {{size * 0.5f, size * 0.5f}})[0];
    auto unit = transformPoints(frameToUnit, {centre})[0];
    return {unit[0], unit[1]};
}
}  // namespace

TEST(FaceType, CropSidesMatchTheTable) {
    const std::pair<const char*, double> table[] = {
        {"half", 1.00}, {"mid_full", 1.19}, {"full", 1.60}, {"whole_face", 2.13}, {"head", 2.98}};
    auto face = syntheticFace(200.0, 0.0, {300, 150});
    for (auto [name, ratio] : table) {
        FaceType type = parseFaceType(name);
        EXPECT_EQ(std::string(faceTypeName(type)), name);
        EXPECT_NEAR(faceTypeCropRatio(type), ratio, 0.01) << name;
        for (int size : {128, 256, 1024}) {
            cv::Matx23d m = alignmentMatrix(face, size, type);
            EXPECT_NEAR(cropSideInFrame(m, size) / 200.0, ratio, 0.01) << name << " at " << size;
        }
    }
}

TEST(FaceType, CentreShifts) {
    auto face = syntheticFace(200.0, 0.0, {300, 150});
    cv::Matx23d toUnit = frameToMeanFace(face);
    cv::Point2d full = cropCentreInUnit(alignmentMatrix(face, 256, FaceType::Full), 256, toUnit);
    EXPECT_NEAR(full.x, 0.5, 1e-3);
    EXPECT_NEAR(full.y, 0.5, 1e-3);
    cv::Point2d whole =
        cropCentreInUnit(alignmentMatrix(face, 256, FaceType::WholeFace), 256, toUnit);
    EXPECT_NEAR(whole.x, 0.5, 1e-3);
    EXPECT_NEAR(whole.y, 0.5 - 0.07, 1e-3);  // 7 % of the side toward the forehead
    cv::Point2d head = cropCentreInUnit(alignmentMatrix(face, 256, FaceType::Head), 256, toUnit);
    EXPECT_NEAR(head.y, 0.0, 1e-3);           // 50 % upward
    EXPECT_LT(std::abs(head.x - 0.5), 0.02);  // a frontal face: (almost) no yaw shift
}

TEST(FaceType, RolledFaceGivesTheSameAlignedLandmarks) {
    auto upright = syntheticFace(150.0, 0.0, {100, 100});
    auto rolled = syntheticFace(150.0, 20.0, {400, 50});
    auto a = transformPoints(alignmentMatrix(upright, 256, FaceType::Full), upright);
    auto b = transformPoints(alignmentMatrix(rolled, 256, FaceType::Full), rolled);
    for (size_t k = 0; k < 68; ++k) {
        EXPECT_NEAR(a[k][0], b[k][0], 0.01) << k;
        EXPECT_NEAR(a[k][1], b[k][1], 0.01) << k;
    }
}

TEST(FaceType, MeanFaceEyesLandWhereTheTableSays) {
    // For `full` the unit square is centred with side 256 / 1.5966 pixels.
    auto face = syntheticFace(173.0, -8.0, {250, 210});
    auto aligned = transformPoints(alignmentMatrix(face, 256, FaceType::Full), face);
    double side = 256.0 / faceTypeCropRatio(FaceType::Full);
    for (int k : {36, 39, 42, 45, 30}) {
        EXPECT_NEAR(aligned[k][0], 128 + (meanFacePoint(k).x - 0.5) * side, 0.05) << k;
        EXPECT_NEAR(aligned[k][1], 128 + (meanFacePoint(k).y - 0.5) * side, 0.05) << k;
    }
}

TEST(FaceType, UnknownNameIsABadOption) {
    try {
        parseFaceType("wide");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::BadOption);
        EXPECT_NE(std::string(e.what()).find("wide"), std::string::npos);
    }
}
