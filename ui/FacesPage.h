#pragma once
// Faces page: review the aligned faces of each side before training. A grid (thumbnails load
// asynchronously), sorting by blur, yaw, pitch, size, histogram similarity or oddness (computed
// on the thread pool), multi-select delete into data_<side>/trash/ (restorable: all at once, or
// face by face from the trash's own view), a frame view with the detector box and landmarks of
// the clicked face, the mask editor (double click, "Edit masks..."), placing faces by hand
// ("Place faces..."), keeping only some people ("People..."), and "Pack for training".
#include <QComboBox>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QSpinBox>
#include <QWidget>

#include <vector>

#include "common/Workspace.h"
#include "ui/StudioSession.h"

namespace doppel::ui {

class FaceGridModel;
class OptionForm;
class SideProgress;

class FacesPage : public QWidget {
    Q_OBJECT
  public:
    FacesPage(StudioSession* session, QWidget* parent = nullptr);
    FaceGridModel* model() const { return model_; }
    /// Reloads the faces of the chosen side (asynchronously).
    void reload();
    /// Moves the selected faces (image + .json) to data_<side>/trash/.
    void deleteSelected();
    /// Moves every face in trash/ back to aligned/; in the deleted faces' view, the selected
    /// ones (all when none is selected).
    void restoreDeleted();
    /// Whether the grid shows the side's trash ("Source: deleted faces", ...), not its faces.
    bool showingDeleted() const;
    /// Tells the other pages that a side's faces changed on disk (the core marked what became
    /// stale): the merge page reloads, the step list refreshes.
    void announceFacesChanged(Side side);
    /// Drawn or predicted masks changed: the side's pack is stale, then announceFacesChanged.
    void markMasksChanged(Side side);
    /// Opens the mask editor on the face at `row` (walking the faces in grid order); after it
    /// closes, a changed mask marks the side's pack stale and the grid reloads.
    void editMasks(int row);
    /// The face-mask model (XSeg): trains on the faces with drawn masks for the minutes set, or
    /// masks every face of both sides with it (then both packs are stale). Jobs, like packing.
    void trainMaskModel();
    /// Keeps the `count` best faces of the side shown and moves the others to the trash (a
    /// job: every face is measured); then the pack is stale and the grid reloads.
    void keepBest(int count);
    /// Opens the face placement dialog on `startFrame` (0: the first frame without a face);
    /// after it closes, placed faces mark the side's pack stale and the grid reloads.
    void placeFaces(int64_t startFrame);
    void applyMaskModel();
    /// Opens the people dialog on the side shown (one row per face track); unticked people's
    /// faces go to the trash, then the pack is stale and the grid reloads.
    void choosePeople();

  Q_SIGNALS:
    void facesLoaded(int count);

  private:
    Side currentSide() const;
    void sortFaces();
    /// "N faces, M frames without a face" for the side shown.
    QString countText() const;
    void showFrameOf(const QModelIndex& index);
    void pack();
    void showLatestMaskPreview();
    /// The mask engine when a workspace is open and the app injected one; else says why, null.
    SegmentationEngine* maskEngineForJob();

    StudioSession* session_;
    QComboBox* sideCombo_;
    QPushButton* deleteButton_;
    QPushButton* restoreButton_;
    QPushButton* bestButton_ = nullptr;    ///< keep best: the source only
    std::vector<QPushButton*> faceTools_;  ///< what acts on a side's faces (off in its trash)
    std::vector<QPushButton*> needFaces_;  ///< the tools that need at least one face shown
    QComboBox* sortCombo_;
    QLabel* countLabel_;
    QListView* grid_;
    FaceGridModel* model_;
    QLabel* frameView_;
    QLabel* frameInfo_;
    OptionForm* packForm_;
    SideProgress* packProgress_;
    SideProgress* maskProgress_;
    QSpinBox* maskMinutes_;
    int loadGeneration_ = 0;
    int framesWithoutFace_ = 0;      ///< of the side shown, counted when its faces were loaded
    std::string alignStatus_;        ///< the shown side's align stage then ("" = not run)
    int64_t otherFacesLeftOut_ = 0;  ///< frames of the side with another face align left out
};

}  // namespace doppel::ui
