#include "ui/StepList.h"

#include <QIcon>

namespace doppel::ui {
namespace {

QIcon iconFor(StepState state) {
    switch (state) {
        case StepState::Done:
            return QIcon(QStringLiteral(":/icons/state-done.svg"));
        case StepState::Stale:
            return QIcon(QStringLiteral(":/icons/state-stale.svg"));
        case StepState::Running:
            return QIcon(QStringLiteral(":/icons/state-running.svg"));
        case StepState::Failed:
            return QIcon(QStringLiteral(":/icons/state-failed.svg"));
        case StepState::Stopped:
            return QIcon(QStringLiteral(":/icons/state-stopped.svg"));
        case StepState::Partial:
            return QIcon(QStringLiteral(":/icons/state-partial.svg"));
        case StepState::NotRun:
        default:
            return QIcon(QStringLiteral(":/icons/state-notrun.svg"));
    }
}

}  // namespace

StepList::StepList(QWidget* parent) : QListWidget(parent), states_(kStepCount, StepState::NotRun) {
    setIconSize(QSize(20, 20));
    setSpacing(2);
    setUniformItemSizes(true);
    for (int i = 0; i < kStepCount; ++i) addItem(new QListWidgetItem(stepTitle(Step(i))));
    setStates(states_);
    setMinimumWidth(170);
    setMaximumWidth(220);
    connect(this, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0) Q_EMIT stepSelected(Step(row));
    });
}

void StepList::setStates(const std::vector<StepState>& states) {
    states_ = states;
    states_.resize(kStepCount, StepState::NotRun);
    for (int i = 0; i < kStepCount; ++i) {
        QListWidgetItem* it = item(i);
        it->setIcon(iconFor(states_[i]));
        it->setText(QStringLiteral("%1\n%2").arg(stepTitle(Step(i)), stepStateName(states_[i])));
        it->setToolTip(stepTitle(Step(i)) + ": " + stepStateHint(states_[i]));
        it->setData(Qt::UserRole, int(states_[i]));
    }
}

}  // namespace doppel::ui
