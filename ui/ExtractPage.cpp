#include "ui/ExtractPage.h"

#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <filesystem>

#include "common/Log.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "ui/OptionForm.h"
#include "ui/SideProgress.h"

namespace doppel::ui {
namespace {

const QString kJobName = QStringLiteral("Extract");

struct Thumb {
    QString name;
    QImage image;
};

// Up to `count` frames spread evenly over both sides' frames/ folders, scaled on the pool.
QList<Thumb> loadFrameStrip(QStringList frameDirs, int count) {
    QList<Thumb> out;
    for (const QString& dir : frameDirs) {
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir.toStdString(), ec))
            if (entry.is_regular_file() && entry.path().extension() != ".json" &&
                entry.path().extension() != ".tmp")
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        if (files.empty()) continue;
        int step = std::max<int>(1, int(files.size()) / std::max(1, count / int(frameDirs.size())));
        for (size_t i = 0; i < files.size(); i += size_t(step)) {
            QImageReader reader(QString::fromStdString(files[i].string()));
            QSize size = reader.size();
            if (size.isValid()) reader.setScaledSize(size.scaled(160, 120, Qt::KeepAspectRatio));
            QImage image = reader.read();
            if (!image.isNull())
                out.push_back({QString::fromStdString(
                                   files[i].parent_path().parent_path().filename().string() + "/" +
                                   files[i].filename().string()),
                               image});
        }
    }
    return out;
}

}  // namespace

ExtractPage::ExtractPage(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;

    auto* forms = new QWidget(this);
    auto* formsLayout = new QVBoxLayout(forms);
    formsLayout->addWidget(new QLabel(tr("<b>Frames</b> (decode the videos)"), forms));
    extractForm_ = new OptionForm(ExtractStage::optionSchema(), forms);
    formsLayout->addWidget(extractForm_);
    formsLayout->addWidget(new QLabel(tr("<b>Faces</b> (detect and align)"), forms));
    alignForm_ = new OptionForm(AlignStage::optionSchema(), forms);
    formsLayout->addWidget(alignForm_);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(forms);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(380);
    top->addWidget(scroll, 1);

    auto* right = new QVBoxLayout;
    auto* sides = new QGroupBox(tr("Run"), this);
    auto* sidesLayout = new QVBoxLayout(sides);
    sideBoxes_[0] = new QCheckBox(tr("Source"), sides);
    sideBoxes_[1] = new QCheckBox(tr("Destination"), sides);
    alignBox_ = new QCheckBox(tr("Detect and align faces after extracting"), sides);
    for (QCheckBox* box : {sideBoxes_[0], sideBoxes_[1], alignBox_}) {
        box->setChecked(true);
        sidesLayout->addWidget(box);
    }
    auto* buttons = new QHBoxLayout;
    startButton_ = new QPushButton(tr("Start"), sides);
    startButton_->setObjectName(QStringLiteral("extractStartButton"));
    cancelButton_ = new QPushButton(tr("Cancel"), sides);
    cancelButton_->setEnabled(false);
    buttons->addWidget(startButton_);
    buttons->addWidget(cancelButton_);
    buttons->addStretch(1);
    sidesLayout->addLayout(buttons);
    right->addWidget(sides);
    progress_[0] = new SideProgress(tr("Source"), this);
    progress_[1] = new SideProgress(tr("Destination"), this);
    right->addWidget(progress_[0]);
    right->addWidget(progress_[1]);
    right->addStretch(1);
    top->addLayout(right, 1);
    layout->addLayout(top, 1);

    layout->addWidget(new QLabel(tr("Extracted frames"), this));
    strip_ = new QListWidget(this);
    strip_->setViewMode(QListView::IconMode);
    strip_->setFlow(QListView::LeftToRight);
    strip_->setWrapping(false);
    strip_->setIconSize(QSize(160, 120));
    strip_->setFixedHeight(170);
    strip_->setMovement(QListView::Static);
    layout->addWidget(strip_);

    connect(startButton_, &QPushButton::clicked, this, &ExtractPage::start);
    connect(cancelButton_, &QPushButton::clicked, session_, &StudioSession::cancelJob);
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        loadSavedOptions();
        loadThumbnails();
        // Where each side stands: its align once that ran, else its extract.
        const Workspace& ws = session_->workspace();
        for (Side side : {Side::Src, Side::Dst}) {
            const std::string name = sideName(side);
            const bool aligned = !ws.stageStatus("align." + name).empty();
            progress_[side == Side::Dst ? 1 : 0]->showLastRun(
                ws, (aligned ? "align." : "extract.") + name);
        }
    });
    connect(session_, &StudioSession::jobFinished, this, &ExtractPage::onFinished);
}

