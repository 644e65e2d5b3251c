#include "ui/FacePlacementDialog.h"

#include <QHBoxLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

#include <opencv2/imgproc.hpp>

#include "common/Log.h"
#include "faces/FaceGeometry.h"
#include "pipeline/FacePlacer.h"
#include "ui/ImageConvert.h"
#include "ui/PlacementCanvas.h"

namespace doppel::ui {
namespace {

constexpr int kPreviewSide = 192;

}  // namespace

FacePlacementDialog::FacePlacementDialog(const Workspace& workspace, Side side, int64_t startFrame,
                                         QWidget* parent)
    : QDialog(parent), placer_(std::make_unique<FacePlacer>(workspace, side)) {
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(
        tr("Drag a square around the face, from the brows to the chin. The landmarks appear at "
           "once: <b>green</b> when the detector found the face near your box, <b>orange</b> when "
           "they were fitted in your box alone; then move the box (drag inside it, arrow keys) "
           "or resize it (wheel, +/-) until they sit on the face; a single point can be dragged on "
           "its own. <b>Save face</b> (Enter) writes it and goes on. A box over a face already "
           "there (grey) replaces it."),
        this);
    help->setWordWrap(true);
    layout->addWidget(help);

    auto* middle = new QHBoxLayout;
    canvas_ = new PlacementCanvas(this);
    middle->addWidget(canvas_, 1);
    auto* side_column = new QVBoxLayout;
    preview_ = new QLabel(this);
    preview_->setFixedSize(kPreviewSide, kPreviewSide);
    preview_->setAlignment(Qt::AlignCenter);
    preview_->setFrameShape(QFrame::StyledPanel);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    status_->setFixedWidth(kPreviewSide);
    status_->setMinimumHeight(140);
    status_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    side_column->addWidget(new QLabel(tr("Face as it will be saved:"), this));
    side_column->addWidget(preview_);
    side_column->addWidget(status_);
    side_column->addStretch(1);
    middle->addLayout(side_column);
    layout->addLayout(middle, 1);

    auto* nav = new QHBoxLayout;
    onlyMissing_ = new QCheckBox(tr("Only frames without a face"), this);
    onlyMissing_->setObjectName(QStringLiteral("onlyMissing"));
    onlyMissing_->setChecked(true);
    auto* previousButton = new QPushButton(tr("< Previous"), this);
    auto* nextButton = new QPushButton(tr("Next >"), this);
    auto* saveButton = new QPushButton(tr("Save face"), this);
    saveButton->setObjectName(QStringLiteral("saveFace"));
    auto* closeButton = new QPushButton(tr("Close"), this);
    previousButton->setShortcut(QKeySequence(Qt::Key_PageUp));
    nextButton->setShortcut(QKeySequence(Qt::Key_PageDown));
    saveButton->setShortcut(QKeySequence(Qt::Key_Return));
    for (QWidget* w :
         std::initializer_list<QWidget*>{onlyMissing_, previousButton, nextButton, saveButton})
        nav->addWidget(w);
    nav->addStretch(1);
    nav->addWidget(closeButton);
    layout->addLayout(nav);
    for (auto* b : findChildren<QPushButton*>()) b->setAutoDefault(false);

    connect(canvas_, &PlacementCanvas::boxChanged, this, &FacePlacementDialog::fitBox);
    connect(canvas_, &PlacementCanvas::landmarksEdited, this, [this] {
        if (!fit_) return;
        fit_->face.landmarks = canvas_->candidate();
        status_->setText(tr("Landmark moved by hand: the face is saved with it."));
        showCropPreview();
    });
    connect(previousButton, &QPushButton::clicked, this, &FacePlacementDialog::previous);
    connect(nextButton, &QPushButton::clicked, this, &FacePlacementDialog::next);
    connect(saveButton, &QPushButton::clicked, this, &FacePlacementDialog::saveFace);
    connect(closeButton, &QPushButton::clicked, this, &QDialog::accept);
    connect(onlyMissing_, &QCheckBox::toggled, this, &FacePlacementDialog::updateTitle);

    const auto& frames = placer_->frames();
    int start = -1;
    if (startFrame > 0) {
        auto it = std::find_if(frames.begin(), frames.end(),
                               [&](const FrameFile& f) { return f.index == startFrame; });
        if (it != frames.end()) start = int(it - frames.begin());
    }
    if (start < 0) {
        const auto missing = placer_->framesWithoutFace();
        const int64_t first = missing.empty() ? frames.front().index : missing.front().index;
        start = int(std::find_if(frames.begin(), frames.end(),
                                 [&](const FrameFile& f) { return f.index == first; }) -
                    frames.begin());
        if (missing.empty()) onlyMissing_->setChecked(false);
    }
    resize(1040, 700);
    showFrame(start);
}

FacePlacementDialog::~FacePlacementDialog() = default;

int FacePlacementDialog::placeFaces(const Workspace& workspace, Side side, int64_t startFrame,
                                    QWidget* parent) {
    try {
        FacePlacementDialog dialog(workspace, side, startFrame, parent);
        dialog.exec();
        return dialog.placedCount();
    } catch (const std::exception& e) {
        QMessageBox::warning(parent, tr("Place faces"), QString::fromStdString(e.what()));
        return 0;
    }
}

int64_t FacePlacementDialog::currentFrame() const {
    return position_ >= 0 ? placer_->frames()[size_t(position_)].index : 0;
}

void FacePlacementDialog::showFrame(int position) {
    const auto& frames = placer_->frames();
    if (position < 0 || position >= int(frames.size())) return;
    position_ = position;
    fit_.reset();
    preview_->clear();
    const int64_t index = frames[size_t(position)].index;
    try {
        frameImage_ = placer_->loadFrame(index);
        std::vector<AlignedFace> faces = placer_->facesOf(index);
        status_->setText(faces.empty()
                             ? tr("No face in this frame yet.")
                             : tr("%n face(s) in this frame (grey).", "", int(faces.size())));
        canvas_->setFrame(toQImage(frameImage_), std::move(faces));
    } catch (const std::exception& e) {
        frameImage_.release();
        canvas_->setFrame(QImage(), {});
        status_->setText(QString::fromStdString(e.what()));
    }
    canvas_->setFocus();
    updateTitle();
}

void FacePlacementDialog::updateTitle() {
    if (position_ < 0) return;
    const size_t missing = placer_->framesWithoutFace().size();
    setWindowTitle(tr("Place %1 faces: frame %2 of %3 (%4 without a face)")
                       .arg(placer_->side() == Side::Src ? tr("source") : tr("destination"))
                       .arg(currentFrame())
                       .arg(placer_->frames().size())
                       .arg(missing));
}

void FacePlacementDialog::fitBox(bool settled) {
    fit_.reset();
    if (!settled || frameImage_.empty() || !canvas_->hasBox()) {
        preview_->clear();
        return;
    }
    const QRectF box = canvas_->box();
    try {
        fit_ = placer_->fit(frameImage_, cv::Rect2f(float(box.x()), float(box.y()),
                                                    float(box.width()), float(box.height())));
    } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
        preview_->clear();
        return;
    }
    const cv::Rect2f& found = fit_->face.box;
    canvas_->setCandidate(fit_->face.landmarks, QRectF(found.x, found.y, found.width, found.height),
                          fit_->byDetector);
    status_->setText(fit_->byDetector
                         ? tr("The detector found the face near your box.")
                         : tr("The detector found no face here: the landmarks were fitted in "
                              "your box. Move or resize it until they sit on the face."));
    showCropPreview();
}

