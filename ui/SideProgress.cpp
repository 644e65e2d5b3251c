#include "ui/SideProgress.h"

#include <QVBoxLayout>

namespace doppel::ui {

SideProgress::SideProgress(const QString& title, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    title_ = new QLabel(QStringLiteral("<b>%1</b>").arg(title), this);
    bar_ = new QProgressBar(this);
    detail_ = new QLabel(this);
    layout->addWidget(title_);
    layout->addWidget(bar_);
    layout->addWidget(detail_);
    reset();
}

void SideProgress::reset() {
    bar_->setRange(0, 1);
    bar_->setValue(0);
    detail_->setText(tr("idle"));
}

void SideProgress::showText(const QString& text) {
    detail_->setText(text);
}

void SideProgress::showProgress(const JobProgress& p) {
    if (p.total > 0) {
        bar_->setRange(0, 1000);
        bar_->setValue(int(1000.0 * double(p.done) / double(p.total)));
        bar_->setFormat(QStringLiteral("%1 / %2").arg(p.done).arg(p.total));
    } else {
        bar_->setRange(0, 0);
    }
    detail_->setText(tr("%1: %2 done, %3/s, ETA %4  %5")
                         .arg(p.stage)
                         .arg(p.done)
                         .arg(p.rate, 0, 'f', 1)
                         .arg(formatEta(p.etaSeconds), p.message));
}

}  // namespace doppel::ui
