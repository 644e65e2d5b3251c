#include "ui/SideProgress.h"

#include <QVBoxLayout>

namespace doppel::ui {

SideProgress::SideProgress(const QString& title, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    title_ = new QLabel(QStringLiteral("<b>%1</b>").arg(title), this);
    bar_ = new QProgressBar(this);
    detail_ = new QLabel(this);
    // Wrapped: a long outcome ("75 frames merged (...)") must not widen the panel it sits in.
    detail_->setWordWrap(true);
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

void SideProgress::showLastRun(const Workspace& workspace, const std::string& key) {
    std::string status, message;
    try {
        const nlohmann::json project = workspace.project();
        if (project.contains("stages") && project["stages"].contains(key)) {
            status = project["stages"][key].value("status", "");
            message = project["stages"][key].value("message", "");
        }
    } catch (const std::exception& e) {
        detail_->setText(QString::fromStdString(e.what()));
        return;
    }
    bar_->setRange(0, 1);
    bar_->setValue(status == "done" || status == "stale" ? 1 : 0);
    bar_->setFormat(QStringLiteral("%p%"));
    if (status.empty()) {
        detail_->setText(tr("not run yet"));
        return;
    }
    const QString word = status == "cancelled" || status == "interrupted"
                             ? tr("stopped")
                             : QString::fromStdString(status);
    detail_->setText(message.empty() ? word
                                     : tr("%1: %2").arg(word, QString::fromStdString(message)));
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
