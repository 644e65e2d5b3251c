#include "ui/PeopleDialog.h"

#include <QDialogButtonBox>
#include <QFutureWatcher>
#include <QMessageBox>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <set>

#include "common/Log.h"
#include "pipeline/FacesetReview.h"
#include "ui/ImageConvert.h"

namespace fs = std::filesystem;

namespace doppel::ui {
namespace {

constexpr int kFaceSide = 84;      // one face of a strip
constexpr int kFacesPerStrip = 4;  // first, two between, last: is it one person throughout?

/// A group's faces side by side (blank until they are loaded).
QPixmap faceStrip(const std::vector<cv::Mat>& faces) {
    // As wide as its faces: a source of thousands of photos has thousands of one-face rows.
    QPixmap strip(kFaceSide * std::max(1, int(faces.size())), kFaceSide);
    strip.fill(Qt::transparent);
    QPainter painter(&strip);
    for (size_t i = 0; i < faces.size(); ++i)
        painter.drawImage(int(i) * kFaceSide, 0, toQImage(faces[i]));
    return strip;
}

/// Strips start at the left of an icon area of one size, however many faces they hold.
class LeftAlignedIcons : public QStyledItemDelegate {
  public:
    using QStyledItemDelegate::QStyledItemDelegate;

  protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override {
        QStyledItemDelegate::initStyleOption(option, index);
        option->decorationAlignment = Qt::AlignLeft | Qt::AlignVCenter;
        // The full strip's room on every row, so the texts line up whatever the face count.
        option->decorationSize = QSize(kFaceSide * kFacesPerStrip, kFaceSide);
    }
};

QString faceCount(size_t n) {
    return n == 1 ? QObject::tr("1 face") : QObject::tr("%1 faces").arg(n);
}

QString describe(const FaceTrackGroup& g) {
    const QString who = g.trackId >= 0 ? QObject::tr("Person %1").arg(QString::fromStdString(g.key))
                                       : QObject::tr("Face %1").arg(QString::fromStdString(g.key));
    const QString frames = g.firstFrame == g.lastFrame
                               ? QObject::tr("frame %1").arg(g.firstFrame)
                               : QObject::tr("frames %1-%2").arg(g.firstFrame).arg(g.lastFrame);
    // Where in the picture, in words first: how a user tells two people apart at a glance.
    const int width = g.faces.front().frameWidth;
    const QString where = width <= 0                    ? QString()
                          : g.centreX < width / 3.0     ? QObject::tr("on the left, ")
                          : g.centreX > width * 2 / 3.0 ? QObject::tr("on the right, ")
                                                        : QObject::tr("in the middle, ");
    return QObject::tr("%1\n%2, %3\n%4x %5 of %6, face %7 px")
        .arg(who, frames, faceCount(g.faces.size()), where)
        .arg(qRound(g.centreX))
        .arg(width)
        .arg(qRound(g.boxSide));
}

}  // namespace

PeopleDialog::PeopleDialog(const Workspace& workspace, Side side, QWidget* parent)
    : QDialog(parent),
      workspace_(workspace),
      side_(side),
      groups_(groupFacesByTrack(listAlignedFaces(workspace.alignedDir(side)))) {
    setWindowTitle(side == Side::Dst ? tr("People on the destination")
                                     : tr("People on the source"));
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(
        side == Side::Dst
            ? tr("Every face kept here is swapped. Each row is one person as align followed "
                 "them through the clip (left to right: their faces from the start to the end). "
                 "Untick the people who should stay as they are; their faces go to the trash "
                 "(Restore deleted brings them back). A person the tracker lost for a while "
                 "(a cut, a long occlusion) comes back as a new row, marked \"looks like\" their "
                 "first "
                 "row: keep every row of theirs.")
            : tr("Only the source person should be here. Each row is one person as align "
                 "followed them (left to right: their faces from the start to the end). Untick "
                 "anyone else; their faces go to the trash (Restore deleted brings them back)."),
        this);
    help->setWordWrap(true);
    hint_ = new QLabel(
        QString::fromStdString(FacesetReview::severalPeopleHint(workspace, side, groups_.size())),
        this);
    hint_->setWordWrap(true);
    hint_->setStyleSheet(QStringLiteral("color: #b35c00;"));
    hint_->setVisible(!hint_->text().isEmpty());
    list_ = new QListWidget(this);
    list_->setIconSize(QSize(kFaceSide * kFacesPerStrip, kFaceSide));
    list_->setItemDelegate(new LeftAlignedIcons(list_));
    list_->setSpacing(2);
    for (const FaceTrackGroup& group : groups_) {
        auto* item = new QListWidgetItem(QIcon(faceStrip({})), describe(group), list_);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
        item->setCheckState(Qt::Checked);
    }
    summary_ = new QLabel(this);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    applyButton_ = buttons->addButton(tr("Remove unticked people"), QDialogButtonBox::AcceptRole);
    applyButton_->setObjectName(QStringLiteral("applyPeople"));
    layout->addWidget(help);
    layout->addWidget(hint_);
    layout->addWidget(list_, 1);
    layout->addWidget(summary_);
    layout->addWidget(buttons);
    connect(list_, &QListWidget::itemChanged, this, &PeopleDialog::updateSummary);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(720, 560);
    updateSummary();
    loadFacesInBackground();
}

void PeopleDialog::loadFacesInBackground() {
    auto* watcher = new QFutureWatcher<std::vector<GroupFaces>>(this);
    connect(watcher, &QFutureWatcher<std::vector<GroupFaces>>::finished, this, [this, watcher] {
        showFaces(watcher->result());
        watcher->deleteLater();
    });
    // The task gets its own copy of the groups: the dialog may close before it ends.
    watcher->setFuture(QtConcurrent::run([groups = groups_, dir = workspace_.alignedDir(side_)] {
        return loadAllGroupFaces(groups, dir, kFacesPerStrip, kFaceSide);
    }));
}

void PeopleDialog::showFaces(const std::vector<GroupFaces>& faces) {
    const std::vector<int> alike = earlierLookAlikes(looksOf(faces));
    for (size_t i = 0; i < groups_.size() && i < faces.size(); ++i) {
        QListWidgetItem* item = list_->item(int(i));
        item->setIcon(QIcon(faceStrip(faces[i].strip)));
        if (alike[i] >= 0)
            item->setText(
                item->text() +
                tr("\nlooks like %1").arg(describe(groups_[size_t(alike[i])]).section('\n', 0, 0)));
    }
    facesLoaded_ = true;
    Q_EMIT facesLoadedChanged();
}

void PeopleDialog::updateSummary() {
    int kept = 0, removedFaces = 0;
    for (int row = 0; row < list_->count(); ++row) {
        if (list_->item(row)->checkState() == Qt::Checked)
            ++kept;
        else
            removedFaces += int(groups_[size_t(row)].faces.size());
    }
    const int removed = list_->count() - kept;
    if (kept == 0)
        summary_->setText(tr("Keep at least one person."));
    else if (removed == 0)
        summary_->setText(kept == 1 ? tr("One person, kept.")
                                    : tr("%1 people, all kept.").arg(kept));
    else
        summary_->setText(tr("Keeps %1 of %2; %3 of %4 go to the trash.")
                              .arg(kept)
                              .arg(list_->count())
                              .arg(faceCount(size_t(removedFaces)))
                              .arg(removed == 1 ? tr("one person") : tr("%1 people").arg(removed)));
    applyButton_->setEnabled(kept > 0 && removed > 0);
}

int PeopleDialog::apply() {
    std::set<std::string> keep;
    for (int row = 0; row < list_->count(); ++row)
        if (list_->item(row)->checkState() == Qt::Checked) keep.insert(groups_[size_t(row)].key);
    if (keep.empty()) return 0;
    const int moved = FacesetReview::trashFaces(workspace_, side_, facesOutside(groups_, keep));
    logInfo("kept " + std::to_string(keep.size()) + " of " + std::to_string(groups_.size()) +
            " people, moved " + std::to_string(moved) + " faces to " +
            workspace_.trashDir(side_).string());
    return moved;
}

int PeopleDialog::choosePeople(const Workspace& workspace, Side side, QWidget* parent) {
    PeopleDialog dialog(workspace, side, parent);
    if (dialog.groups().empty()) {
        QMessageBox::information(parent, dialog.windowTitle(),
                                 tr("No faces on this side yet: run Extract first."));
        return 0;
    }
    return dialog.exec() == QDialog::Accepted ? dialog.apply() : 0;
}

}  // namespace doppel::ui
