#include "ui/FacesPage.h"

#include <QAction>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QPainter>
#include <QSplitter>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <opencv2/imgcodecs.hpp>

#include "common/AtomicFile.h"
#include "common/Log.h"
#include "pipeline/FacesetReview.h"
#include "pipeline/FrameFiles.h"
#include "pipeline/PackStage.h"
#include "pipeline/XSegStage.h"
#include "ui/FaceGridModel.h"
#include "ui/FacePlacementDialog.h"
#include "ui/FaceSortOrder.h"
#include "ui/MaskEditorDialog.h"
#include "ui/OptionForm.h"
#include "ui/PeopleDialog.h"
#include "ui/SideProgress.h"

namespace fs = std::filesystem;

namespace doppel::ui {
namespace {

const QString kPackJob = QStringLiteral("Pack faces");
const QString kMaskTrainJob = QStringLiteral("Train mask model");
const QString kMaskApplyJob = QStringLiteral("Apply mask model");
const QString kKeepBestJob = QStringLiteral("Keep best faces");

/// A side's faces (or those in its trash), and how many of its frames have none (they stay
/// unswapped on the destination: worth a glance), read together on the pool.
struct LoadedFaces {
    std::vector<FaceEntry> faces;
    int framesWithoutFace = 0;
    int64_t otherFacesLeftOut = 0;  ///< frames where align left another person's face out
    std::string alignStatus;        ///< the side's align stage: "" (not run), "done", ...
};

LoadedFaces loadFaces(const Workspace& ws, Side side, bool deleted) {
    LoadedFaces out;
    const fs::path alignedDir = deleted ? ws.trashDir(side) : ws.alignedDir(side);
    try {
        if (!deleted) {
            out.otherFacesLeftOut = FacesetReview::otherFacesLeftOut(ws, side);
            out.alignStatus = ws.stageStatus(std::string("align.") + sideName(side));
            // A frame whose faces were all deleted in review is counted as deleted, not as one
            // the detector found nothing in.
            const auto withFaces = sidecarsByFrame(alignedDir);
            const auto deletedFaces = sidecarsByFrame(ws.trashDir(side));
            for (const FrameFile& frame : listFrames(ws.framesDir(side)))
                out.framesWithoutFace +=
                    withFaces.count(frame.index) || deletedFaces.count(frame.index) ? 0 : 1;
        }
        if (!fs::exists(alignedDir)) return out;
        for (AlignedFace& face : listAlignedFaces(alignedDir))
            out.faces.push_back({QString::fromStdString((alignedDir / face.imageName()).string()),
                                 std::move(face)});
    } catch (const std::exception& e) {
        logError(std::string("cannot list faces: ") + e.what());
    }
    return out;
}

}  // namespace

FacesPage::FacesPage(StudioSession* session, QWidget* parent) : QWidget(parent), session_(session) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    sideCombo_ = new QComboBox(this);
    // The trash of each side is a view of its own: a face deleted by mistake comes back alone.
    sideCombo_->addItems({tr("Source faces"), tr("Destination faces"), tr("Source: deleted faces"),
                          tr("Destination: deleted faces")});
    sortCombo_ = new QComboBox(this);
    sortCombo_->addItems({tr("Sort: frame order"), tr("Sort: blur (blurriest first)"),
                          tr("Sort: yaw"), tr("Sort: pitch"), tr("Sort: size (smallest first)"),
                          tr("Sort: histogram similarity"), tr("Sort: odd ones out first"),
                          tr("Sort: person (track)")});
    deleteButton_ = new QPushButton(tr("Delete selected"), this);
    restoreButton_ = new QPushButton(tr("Restore deleted"), this);
    restoreButton_->setObjectName(QStringLiteral("restoreButton"));
    auto* maskButton = new QPushButton(tr("Edit masks..."), this);
    maskButton->setToolTip(
        tr("Draw which part of a face is face (and what covers it): the "
           "selected face first, then the others in grid order"));
    auto* bestButton = bestButton_ = new QPushButton(tr("Keep best..."), this);
    bestButton->setToolTip(
        tr("Thin a large faceset: keep the N best faces (head poses covered evenly, the "
           "sharpest of each first) and move the others to the trash (restorable)"));
    auto* placeButton = new QPushButton(tr("Place faces..."), this);
    placeButton->setObjectName(QStringLiteral("placeFaces"));
    placeButton->setToolTip(
        tr("Draw a box around a face the detector missed (frames without a face stay "
           "unswapped) or got wrong (a box over it replaces it): the selected face's frame "
           "first, else the first frame without a face"));
    auto* peopleButton = new QPushButton(tr("People..."), this);
    peopleButton->setObjectName(QStringLiteral("peopleButton"));
    peopleButton->setToolTip(
        tr("The people align followed through the clip, one row each: untick those who should "
           "not be swapped (a scene with several people) and their faces go to the trash"));
    countLabel_ = new QLabel(this);
    // On its own line under the tools: its text changes with the faces and, beside them, it
    // either widened the window or was cut off.
    countLabel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    bar->addWidget(sideCombo_);
    bar->addWidget(sortCombo_);
    bar->addWidget(deleteButton_);
    bar->addWidget(restoreButton_);
    bar->addWidget(maskButton);
    bar->addWidget(placeButton);
    bar->addWidget(bestButton);
    bar->addWidget(peopleButton);
    bar->addStretch(1);
    layout->addLayout(bar);
    layout->addWidget(countLabel_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    model_ = new FaceGridModel(this);
    grid_ = new QListView(split);
    grid_->setModel(model_);
    grid_->setViewMode(QListView::IconMode);
    grid_->setIconSize(QSize(FaceGridModel::kThumbSize, FaceGridModel::kThumbSize));
    grid_->setGridSize(QSize(FaceGridModel::kThumbSize + 16, FaceGridModel::kThumbSize + 28));
    grid_->setResizeMode(QListView::Adjust);
    grid_->setMovement(QListView::Static);
    grid_->setUniformItemSizes(true);
    grid_->setLayoutMode(QListView::Batched);
    grid_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    auto* deleteAction = new QAction(tr("Delete"), grid_);
    deleteAction->setShortcut(QKeySequence::Delete);
    grid_->addAction(deleteAction);

    auto* side = new QWidget(split);
    auto* sideLayout = new QVBoxLayout(side);
    frameView_ = new QLabel(tr("Click a face to see its frame."), side);
    frameView_->setAlignment(Qt::AlignCenter);
    frameView_->setMinimumSize(360, 260);
    frameView_->setFrameShape(QFrame::StyledPanel);
    frameInfo_ = new QLabel(side);
    frameInfo_->setWordWrap(true);
    packForm_ = new OptionForm(PackStage::optionSchema(), side);
    auto* packButton = new QPushButton(tr("Pack both sides for training"), side);
    packButton->setObjectName(QStringLiteral("packButton"));
    packProgress_ = new SideProgress(tr("Packing"), side);
    sideLayout->addWidget(frameView_, 1);
    sideLayout->addWidget(frameInfo_);
    sideLayout->addWidget(packForm_);
    sideLayout->addWidget(packButton);
    sideLayout->addWidget(packProgress_);

    // The face-mask model learns the drawn masks and masks every face with them.
    auto* maskBox = new QGroupBox(tr("Mask model (XSeg)"), side);
    auto* maskLayout = new QVBoxLayout(maskBox);
    auto* maskHelp = new QLabel(tr("Learns the masks you drew (both sides) and masks every face "
                                   "with them: pack and merge (mask \"xseg\") then use them."),
                                maskBox);
    maskHelp->setWordWrap(true);
    auto* maskRow = new QHBoxLayout;
    maskMinutes_ = new QSpinBox(maskBox);
    maskMinutes_->setRange(0, 1440);
    maskMinutes_->setValue(10);
    maskMinutes_->setSuffix(tr(" min"));
    maskMinutes_->setSpecialValueText(tr("until Stop"));
    maskMinutes_->setObjectName(QStringLiteral("maskMinutes"));
    auto* maskTrainButton = new QPushButton(tr("Train"), maskBox);
    maskTrainButton->setObjectName(QStringLiteral("maskTrainButton"));
    auto* maskApplyButton = new QPushButton(tr("Apply to all faces"), maskBox);
    maskApplyButton->setObjectName(QStringLiteral("maskApplyButton"));
    auto* maskStopButton = new QPushButton(tr("Stop"), maskBox);
    maskRow->addWidget(maskMinutes_);
    maskRow->addWidget(maskTrainButton);
    maskRow->addWidget(maskApplyButton);
    maskRow->addWidget(maskStopButton);
    maskProgress_ = new SideProgress(tr("Mask model"), maskBox);
    maskLayout->addWidget(maskHelp);
    maskLayout->addLayout(maskRow);
    maskLayout->addWidget(maskProgress_);
    sideLayout->addWidget(maskBox);
    connect(maskTrainButton, &QPushButton::clicked, this, &FacesPage::trainMaskModel);
    connect(maskApplyButton, &QPushButton::clicked, this, &FacesPage::applyMaskModel);
    connect(maskStopButton, &QPushButton::clicked, session_, &StudioSession::cancelJob);
    split->addWidget(grid_);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(sideCombo_, &QComboBox::currentIndexChanged, this, &FacesPage::reload);
    connect(sortCombo_, &QComboBox::currentIndexChanged, this, &FacesPage::sortFaces);
    faceTools_ = {deleteButton_, maskButton, placeButton, bestButton, peopleButton};
    needFaces_ = {deleteButton_, maskButton, bestButton, peopleButton};
    connect(deleteButton_, &QPushButton::clicked, this, &FacesPage::deleteSelected);
    connect(deleteAction, &QAction::triggered, this, &FacesPage::deleteSelected);
    connect(restoreButton_, &QPushButton::clicked, this, &FacesPage::restoreDeleted);
    connect(grid_, &QListView::clicked, this, &FacesPage::showFrameOf);
    connect(grid_, &QListView::doubleClicked, this,
            [this](const QModelIndex& index) { editMasks(index.row()); });
    connect(maskButton, &QPushButton::clicked, this, [this] {
        const QModelIndex current = grid_->currentIndex();
        editMasks(current.isValid() ? current.row() : 0);
    });
    connect(placeButton, &QPushButton::clicked, this, [this] {
        const QModelIndex current = grid_->currentIndex();
        const bool selected = current.isValid() && grid_->selectionModel()->isSelected(current);
        placeFaces(selected ? model_->face(current.row()).meta.frameIndex : 0);
    });
    connect(bestButton, &QPushButton::clicked, this, [this] {
        const int total = model_->rowCount();
        if (total < 2) return;
        bool ok = false;
        const int count = QInputDialog::getInt(
            this, tr("Keep best faces"),
            tr("Of these %1 faces, keep how many? The others go to the trash (Restore deleted "
               "brings them back).")
                .arg(total),
            std::min(total - 1, 3000), 1, total - 1, 100, &ok);
        if (ok) keepBest(count);
    });
    connect(peopleButton, &QPushButton::clicked, this, &FacesPage::choosePeople);
    connect(packButton, &QPushButton::clicked, this, &FacesPage::pack);
    connect(session_, &StudioSession::workspaceChanged, this, &FacesPage::reload);
    // How the last pack ended: the source's when it is not plainly done, else the destination's.
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        const Workspace& ws = session_->workspace();
        packProgress_->showLastRun(ws,
                                   ws.stageStatus("pack.src") == "done" ? "pack.dst" : "pack.src");
        maskProgress_->showLastRun(ws, "xseg");
    });
    // Faces placed from the merge page.
    connect(session_, &StudioSession::facesChanged, this, [this](Side side) {
        if (side == currentSide()) reload();
    });
    connect(session_, &StudioSession::jobFinished, this,
            [this](const QString& name, const JobOutcome& outcome) {
                if (name == kPackJob) packProgress_->showText(outcome.message);
                if (name == kMaskTrainJob || name == kMaskApplyJob)
                    maskProgress_->showText(outcome.message);
                if (name == kMaskTrainJob) showLatestMaskPreview();
                if (name == kMaskApplyJob) {
                    markMasksChanged(Side::Src);
                    markMasksChanged(Side::Dst);
                    reload();
                }
                if (name == QLatin1String("Extract")) reload();
                if (name == kKeepBestJob) {
                    packProgress_->showText(outcome.message);
                    announceFacesChanged(currentSide());
                    reload();
                }
            });
}

