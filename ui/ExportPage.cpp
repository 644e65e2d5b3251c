#include "ui/ExportPage.h"

#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScrollArea>
#include <QUrl>
#include <QVBoxLayout>

#include "common/Log.h"
#include "pipeline/ExportStage.h"
#include "ui/OptionForm.h"
#include "ui/SideProgress.h"

namespace doppel::ui {
namespace {
const QString kJobName = QStringLiteral("Export");
}

ExportPage::ExportPage(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
    auto* layout = new QHBoxLayout(this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    form_ = new OptionForm(ExportStage::optionSchema(), scroll);
    scroll->setWidget(form_);
    layout->addWidget(scroll, 1);

    auto* right = new QVBoxLayout;
    auto* label = new QGroupBox(tr("Synthetic media label"), this);
    auto* labelLayout = new QVBoxLayout(label);
    auto* explanation = new QLabel(
        tr("Doppel labels every result as synthetic media: the merged frames carry an invisible "
           "watermark (checked with <tt>doppel verify</tt>) and the exported file says in its "
           "metadata "
           "that it was made with a face-swap tool. Keep the label on; viewers have a right to "
           "know. "
           "Only use faces you have consent to use."),
        label);
    explanation->setWordWrap(true);
    labelLayout->addWidget(explanation);
    right->addWidget(label);

    photoNote_ = new QLabel(tr("The destination is a photo: the result is a photo too "
                               "(result/result.png, or a .jpg if the output path says so). The "
                               "video settings do not apply to it."),
                            this);
    photoNote_->setWordWrap(true);
    photoNote_->setVisible(false);
    right->addWidget(photoNote_);
    auto* buttons = new QHBoxLayout;
    startButton_ = new QPushButton(tr("Export video"), this);
    startButton_->setObjectName(QStringLiteral("exportStartButton"));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setEnabled(false);
    buttons->addWidget(startButton_);
    buttons->addWidget(cancelButton_);
    buttons->addStretch(1);
    right->addLayout(buttons);
    progress_ = new SideProgress(tr("Export"), this);
    right->addWidget(progress_);
    resultLabel_ = new QLabel(this);
    resultLabel_->setWordWrap(true);
    right->addWidget(resultLabel_);
    auto* after = new QHBoxLayout;
    openFolder_ = new QPushButton(tr("Open folder"), this);
    play_ = new QPushButton(tr("Play"), this);
    play_->setObjectName(QStringLiteral("playButton"));
    openFolder_->setEnabled(false);
    play_->setEnabled(false);
    after->addWidget(openFolder_);
    after->addWidget(play_);
    after->addStretch(1);
    right->addLayout(after);
    right->addStretch(1);
    layout->addLayout(right, 1);

    connect(startButton_, &QPushButton::clicked, this, &ExportPage::start);
    connect(cancelButton_, &QPushButton::clicked, session_, &StudioSession::cancelJob);
    connect(openFolder_, &QPushButton::clicked, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(resultPath_).absolutePath()));
    });
    connect(play_, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(resultPath_)); });
    connect(session_, &StudioSession::jobFinished, this, &ExportPage::onFinished);
    // Nothing to export before a merge ran: the button waits for one (a click would only record
    // a failed export).
    connect(session_, &StudioSession::projectChanged, this, [this] {
        bool merged = false;
        try {
            merged =
                session_->hasWorkspace() && !session_->workspace().stageStatus("merge").empty();
        } catch (const std::exception&) {
            // An unreadable project.json is reported where it is read for the step list.
        }
        startButton_->setEnabled(merged && !session_->isJobRunning());
        startButton_->setToolTip(merged ? QString()
                                        : tr("Merge first: there is nothing to export"));
    });
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        form_->setValues(session_->workspace().stageOptions("export"));
        progress_->showLastRun(session_->workspace(), "export");
        // A photo destination comes back as a photo: say so, rather than offer "Export video".
        bool photo = false;
        try {
            photo = ExportStage::destinationIsAPhoto(session_->workspace());
        } catch (const std::exception& e) {
            logWarning(e.what());
        }
        startButton_->setText(photo ? tr("Export photo") : tr("Export video"));
        photoNote_->setVisible(photo);
        resultPath_ = newestResult();
        openFolder_->setEnabled(!resultPath_.isEmpty());
        play_->setEnabled(!resultPath_.isEmpty());
        resultLabel_->setText(resultPath_.isEmpty() ? QString()
                                                    : tr("Latest result: %1").arg(resultPath_));
    });
}

void ExportPage::start() {
    if (!session_->hasWorkspace()) return;
    Workspace ws = session_->workspace();
    nlohmann::json options;
    try {
        options = ExportStage::optionSchema().resolve(form_->values());
    } catch (const std::exception& e) {
        progress_->showText(QString::fromStdString(e.what()));
        return;
    }
    auto job = session_->startJob(
        kJobName,
        [ws, options](ProgressSink& sink, const CancelToken& cancel) {
            return ExportStage::run(ws, options, sink, cancel);
        },
        Step::Export);
    if (!job) return;
    progress_->reset();
    connect(job, &JobRunner::progress, progress_, &SideProgress::showProgress);
    startButton_->setEnabled(false);
    cancelButton_->setEnabled(true);
}

QString ExportPage::newestResult() const {
    if (!session_->hasWorkspace()) return {};
    QDir dir(QString::fromStdString(session_->workspace().resultDir().string()));
    QFileInfoList files = dir.entryInfoList({"*.mp4", "*.mkv", "*.mov", "*.webm", "*.png", "*.jpg"},
                                            QDir::Files, QDir::Time);
    return files.isEmpty() ? QString() : files.front().absoluteFilePath();
}

void ExportPage::onFinished(const QString& name, const JobOutcome& outcome) {
    if (name != kJobName) return;
    startButton_->setEnabled(true);
    cancelButton_->setEnabled(false);
    progress_->showText(outcome.message);
    if (outcome.status != StageStatus::Succeeded) return;
    // Prefer the path the stage reports; fall back to the newest file in result/.
    QJsonObject summary = QJsonDocument::fromJson(outcome.summaryJson.toUtf8()).object();
    QString reported = summary.value("output").toString();
    resultPath_ = !reported.isEmpty() && QFileInfo::exists(reported) ? reported : newestResult();
    resultLabel_->setText(tr("Written: %1").arg(resultPath_));
    openFolder_->setEnabled(!resultPath_.isEmpty());
    play_->setEnabled(!resultPath_.isEmpty());
}

}  // namespace doppel::ui
