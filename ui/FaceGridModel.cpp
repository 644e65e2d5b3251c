#include "ui/FaceGridModel.h"

#include <QImageReader>
#include <QPixmap>
#include <QPointer>
#include <QRunnable>
#include <QThreadPool>

namespace doppel::ui {

FaceGridModel::FaceGridModel(QObject* parent)
    : QAbstractListModel(parent),
      cache_(4000),
      placeholder_(kThumbSize, kThumbSize, QImage::Format_RGB32) {
    placeholder_.fill(QColor(90, 90, 90));
    // Emitted from pool threads; queued to the GUI thread where the model lives.
    connect(this, &FaceGridModel::thumbnailReady, this, &FaceGridModel::onThumbnailReady,
            Qt::QueuedConnection);
}

void FaceGridModel::setFaces(std::vector<FaceEntry> faces) {
    beginResetModel();
    faces_ = std::move(faces);
    rowOf_.clear();
    for (size_t row = 0; row < faces_.size(); ++row) rowOf_.insert(faces_[row].imagePath, int(row));
    endResetModel();
}

void FaceGridModel::applyOrder(const std::vector<size_t>& order) {
    std::vector<FaceEntry> sorted;
    sorted.reserve(order.size());
    for (size_t i : order) sorted.push_back(faces_.at(i));
    setFaces(std::move(sorted));
}

int FaceGridModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(faces_.size());
}

QVariant FaceGridModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(faces_.size())) return {};
    const FaceEntry& entry = faces_[size_t(index.row())];
    switch (role) {
        case Qt::DisplayRole: {
            // Faces align's fill_gaps placed (the detector lost them) are marked for review, and
            // faces placed by hand or with a drawn mask, so it is clear which ones were done.
            const bool filled = entry.meta.placement == "interpolated";
            const bool manual = entry.meta.placement == "manual";
            if (!filled && !manual && !entry.meta.hasDrawnMask())
                return QString::fromStdString(entry.meta.imageName());
            QString label = QStringLiteral("%1_%2")
                                .arg(entry.meta.frameIndex, 6, 10, QChar('0'))
                                .arg(entry.meta.faceIndex);
            if (filled) label += tr(" filled");
            if (manual) label += tr(" placed");
            if (entry.meta.hasDrawnMask()) label += tr(" mask");
            return label;
        }
        case Qt::ForegroundRole:
            if (entry.meta.placement == "interpolated") return QColor(200, 90, 0);
            if (entry.meta.placement == "manual") return QColor(40, 90, 200);
            if (entry.meta.hasDrawnMask()) return QColor(20, 140, 60);
            return {};
        case Qt::ToolTipRole: {
            QString tip = tr("%1\nframe %2, face %3, score %4")
                              .arg(entry.imagePath)
                              .arg(entry.meta.frameIndex)
                              .arg(entry.meta.faceIndex)
                              .arg(entry.meta.detectorScore, 0, 'f', 2);
            if (entry.meta.placement == "interpolated")
                tip +=
                    tr("\nthe detector lost this face: placed between the frames before and "
                       "after (interpolated)");
            if (entry.meta.placement == "manual") tip += tr("\nplaced by hand (Place faces...)");
            if (entry.meta.placement == "imported")
                tip +=
                    tr("\nlandmarks as its photo gave them (a DeepFaceLab faceset, or faces of "
                       "another workspace)");
            if (entry.meta.hasDrawnMask())
                tip += tr("\ndrawn mask: %n polygon(s) (double click to edit)", "",
                          int(entry.meta.maskPolygons.size()));
            return tip;
        }
        case ImagePathRole:
            return entry.imagePath;
        case Qt::DecorationRole: {
            if (QImage* cached = cache_.object(entry.imagePath)) return QPixmap::fromImage(*cached);
            if (!pending_.contains(entry.imagePath)) {
                pending_.insert(entry.imagePath);
                QString path = entry.imagePath;
                QPointer<FaceGridModel> self(const_cast<FaceGridModel*>(this));
                QThreadPool::globalInstance()->start([self, path] {
                    QImageReader reader(path);
                    reader.setScaledSize(QSize(kThumbSize, kThumbSize));
                    QImage image = reader.read();
                    if (self) Q_EMIT self->thumbnailReady(path, image);
                });
            }
            return QPixmap::fromImage(placeholder_);
        }
        default:
            return {};
    }
}

void FaceGridModel::onThumbnailReady(const QString& path, const QImage& image) {
    pending_.remove(path);
    cache_.insert(path, new QImage(image.isNull() ? placeholder_ : image));
    auto it = rowOf_.find(path);
    if (it == rowOf_.end()) return;
    QModelIndex changed = index(it.value());
    Q_EMIT dataChanged(changed, changed, {Qt::DecorationRole});
}

}  // namespace doppel::ui