Side FacesPage::currentSide() const {
    return sideCombo_->currentIndex() % 2 == 1 ? Side::Dst : Side::Src;
}

bool FacesPage::showingDeleted() const {
    return sideCombo_->currentIndex() >= 2;
}

void FacesPage::reload() {
    if (!session_->hasWorkspace()) return;
    const Workspace ws = session_->workspace();
    const Side side = currentSide();
    int generation = ++loadGeneration_;
    countLabel_->setText(tr("loading..."));
    auto* watcher = new QFutureWatcher<LoadedFaces>(this);
    connect(watcher, &QFutureWatcher<LoadedFaces>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != loadGeneration_) return;
        LoadedFaces loaded = watcher->result();
        framesWithoutFace_ = loaded.framesWithoutFace;
        alignStatus_ = loaded.alignStatus;
        // Nothing to delete, mask, thin or group without faces (placing one by hand still works).
        if (loaded.faces.empty())
            for (QPushButton* tool : needFaces_) tool->setEnabled(false);
        otherFacesLeftOut_ = loaded.otherFacesLeftOut;
        model_->setFaces(std::move(loaded.faces));
        countLabel_->setText(countText());
        countLabel_->setToolTip(countLabel_->text());
        if (FaceSort(sortCombo_->currentIndex()) != FaceSort::ByFrame) sortFaces();
        Q_EMIT facesLoaded(model_->rowCount());
    });
    // What works on the faces of a side does not apply to its trash, and back.
    const bool deleted = showingDeleted();
    for (QPushButton* tool : faceTools_) tool->setEnabled(!deleted);
    // The destination's faces are the frames to swap: thinning them leaves frames unswapped.
    bestButton_->setEnabled(!deleted && side == Side::Src);
    restoreButton_->setText(deleted ? tr("Restore selected") : tr("Restore deleted"));
    restoreButton_->setToolTip(deleted ? tr("Move the selected faces back (all when none is "
                                            "selected)")
                                       : tr("Move every deleted face of this side back"));
    watcher->setFuture(QtConcurrent::run(loadFaces, ws, side, deleted));
}

