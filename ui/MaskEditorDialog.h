#pragma once
// Mask editor (Faces page, "Edit masks..." or a double click on a face): draw which part of an
// aligned face is face. Include polygons mark the face (e.g. the forehead the landmark hull
// leaves out), exclude polygons what covers it (a hand, a microphone, hair); later polygons win.
// The polygons go into the face's sidecar (AlignedFace::maskPolygons), written atomically when
// moving to another face and on closing; pack then trains on the drawn mask, and merge keeps
// what was drawn out. Walks the faces in the order the grid shows them; "Copy from previous"
// moves the previous face's polygons onto this one through the frame (faces of consecutive
// frames move little), for a hand that stays over several frames.
#include <QDialog>
#include <QLabel>
#include <QRadioButton>

#include <filesystem>
#include <vector>

#include "faces/AlignedFace.h"

namespace doppel::ui {

class MaskCanvas;

class MaskEditorDialog : public QDialog {
    Q_OBJECT
  public:
    /// `sidecars`: the faces' .json paths in the order to walk them; starts at `start`.
    MaskEditorDialog(std::vector<std::filesystem::path> sidecars, int start,
                     QWidget* parent = nullptr);

    MaskCanvas* canvas() const { return canvas_; }
    int currentIndex() const { return index_; }
    /// Faces whose drawn mask was written (changed) while the dialog was open.
    int savedCount() const { return savedCount_; }

    void showFace(int index);
    /// Writes the current face's polygons when they changed; false (message shown) on failure.
    bool saveCurrent();
    void next();
    void previous();
    void copyFromPrevious();

  public Q_SLOTS:
    void done(int result) override;

  private:
    void updateTitle();

    std::vector<std::filesystem::path> sidecars_;
    int index_ = -1;
    AlignedFace face_;
    int savedCount_ = 0;
    bool discardOnClose_ = false;
    MaskCanvas* canvas_;
    QRadioButton* includeButton_;
    QRadioButton* excludeButton_;
    QLabel* status_;
};

}  // namespace doppel::ui
