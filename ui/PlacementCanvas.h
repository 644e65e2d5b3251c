#pragma once
// The drawing surface of the face placement dialog: one frame, scaled to fit, with the faces
// already aligned in it (grey box and landmarks) and the box the user is placing (yellow) with
// the landmarks found in it (green when the detector found the face, orange when the landmark
// model was fitted alone). Drag on empty space draws a new square box; drag inside the box moves
// it; the wheel or +/- resizes it, the arrow keys nudge it; a landmark can be dragged on its own
// to correct it. Boxes and landmarks are kept in frame pixels.
#include <QImage>
#include <QWidget>

#include <array>
#include <vector>

#include "faces/AlignedFace.h"

namespace doppel::ui {

class PlacementCanvas : public QWidget {
    Q_OBJECT
  public:
    explicit PlacementCanvas(QWidget* parent = nullptr);

    /// Shows a frame with the faces it already has; clears the box being placed.
    void setFrame(const QImage& frame, std::vector<AlignedFace> faces);
    bool hasBox() const { return box_.isValid(); }
    QRectF box() const { return box_; }  ///< frame pixels
    void setBox(const QRectF& frameBox);
    void clearBox();
    /// The face found for the current box (frame pixels): its landmarks and the box it was
    /// found in (the detector's, or the one the landmark model settled in).
    void setCandidate(std::vector<std::array<float, 2>> landmarks, const QRectF& faceBox,
                      bool byDetector);
    /// The landmarks shown, with any the user dragged.
    const std::vector<std::array<float, 2>>& candidate() const { return candidate_; }

    /// Widget pixels <-> frame pixels.
    QPointF toFrame(const QPointF& widgetPoint) const;
    QPointF toWidget(const QPointF& framePoint) const;

    QSize sizeHint() const override { return {720, 540}; }

  Q_SIGNALS:
    /// The box changed; `settled` is false while a drag is under way (fit only when settled).
    void boxChanged(bool settled);
    /// A landmark was dragged to a new place (candidate() has it).
    void landmarksEdited();

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

  private:
    QRectF frameRect() const;  ///< where the frame is drawn (aspect kept, centred)
    void scaleBox(double factor);
    void moveBox(const QPointF& frameDelta);
    /// The candidate landmark within grab distance of a widget point, or -1.
    int landmarkAt(const QPointF& widgetPoint) const;

    QImage frame_;
    std::vector<AlignedFace> faces_;
    QRectF box_;
    std::vector<std::array<float, 2>> candidate_;
    QRectF candidateBox_;
    bool byDetector_ = false;
    enum class Drag { None, Draw, Move, Landmark } drag_ = Drag::None;
    int draggedLandmark_ = -1;
    QPointF dragStart_;  ///< frame pixels
    QRectF boxAtDragStart_;
};

}  // namespace doppel::ui