QString FacesPage::countText() const {
    if (showingDeleted()) return tr("%1 deleted faces").arg(model_->rowCount());
    QString text = tr("%1 faces").arg(model_->rowCount());
    // Before align has finished, a frame without a face may only be one it has not looked at.
    const bool alignFinished = alignStatus_ == "done" || alignStatus_ == "stale";
    if (alignStatus_.empty() && model_->rowCount() == 0)
        text += tr(": faces not aligned yet (Extract page: Start)");
    else if (!alignFinished)
        text += tr(", align not finished (Extract page: Start)");
    else if (framesWithoutFace_ > 0)
        text += tr(", %n frame(s) without a face", "", framesWithoutFace_);
    // Another person in the picture that align left out: see People... (its hint says more).
    if (otherFacesLeftOut_ > 0)
        text += tr(", %1 with another face not aligned (People...)").arg(otherFacesLeftOut_);
    return text;
}

void FacesPage::sortFaces() {
    int key = sortCombo_->currentIndex();
    std::vector<FaceEntry> faces = model_->faces();
    int generation = loadGeneration_;
    countLabel_->setText(tr("sorting %1 faces...").arg(faces.size()));
    auto* watcher = new QFutureWatcher<std::vector<size_t>>(this);
    connect(
        watcher, &QFutureWatcher<std::vector<size_t>>::finished, this, [this, watcher, generation] {
            watcher->deleteLater();
            if (generation != loadGeneration_ || watcher->result().size() != model_->faces().size())
                return;
            model_->applyOrder(watcher->result());
            countLabel_->setText(countText());
            countLabel_->setToolTip(countLabel_->text());
        });
    watcher->setFuture(QtConcurrent::run(
        [faces = std::move(faces), key] { return faceSortOrder(faces, FaceSort(key)); }));
}

