#include "ui/PlacementCanvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <functional>

namespace doppel::ui {
namespace {

const QColor kExistingColor(200, 200, 200);
const QColor kBoxColor(255, 210, 40);
const QColor kDetectedColor(60, 220, 90);
const QColor kFittedColor(255, 150, 40);
constexpr double kMinimumBoxSide = 8.0;  // what FaceDetector::fitInBox accepts
constexpr double kGrabRadius = 5.0;      // widget pixels: how near a landmark a press grabs it

void drawLandmarks(QPainter& painter, const std::vector<std::array<float, 2>>& points,
                   const std::function<QPointF(const QPointF&)>& toWidget, const QColor& color) {
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    for (const auto& p : points) painter.drawEllipse(toWidget(QPointF(p[0], p[1])), 2.0, 2.0);
}

}  // namespace

PlacementCanvas::PlacementCanvas(QWidget* parent) : QWidget(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(320, 240);
    setCursor(Qt::CrossCursor);
}

void PlacementCanvas::setFrame(const QImage& frame, std::vector<AlignedFace> faces) {
    frame_ = frame;
    faces_ = std::move(faces);
    box_ = QRectF();
    candidate_.clear();
    drag_ = Drag::None;
    update();
}

void PlacementCanvas::setBox(const QRectF& frameBox) {
    box_ = frameBox.normalized();
    candidate_.clear();
    update();
    Q_EMIT boxChanged(true);
}

void PlacementCanvas::clearBox() {
    box_ = QRectF();
    candidate_.clear();
    update();
}

void PlacementCanvas::setCandidate(std::vector<std::array<float, 2>> landmarks,
                                   const QRectF& faceBox, bool byDetector) {
    candidate_ = std::move(landmarks);
    candidateBox_ = faceBox;
    byDetector_ = byDetector;
    update();
}

QRectF PlacementCanvas::frameRect() const {
    if (frame_.isNull()) return QRectF(rect());
    const double scale =
        std::min(double(width()) / frame_.width(), double(height()) / frame_.height());
    const QSizeF size(frame_.width() * scale, frame_.height() * scale);
    return QRectF(QPointF((width() - size.width()) / 2, (height() - size.height()) / 2), size);
}

QPointF PlacementCanvas::toFrame(const QPointF& widgetPoint) const {
    const QRectF r = frameRect();
    if (frame_.isNull() || r.width() <= 0) return widgetPoint;
    const double scale = frame_.width() / r.width();
    return (widgetPoint - r.topLeft()) * scale;
}

QPointF PlacementCanvas::toWidget(const QPointF& framePoint) const {
    const QRectF r = frameRect();
    if (frame_.isNull() || frame_.width() <= 0) return framePoint;
    return r.topLeft() + framePoint * (r.width() / frame_.width());
}

void PlacementCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    if (frame_.isNull()) return;
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(frameRect(), frame_);
    painter.setRenderHint(QPainter::Antialiasing);
    auto widgetOf = [this](const QPointF& p) { return toWidget(p); };
    auto widgetRect = [this](const QRectF& r) {
        return QRectF(toWidget(r.topLeft()), toWidget(r.bottomRight()));
    };
    for (const AlignedFace& face : faces_) {
        painter.setPen(QPen(kExistingColor, 1.5, Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(widgetRect(QRectF(face.box[0], face.box[1], face.box[2], face.box[3])));
        drawLandmarks(painter, face.landmarks, widgetOf, kExistingColor);
    }
    if (!box_.isValid()) return;
    painter.setPen(QPen(kBoxColor, 2));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(widgetRect(box_));
    if (candidate_.empty()) return;
    const QColor found = byDetector_ ? kDetectedColor : kFittedColor;
    painter.setPen(QPen(found, 1.5, Qt::DashLine));
    painter.drawRect(widgetRect(candidateBox_));
    drawLandmarks(painter, candidate_, widgetOf, found);
}

int PlacementCanvas::landmarkAt(const QPointF& widgetPoint) const {
    int nearest = -1;
    double best = kGrabRadius;
    for (size_t k = 0; k < candidate_.size(); ++k) {
        const QPointF p = toWidget(QPointF(candidate_[k][0], candidate_[k][1]));
        const double distance = std::hypot(p.x() - widgetPoint.x(), p.y() - widgetPoint.y());
        if (distance <= best) best = distance, nearest = int(k);
    }
    return nearest;
}

void PlacementCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || frame_.isNull()) return;
    dragStart_ = toFrame(event->position());
    boxAtDragStart_ = box_;
    // A landmark under the pointer is dragged on its own; inside the box moves the box.
    draggedLandmark_ = landmarkAt(event->position());
    drag_ = draggedLandmark_ >= 0                         ? Drag::Landmark
            : box_.isValid() && box_.contains(dragStart_) ? Drag::Move
                                                          : Drag::Draw;
    setFocus();
}

