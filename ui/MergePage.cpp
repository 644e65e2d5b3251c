#include "ui/MergePage.h"

#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <memory>

#include "common/Log.h"
#include "faces/AlignedFace.h"
#include "merge/MergePreviewer.h"
#include "merge/MergeSettings.h"
#include "pipeline/MergeStage.h"
#include "ui/FacePlacementDialog.h"
#include "ui/FrameMarkerBar.h"
#include "ui/ImageConvert.h"
#include "ui/SideProgress.h"

namespace doppel::ui {
namespace {

const QString kJobName = QStringLiteral("Merge");
const std::vector<std::string> kChoiceKeys = {"mask", "color", "blend"};
const std::vector<std::string> kSliderKeys = {"erode", "blur", "face_scale", "sharpen",
                                              "motion_blur"};

// The swapper must outlive the previewer that borrows it: members die in reverse order.
struct LoadedModel {
    std::unique_ptr<FaceSwapper> swapper;
    std::unique_ptr<MergePreviewer> previewer;
    std::vector<int64_t> frames;
    QString description;
    QString error;  ///< set instead of the rest when loading failed
};

QString labelFor(const std::string& key) {
    QString text = QString::fromStdString(key);
    text.replace('_', ' ');
    text[0] = text[0].toUpper();
    return text;
}

}  // namespace

MergePage::MergePage(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session), baseOptions_(mergeOptionSchema().defaults()) {
    auto* layout = new QHBoxLayout(this);
    auto* left = new QVBoxLayout;
    auto* modelBar = new QHBoxLayout;
    modelName_ = new QLineEdit(QStringLiteral("default"), this);
    auto* loadButton = new QPushButton(tr("Load model"), this);
    loadButton->setObjectName(QStringLiteral("loadModelButton"));
    modelState_ = new QLabel(tr("no model loaded"), this);
    modelBar->addWidget(new QLabel(tr("Model"), this));
    modelBar->addWidget(modelName_);
    modelBar->addWidget(loadButton);
    modelBar->addWidget(modelState_, 1);
    left->addLayout(modelBar);
    view_ = new QLabel(tr("Load a trained model to preview the merge."), this);
    view_->setAlignment(Qt::AlignCenter);
    view_->setMinimumSize(480, 360);
    // Sized by the layout, not by the pixmap it shows: the window can shrink again after the
    // preview was scaled up to fill it.
    view_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    view_->setFrameShape(QFrame::StyledPanel);
    left->addWidget(view_, 1);
    auto* scrub = new QHBoxLayout;
    frameSlider_ = new QSlider(Qt::Horizontal, this);
    frameSlider_->setRange(0, 0);
    frameLabel_ = new QLabel(tr("frame -"), this);
    showBefore_ = new QCheckBox(tr("Before"), this);
    showBefore_->setToolTip(tr("Show the original frame (B)"));
    showBefore_->setShortcut(QKeySequence(Qt::Key_B));
    split_ = new QCheckBox(tr("Split view"), this);
    placeFaceButton_ = new QPushButton(tr("Place face..."), this);
    placeFaceButton_->setObjectName(QStringLiteral("placeFaceHere"));
    placeFaceButton_->setToolTip(
        tr("No face was found in this frame, so it is not swapped: place one by hand"));
    placeFaceButton_->hide();
    // The slider has a row of its own: the frame text and the button that shows on frames
    // without a face would otherwise narrow it under the mouse while scrubbing.
    scrub->addWidget(frameSlider_, 1);
    markers_ = new FrameMarkerBar(frameSlider_, this);
    markers_->setToolTip(
        tr("Red: frames without a face (not swapped). Blue: frames with their "
           "own settings. Click to go there."));
    nextWithoutFace_ = new QPushButton(this);
    nextWithoutFace_->setObjectName(QStringLiteral("nextWithoutFace"));
    nextWithoutFace_->setToolTip(tr("Go to the next frame without a face (N)"));
    nextWithoutFace_->setShortcut(QKeySequence(Qt::Key_N));
    nextWithoutFace_->hide();
    auto* frameRow = new QHBoxLayout;
    frameRow->addWidget(frameLabel_);
    frameRow->addWidget(placeFaceButton_);
    frameRow->addWidget(nextWithoutFace_);
    frameRow->addStretch(1);
    frameRow->addWidget(showBefore_);
    frameRow->addWidget(split_);
    left->addLayout(scrub);
    left->addWidget(markers_);
    left->addLayout(frameRow);
    layout->addLayout(left, 3);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setWidget(buildControls());
    scroll->setMinimumWidth(380);
    layout->addWidget(scroll, 1);

    connect(loadButton, &QPushButton::clicked, this, &MergePage::loadModel);
    connect(placeFaceButton_, &QPushButton::clicked, this, &MergePage::placeFaceInFrame);
    connect(nextWithoutFace_, &QPushButton::clicked, this, [this] {
        const int next = markers_->nextTick(frameSlider_->value());
        if (next >= 0) frameSlider_->setValue(next);
    });
    connect(frameSlider_, &QSlider::valueChanged, this, &MergePage::requestRender);
    connect(showBefore_, &QCheckBox::toggled, this, &MergePage::showRender);
    connect(split_, &QCheckBox::toggled, this, &MergePage::showRender);
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        progress_->showLastRun(session_->workspace(), "merge");
        nlohmann::json saved = session_->workspace().stageOptions("merge");
        if (saved.is_object()) {
            try {
                baseOptions_ = mergeOptionSchema().resolve(saved);
            } catch (const std::exception& e) {
                logWarning(e.what());
            }
        }
        for (auto& [key, s] : sliders_) s->setValue(baseOptions_.value(key, 0));
        for (auto& [key, c] : combos_)
            c->setCurrentText(QString::fromStdString(baseOptions_.value(key, "")));
        // A trained model is loaded right away, so the page opens on a merged frame: the named
        // one, or else the one trained last.
        loadModelNamed(session_->existingModelName(modelName_->text()));
    });
    // The preview holds the destination faces as they were loaded: deleted faces, drawn or
    // applied masks reach it by loading again.
    connect(session_, &StudioSession::facesChanged, this, [this](Side side) {
        if (side == Side::Dst) loadModelNamed(modelName_->text());
    });
    connect(session_, &StudioSession::jobFinished, this,
            [this](const QString& name, const JobOutcome& outcome) {
                // Training saves the model when it ends (also on Stop): preview what it learnt.
                if (name == QLatin1String("Train"))
                    loadModelNamed(QString::fromStdString(session_->workspace().latestModelName()));
                if (name != kJobName) return;
                mergeButton_->setEnabled(true);
                progress_->showText(outcome.message);
            });
}

