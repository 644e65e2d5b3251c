#pragma once
// The pipeline as a list beside the stacked pages: one row per step with its state as an icon
// and a word ("done", "stale", ...). Selecting a row emits stepSelected.
#include <QListWidget>

#include <vector>

#include "ui/PipelineSteps.h"

namespace doppel::ui {

class StepList : public QListWidget {
    Q_OBJECT
  public:
    explicit StepList(QWidget* parent = nullptr);
    void setStates(const std::vector<StepState>& states);
    StepState state(Step step) const { return states_.at(size_t(step)); }

  Q_SIGNALS:
    void stepSelected(doppel::ui::Step step);

  private:
    std::vector<StepState> states_;
};

}  // namespace doppel::ui
