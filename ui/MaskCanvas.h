#pragma once
// The drawing surface of the mask editor: one aligned face, scaled to fit, with its drawn mask
// (AlignedFace::maskPolygons) shown as a green tint over what counts as face. Left click adds a
// point to the polygon being drawn; right click, double click or Enter closes it (3+ points);
// Escape drops it; Backspace / Ctrl+Z takes back the last point, or the last polygon. The
// polygons are kept in aligned pixels of the face's own size, as the sidecar stores them.
#include <QImage>
#include <QWidget>

#include <array>
#include <vector>

#include "faces/AlignedFace.h"

namespace doppel::ui {

class MaskCanvas : public QWidget {
    Q_OBJECT
  public:
    explicit MaskCanvas(QWidget* parent = nullptr);

    /// Shows `image` (the aligned face, `space` px square) with these polygons; not modified.
    void setFace(const QImage& image, int space, std::vector<MaskPolygon> polygons,
                 std::vector<std::array<float, 2>> alignedLandmarks);
    const std::vector<MaskPolygon>& polygons() const { return polygons_; }
    void setPolygons(std::vector<MaskPolygon> polygons);
    bool isModified() const { return modified_; }
    void setModified(bool modified) { modified_ = modified; }

    /// New polygons include (face) or exclude (what covers it).
    void setIncludeMode(bool include) { include_ = include; }
    bool includeMode() const { return include_; }

    void addPoint(const QPointF& alignedPoint);
    /// Finishes the polygon being drawn; false (and nothing changes) with fewer than 3 points.
    bool closePolygon();
    void discardCurrent();
    /// The last point of the polygon being drawn, or else the last finished polygon.
    void undo();
    void clearAll();
    int pendingPoints() const { return int(current_.size()); }

    /// Widget pixels <-> aligned pixels of the face.
    QPointF toAligned(const QPointF& widgetPoint) const;
    QPointF toWidget(const std::array<float, 2>& alignedPoint) const;

    QSize sizeHint() const override { return {560, 560}; }

  Q_SIGNALS:
    void changed();

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

  private:
    QRectF faceRect() const;  ///< where the face is drawn (square, centred)
    void touch();

    QImage image_;
    int space_ = 256;
    std::vector<MaskPolygon> polygons_;
    std::vector<std::array<float, 2>> current_;
    std::vector<std::array<float, 2>> landmarks_;
    bool include_ = true;
    bool modified_ = false;
    QPointF hover_{-1, -1};
};

}  // namespace doppel::ui