QWidget* MergePage::buildControls() {
    auto* panel = new QWidget(this);
    auto* layout = new QVBoxLayout(panel);
    auto* box = new QGroupBox(tr("Merge settings"), panel);
    auto* form = new QFormLayout(box);
    const OptionSchema& schema = mergeOptionSchema();
    for (const std::string& key : kChoiceKeys) {
        const OptionSpec* spec = schema.find(key);
        if (!spec) continue;
        auto* combo = new QComboBox(box);
        for (const auto& choice : spec->choices) combo->addItem(QString::fromStdString(choice));
        combo->setCurrentText(QString::fromStdString(spec->defaultValue.get<std::string>()));
        combo->setToolTip(QString::fromStdString(spec->help));
        connect(combo, &QComboBox::currentIndexChanged, this, &MergePage::requestRender);
        form->addRow(labelFor(key), combo);
        combos_[key] = combo;
    }
    for (const std::string& key : kSliderKeys) {
        const OptionSpec* spec = schema.find(key);
        if (!spec) continue;
        auto* row = new QWidget(box);
        auto* rowLayout = new QHBoxLayout(row);
        rowLayout->setContentsMargins(0, 0, 0, 0);
        auto* slider = new QSlider(Qt::Horizontal, row);
        slider->setObjectName(QString::fromStdString("slider_" + key));
        slider->setRange(int(spec->minValue), int(spec->maxValue));
        slider->setValue(spec->defaultValue.get<int>());
        slider->setToolTip(QString::fromStdString(spec->help));
        auto* value = new QLabel(QString::number(slider->value()), row);
        value->setMinimumWidth(32);
        rowLayout->addWidget(slider, 1);
        rowLayout->addWidget(value);
        connect(slider, &QSlider::valueChanged, value, qOverload<int>(&QLabel::setNum));
        connect(slider, &QSlider::valueChanged, this, &MergePage::requestRender);
        form->addRow(labelFor(key), row);
        sliders_[key] = slider;
    }
    layout->addWidget(box);

    auto* rangeBox = new QGroupBox(tr("Per-range settings"), panel);
    auto* rangeLayout = new QHBoxLayout(rangeBox);
    rangeFirst_ = new QSpinBox(rangeBox);
    rangeLast_ = new QSpinBox(rangeBox);
    for (QSpinBox* s : {rangeFirst_, rangeLast_}) s->setRange(1, 10000000);
    auto* apply = new QPushButton(tr("Apply to frames"), rangeBox);
    apply->setToolTip(tr("Use the settings above for frames A to B only (saved in the project)."));
    rangeLayout->addWidget(apply);
    rangeLayout->addWidget(rangeFirst_);
    rangeLayout->addWidget(new QLabel(QStringLiteral("-"), rangeBox));
    rangeLayout->addWidget(rangeLast_);
    layout->addWidget(rangeBox);
    connect(apply, &QPushButton::clicked, this, &MergePage::applyToRange);

    mergeButton_ = new QPushButton(tr("Save settings and merge all frames"), panel);
    progress_ = new SideProgress(tr("Merge"), panel);
    mergeButton_->setObjectName(QStringLiteral("mergeAllButton"));
    layout->addWidget(mergeButton_);
    layout->addWidget(progress_);
    layout->addStretch(1);
    connect(mergeButton_, &QPushButton::clicked, this, &MergePage::mergeAll);
    return panel;
}

