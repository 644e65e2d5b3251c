#include "ui/MaskEditorDialog.h"

#include <QHBoxLayout>
#include <QPushButton>
#include <QShortcut>
#include <QVBoxLayout>

#include <algorithm>

#include "common/Log.h"
#include "ui/MaskCanvas.h"

namespace fs = std::filesystem;

namespace doppel::ui {

MaskEditorDialog::MaskEditorDialog(std::vector<fs::path> sidecars, int start, QWidget* parent)
    : QDialog(parent), sidecars_(std::move(sidecars)) {
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(
        tr("Click to add points, right-click or Enter to close the polygon (Backspace takes the "
           "last point back). <b>Include</b> marks face, <b>Exclude</b> marks what covers it "
           "(hands, hair, objects); later polygons win. Faces with a drawn mask train and merge "
           "with it instead of the landmark outline."),
        this);
    help->setWordWrap(true);
    layout->addWidget(help);

    auto* tools = new QHBoxLayout;
    includeButton_ = new QRadioButton(tr("Include"), this);
    excludeButton_ = new QRadioButton(tr("Exclude"), this);
    includeButton_->setChecked(true);
    auto* undoButton = new QPushButton(tr("Undo"), this);
    auto* clearButton = new QPushButton(tr("Clear"), this);
    auto* copyButton = new QPushButton(tr("Copy from previous"), this);
    copyButton->setObjectName(QStringLiteral("copyFromPrevious"));
    for (QWidget* w : std::initializer_list<QWidget*>{includeButton_, excludeButton_, undoButton,
                                                      clearButton, copyButton})
        tools->addWidget(w);
    tools->addStretch(1);
    layout->addLayout(tools);

    canvas_ = new MaskCanvas(this);
    layout->addWidget(canvas_, 1);

    auto* nav = new QHBoxLayout;
    auto* previousButton = new QPushButton(tr("< Previous"), this);
    auto* nextButton = new QPushButton(tr("Next >"), this);
    auto* closeButton = new QPushButton(tr("Close"), this);
    previousButton->setShortcut(QKeySequence(Qt::Key_PageUp));
    nextButton->setShortcut(QKeySequence(Qt::Key_PageDown));
    status_ = new QLabel(this);
    nav->addWidget(previousButton);
    nav->addWidget(nextButton);
    nav->addWidget(status_, 1);
    nav->addWidget(closeButton);
    layout->addLayout(nav);

    connect(includeButton_, &QRadioButton::toggled, this,
            [this](bool on) { canvas_->setIncludeMode(on); });
    connect(undoButton, &QPushButton::clicked, canvas_, &MaskCanvas::undo);
    connect(clearButton, &QPushButton::clicked, canvas_, &MaskCanvas::clearAll);
    connect(copyButton, &QPushButton::clicked, this, &MaskEditorDialog::copyFromPrevious);
    connect(previousButton, &QPushButton::clicked, this, &MaskEditorDialog::previous);
    connect(nextButton, &QPushButton::clicked, this, &MaskEditorDialog::next);
    connect(closeButton, &QPushButton::clicked, this, &QDialog::accept);
    connect(canvas_, &MaskCanvas::changed, this, &MaskEditorDialog::updateTitle);
    // Keys go to the canvas (Enter closes a polygon there, not the dialog).
    closeButton->setAutoDefault(false);
    for (auto* b : findChildren<QPushButton*>()) b->setAutoDefault(false);

    resize(640, 760);
    showFace(std::clamp(start, 0, int(sidecars_.size()) - 1));
}

void MaskEditorDialog::showFace(int index) {
    if (index < 0 || index >= int(sidecars_.size())) return;
    try {
        face_ = readAlignedFace(sidecars_[size_t(index)]);
    } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
        return;
    }
    index_ = index;
    fs::path image = sidecars_[size_t(index)];
    image.replace_extension(".jpg");
    canvas_->setFace(QImage(QString::fromStdString(image.string())), face_.size, face_.maskPolygons,
                     face_.alignedLandmarks());
    canvas_->setFocus();
    updateTitle();
}

void MaskEditorDialog::updateTitle() {
    if (index_ < 0) return;
    setWindowTitle(tr("Mask of %1 (%2 of %3)%4")
                       .arg(QString::fromStdString(face_.imageName()))
                       .arg(index_ + 1)
                       .arg(sidecars_.size())
                       .arg(canvas_->isModified() ? QStringLiteral(" *") : QString()));
    status_->setText(canvas_->polygons().empty()
                         ? tr("no drawn mask: the landmark outline is used")
                         : tr("%n polygon(s)", "", int(canvas_->polygons().size())));
}

bool MaskEditorDialog::saveCurrent() {
    if (index_ < 0 || !canvas_->isModified()) return true;
    // Only the polygons change: read the sidecar again so nothing else written meanwhile is lost.
    try {
        AlignedFace fresh = readAlignedFace(sidecars_[size_t(index_)]);
        fresh.maskPolygons = canvas_->polygons();
        writeAlignedFace(sidecars_[size_t(index_)], fresh);
        face_ = fresh;
    } catch (const std::exception& e) {
        const std::string message = std::string("mask not saved: ") + e.what();
        logError(message);
        status_->setText(QString::fromStdString(message));
        return false;
    }
    canvas_->setModified(false);
    ++savedCount_;
    updateTitle();
    return true;
}

void MaskEditorDialog::next() {
    if (saveCurrent() && index_ + 1 < int(sidecars_.size())) showFace(index_ + 1);
}

void MaskEditorDialog::previous() {
    if (saveCurrent() && index_ > 0) showFace(index_ - 1);
}

void MaskEditorDialog::copyFromPrevious() {
    if (index_ <= 0) return;
    try {
        AlignedFace before = readAlignedFace(sidecars_[size_t(index_ - 1)]);
        if (!before.hasDrawnMask()) {
            status_->setText(tr("the previous face has no drawn mask"));
            return;
        }
        canvas_->setPolygons(carriedMaskPolygons(before, face_));
    } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
    }
}

void MaskEditorDialog::done(int result) {
    // Closing (button, Escape, window frame) keeps the work: the current face is saved first.
    // When that fails the dialog stays open once, showing why; closing again discards.
    if (!saveCurrent() && !discardOnClose_) {
        discardOnClose_ = true;
        status_->setText(status_->text() + tr(" (close again to discard this face's changes)"));
        return;
    }
    QDialog::done(result);
}

}  // namespace doppel::ui
