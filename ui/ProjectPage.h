#pragma once
// Project page: create a workspace from a source and a destination video (file dialog or drag
// and drop) or open an existing one; shows a thumbnail, duration, resolution, fps and face count
// for each side. Probing runs on the thread pool, so a slow file never freezes the window.
#include <QLabel>
#include <QPushButton>
#include <QWidget>

#include <array>
#include <functional>
#include <string>

#include "common/Workspace.h"
#include "ui/StudioSession.h"

namespace doppel::ui {

class ProjectPage : public QWidget {
    Q_OBJECT
  public:
    ProjectPage(StudioSession* session, QWidget* parent = nullptr);

    /// Forgets the chosen inputs and asks for the source video.
    void startNewProject();
    /// A dropped video: fills the source first, then the destination.
    void addDroppedInput(const QString& path);
    QString chosenInput(Side side) const { return chosen_[size_t(side)]; }
    /// Creates the project from the chosen inputs in `dir` (an empty or new folder) as a job;
    /// the workspace opens when it succeeds. The Create button asks for `dir` and calls this.
    void createProjectIn(const QString& dir);
    /// Copies another video, image or image folder of the source person into the open
    /// workspace (a job: videos are large); Extract then adds its frames.
    void addSourceInput(const QString& path);
    /// Takes an added source input out again (by its name in the workspace, e.g. input_2.mp4):
    /// its faces go to the trash, its frames with the next extract (a job).
    void removeSourceInput(const QString& name);

  Q_SIGNALS:
    void workspaceRequested(const QString& dir);

  private:
    struct SideCard {
        QLabel* title = nullptr;
        QLabel* thumbnail = nullptr;
        QLabel* info = nullptr;
        QPushButton* choose = nullptr;
        QLabel* moreInputs = nullptr;        ///< source only: the inputs after the first
        QPushButton* addInput = nullptr;     ///< source only: "Add more of this person..."
        QPushButton* removeInput = nullptr;  ///< source only, with more than one input
    };
    QWidget* buildCard(Side side);
    void chooseInput(Side side);
    void setChosen(Side side, const QString& path);
    void createProject();
    void refreshFromWorkspace();
    void probe(Side side, const QString& path, const QString& alignedDir);
    void updateCreateButton();
    /// Runs a change of the source's inputs as a job (`change` returns the message).
    void changeSourceInputs(const std::string& what,
                            std::function<std::string(const Workspace&)> change);

    StudioSession* session_;
    std::array<SideCard, 2> cards_;
    std::array<QString, 2> chosen_;
    QLabel* header_;
    QPushButton* createButton_;
    QString pendingWorkspace_;
};

}  // namespace doppel::ui