QSlider* MergePage::slider(const std::string& key) const {
    auto it = sliders_.find(key);
    return it == sliders_.end() ? nullptr : it->second;
}

nlohmann::json MergePage::currentOptions() const {
    nlohmann::json options = baseOptions_;
    for (const auto& [key, s] : sliders_) options[key] = s->value();
    for (const auto& [key, c] : combos_) options[key] = c->currentText().toStdString();
    return mergeOptionSchema().resolve(options);
}

void MergePage::setRenderer(MergeFrameRenderer renderer, std::vector<int64_t> frameIndices) {
    renderer_ = std::move(renderer);
    frames_ = std::move(frameIndices);
    QSignalBlocker block(frameSlider_);
    frameSlider_->setRange(0, std::max<int>(0, int(frames_.size()) - 1));
    if (!frames_.empty()) {
        rangeFirst_->setValue(int(frames_.front()));
        rangeLast_->setValue(int(frames_.back()));
    }
    refreshMarkers();
    requestRender();
}

void MergePage::refreshMarkers() {
    std::vector<int> withoutFace;
    std::vector<std::pair<int, int>> bands;
    if (session_->hasWorkspace() && !frames_.empty()) {
        const Workspace& ws = session_->workspace();
        try {
            const auto withFace = sidecarsByFrame(ws.alignedDir(Side::Dst));
            for (size_t i = 0; i < frames_.size(); ++i)
                if (!withFace.count(frames_[i])) withoutFace.push_back(int(i));
            const nlohmann::json overrides = ws.project()
                                                 .value("options", nlohmann::json::object())
                                                 .value("merge.overrides", nlohmann::json());
            for (const MergeOverride& o : parseMergeOverrides(overrides)) {
                // Slider positions of the first and last frames the range covers.
                auto first = std::lower_bound(frames_.begin(), frames_.end(), o.first);
                auto last = std::upper_bound(frames_.begin(), frames_.end(), o.last);
                if (first < last)
                    bands.emplace_back(int(first - frames_.begin()),
                                       int(last - frames_.begin()) - 1);
            }
        } catch (const std::exception& e) {
            logWarning(std::string("merge page markers: ") + e.what());
        }
    }
    nextWithoutFace_->setText(tr("%1 without a face: next").arg(withoutFace.size()));
    nextWithoutFace_->setVisible(!withoutFace.empty());
    markers_->setTicks(std::move(withoutFace));
    markers_->setBands(std::move(bands));
}

