#include "ui/TrainPage.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QScrollArea>
#include <QVBoxLayout>

#include "common/Log.h"
#include "common/StageLock.h"
#include "pipeline/PackStage.h"
#include "pipeline/TrainingTimelapse.h"
#include "ui/ImageConvert.h"
#include "ui/LossChart.h"
#include "ui/OptionForm.h"
#include "ui/PipelineSteps.h"

namespace doppel::ui {
namespace {

const QString kJobName = QStringLiteral("Train");
const QString kTimelapseJob = QStringLiteral("Training timelapse");
constexpr int kPollMs = 500;

QString formatBytes(int64_t bytes) {
    return QStringLiteral("%1 GiB").arg(double(bytes) / (1024.0 * 1024.0 * 1024.0), 0, 'f', 2);
}

// Pack options for training when the facesets are missing or older than the reviewed faces:
// the ones last used on the Faces page, else the defaults at the model's resolution (so a user
// can go from Extract straight to Train, as in DeepFaceLab, and a review's deletions count).
// Null when the packed facesets are current.
nlohmann::json packOptionsIfStale(const Workspace& ws, const nlohmann::json& trainOptions) {
    bool packed = std::filesystem::exists(ws.packedDir(Side::Src)) &&
                  std::filesystem::exists(ws.packedDir(Side::Dst));
    StepState faces = computeStepStates(ws.project(), true)[size_t(Step::Faces)];
    if (packed && faces == StepState::Done) return nullptr;
    nlohmann::json given = ws.stageOptions("pack.src");
    if (!given.is_object()) {
        given = nlohmann::json::object();
        if (trainOptions.contains("resolution")) given["resolution"] = trainOptions["resolution"];
    }
    return PackStage::optionSchema().resolve(given);
}

}  // namespace

TrainPage::TrainPage(StudioSession* session, QWidget* parent)
    : QWidget(parent),
      session_(session),
      previews_(std::make_shared<LatestMailbox<TrainingUpdate>>()),
      commands_(std::make_shared<CommandQueue<TrainerCommand>>()) {
    auto* layout = new QHBoxLayout(this);

    auto* left = new QVBoxLayout;
    auto* settings = new QGroupBox(tr("Model"), this);
    auto* settingsLayout = new QGridLayout(settings);
    modelName_ = new QLineEdit(QStringLiteral("default"), settings);
    modelName_->setObjectName(QStringLiteral("modelName"));
    maxIterations_ = new QSpinBox(settings);
    maxIterations_->setObjectName(QStringLiteral("maxIterations"));
    maxIterations_->setRange(0, 100000000);
    maxIterations_->setSpecialValueText(tr("no limit"));
    maxIterations_->setToolTip(
        tr("Stop after this many iterations in total (0 = train until stopped)."));
    settingsLayout->addWidget(new QLabel(tr("Name"), settings), 0, 0);
    settingsLayout->addWidget(modelName_, 0, 1);
    settingsLayout->addWidget(new QLabel(tr("Stop at iteration"), settings), 1, 0);
    settingsLayout->addWidget(maxIterations_, 1, 1);
    reuseButton_ = new QPushButton(tr("Start from a trained model..."), settings);
    reuseButton_->setObjectName(QStringLiteral("reuseModel"));
    reuseButton_->setToolTip(
        tr("A new model that starts as a copy of one trained before (another workspace with "
           "the same source person): a new destination then needs far fewer iterations."));
    presetCombo_ = new QComboBox(settings);
    presetCombo_->setObjectName(QStringLiteral("trainPreset"));
    presetCombo_->addItem(tr("Custom (the options below)"));
    if (session_->engine()) {
        presets_ = session_->engine()->presets();
        const std::string suggested = session_->engine()->suggestedPreset();
        for (const TrainPreset& preset : presets_) {
            QString label = QString::fromStdString(preset.label);
            if (preset.name == suggested) label += tr("  [suggested for this device]");
            presetCombo_->addItem(label, QString::fromStdString(preset.name));
            presetCombo_->setItemData(presetCombo_->count() - 1,
                                      QString::fromStdString(preset.help), Qt::ToolTipRole);
        }
    }
    presetCombo_->setToolTip(
        tr("A new model's architecture, resolution, sizes, batch and learning rate in one "
           "choice; the options below can still be changed afterwards."));
    settingsLayout->addWidget(new QLabel(tr("Preset"), settings), 2, 0);
    settingsLayout->addWidget(presetCombo_, 2, 1);
    settingsLayout->addWidget(reuseButton_, 3, 0, 1, 2);
    left->addWidget(settings);
    device_ = new QLabel(this);
    device_->setWordWrap(true);
    left->addWidget(device_);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    if (session_->engine()) {
        form_ = new OptionForm(session_->engine()->optionSchema(), scroll);
        scroll->setWidget(form_);
        connect(form_, &OptionForm::valuesChanged, this, &TrainPage::updateMemoryEstimate);
        connect(form_, &OptionForm::valuesChanged, this, &TrainPage::matchPresetToForm);
    } else {
        scroll->setWidget(new QLabel(tr("Training is not available in this build."), scroll));
    }
    left->addWidget(scroll, 1);
    auto* buttons = new QHBoxLayout;
    startButton_ = new QPushButton(tr("Start"), this);
    startButton_->setObjectName(QStringLiteral("trainStartButton"));
    pauseButton_ = new QPushButton(tr("Pause"), this);
    pauseButton_->setToolTip(tr("Saves and stops; Start resumes from the checkpoint."));
    stopButton_ = new QPushButton(tr("Stop"), this);
    saveButton_ = new QPushButton(tr("Save now"), this);
    for (QPushButton* b : {startButton_, pauseButton_, stopButton_, saveButton_})
        buttons->addWidget(b);
    left->addLayout(buttons);
    layout->addLayout(left, 2);

    auto* right = new QVBoxLayout;
    preview_ =
        new QLabel(tr("The preview appears here a few seconds after training starts:\n"
                      "source, its reconstruction, destination, its reconstruction, and the swap."),
                   this);
    preview_->setAlignment(Qt::AlignCenter);
    preview_->setMinimumSize(420, 300);
    preview_->setFrameShape(QFrame::StyledPanel);
    preview_->setWordWrap(true);
    right->addWidget(preview_, 3);
    auto* previewBar = new QHBoxLayout;
    maskView_ = new QCheckBox(tr("Show masks"), this);
    history_ = new QSlider(Qt::Horizontal, this);
    history_->setRange(0, 0);
    historyLabel_ = new QLabel(tr("live"), this);
    previewBar->addWidget(maskView_);
    previewBar->addWidget(new QLabel(tr("History"), this));
    previewBar->addWidget(history_, 1);
    previewBar->addWidget(historyLabel_);
    auto* timelapseButton = new QPushButton(tr("Timelapse"), this);
    timelapseButton->setObjectName(QStringLiteral("timelapseButton"));
    timelapseButton->setToolTip(
        tr("A video of this model's training from its saved previews (model/NAME/timelapse.mp4, "
           "labelled as AI-generated)"));
    previewBar->addWidget(timelapseButton);
    connect(timelapseButton, &QPushButton::clicked, this, &TrainPage::makeTimelapse);
    right->addLayout(previewBar);
    stats_ = new QLabel(tr("iteration -, - ms/iter, ETA -"), this);
    right->addWidget(stats_);
    chart_ = new LossChart(this);
    right->addWidget(chart_, 2);
    layout->addLayout(right, 3);

    connect(startButton_, &QPushButton::clicked, this, &TrainPage::start);
    connect(stopButton_, &QPushButton::clicked, this, &TrainPage::requestStop);
    connect(pauseButton_, &QPushButton::clicked, this, [this] {
        pausing_ = true;
        requestStop();
    });
    connect(saveButton_, &QPushButton::clicked, this,
            [this] { sendCommand(TrainerCommand::SaveNow); });
    connect(maskView_, &QCheckBox::toggled, this, &TrainPage::showPreviewImage);
    connect(history_, &QSlider::valueChanged, this, &TrainPage::showPreviewImage);
    connect(&poll_, &QTimer::timeout, this, &TrainPage::pollMailbox);
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        // Open on the model trained last when the named one does not exist (a DFL user opening
        // a workspace expects to see where training stands).
        modelName_->setText(session_->existingModelName(modelName_->text()));
        showModelState();
    });
    // Another name may be a model that exists (options fixed) or a new one (presets apply).
    connect(modelName_, &QLineEdit::editingFinished, this, [this] {
        if (form_ && session_->hasWorkspace())
            form_->setResumeLocked(std::filesystem::exists(modelDir()));
        updateButtons();
    });
    connect(presetCombo_, &QComboBox::activated, this, [this](int index) {
        if (index > 0) applyPreset(presetCombo_->itemData(index).toString().toStdString());
    });
    connect(reuseButton_, &QPushButton::clicked, this, [this] {
        const QString from = QFileDialog::getExistingDirectory(
            this, tr("Start from a trained model: a model folder, or a workspace"));
        if (from.isEmpty()) return;
        const QString error = startFromTrainedModel(from.toStdString());
        if (!error.isEmpty()) QMessageBox::warning(this, tr("Start from a trained model"), error);
    });
    connect(
        session_, &StudioSession::jobFinished, this,
        [this](const QString& name, const JobOutcome& outcome) {
            if (name != kJobName) return;
            pollMailbox();  // the last preview may have been posted since the last tick
            stats_->setText(stats_->text() + "  -  " +
                            (outcome.status == StageStatus::Succeeded   ? tr("stopped, model saved")
                             : outcome.status == StageStatus::Cancelled ? tr("cancelled")
                                                                        : tr("failed")));
            if (pausing_) historyLabel_->setText(tr("paused: Start resumes"));
            pausing_ = false;
            refreshHistory();
            updateButtons();
        });
    poll_.start(kPollMs);
    updateMemoryEstimate();  // also names the device
    updateButtons();
}