void FacesPage::deleteSelected() {
    if (!session_->hasWorkspace() || showingDeleted()) return;
    std::vector<AlignedFace> faces;
    for (const QModelIndex& index : grid_->selectionModel()->selectedIndexes())
        faces.push_back(model_->face(index.row()).meta);
    const int moved = FacesetReview::trashFaces(session_->workspace(), currentSide(), faces);
    logInfo("moved " + std::to_string(moved) + " faces to " +
            session_->workspace().trashDir(currentSide()).string());
    if (moved > 0) announceFacesChanged(currentSide());
    reload();
}

void FacesPage::announceFacesChanged(Side side) {
    session_->notifyFacesChanged(side);
    session_->notifyProjectChanged();  // the step list shows what became stale
}

void FacesPage::markMasksChanged(Side side) {
    // The packed faceset still holds the masks as they were: training packs again first.
    FacesetReview::markFacesChanged(session_->workspace(), side, {}, "face masks changed");
    announceFacesChanged(side);
}

void FacesPage::editMasks(int row) {
    if (!session_->hasWorkspace() || model_->rowCount() == 0 || showingDeleted()) return;
    std::vector<fs::path> sidecars;
    for (const FaceEntry& entry : model_->faces())
        sidecars.push_back(fs::path(entry.imagePath.toStdString()).parent_path() /
                           entry.meta.metaName());
    MaskEditorDialog editor(std::move(sidecars), row, this);
    editor.exec();
    if (editor.savedCount() > 0) {
        logInfo("drawn masks saved for " + std::to_string(editor.savedCount()) + " face(s)");
        markMasksChanged(currentSide());
        reload();
    }
}