void PlacementCanvas::mouseMoveEvent(QMouseEvent* event) {
    if (drag_ == Drag::None) return;
    const QPointF at = toFrame(event->position());
    if (drag_ == Drag::Landmark) {
        candidate_[size_t(draggedLandmark_)] = {float(at.x()), float(at.y())};
        update();
        return;
    }
    if (drag_ == Drag::Move) {
        box_ = boxAtDragStart_.translated(at - dragStart_);
    } else {
        // A square from the press point, as the detector's boxes are.
        const double side =
            std::max(std::abs(at.x() - dragStart_.x()), std::abs(at.y() - dragStart_.y()));
        const double x = at.x() >= dragStart_.x() ? dragStart_.x() : dragStart_.x() - side;
        const double y = at.y() >= dragStart_.y() ? dragStart_.y() : dragStart_.y() - side;
        box_ = QRectF(x, y, side, side);
    }
    candidate_.clear();
    update();
    Q_EMIT boxChanged(false);
}

void PlacementCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || drag_ == Drag::None) return;
    const bool drew = drag_ == Drag::Draw;
    if (drag_ == Drag::Landmark) {
        drag_ = Drag::None;
        Q_EMIT landmarksEdited();
        return;
    }
    drag_ = Drag::None;
    if (drew && box_.width() < kMinimumBoxSide) {
        box_ = boxAtDragStart_;  // a click, not a box: keep what was there
        update();
        return;
    }
    Q_EMIT boxChanged(true);
}

void PlacementCanvas::wheelEvent(QWheelEvent* event) {
    if (!box_.isValid()) return;
    scaleBox(std::pow(1.1, event->angleDelta().y() / 120.0));
}

void PlacementCanvas::keyPressEvent(QKeyEvent* event) {
    if (!box_.isValid()) return QWidget::keyPressEvent(event);
    const double step = std::max(1.0, box_.width() * 0.02);
    switch (event->key()) {
        case Qt::Key_Left:
            return moveBox({-step, 0});
        case Qt::Key_Right:
            return moveBox({step, 0});
        case Qt::Key_Up:
            return moveBox({0, -step});
        case Qt::Key_Down:
            return moveBox({0, step});
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            return scaleBox(1.05);
        case Qt::Key_Minus:
            return scaleBox(1 / 1.05);
        default:
            QWidget::keyPressEvent(event);
    }
}

void PlacementCanvas::scaleBox(double factor) {
    const QPointF centre = box_.center();
    const double side = std::max(kMinimumBoxSide, box_.width() * factor);
    box_ = QRectF(centre.x() - side / 2, centre.y() - side / 2, side, side);
    candidate_.clear();
    update();
    Q_EMIT boxChanged(true);
}

void PlacementCanvas::moveBox(const QPointF& frameDelta) {
    box_.translate(frameDelta);
    candidate_.clear();
    update();
    Q_EMIT boxChanged(true);
}

}  // namespace doppel::ui