void TrainPage::showModelState() {
    if (session_->engine() && session_->hasWorkspace()) {
        std::vector<LossPoint> saved = session_->engine()->savedLossHistory(modelDir());
        chart_->setHistory(saved);
        if (!saved.empty())
            stats_->setText(tr("saved model: iteration %1, src loss %2, dst loss %3")
                                .arg(saved.back().iteration)
                                .arg(saved.back().srcLoss, 0, 'f', 4)
                                .arg(saved.back().dstLoss, 0, 'f', 4));
    }
    refreshHistory();
    showPreviewImage();
    if (form_ && session_->hasWorkspace()) {
        const nlohmann::json saved = session_->workspace().stageOptions("train");
        const bool exists = std::filesystem::exists(modelDir());
        form_->setValues(saved);
        // A model that exists keeps its architecture: those options are fixed on resume.
        form_->setResumeLocked(exists);
        // A first model in a new workspace starts from what suits the device (on a CPU the
        // try-out model: the SAEHD defaults would take days there).
        if (!exists && !saved.is_object() && session_->engine())
            applyPreset(session_->engine()->suggestedPreset());
        matchPresetToForm();
    }
    updateMemoryEstimate();
    updateButtons();
}

QString TrainPage::startFromTrainedModel(const std::filesystem::path& from) {
    TrainingEngine* engine = session_->engine();
    if (!engine || !session_->hasWorkspace() || isTraining())
        return tr("Open a workspace and stop training first.");
    // The copy becomes a model of its own: a new name when the one shown is taken.
    QString name = modelName_->text().trimmed();
    const Workspace& ws = session_->workspace();
    for (int n = 2; std::filesystem::exists(ws.modelDir(name.toStdString())); ++n)
        name = QStringLiteral("reused") + (n > 2 ? QStringLiteral("-%1").arg(n - 1) : QString());
    std::filesystem::path copied;
    try {
        copied = engine->startModelFrom(from, ws.modelDir(name.toStdString()));
    } catch (const std::exception& e) {
        logError(std::string("cannot start from a trained model: ") + e.what());
        return QString::fromStdString(e.what());
    }
    modelName_->setText(name);
    // The copied model's options are the ones training resumes with: show them in the form.
    try {
        const nlohmann::json options = engine->savedOptions(ws.modelDir(name.toStdString()));
        if (options.is_object()) ws.setStageOptions("train", options);
    } catch (const std::exception& e) {
        logWarning(e.what());
    }
    logInfo("model '" + name.toStdString() + "' starts from a copy of " + copied.string() +
            ": Start trains it on this workspace's faces");
    showModelState();
    return {};
}

