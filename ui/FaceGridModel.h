#pragma once
// The list model behind the Faces page grid: one row per aligned face image. Thumbnails are
// decoded on the global QThreadPool when a row is first painted and cached (QCache), so a grid
// of thousands of faces scrolls smoothly; rows show a grey placeholder until theirs arrives.
#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QImage>
#include <QSet>

#include <vector>

#include "faces/AlignedFace.h"

namespace doppel::ui {

struct FaceEntry {
    QString imagePath;  ///< aligned/000001_0.jpg
    AlignedFace meta;
};

class FaceGridModel : public QAbstractListModel {
    Q_OBJECT
  public:
    static constexpr int kThumbSize = 96;
    enum Roles { ImagePathRole = Qt::UserRole + 1 };

    explicit FaceGridModel(QObject* parent = nullptr);
    void setFaces(std::vector<FaceEntry> faces);
    const std::vector<FaceEntry>& faces() const { return faces_; }
    const FaceEntry& face(int row) const { return faces_.at(size_t(row)); }
    /// Reorders rows: `order[i]` is the old row shown at i.
    void applyOrder(const std::vector<size_t>& order);

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role) const override;

  Q_SIGNALS:
    void thumbnailReady(const QString& path, const QImage& image);

  private:
    void onThumbnailReady(const QString& path, const QImage& image);
    std::vector<FaceEntry> faces_;
    QHash<QString, int> rowOf_;  ///< image path -> row, for O(1) updates
    mutable QCache<QString, QImage> cache_;
    mutable QSet<QString> pending_;
    QImage placeholder_;
};

}  // namespace doppel::ui