void MergePage::loadModelNamed(const QString& name) {
    if (!session_->hasWorkspace() || name.trimmed().isEmpty()) return;
    modelName_->setText(name);
    std::filesystem::path model =
        session_->workspace().modelDir(modelName_->text().trimmed().toStdString());
    if (session_->engine() && std::filesystem::exists(model) && !std::filesystem::is_empty(model))
        loadModel();
}

void MergePage::loadModel() {
    TrainingEngine* engine = session_->engine();
    if (!engine || !session_->hasWorkspace()) {
        modelState_->setText(tr("open a workspace first"));
        return;
    }
    Workspace ws = session_->workspace();
    std::filesystem::path dir = ws.modelDir(modelName_->text().trimmed().toStdString());
    modelState_->setText(tr("loading..."));
    auto* watcher = new QFutureWatcher<std::shared_ptr<LoadedModel>>(this);
    connect(watcher, &QFutureWatcher<std::shared_ptr<LoadedModel>>::finished, this,
            [this, watcher] {
                watcher->deleteLater();
                std::shared_ptr<LoadedModel> model = watcher->result();
                if (!model->error.isEmpty()) {
                    modelState_->setText(model->error);
                    logError(model->error.toStdString());
                    return;
                }
                modelState_->setText(model->description);
                setRenderer(
                    [model](int64_t frame, const nlohmann::json& options) {
                        MergeRender out;
                        out.frameIndex = frame;
                        try {
                            MergePreview p =
                                model->previewer->render(frame, MergeSettings::fromJson(options));
                            out.before = toQImage(p.before);
                            out.after = toQImage(p.after);
                            out.faces = p.faces;
                        } catch (const std::exception& e) {
                            out.error = QString::fromStdString(e.what());
                        }
                        return out;
                    },
                    model->frames);
            });
    // Loading a checkpoint takes seconds: on the pool.
    watcher->setFuture(QtConcurrent::run([engine, ws, dir] {
        auto model = std::make_shared<LoadedModel>();
        try {
            model->swapper = engine->loadSwapper(dir);
            model->previewer = std::make_unique<MergePreviewer>(ws, *model->swapper);
            for (const MergeFrame& f : model->previewer->source().frames())
                model->frames.push_back(f.index);
            model->description = QString::fromStdString(model->swapper->describe());
        } catch (const std::exception& e) {
            model->error = QString::fromStdString(e.what());
        }
        return model;
    }));
}

void MergePage::requestRender() {
    if (!renderer_ || frames_.empty()) return;
    int64_t frame = frames_[size_t(std::clamp(frameSlider_->value(), 0, int(frames_.size()) - 1))];
    frameLabel_->setText(tr("frame %1").arg(frame));
    nlohmann::json options;
    try {
        options = currentOptions();
    } catch (const std::exception& e) {
        modelState_->setText(QString::fromStdString(e.what()));
        return;
    }
    if (rendering_) {
        pending_ = std::make_pair(frame, std::move(options));  // latest wins
        return;
    }
    launchRender(frame, std::move(options));
}

void MergePage::launchRender(int64_t frameIndex, nlohmann::json options) {
    rendering_ = true;
    auto* watcher = new QFutureWatcher<MergeRender>(this);
    connect(watcher, &QFutureWatcher<MergeRender>::finished, this, [this, watcher] {
        watcher->deleteLater();
        last_ = watcher->result();
        ++renderCount_;
        rendering_ = false;
        showRender();
        Q_EMIT rendered(last_.frameIndex);
        if (pending_) {
            auto next = std::move(*pending_);
            pending_.reset();
            launchRender(next.first, std::move(next.second));
        }
    });
    MergeFrameRenderer renderer = renderer_;
    watcher->setFuture(QtConcurrent::run([renderer, frameIndex, options = std::move(options)] {
        try {
            return renderer(frameIndex, options);
        } catch (const std::exception& e) {
            MergeRender failed;
            failed.frameIndex = frameIndex;
            failed.error = QString::fromStdString(e.what());
            return failed;
        }
    }));
}