std::filesystem::path TrainPage::modelDir() const {
    return session_->workspace().modelDir(modelName_->text().trimmed().toStdString());
}

void TrainPage::makeTimelapse() {
    if (!session_->hasWorkspace()) return;
    const std::filesystem::path modelDir = this->modelDir();
    const bool masks = maskView_->isChecked();  // the grids shown are the grids encoded
    const std::filesystem::path out = TrainingTimelapse::defaultOutput(modelDir, masks);
    session_->startJob(kTimelapseJob, [=](ProgressSink& sink, const CancelToken& cancel) {
        return runStageSafely("timelapse", [&] {
            return TrainingTimelapse::write(modelDir, out, 8, masks, sink, cancel);
        });
    });
}

bool TrainPage::applyPreset(const std::string& name) {
    for (size_t i = 0; i < presets_.size(); ++i) {
        if (presets_[i].name != name) continue;
        if (form_) form_->setValues(presets_[i].options);
        presetCombo_->setCurrentIndex(int(i) + 1);
        updateMemoryEstimate();
        return true;
    }
    return false;
}

void TrainPage::matchPresetToForm() {
    const int index = presetCombo_->currentIndex();
    if (index <= 0 || !form_) return;
    const nlohmann::json values = form_->values();
    for (const auto& [key, value] : presets_[size_t(index - 1)].options.items())
        if (!values.contains(key) || values[key] != value) {
            presetCombo_->setCurrentIndex(0);
            return;
        }
}

