#include "ui/MaskCanvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace doppel::ui {
namespace {

const QColor kIncludeColor(60, 220, 90);
const QColor kExcludeColor(240, 70, 60);
const QColor kDrawingColor(255, 210, 40);

}  // namespace

MaskCanvas::MaskCanvas(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(256, 256);
}

void MaskCanvas::setFace(const QImage& image, int space, std::vector<MaskPolygon> polygons,
                         std::vector<std::array<float, 2>> alignedLandmarks) {
    image_ = image;
    space_ = std::max(1, space);
    polygons_ = std::move(polygons);
    landmarks_ = std::move(alignedLandmarks);
    current_.clear();
    modified_ = false;
    update();
}

void MaskCanvas::setPolygons(std::vector<MaskPolygon> polygons) {
    polygons_ = std::move(polygons);
    current_.clear();
    touch();
}

void MaskCanvas::touch() {
    modified_ = true;
    update();
    Q_EMIT changed();
}

void MaskCanvas::addPoint(const QPointF& alignedPoint) {
    const float x = float(std::clamp(alignedPoint.x(), 0.0, double(space_)));
    const float y = float(std::clamp(alignedPoint.y(), 0.0, double(space_)));
    current_.push_back({x, y});
    update();
}

bool MaskCanvas::closePolygon() {
    if (current_.size() < 3) return false;
    polygons_.push_back({include_, current_});
    current_.clear();
    touch();
    return true;
}

void MaskCanvas::discardCurrent() {
    current_.clear();
    update();
}

void MaskCanvas::undo() {
    if (!current_.empty()) {
        current_.pop_back();
        update();
    } else if (!polygons_.empty()) {
        polygons_.pop_back();
        touch();
    }
}

void MaskCanvas::clearAll() {
    if (polygons_.empty() && current_.empty()) return;
    polygons_.clear();
    current_.clear();
    touch();
}

QRectF MaskCanvas::faceRect() const {
    const double side = std::max(1, std::min(width(), height()));
    return {(width() - side) / 2, (height() - side) / 2, side, side};
}

QPointF MaskCanvas::toAligned(const QPointF& widgetPoint) const {
    const QRectF r = faceRect();
    const double scale = space_ / r.width();
    return {(widgetPoint.x() - r.x()) * scale, (widgetPoint.y() - r.y()) * scale};
}

QPointF MaskCanvas::toWidget(const std::array<float, 2>& p) const {
    const QRectF r = faceRect();
    const double scale = r.width() / space_;
    return {r.x() + p[0] * scale, r.y() + p[1] * scale};
}

void MaskCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(40, 40, 40));
    const QRectF target = faceRect();
    if (!image_.isNull()) painter.drawImage(target, image_);
    painter.setRenderHint(QPainter::Antialiasing);
    auto pathOf = [this](const std::vector<std::array<float, 2>>& points) {
        QPolygonF polygon;
        for (const auto& p : points) polygon << toWidget(p);
        return polygon;
    };

    // The resulting mask, as pack and merge will see it: polygons filled in order on a layer
    // (include paints, exclude erases), then the layer tints the face.
    if (!polygons_.empty()) {
        QImage layer(size(), QImage::Format_ARGB32_Premultiplied);
        layer.fill(Qt::transparent);
        QPainter lp(&layer);
        lp.setRenderHint(QPainter::Antialiasing);
        lp.setPen(Qt::NoPen);
        for (const auto& polygon : polygons_) {
            lp.setCompositionMode(polygon.include ? QPainter::CompositionMode_SourceOver
                                                  : QPainter::CompositionMode_Clear);
            lp.setBrush(
                QColor(kIncludeColor.red(), kIncludeColor.green(), kIncludeColor.blue(), 90));
            lp.drawPolygon(pathOf(polygon.points));
        }
        lp.end();
        painter.drawImage(0, 0, layer);
        for (const auto& polygon : polygons_) {
            painter.setPen(QPen(polygon.include ? kIncludeColor : kExcludeColor, 2));
            painter.setBrush(Qt::NoBrush);
            painter.drawPolygon(pathOf(polygon.points));
        }
    }

    // Landmarks as faint dots: a reference for where the face is.
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(255, 255, 255, 110));
    for (const auto& p : landmarks_) painter.drawEllipse(toWidget(p), 1.6, 1.6);

    // The polygon being drawn, with a dashed edge to the mouse.
    if (!current_.empty()) {
        const QColor colour = include_ ? kDrawingColor : kExcludeColor;
        painter.setPen(QPen(colour, 2));
        painter.setBrush(Qt::NoBrush);
        painter.drawPolyline(pathOf(current_));
        if (target.contains(hover_)) {
            painter.setPen(QPen(colour, 1, Qt::DashLine));
            painter.drawLine(toWidget(current_.back()), hover_);
            painter.drawLine(hover_, toWidget(current_.front()));
        }
        painter.setPen(Qt::NoPen);
        painter.setBrush(colour);
        for (const auto& p : current_) painter.drawEllipse(toWidget(p), 3.5, 3.5);
    }
}

void MaskCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton && faceRect().contains(event->position()))
        addPoint(toAligned(event->position()));
    else if (event->button() == Qt::RightButton)
        closePolygon();
}

void MaskCanvas::mouseDoubleClickEvent(QMouseEvent* event) {
    // The double click's first press already added its point.
    if (event->button() == Qt::LeftButton) closePolygon();
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* event) {
    hover_ = event->position();
    if (!current_.empty()) update();
}

void MaskCanvas::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)
        closePolygon();
    else if (event->key() == Qt::Key_Escape && !current_.empty())
        discardCurrent();
    else if (event->key() == Qt::Key_Backspace || event->matches(QKeySequence::Undo))
        undo();
    else
        QWidget::keyPressEvent(event);
}

}  // namespace doppel::ui
