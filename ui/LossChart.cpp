#include "ui/LossChart.h"

#include <QChart>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace doppel::ui {

LossChart::LossChart(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Loss"), this));
    range_ = new QComboBox(this);
    range_->addItem(tr("Whole run"), 0);
    range_->addItem(tr("Last 100k iterations"), 100000);
    range_->addItem(tr("Last 10k iterations"), 10000);
    range_->addItem(tr("Last 1k iterations"), 1000);
    top->addStretch(1);
    top->addWidget(range_);
    layout->addLayout(top);

    auto* chart = new QChart;
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    src_ = new QLineSeries(chart);
    src_->setName(tr("src loss"));
    dst_ = new QLineSeries(chart);
    dst_->setName(tr("dst loss"));
    chart->addSeries(src_);
    chart->addSeries(dst_);
    xAxis_ = new QValueAxis(chart);
    xAxis_->setLabelFormat("%d");
    xAxis_->setTitleText(tr("iteration"));
    yAxis_ = new QValueAxis(chart);
    chart->addAxis(xAxis_, Qt::AlignBottom);
    chart->addAxis(yAxis_, Qt::AlignLeft);
    for (QLineSeries* s : {src_, dst_}) {
        s->attachAxis(xAxis_);
        s->attachAxis(yAxis_);
    }
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(180);
    layout->addWidget(view, 1);
    connect(range_, &QComboBox::currentIndexChanged, this, &LossChart::redraw);
    redraw();
}

void LossChart::setHistory(const std::vector<LossPoint>& history) {
    history_ = history;
    redraw();
}

void LossChart::redraw() {
    QList<QPointF> src, dst;
    int64_t last = history_.empty() ? 0 : history_.back().iteration;
    int64_t window = range_->currentData().toLongLong();
    int64_t first = window > 0 ? std::max<int64_t>(0, last - window) : 0;
    float lo = 1e30f, hi = -1e30f;
    for (const LossPoint& p : history_) {
        if (p.iteration < first) continue;
        src.append(QPointF(double(p.iteration), p.srcLoss));
        dst.append(QPointF(double(p.iteration), p.dstLoss));
        lo = std::min({lo, p.srcLoss, p.dstLoss});
        hi = std::max({hi, p.srcLoss, p.dstLoss});
    }
    src_->replace(src);
    dst_->replace(dst);
    if (src.isEmpty()) {
        xAxis_->setRange(0, 1000);
        yAxis_->setRange(0, 1);
        return;
    }
    xAxis_->setRange(double(src.front().x()),
                     std::max(double(src.back().x()), double(src.front().x()) + 1));
    float pad = std::max(1e-4f, (hi - lo) * 0.05f);
    yAxis_->setRange(std::max(0.f, lo - pad), hi + pad);
    // Round ticks (0, 20, 40 ...; 1.2, 1.4 ...) instead of the range split in even parts.
    xAxis_->applyNiceNumbers();
    yAxis_->applyNiceNumbers();
}

}  // namespace doppel::ui