void TrainPage::updateMemoryEstimate() {
    TrainingEngine* engine = session_->engine();
    if (!engine || !form_) return;
    QString text;
    try {
        const nlohmann::json options = engine->optionSchema().resolve(form_->values());
        text = tr("Device: %1")
                   .arg(QString::fromStdString(
                       engine->deviceDescription(options.value("device", std::string("auto")))));
        int64_t bytes = engine->estimatePeakMemoryBytes(options);
        text += tr("\nEstimated peak memory: %1").arg(formatBytes(bytes));
    } catch (const std::exception& e) {
        if (!text.isEmpty()) text += "\n";
        text += QString::fromStdString(e.what());
    }
    device_->setText(text);
}

void TrainPage::updateButtons() {
    bool running = isTraining();
    startButton_->setEnabled(!running && session_->engine());
    pauseButton_->setEnabled(running);
    stopButton_->setEnabled(running);
    saveButton_->setEnabled(running);
    modelName_->setEnabled(!running);
    // A run uses the options it started with: none can be edited while it runs.
    if (form_) form_->setEnabled(!running);
    reuseButton_->setEnabled(!running && session_->engine());
    presetCombo_->setEnabled(!running && presets_.size() > 0 && session_->hasWorkspace() &&
                             !std::filesystem::exists(modelDir()));
}

void TrainPage::start() {
    TrainingEngine* engine = session_->engine();
    if (!engine || !session_->hasWorkspace() || !form_) return;
    const Workspace& ws = session_->workspace();
    TrainRequest request;
    request.modelDir = modelDir();
    request.srcFaceset = ws.packedDir(Side::Src);
    request.dstFaceset = ws.packedDir(Side::Dst);
    request.maxIterations = maxIterations_->value();
    try {
        request.options = engine->optionSchema().resolve(form_->values());
    } catch (const std::exception& e) {
        stats_->setText(QString::fromStdString(e.what()));
        return;
    }
    // Faces to train on: packed, or aligned to be packed now. Without them a click would only
    // record a failed pack.
    for (Side side : {Side::Src, Side::Dst}) {
        std::error_code ec;
        const bool aligned = std::filesystem::is_directory(ws.alignedDir(side), ec) &&
                             !std::filesystem::is_empty(ws.alignedDir(side), ec);
        if (!std::filesystem::exists(ws.packedDir(side), ec) && !aligned) {
            stats_->setText(tr("No %1 faces yet: extract and align both videos first (Extract "
                               "page)")
                                .arg(side == Side::Src ? tr("source") : tr("destination")));
            return;
        }
    }
    nlohmann::json packOptions;
    try {
        packOptions = packOptionsIfStale(ws, request.options);
    } catch (const std::exception& e) {
        stats_->setText(QString::fromStdString(e.what()));
        return;
    }
    ws.setStageOptions("train", request.options);
    while (commands_->pop()) {
    }
    Workspace workspace = ws;
    auto previews = previews_;
    auto commands = commands_;
    // The engine outlives every job: the app owns it and waits for training before quitting.
    job_ = session_->startJob(
        kJobName,
        [=](ProgressSink& sink, const CancelToken& cancel) {
            if (!packOptions.is_null()) {
                logInfo("packing the reviewed faces for training first");
                StageResult packed = PackStage::runBothSides(workspace, packOptions, sink, cancel);
                if (!packed.ok()) return packed;
            }
            const StageLock lock(workspace.stageLockFile("train"),
                                 "training in " + workspace.root().string());
            workspace.setStageStatus("train", "running");
            StageResult result = runStageSafely("train", [&] {
                return engine->train(request, sink, cancel, previews.get(), commands.get());
            });
            workspace.recordStageResult("train", result);
            return result;
        },
        Step::Train);
    if (job_) {
        historyLabel_->setText(tr("live"));
        connect(job_, &JobRunner::progress, this, [this](const JobProgress& p) {
            if (p.total > 0)
                historyLabel_->setToolTip(tr("%1 / %2 iterations").arg(p.done).arg(p.total));
            // Every iteration's figures, as the status bar has them (the previews come only
            // every preview_every iterations and would leave this line behind).
            if (!p.message.isEmpty())
                stats_->setText(tr("%1, ETA %2")
                                    .arg(p.message, p.etaSeconds >= 0 ? formatEta(p.etaSeconds)
                                                                      : QStringLiteral("-")));
        });
    }
    updateButtons();
}