void MergePage::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    if (!last_.after.isNull()) showRender();
}

void MergePage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!last_.after.isNull()) showRender();
}

void MergePage::showRender() {
    placeFaceButton_->setVisible(last_.error.isEmpty() && last_.faces == 0);
    if (!last_.error.isEmpty()) {
        view_->setText(last_.error);
        return;
    }
    frameLabel_->setText(last_.faces == 0
                             ? tr("frame %1: no face, not swapped").arg(last_.frameIndex)
                             : tr("frame %1").arg(last_.frameIndex));
    QImage image = showBefore_->isChecked() ? last_.before : last_.after;
    if (split_->isChecked() && !last_.before.isNull() && !last_.after.isNull()) {
        // Left half before, right half after, with a thin divider.
        image = last_.after.convertToFormat(QImage::Format_RGB32);
        QPainter painter(&image);
        int half = image.width() / 2;
        painter.drawImage(QRect(0, 0, half, image.height()), last_.before,
                          QRect(0, 0, half, last_.before.height()));
        painter.fillRect(QRect(half - 1, 0, 2, image.height()), Qt::white);
    }
    if (image.isNull()) return;
    view_->setPixmap(QPixmap::fromImage(image).scaled(view_->size(), Qt::KeepAspectRatio,
                                                      Qt::SmoothTransformation));
}

void MergePage::placeFaceInFrame() {
    if (!session_->hasWorkspace() || last_.frameIndex <= 0) return;
    const int placed =
        FacePlacementDialog::placeFaces(session_->workspace(), Side::Dst, last_.frameIndex, this);
    if (placed == 0) return;
    // The preview reloads the destination faces; the step list shows pack and merge stale.
    session_->notifyFacesChanged(Side::Dst);
    session_->notifyProjectChanged();
}

void MergePage::applyToRange() {
    if (!session_->hasWorkspace()) return;
    int first = std::min(rangeFirst_->value(), rangeLast_->value());
    int last = std::max(rangeFirst_->value(), rangeLast_->value());
    nlohmann::json set = nlohmann::json::object();
    nlohmann::json current = currentOptions();
    for (const auto& [key, value] : current.items())
        if (!baseOptions_.contains(key) || baseOptions_[key] != value) set[key] = value;
    try {
        session_->workspace().updateProject([&](nlohmann::json& p) {
            nlohmann::json& list = p["options"]["merge.overrides"];
            if (!list.is_array()) list = nlohmann::json::array();
            list.push_back({{"first", first}, {"last", last}, {"set", set}});
        });
        logInfo("merge settings " + set.dump() + " saved for frames " + std::to_string(first) +
                "-" + std::to_string(last));
        refreshMarkers();
    } catch (const std::exception& e) {
        logError(e.what());
    }
}

void MergePage::mergeAll() {
    TrainingEngine* engine = session_->engine();
    if (!engine || !session_->hasWorkspace()) return;
    Workspace ws = session_->workspace();
    nlohmann::json options = currentOptions();
    std::filesystem::path dir = ws.modelDir(modelName_->text().trimmed().toStdString());
    // The merge saves the options itself, after reading the ones the merged frames were made
    // with (frames from before merge_state.json are judged by them).
    baseOptions_ = options;
    // A swapper of its own: the previewer's is not thread-safe and stays with the preview.
    auto job = session_->startJob(
        kJobName,
        [engine, ws, options, dir](ProgressSink& sink, const CancelToken& cancel) {
            return runStageSafely("merge", [&] {
                std::unique_ptr<FaceSwapper> swapper = engine->loadSwapper(dir);
                return MergeStage::run(ws, options, *swapper, FrameRange{}, sink, cancel);
            });
        },
        Step::Merge);
    if (!job) return;
    mergeButton_->setEnabled(false);
    connect(job, &JobRunner::progress, progress_, &SideProgress::showProgress);
}

}  // namespace doppel::ui