void ExtractPage::loadSavedOptions() {
    if (!session_->hasWorkspace()) return;
    try {
        extractForm_->setValues(session_->workspace().stageOptions("extract.src"));
        alignForm_->setValues(session_->workspace().stageOptions("align.src"));
    } catch (const std::exception& e) {
        logWarning(e.what());
    }
}

void ExtractPage::start() {
    if (!session_->hasWorkspace()) {
        progress_[0]->showText(tr("Open or create a project first."));
        return;
    }
    std::vector<Side> sides;
    for (Side side : {Side::Src, Side::Dst})
        if (sideBoxes_[size_t(side)]->isChecked()) sides.push_back(side);
    if (sides.empty()) return;
    Workspace ws = session_->workspace();
    nlohmann::json extractOptions, alignOptions;
    try {
        extractOptions = ExtractStage::optionSchema().resolve(extractForm_->values());
        alignOptions = AlignStage::optionSchema().resolve(alignForm_->values());
    } catch (const std::exception& e) {
        progress_[0]->showText(QString::fromStdString(e.what()));
        return;
    }
    bool align = alignBox_->isChecked();
    auto job = session_->startJob(
        kJobName,
        [=](ProgressSink& sink, const CancelToken& cancel) {
            StageResult last = StageResult::succeeded("nothing to do");
            std::string done;
            for (Side side : sides) {
                last = ExtractStage::run(ws, side, extractOptions, sink, cancel);
                if (!last.ok()) return last;
                if (align) {
                    last = AlignStage::run(ws, side, alignOptions, sink, cancel);
                    if (!last.ok()) return last;
                }
                done +=
                    std::string(done.empty() ? "" : "; ") + sideName(side) + ": " + last.message;
            }
            return StageResult::succeeded(done, last.summary);
        },
        Step::Extract);
    if (!job) return;
    for (SideProgress* p : progress_) p->reset();
    connect(job, &JobRunner::progress, this, &ExtractPage::onProgress);
    startButton_->setEnabled(false);
    cancelButton_->setEnabled(true);
}

void ExtractPage::onProgress(const JobProgress& p) {
    progress_[p.side == QLatin1String("dst") ? 1 : 0]->showProgress(p);
}

void ExtractPage::onFinished(const QString& name, const JobOutcome& outcome) {
    if (name != kJobName) return;
    startButton_->setEnabled(true);
    cancelButton_->setEnabled(false);
    QString text = outcome.status == StageStatus::Succeeded ? tr("done: %1").arg(outcome.message)
                   : outcome.status == StageStatus::Cancelled
                       ? tr("cancelled")
                       : tr("failed: %1").arg(outcome.message);
    progress_[0]->showText(text);
    loadThumbnails();
}

void ExtractPage::loadThumbnails() {
    strip_->clear();
    if (!session_->hasWorkspace()) return;
    const Workspace& ws = session_->workspace();
    QStringList dirs;
    for (Side side : {Side::Src, Side::Dst})
        if (std::filesystem::exists(ws.framesDir(side)))
            dirs << QString::fromStdString(ws.framesDir(side).string());
    if (dirs.isEmpty()) return;
    int generation = ++thumbnailGeneration_;
    auto* watcher = new QFutureWatcher<QList<Thumb>>(this);
    connect(watcher, &QFutureWatcher<QList<Thumb>>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != thumbnailGeneration_) return;  // a newer load replaced this one
        for (const Thumb& thumb : watcher->result())
            strip_->addItem(
                new QListWidgetItem(QIcon(QPixmap::fromImage(thumb.image)), thumb.name));
    });
    watcher->setFuture(QtConcurrent::run(loadFrameStrip, dirs, 24));
}

}  // namespace doppel::ui