void TrainPage::sendCommand(TrainerCommand command) {
    if (isTraining()) commands_->push(command);
}

void TrainPage::requestStop() {
    // The trainer saves on Stop; the token is the fallback if it never reads the queue.
    sendCommand(TrainerCommand::Stop);
    if (job_)
        QTimer::singleShot(30000, job_, [job = job_] {
            if (job) job->cancel();
        });
}

void TrainPage::pollMailbox() {
    if (std::optional<TrainingUpdate> update = previews_->take()) showUpdate(*update);
}

void TrainPage::showUpdate(const TrainingUpdate& u) {
    livePreview_ = toQImage(u.preview);
    liveMask_ = toQImage(u.maskPreview);
    QString eta = QStringLiteral("-");
    int64_t limit = maxIterations_->value();
    if (limit > u.iteration && u.msPerIteration > 0)
        eta = formatEta(double(limit - u.iteration) * u.msPerIteration / 1000.0);
    // While training, the job's progress keeps this line current (every iteration).
    if (!isTraining())
        stats_->setText(tr("iteration %1, %2 ms/iter, src loss %3, dst loss %4, ETA %5")
                            .arg(u.iteration)
                            .arg(u.msPerIteration, 0, 'f', 0)
                            .arg(u.srcLoss, 0, 'f', 4)
                            .arg(u.dstLoss, 0, 'f', 4)
                            .arg(eta));
    if (!u.device.empty()) device_->setToolTip(QString::fromStdString(u.device));
    if (!u.lossHistory.empty()) chart_->setHistory(u.lossHistory);
    bool wasLive = history_->value() == history_->maximum();
    refreshHistory();
    if (wasLive) history_->setValue(history_->maximum());
    showPreviewImage();
}

void TrainPage::refreshHistory() {
    historyFiles_.clear();
    if (session_->hasWorkspace()) {
        QDir dir(QString::fromStdString((modelDir() / "previews").string()));
        for (const QString& name : dir.entryList({"*.png"}, QDir::Files, QDir::Name))
            if (!name.contains("mask")) historyFiles_ << dir.filePath(name);
    }
    // The last slider position is the live preview; the others are the saved history.
    QSignalBlocker block(history_);
    bool wasLive = history_->value() == history_->maximum();
    history_->setRange(0, int(historyFiles_.size()));
    if (wasLive) history_->setValue(history_->maximum());
}

void TrainPage::showPreviewImage() {
    QImage image;
    int position = history_->value();
    if (livePreview_.isNull() && position >= historyFiles_.size() && !historyFiles_.isEmpty())
        position =
            int(historyFiles_.size()) - 1;  // not training now: show the newest saved preview
    if (position >= history_->maximum() || position >= historyFiles_.size()) {
        image = maskView_->isChecked() && !liveMask_.isNull() ? liveMask_ : livePreview_;
        historyLabel_->setText(tr("live"));
    } else {
        QString file = historyFiles_[position];
        if (maskView_->isChecked()) {
            // The trainer saves previews/preview_N.png with its mask view as masks_N.png.
            QFileInfo info(file);
            QString maskFile = info.dir().filePath(
                info.fileName().replace(QStringLiteral("preview_"), QStringLiteral("masks_")));
            if (QFile::exists(maskFile)) file = maskFile;
        }
        image.load(file);
        historyLabel_->setText(QFileInfo(file).completeBaseName());
    }
    if (image.isNull()) return;
    preview_->setPixmap(QPixmap::fromImage(image).scaled(preview_->size(), Qt::KeepAspectRatio,
                                                         Qt::SmoothTransformation));
}

}  // namespace doppel::ui
