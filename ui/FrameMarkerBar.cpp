#include "ui/FrameMarkerBar.h"

#include <QMouseEvent>
#include <QPainter>
#include <QStyle>

#include <algorithm>
#include <cmath>

namespace doppel::ui {

FrameMarkerBar::FrameMarkerBar(QSlider* slider, QWidget* parent)
    : QWidget(parent), slider_(slider) {
    setFixedHeight(8);
    setCursor(Qt::PointingHandCursor);
    connect(slider_, &QSlider::rangeChanged, this, qOverload<>(&QWidget::update));
}

void FrameMarkerBar::setTicks(std::vector<int> positions) {
    std::sort(positions.begin(), positions.end());
    ticks_ = std::move(positions);
    update();
}

void FrameMarkerBar::setBands(std::vector<std::pair<int, int>> ranges) {
    bands_ = std::move(ranges);
    update();
}

int FrameMarkerBar::nextTick(int position) const {
    auto after = std::upper_bound(ticks_.begin(), ticks_.end(), position);
    if (after != ticks_.end()) return *after;
    return ticks_.empty() ? -1 : ticks_.front();
}

double FrameMarkerBar::xOf(int position) const {
    // The handle's centre runs from half a handle in from the left to half a handle in from the
    // right: the same inset keeps a tick under the handle when the slider is on that frame.
    const double inset =
        slider_->style()->pixelMetric(QStyle::PM_SliderLength, nullptr, slider_) / 2.0;
    const int span = std::max(1, slider_->maximum() - slider_->minimum());
    return inset + (width() - 2 * inset) * double(position - slider_->minimum()) / span;
}

void FrameMarkerBar::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    const double step = xOf(slider_->minimum() + 1) - xOf(slider_->minimum());
    for (const auto& [first, last] : bands_) {
        const double left = xOf(first) - step / 2, right = xOf(last) + step / 2;
        painter.fillRect(QRectF(left, 0, std::max(2.0, right - left), height()),
                         QColor(60, 120, 220, 110));
    }
    painter.setPen(QPen(QColor(220, 50, 40), std::max(1.0, std::min(3.0, step))));
    for (int position : ticks_) {
        const double x = xOf(position);
        painter.drawLine(QPointF(x, 0), QPointF(x, height()));
    }
}

void FrameMarkerBar::mousePressEvent(QMouseEvent* event) {
    const double inset = xOf(slider_->minimum());
    const double usable = std::max(1.0, width() - 2 * inset);
    const double fraction = std::clamp((event->position().x() - inset) / usable, 0.0, 1.0);
    slider_->setValue(slider_->minimum() +
                      int(std::lround(fraction * (slider_->maximum() - slider_->minimum()))));
}

}  // namespace doppel::ui
