#pragma once
// The training loss chart (Qt Charts): src and dst loss against iteration, with a range
// selector (whole run, or the last N iterations) so late, small improvements stay visible.
#include <QChartView>
#include <QComboBox>
#include <QLineSeries>
#include <QValueAxis>
#include <QWidget>

#include <vector>

#include "common/TrainingEngine.h"

namespace doppel::ui {

class LossChart : public QWidget {
    Q_OBJECT
  public:
    explicit LossChart(QWidget* parent = nullptr);
    /// Replaces the curve with the trainer's (thinned) history.
    void setHistory(const std::vector<LossPoint>& history);
    int pointCount() const { return int(history_.size()); }

  private:
    void redraw();
    std::vector<LossPoint> history_;
    QComboBox* range_;
    QLineSeries* src_;
    QLineSeries* dst_;
    QValueAxis* xAxis_;
    QValueAxis* yAxis_;
};

}  // namespace doppel::ui
