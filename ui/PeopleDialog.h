#pragma once
// The people on a side (Faces page, "People..."): one row per person as align followed them
// through the clip (a track; a photo's faces one by one), shown by a strip of their faces from
// the start to the end of the track, with the frames, the face count and where in the picture.
// Every kept face of the destination is swapped, so in a scene with several people the user
// unticks those who should stay as they are; Apply moves their faces to the trash (restorable).
#include <QDialog>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>

#include <vector>

#include "common/Workspace.h"
#include "faces/FaceTrackGroups.h"

namespace doppel::ui {

class PeopleDialog : public QDialog {
    Q_OBJECT
  public:
    PeopleDialog(const Workspace& workspace, Side side, QWidget* parent = nullptr);
    /// Opens the dialog modally (a message instead when the side has no faces) and returns how
    /// many faces it moved to the trash: what the Faces page does.
    static int choosePeople(const Workspace& workspace, Side side, QWidget* parent);

    QListWidget* list() const { return list_; }
    const std::vector<FaceTrackGroup>& groups() const { return groups_; }
    QString summaryText() const { return summary_->text(); }
    QString hintText() const { return hint_->text(); }
    /// Moves the faces of the unticked people to the trash; returns how many moved.
    int apply();
    /// Whether the rows' face strips and "looks like" are in (they load off the GUI thread, so
    /// the dialog opens at once also for a source of thousands of photos).
    bool facesLoaded() const { return facesLoaded_; }

  Q_SIGNALS:
    void facesLoadedChanged();

  private:
    void updateSummary();
    void loadFacesInBackground();
    void showFaces(const std::vector<GroupFaces>& faces);

    Workspace workspace_;
    Side side_;
    std::vector<FaceTrackGroup> groups_;
    QListWidget* list_;
    QLabel* summary_;
    QLabel* hint_;
    QPushButton* applyButton_;
    bool facesLoaded_ = false;
};

}  // namespace doppel::ui
