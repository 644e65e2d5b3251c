#include "faces/FaceGeometry.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "common/Error.h"

namespace doppel {
namespace {

// Mean face for landmarks 17..67 in the unit square (algorithms.md §1.2, the classic deepfakes
// table), indexed by landmark - 17.
const double kMeanFace[51][2] = {
    {0.000213, 0.106454}, {0.075262, 0.038915}, {0.181130, 0.018748}, {0.290770, 0.034489},
    {0.393397, 0.077391}, {0.586856, 0.077391}, {0.689483, 0.034489}, {0.799124, 0.018748},
    {0.904991, 0.038915}, {0.980040, 0.106454}, {0.490127, 0.203352}, {0.490127, 0.307009},
    {0.490127, 0.409805}, {0.490127, 0.515625}, {0.366880, 0.587326}, {0.426036, 0.609345},
    {0.490127, 0.628106}, {0.554217, 0.609345}, {0.613373, 0.587326}, {0.121737, 0.216423},
    {0.187122, 0.178758}, {0.265825, 0.179852}, {0.334606, 0.231733}, {0.260918, 0.245099},
    {0.182743, 0.244077}, {0.645647, 0.231733}, {0.714428, 0.179852}, {0.793132, 0.178758},
    {0.858516, 0.216423}, {0.797510, 0.244077}, {0.719335, 0.245099}, {0.254149, 0.780233},
    {0.340985, 0.745405}, {0.428858, 0.727388}, {0.490127, 0.742578}, {0.551395, 0.727388},
    {0.639268, 0.745405}, {0.726104, 0.780233}, {0.642159, 0.864805}, {0.556721, 0.902192},
    {0.490127, 0.909281}, {0.423532, 0.902192}, {0.338094, 0.864805}, {0.290379, 0.784792},
    {0.428096, 0.778746}, {0.490127, 0.785343}, {0.552157, 0.778746}, {0.689874, 0.784792},
    {0.553364, 0.824182}, {0.490127, 0.831803}, {0.426890, 0.824182},
};

cv::Point2d apply(const cv::Matx23d& m, cv::Point2d p) {
    return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

cv::Point2d unit(cv::Point2d v) {
    double n = std::hypot(v.x, v.y);
    return n > 0 ? v / n : v;
}

}  // namespace

FaceType parseFaceType(const std::string& name) {
    if (name == "half") return FaceType::Half;
    if (name == "mid_full") return FaceType::MidFull;
    if (name == "full") return FaceType::Full;
    if (name == "whole_face") return FaceType::WholeFace;
    if (name == "head") return FaceType::Head;
    throw Error(ErrorCode::BadOption,
                "unknown face type '" + name + "' (half, mid_full, full, whole_face, head)");
}

const char* faceTypeName(FaceType type) {
    switch (type) {
        case FaceType::Half:
            return "half";
        case FaceType::MidFull:
            return "mid_full";
        case FaceType::Full:
            return "full";
        case FaceType::WholeFace:
            return "whole_face";
        case FaceType::Head:
            return "head";
    }
    return "full";
}

double faceTypePadding(FaceType type) {
    switch (type) {
        case FaceType::Half:
            return 0.0;
        case FaceType::MidFull:
            return 0.0675;
        case FaceType::Full:
            return 0.2109375;
        case FaceType::WholeFace:
            return 0.40;
        case FaceType::Head:
            return 0.70;
    }
    return 0.2109375;
}

double faceTypeCropRatio(FaceType type) {
    return 1.0 + 2.0 * faceTypePadding(type) * std::sqrt(2.0);
}

cv::Point2d meanFacePoint(int index) {
    if (index < 17 || index > 67)
        throw Error(ErrorCode::Internal,
                    "no mean-face point for landmark " + std::to_string(index));
    return {kMeanFace[index - 17][0], kMeanFace[index - 17][1]};
}

const std::vector<int>& alignmentLandmarkIndices() {
    static const std::vector<int> indices = [] {
        std::vector<int> v;
        for (int i = 17; i <= 47; ++i) v.push_back(i);
        v.push_back(48);
        v.push_back(54);
        return v;
    }();
    return indices;
}

cv::Matx23d umeyamaSimilarity(const std::vector<cv::Point2d>& from,
                              const std::vector<cv::Point2d>& to) {
    if (from.size() != to.size() || from.size() < 2)
        throw Error(ErrorCode::InvalidInput,
                    "similarity fit needs two equally sized sets of at least 2 points");
    const double n = double(from.size());
    cv::Point2d meanFrom(0, 0), meanTo(0, 0);
    for (size_t i = 0; i < from.size(); ++i) {
        meanFrom += from[i];
        meanTo += to[i];
    }
    meanFrom /= n;
    meanTo /= n;
    // Covariance A = to_c^T from_c / n and the variance of the source set.
    cv::Matx22d cov = cv::Matx22d::zeros();
    double varFrom = 0;
    for (size_t i = 0; i < from.size(); ++i) {
        cv::Point2d a = from[i] - meanFrom, b = to[i] - meanTo;
        cov(0, 0) += b.x * a.x;
        cov(0, 1) += b.x * a.y;
        cov(1, 0) += b.y * a.x;
        cov(1, 1) += b.y * a.y;
        varFrom += a.dot(a);
    }
    cov *= 1.0 / n;
    varFrom /= n;
    if (varFrom < 1e-12)
        throw Error(ErrorCode::InvalidInput, "similarity fit on points that all coincide");

    cv::Mat w, u, vt;
    cv::SVD::compute(cv::Mat(cov), w, u, vt);
    // d flips the last axis when A is a reflection, so R stays a proper rotation.
    double d = cv::determinant(cv::Mat(cov)) < 0 ? -1.0 : 1.0;
    cv::Matx22d U(u), Vt(vt);
    cv::Matx22d D(1, 0, 0, d);
    cv::Matx22d R = U * D * Vt;
    double scale = (w.at<double>(0) + d * w.at<double>(1)) / varFrom;
    cv::Point2d t = meanTo - scale * cv::Point2d(R(0, 0) * meanFrom.x + R(0, 1) * meanFrom.y,
                                                 R(1, 0) * meanFrom.x + R(1, 1) * meanFrom.y);
    return {scale * R(0, 0), scale * R(0, 1), t.x, scale * R(1, 0), scale * R(1, 1), t.y};
}

cv::Matx23d frameToMeanFace(const std::vector<std::array<float, 2>>& landmarks68) {
    if (landmarks68.size() != 68)
        throw Error(ErrorCode::InvalidInput,
                    "alignment needs 68 landmarks, got " + std::to_string(landmarks68.size()));
    std::vector<cv::Point2d> from, to;
    for (int index : alignmentLandmarkIndices()) {
        from.emplace_back(landmarks68[index][0], landmarks68[index][1]);
        to.push_back(meanFacePoint(index));
    }
    return umeyamaSimilarity(from, to);
}

cv::Matx23d alignmentMatrix(const std::vector<std::array<float, 2>>& landmarks68, int size,
                            FaceType type) {
    cv::Matx23d toUnit = frameToMeanFace(landmarks68);
    cv::Matx23d toFrame;
    cv::invertAffineTransform(toUnit, toFrame);

    // The unit square's corners and centre, back in the frame: the detected face's "mean-face
    // square", rotated with the head.
    cv::Point2d topLeft = apply(toFrame, {0, 0}), topRight = apply(toFrame, {1, 0});
    cv::Point2d bottomRight = apply(toFrame, {1, 1}), bottomLeft = apply(toFrame, {0, 1});
    cv::Point2d centre = apply(toFrame, {0.5, 0.5});
    cv::Point2d tb = unit(bottomRight - topLeft), bt = unit(topRight - bottomLeft);
    double diagonal = std::hypot(bottomRight.x - topLeft.x, bottomRight.y - topLeft.y);
    double halfDiagonal = diagonal * (0.5 + faceTypePadding(type) * std::sqrt(2.0));

    cv::Point2d up = topLeft - bottomLeft;  // one square side long, toward the forehead
    if (type == FaceType::WholeFace) {
        centre += up * 0.07;  // whole_face includes the forehead: centre 7 % of the side higher
    } else if (type == FaceType::Head) {
        centre += up * 0.5;
        // Yaw proxy: how far the nose tip sits from the mean face's nose line in unit space.
        // A turned head's skull lies behind the nose, so shift against it, damped (x0.5) and
        // clamped so a bad landmark set cannot throw the crop off the head.
        cv::Point2d nose = apply(toUnit, {landmarks68[30][0], landmarks68[30][1]});
        double yaw = std::max(-0.25, std::min(0.25, nose.x - meanFacePoint(30).x));
        centre -= (topRight - topLeft) * (yaw * 0.5);
    }

    cv::Point2f source[3] = {cv::Point2f(centre - tb * halfDiagonal),
                             cv::Point2f(centre + bt * halfDiagonal),
                             cv::Point2f(centre + tb * halfDiagonal)};
    cv::Point2f target[3] = {{0.f, 0.f}, {float(size), 0.f}, {float(size), float(size)}};
    return cv::Matx23d(cv::getAffineTransform(source, target));
}

double cropSideInFrame(const cv::Matx23d& matrix, int size) {
    double scale = std::sqrt(std::abs(matrix(0, 0) * matrix(1, 1) - matrix(0, 1) * matrix(1, 0)));
    return scale > 0 ? size / scale : 0;
}

std::vector<std::array<float, 2>> transformPoints(const cv::Matx23d& m,
                                                  const std::vector<std::array<float, 2>>& points) {
    std::vector<std::array<float, 2>> out;
    out.reserve(points.size());
    for (const auto& p : points) {
        cv::Point2d q = apply(m, {p[0], p[1]});
        out.push_back({float(q.x), float(q.y)});
    }
    return out;
}

}  // namespace doppel
