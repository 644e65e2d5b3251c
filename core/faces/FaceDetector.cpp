#include "faces/FaceDetector.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>

#include "common/Error.h"
#include "faces/FaceGeometry.h"

namespace doppel {
namespace {

// dlib's frontal HOG filters are 80x80 pixels: a face must be about this big in the scanned copy.
constexpr double kHogWindow = 80.0;
// In tracking, the face is scaled to just above the window: small copies are what makes it cheap.
constexpr double kTrackedFaceSide = 100.0;

const dlib::shape_predictor& sharedPredictor() {
    // Loaded once per process (C++11 guarantees one initialisation even with many threads). If it
    // throws, the next call tries again, so a user can install the package without restarting.
    static const dlib::shape_predictor predictor = [] {
        std::string path = landmarkModelPath();
        if (!std::filesystem::exists(path))
            throw Error(ErrorCode::MissingDependency,
                        "landmark model " + path +
                            " not found: install it with `apt-get install libdlib-data`");
        dlib::shape_predictor loaded;
        try {
            dlib::deserialize(path) >> loaded;
        } catch (const std::exception& e) {
            throw Error(ErrorCode::MissingDependency,
                        "landmark model " + path + " is unreadable (" + e.what() +
                            "): reinstall it with `apt-get install --reinstall libdlib-data`");
        }
        return loaded;
    }();
    return predictor;
}

const dlib::frontal_face_detector& detectorPrototype() {
    static const dlib::frontal_face_detector prototype = dlib::get_frontal_face_detector();
    return prototype;
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

cv::Mat toGrey(const cv::Mat& frame) {
    if (frame.empty()) throw Error(ErrorCode::InvalidInput, "face detection on an empty image");
    if (frame.type() == CV_8UC1) return frame;
    cv::Mat grey;
    if (frame.type() == CV_8UC3)
        cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
    else if (frame.type() == CV_8UC4)
        cv::cvtColor(frame, grey, cv::COLOR_BGRA2GRAY);
    else
        throw Error(ErrorCode::InvalidInput,
                    "face detection needs an 8-bit grey, BGR or BGRA image");
    return grey;
}

cv::Rect2f boundingBoxOf(const std::vector<cv::Point2f>& points) {
    float x0 = points[0].x, y0 = points[0].y, x1 = x0, y1 = y0;
    for (const auto& p : points) {
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y);
        x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

/// The box dlib's HOG detector puts around a face with these landmarks: measured on the 288
/// upright GRID faces of the test data, the square's side is 1.135 times the landmarks' width
/// (sd 0.075) and its centre 0.104 widths above theirs (sd 0.019).
cv::Rect2f detectorBoxOf(const std::vector<std::array<float, 2>>& landmarks) {
    float x0 = landmarks[0][0], y0 = landmarks[0][1], x1 = x0, y1 = y0;
    for (const auto& p : landmarks) {
        x0 = std::min(x0, p[0]), y0 = std::min(y0, p[1]);
        x1 = std::max(x1, p[0]), y1 = std::max(y1, p[1]);
    }
    const float width = x1 - x0, side = 1.135f * width;
    const float cx = 0.5f * (x0 + x1), cy = 0.5f * (y0 + y1) - 0.104f * width;
    return {cx - 0.5f * side, cy - 0.5f * side, side, side};
}

}  // namespace

std::string landmarkModelPath() {
    const char* overridden = std::getenv("DOPPEL_LANDMARK_MODEL");
    if (overridden && *overridden) return overridden;
    return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

void preloadLandmarkModel() {
    (void)sharedPredictor();
}

double boxIoU(const cv::Rect2f& a, const cv::Rect2f& b) {
    float overlap = (a & b).area();
    float united = a.area() + b.area() - overlap;
    return united > 0 ? double(overlap) / united : 0.0;
}

/// A copy of (part of) the frame to scan: frame -> view is a rotation about a point plus a
/// translation, with no scaling, so landmarks are found at full resolution. HOG then scans a
/// copy of the view scaled by detectScale.
struct FaceDetector::View {
    cv::Matx23d frameToView = cv::Matx23d(1, 0, 0, 0, 1, 0);
    cv::Size size;
    double detectScale = 1.0;
    double rollDegrees = 0;
    bool identity = true;  ///< the view is the frame itself, or a plain crop of it (cropRect)
    cv::Rect cropRect;     ///< for identity views: the part of the frame (empty = all)
};

struct FaceDetector::Impl {
    dlib::frontal_face_detector detector = detectorPrototype();  // a private copy per thread
};

FaceDetector::FaceDetector(DetectorSettings settings)
    : impl_(std::make_unique<Impl>()), settings_(settings) {
    preloadLandmarkModel();
}

FaceDetector::~FaceDetector() = default;

std::vector<DetectedFace> FaceDetector::detectInView(const cv::Mat& grey, const View& view) {
    cv::Mat viewImage;
    cv::Point2f cropOffset(0, 0);
    if (view.identity) {
        cv::Rect rect =
            view.cropRect.empty() ? cv::Rect(0, 0, grey.cols, grey.rows) : view.cropRect;
        viewImage = grey(rect);
        cropOffset = cv::Point2f(float(rect.x), float(rect.y));
    } else {
        cv::warpAffine(grey, viewImage, view.frameToView, view.size, cv::INTER_LINEAR,
                       cv::BORDER_CONSTANT);
    }
    cv::Mat scanned = viewImage;
    if (std::abs(view.detectScale - 1.0) > 1e-6) {
        int interpolation = view.detectScale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
        cv::resize(viewImage, scanned, cv::Size(), view.detectScale, view.detectScale,
                   interpolation);
    }
    if (scanned.cols < 40 || scanned.rows < 40) return {};

    auto start = std::chrono::steady_clock::now();
    std::vector<dlib::rect_detection> detections;
    impl_->detector(dlib::cv_image<unsigned char>(scanned), detections);
    detectMs_ += millisecondsSince(start);

    cv::Matx23d viewToFrame;
    if (view.identity)
        viewToFrame = cv::Matx23d(1, 0, cropOffset.x, 0, 1, cropOffset.y);
    else
        cv::invertAffineTransform(view.frameToView, viewToFrame);

    std::vector<DetectedFace> faces;
    for (const auto& detection : detections) {
        const dlib::rectangle& r = detection.rect;
        double s = 1.0 / view.detectScale;
        dlib::rectangle inView(long(std::lround(r.left() * s)), long(std::lround(r.top() * s)),
                               long(std::lround(r.right() * s)), long(std::lround(r.bottom() * s)));
        if (double(inView.width()) < settings_.minFaceSize) continue;

        start = std::chrono::steady_clock::now();
        dlib::full_object_detection shape =
            sharedPredictor()(dlib::cv_image<unsigned char>(viewImage), inView);
        landmarkMs_ += millisecondsSince(start);
        if (shape.num_parts() != 68) continue;

        DetectedFace face;
        face.score = detection.detection_confidence;
        face.rollDegrees = view.rollDegrees;
        std::vector<std::array<float, 2>> inViewPoints;
        for (unsigned long i = 0; i < 68; ++i)
            inViewPoints.push_back({float(shape.part(i).x()), float(shape.part(i).y())});
        face.landmarks = transformPoints(viewToFrame, inViewPoints);
        std::vector<std::array<float, 2>> corners = {
            {float(inView.left()), float(inView.top())},
            {float(inView.right() + 1), float(inView.top())},
            {float(inView.right() + 1), float(inView.bottom() + 1)},
            {float(inView.left()), float(inView.bottom() + 1)}};
        std::vector<cv::Point2f> frameCorners;
        for (const auto& c : transformPoints(viewToFrame, corners))
            frameCorners.emplace_back(c[0], c[1]);
        face.box = boundingBoxOf(frameCorners);

        // Landmarks that sprawl far beyond the box mean the predictor lost the face.
        double boxSide = std::max(1.0, double(inView.width()));
        double cropSide =
            cropSideInFrame(alignmentMatrix(face.landmarks, 256, FaceType::Full), 256);
        if (cropSide > settings_.maxCropToBox * boxSide) continue;
        faces.push_back(std::move(face));
    }
    return faces;
}

std::vector<DetectedFace> FaceDetector::detect(const cv::Mat& frame) {
    cv::Mat grey = toGrey(frame);
    const int longSide = std::max(grey.cols, grey.rows);
    // About detectLongSide pixels: smaller frames are enlarged too (at most 2x) so that faces
    // of ~50 px in small stills reach HOG's 80 px window.
    const double baseScale = std::min(2.0, double(settings_.detectLongSide) / longSide);

    View upright;
    upright.size = grey.size();
    upright.detectScale = baseScale;
    auto sorted = [](std::vector<DetectedFace> faces) {
        std::sort(faces.begin(), faces.end(), [](const DetectedFace& a, const DetectedFace& b) {
            return a.box.x != b.box.x ? a.box.x < b.box.x : a.box.y < b.box.y;
        });
        return faces;
    };
    auto faces = detectInView(grey, upright);
    if (!faces.empty()) return sorted(std::move(faces));

    if (settings_.upsample && settings_.minFaceSize * baseScale < kHogWindow &&
        longSide * baseScale * 2 <= 4096) {
        View larger = upright;
        larger.detectScale = baseScale * 2;
        faces = detectInView(grey, larger);
        if (!faces.empty()) return sorted(std::move(faces));
    }
    if (!settings_.rotations) return faces;

    // Small rolls first (far more common in footage than sideways frames), then DFL's 90/270/180.
    // A view is taken at once when it finds a face surely; otherwise the surest view wins: an
    // upside-down face gave weak hits at -25 degrees (HOG scores 0.12-0.18) that were taken for
    // it, garbage crops on every frame, where the 180 degree view finds it at about 1.
    constexpr double kSureScore = 0.5;
    auto surest = [](const std::vector<DetectedFace>& found) {
        double best = -1e9;
        for (const auto& f : found) best = std::max(best, double(f.score));
        return best;
    };
    std::vector<DetectedFace> best;
    for (double angle : {25.0, -25.0, 90.0, 270.0, 180.0}) {
        View rotated;
        cv::Point2f centre(grey.cols * 0.5f, grey.rows * 0.5f);
        cv::Matx23d m(cv::getRotationMatrix2D(centre, angle, 1.0));
        double c = std::abs(std::cos(angle * CV_PI / 180)),
               s = std::abs(std::sin(angle * CV_PI / 180));
        int width = int(std::lround(grey.cols * c + grey.rows * s));
        int height = int(std::lround(grey.cols * s + grey.rows * c));
        m(0, 2) +=
            width * 0.5 - centre.x;  // re-centre on a canvas large enough for the whole frame
        m(1, 2) += height * 0.5 - centre.y;
        rotated.frameToView = m;
        rotated.size = cv::Size(width, height);
        rotated.detectScale =
            std::min(2.0, double(settings_.detectLongSide) / std::max(width, height));
        rotated.rollDegrees = angle;
        rotated.identity = false;
        faces = detectInView(grey, rotated);
        if (faces.empty()) continue;
        if (surest(faces) >= kSureScore) return sorted(std::move(faces));
        if (best.empty() || surest(faces) > surest(best)) best = std::move(faces);
    }
    return sorted(std::move(best));
}

std::vector<DetectedFace> FaceDetector::detectNear(const cv::Mat& frame,
                                                   const DetectedFace& previous) {
    if (previous.landmarks.size() != 68 || previous.box.width <= 0) return {};
    cv::Mat grey = toGrey(frame);
    cv::Point2f centre(0, 0);
    for (const auto& p : previous.landmarks) centre += cv::Point2f(p[0], p[1]);
    centre *= 1.0f / 68;
    // The rotated box's side (the stored box is axis-aligned around it).
    double roll = previous.rollDegrees * CV_PI / 180;
    double side = std::max(previous.box.width, previous.box.height) /
                  (std::abs(std::cos(roll)) + std::abs(std::sin(roll)));
    int regionSide = int(std::lround(side * 2.2));

    View view;
    view.size = cv::Size(regionSide, regionSide);
    view.detectScale = std::min(2.0, kTrackedFaceSide / side);
    view.rollDegrees = previous.rollDegrees;
    cv::Rect crop(int(std::lround(centre.x - regionSide * 0.5)),
                  int(std::lround(centre.y - regionSide * 0.5)), regionSide, regionSide);
    crop &= cv::Rect(0, 0, grey.cols, grey.rows);
    if (previous.rollDegrees == 0) {
        if (crop.width < 40 || crop.height < 40) return {};
        view.cropRect = crop;  // plain crop: no pixel copy
    } else {
        cv::Matx23d m(cv::getRotationMatrix2D(centre, previous.rollDegrees, 1.0));
        m(0, 2) += regionSide * 0.5 - centre.x;
        m(1, 2) += regionSide * 0.5 - centre.y;
        view.frameToView = m;
        view.identity = false;
    }
    auto faces = detectInView(grey, view);
    const DetectedFace* best = nullptr;
    double bestIoU = 0.3;
    for (const auto& face : faces) {
        double iou = boxIoU(face.box, previous.box);
        if (iou >= bestIoU) best = &face, bestIoU = iou;
    }
    if (!best) return {};
    return {*best};
}

BoxFit FaceDetector::fitInBox(const cv::Mat& frame, const cv::Rect2f& box) {
    const cv::Rect2f inFrame = box & cv::Rect2f(0, 0, float(frame.cols), float(frame.rows));
    const std::string frameSize = std::to_string(frame.cols) + "x" + std::to_string(frame.rows);
    // A face cut by the frame's edge is placed; a box mostly outside the frame is a typo (or a
    // slip of the mouse) and would become a sliver of a face, swapped in a corner.
    if (inFrame.area() < 0.5 * box.area())
        throw Error(ErrorCode::InvalidInput,
                    "the face box lies mostly outside the " + frameSize +
                        " frame: draw it around the face, inside the frame");
    if (inFrame.width < 16 || inFrame.height < 16)
        throw Error(ErrorCode::InvalidInput,
                    "the face box must be at least 16 pixels wide and high inside the " +
                        frameSize + " frame");
    cv::Mat grey = toGrey(frame);
    // The part of the box inside the frame: a box drawn (or typed) far past the edges is the
    // whole frame, not a region of 100000 pixels to search.
    const double side = std::max(inFrame.width, inFrame.height);
    const cv::Point2f centre(inFrame.x + 0.5f * inFrame.width, inFrame.y + 0.5f * inFrame.height);

    // 1. The detector, on the region around the box scaled as tracking scales it: upright,
    // then turned +-25 degrees for a tilted head (as detect() retries).
    const int regionSide = int(std::lround(side * 2.2));
    const int minFaceSize = settings_.minFaceSize;
    settings_.minFaceSize = std::min(minFaceSize, int(side * 0.5));  // the user chose the size
    const DetectedFace* best = nullptr;
    std::vector<DetectedFace> faces;
    for (double roll : {0.0, 25.0, -25.0}) {
        View view;
        view.size = cv::Size(regionSide, regionSide);
        view.detectScale = std::min(2.0, kTrackedFaceSide / side);
        view.rollDegrees = roll;
        if (roll == 0) {
            cv::Rect crop(int(std::lround(centre.x - regionSide * 0.5)),
                          int(std::lround(centre.y - regionSide * 0.5)), regionSide, regionSide);
            crop &= cv::Rect(0, 0, grey.cols, grey.rows);
            if (crop.width < 40 || crop.height < 40) continue;
            view.cropRect = crop;
        } else {
            cv::Matx23d m(cv::getRotationMatrix2D(centre, roll, 1.0));
            m(0, 2) += regionSide * 0.5 - centre.x;
            m(1, 2) += regionSide * 0.5 - centre.y;
            view.frameToView = m;
            view.identity = false;
        }
        faces = detectInView(grey, view);
        double bestIoU = 0.25;
        for (const auto& face : faces) {
            double iou = boxIoU(face.box, inFrame);
            if (iou >= bestIoU) best = &face, bestIoU = iou;
        }
        if (best) break;
    }
    settings_.minFaceSize = minFaceSize;
    if (best) return {*best, true};

    // 2. The landmark model alone. On a face it can see, its landmarks imply a box close to the
    // one it ran in, and running it again there corrects a loosely drawn box. On a face it
    // cannot see (heavy blur) it puts its mean shape into whatever box it gets, so the implied
    // box only grows or drifts: then the user's box stands (the studio shows the landmarks as
    // the box is moved, so a user lines them up by eye).
    BoxFit fit;
    cv::Rect2f current = inFrame;
    for (int pass = 0; pass < 3; ++pass) {
        const dlib::rectangle rect(long(std::lround(current.x)), long(std::lround(current.y)),
                                   long(std::lround(current.x + current.width)) - 1,
                                   long(std::lround(current.y + current.height)) - 1);
        auto start = std::chrono::steady_clock::now();
        dlib::full_object_detection shape =
            sharedPredictor()(dlib::cv_image<unsigned char>(grey), rect);
        landmarkMs_ += millisecondsSince(start);
        if (shape.num_parts() != 68) break;
        std::vector<std::array<float, 2>> landmarks;
        for (unsigned long i = 0; i < shape.num_parts(); ++i)
            landmarks.push_back({float(shape.part(i).x()), float(shape.part(i).y())});
        if (pass > 0) {
            const cv::Rect2f implied = detectorBoxOf(landmarks);
            const float moved = float(cv::norm((implied.tl() + implied.br()) * 0.5f -
                                               (current.tl() + current.br()) * 0.5f));
            if (std::abs(implied.width - current.width) > 0.1f * current.width ||
                moved > 0.1f * current.width)
                break;  // not settling: keep the previous pass
        }
        fit.face.landmarks = std::move(landmarks);
        fit.face.box = current;
        current = detectorBoxOf(fit.face.landmarks);
    }
    if (fit.face.landmarks.size() != 68)
        throw Error(ErrorCode::Internal, "the landmark model gave no landmarks in the box");
    return fit;
}

}  // namespace doppel