void FacesPage::placeFaces(int64_t startFrame) {
    if (!session_->hasWorkspace()) return;
    const int placed =
        FacePlacementDialog::placeFaces(session_->workspace(), currentSide(), startFrame, this);
    if (placed == 0) return;
    logInfo("placed " + std::to_string(placed) + " face(s) by hand");
    announceFacesChanged(currentSide());
    reload();
}

void FacesPage::choosePeople() {
    if (!session_->hasWorkspace()) return;
    if (PeopleDialog::choosePeople(session_->workspace(), currentSide(), this) == 0) return;
    announceFacesChanged(currentSide());
    reload();
}

void FacesPage::restoreDeleted() {
    if (!session_->hasWorkspace()) return;
    std::vector<AlignedFace> chosen;
    if (showingDeleted())
        for (const QModelIndex& index : grid_->selectionModel()->selectedIndexes())
            chosen.push_back(model_->face(index.row()).meta);
    const int restored =
        chosen.empty() ? FacesetReview::restoreFaces(session_->workspace(), currentSide())
                       : FacesetReview::restoreFaces(session_->workspace(), currentSide(), chosen);
    logInfo("restored " + std::to_string(restored) + " faces from " +
            session_->workspace().trashDir(currentSide()).string());
    if (restored > 0) announceFacesChanged(currentSide());
    reload();
}

void FacesPage::showFrameOf(const QModelIndex& index) {
    if (!index.isValid() || !session_->hasWorkspace()) return;
    const AlignedFace& meta = model_->face(index.row()).meta;
    fs::path framePath = session_->workspace().framesDir(currentSide()) / meta.sourceFrame;
    QImage frame(QString::fromStdString(framePath.string()));
    if (frame.isNull()) {
        frameView_->setText(
            tr("Frame %1 is not on disk.").arg(QString::fromStdString(framePath.string())));
        return;
    }
    frame = frame.convertToFormat(QImage::Format_RGB32);
    QPainter painter(&frame);
    painter.setRenderHint(QPainter::Antialiasing);
    double penWidth = std::max(1.0, frame.width() / 300.0);
    painter.setPen(QPen(QColor(60, 220, 90), penWidth));
    painter.drawRect(QRectF(meta.box[0], meta.box[1], meta.box[2], meta.box[3]));
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(240, 60, 60));
    for (const auto& p : meta.landmarks)
        painter.drawEllipse(QPointF(p[0], p[1]), penWidth * 1.2, penWidth * 1.2);
    painter.end();
    frameView_->setPixmap(QPixmap::fromImage(frame).scaled(frameView_->size(), Qt::KeepAspectRatio,
                                                           Qt::SmoothTransformation));
    frameInfo_->setText(tr("%1, face %2, detector score %3, roll %4 deg")
                            .arg(QString::fromStdString(meta.sourceFrame))
                            .arg(meta.faceIndex)
                            .arg(meta.detectorScore, 0, 'f', 2)
                            .arg(meta.rollDegrees, 0, 'f', 0));
}

SegmentationEngine* FacesPage::maskEngineForJob() {
    if (!session_->hasWorkspace()) return nullptr;
    SegmentationEngine* engine = session_->maskEngine();
    if (!engine) maskProgress_->showText(tr("the mask model is not available in this build"));
    return engine;
}