void FacePlacementDialog::showCropPreview() {
    if (!fit_ || frameImage_.empty()) return;
    cv::Mat crop;
    cv::warpAffine(
        frameImage_, crop,
        alignmentMatrix(fit_->face.landmarks, kPreviewSide, parseFaceType(placer_->faceType())),
        cv::Size(kPreviewSide, kPreviewSide), cv::INTER_AREA, cv::BORDER_REPLICATE);
    preview_->setPixmap(QPixmap::fromImage(toQImage(crop)));
}

bool FacePlacementDialog::saveFace() {
    if (!fit_) {
        status_->setText(tr("Draw a box around the face first."));
        return false;
    }
    try {
        placer_->place(currentFrame(), frameImage_, fit_->face);
    } catch (const std::exception& e) {
        const std::string message = std::string("face not saved: ") + e.what();
        logError(message);
        status_->setText(QString::fromStdString(message));
        return false;
    }
    ++placedCount_;
    const int after = neighbour(+1);
    if (after >= 0) {
        showFrame(after);
        status_->setText(tr("Saved. ") + status_->text());
    } else {
        showFrame(position_);  // shows the saved face in grey
        status_->setText(tr("Saved. No further frame to place a face in."));
    }
    return true;
}

int FacePlacementDialog::neighbour(int step) const {
    const auto& frames = placer_->frames();
    std::set<int64_t> missing;
    if (onlyMissing_->isChecked())
        for (const FrameFile& f : placer_->framesWithoutFace()) missing.insert(f.index);
    for (int p = position_ + step; p >= 0 && p < int(frames.size()); p += step)
        if (!onlyMissing_->isChecked() || missing.count(frames[size_t(p)].index)) return p;
    return -1;
}

void FacePlacementDialog::next() {
    const int p = neighbour(+1);
    if (p >= 0)
        showFrame(p);
    else
        status_->setText(tr("No further frame%1.")
                             .arg(onlyMissing_->isChecked() ? tr(" without a face") : QString()));
}

void FacePlacementDialog::previous() {
    const int p = neighbour(-1);
    if (p >= 0)
        showFrame(p);
    else
        status_->setText(tr("No earlier frame%1.")
                             .arg(onlyMissing_->isChecked() ? tr(" without a face") : QString()));
}

}  // namespace doppel::ui
