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

  private:
    void updateSummary();

    Workspace workspace_;
    Side side_;
    std::vector<FaceTrackGroup> groups_;
    QListWidget* list_;
    QLabel* summary_;
    QLabel* hint_;
    QPushButton* applyButton_;
};

}  // namespace doppel::ui