void FacesPage::trainMaskModel() {
    SegmentationEngine* engine = maskEngineForJob();
    if (!engine) return;
    Workspace ws = session_->workspace();
    SegmentationTrainRequest request;
    request.modelDir = ws.xsegDir();
    request.labelledFaceset = ws.xsegDir() / "labelled";
    request.maxMinutes = maskMinutes_->value();
    try {
        // An existing model's options, else the last ones used (CLI), else the defaults.
        const fs::path latest = ws.xsegDir() / "latest.json";
        nlohmann::json saved = fs::exists(latest)
                                   ? readJsonFile(latest).value("options", nlohmann::json())
                                   : ws.stageOptions("xseg");
        request.options =
            engine->optionSchema().resolve(saved.is_object() ? saved : nlohmann::json::object());
    } catch (const std::exception& e) {
        maskProgress_->showText(QString::fromStdString(e.what()));
        return;
    }
    auto job = session_->startJob(
        kMaskTrainJob, [ws, engine, request](ProgressSink& sink, const CancelToken& cancel) {
            StageResult labelled = XSegStage::prepareLabelled(
                ws, request.options["resolution"].get<int>(), sink, cancel);
            if (!labelled.ok()) return labelled;
            ws.setStageOptions("xseg", request.options);
            return engine->train(request, sink, cancel);
        });
    if (job) connect(job, &JobRunner::progress, maskProgress_, &SideProgress::showProgress);
}

void FacesPage::applyMaskModel() {
    SegmentationEngine* engine = maskEngineForJob();
    if (!engine) return;
    Workspace ws = session_->workspace();
    auto job = session_->startJob(
        kMaskApplyJob, [ws, engine](ProgressSink& sink, const CancelToken& cancel) {
            std::unique_ptr<MaskPredictor> predictor = engine->loadPredictor(ws.xsegDir());
            StageResult result = StageResult::succeeded("");
            for (Side side : {Side::Src, Side::Dst}) {
                result = XSegStage::apply(ws, side, *predictor, sink, cancel);
                if (!result.ok()) return result;
            }
            result.message = "masked every face of both sides (" + predictor->describe() + ")";
            return result;
        });
    if (job) connect(job, &JobRunner::progress, maskProgress_, &SideProgress::showProgress);
}

void FacesPage::showLatestMaskPreview() {
    // The newest preview (face | drawn | predicted): names sort by iteration.
    const fs::path dir = session_->workspace().xsegDir() / "previews";
    std::error_code ec;
    fs::path newest;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".png" && entry.path() > newest) newest = entry.path();
    if (newest.empty()) return;
    QImage preview(QString::fromStdString(newest.string()));
    if (preview.isNull()) return;
    frameView_->setPixmap(QPixmap::fromImage(preview).scaled(
        frameView_->size(), Qt::KeepAspectRatio, Qt::SmoothTransformation));
    frameInfo_->setText(tr("Mask model preview %1: face | drawn mask | predicted mask")
                            .arg(QString::fromStdString(newest.filename().string())));
}

void FacesPage::keepBest(int count) {
    if (!session_->hasWorkspace() || count <= 0) return;
    const Workspace ws = session_->workspace();
    const Side side = currentSide();
    auto job = session_->startJob(
        kKeepBestJob, [ws, side, count](ProgressSink& sink, const CancelToken& cancel) {
            return FacesetReview::keepBest(ws, side, size_t(count), sink, cancel);
        });
    if (job) connect(job, &JobRunner::progress, packProgress_, &SideProgress::showProgress);
}

void FacesPage::pack() {
    if (!session_->hasWorkspace()) return;
    Workspace ws = session_->workspace();
    nlohmann::json options;
    try {
        options = PackStage::optionSchema().resolve(packForm_->values());
    } catch (const std::exception& e) {
        packProgress_->showText(QString::fromStdString(e.what()));
        return;
    }
    auto job = session_->startJob(
        kPackJob,
        [ws, options](ProgressSink& sink, const CancelToken& cancel) {
            return PackStage::runBothSides(ws, options, sink, cancel);
        },
        Step::Faces);
    if (job) connect(job, &JobRunner::progress, packProgress_, &SideProgress::showProgress);
}

}  // namespace doppel::ui
