#pragma once
// Place faces by hand (Faces page, "Place faces..."): DeepFaceLab's manual extractor. Walks the
// frames of a side (by default only those without a face: on the destination those stay
// unswapped); the user draws a box around the face, the landmarks found in it show at once
// (FacePlacer::fit), with the aligned crop that will be saved; Save writes the face (FacePlacer::
// place) and moves on. A box over a face that is already there replaces it: the way to fix a
// face with wrong landmarks.
#include <QCheckBox>
#include <QDialog>
#include <QLabel>

#include <memory>
#include <optional>

#include <opencv2/core.hpp>

#include "common/Workspace.h"
#include "faces/FaceDetector.h"

namespace doppel {
class FacePlacer;
}

namespace doppel::ui {

class PlacementCanvas;

class FacePlacementDialog : public QDialog {
    Q_OBJECT
  public:
    /// Starts at frame `startFrame`, or at the first frame without a face when it is 0. Throws
    /// doppel::Error when the side has no frames.
    FacePlacementDialog(const Workspace& workspace, Side side, int64_t startFrame,
                        QWidget* parent = nullptr);
    ~FacePlacementDialog() override;
    /// Opens the dialog modally (a warning box instead when the side has no frames) and returns
    /// how many faces were placed: what the Faces and Merge pages do.
    static int placeFaces(const Workspace& workspace, Side side, int64_t startFrame,
                          QWidget* parent);

    PlacementCanvas* canvas() const { return canvas_; }
    int64_t currentFrame() const;
    int placedCount() const { return placedCount_; }
    /// Whether Next/Previous skip frames that have a face.
    bool onlyFramesWithoutFace() const { return onlyMissing_->isChecked(); }
    void setOnlyFramesWithoutFace(bool only) { onlyMissing_->setChecked(only); }
    QString statusText() const { return status_->text(); }

    void showFrame(int position);
    /// Writes the face found in the current box and moves on; false (message shown) without
    /// one or when writing failed.
    bool saveFace();
    void next();
    void previous();

  private:
    void fitBox(bool settled);
    void showCropPreview();
    /// The next position from the current one in `step` direction that the filter allows, or -1.
    int neighbour(int step) const;
    void updateTitle();

    std::unique_ptr<FacePlacer> placer_;
    int position_ = -1;
    cv::Mat frameImage_;
    std::optional<BoxFit> fit_;
    int placedCount_ = 0;
    PlacementCanvas* canvas_;
    QLabel* preview_;
    QLabel* status_;
    QCheckBox* onlyMissing_;
};

}  // namespace doppel::ui
