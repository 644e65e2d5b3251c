#pragma once
// The studio's shell: the pipeline step list beside the stacked pages, a log panel, a status bar
// with the running job, its progress and ETA, menus, recent workspaces and remembered geometry.
// Pages do the work; the shell only routes (see StudioSession for the shared state).
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QStackedWidget>

#include "common/TrainingEngine.h"
#include "ui/PipelineSteps.h"
#include "ui/StudioSession.h"

namespace doppel::ui {

class LogBridge;
class StepList;
class ProjectPage;
class ExtractPage;
class FacesPage;
class TrainPage;
class MergePage;
class ExportPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    /// `engine` may be null (the Train page then says training is unavailable); not owned.
    explicit MainWindow(TrainingEngine* engine, QWidget* parent = nullptr);
    ~MainWindow() override;

    StudioSession* session() const { return session_; }
    /// Opens a workspace; shows a dialog and returns false when it cannot be opened.
    bool openWorkspace(const QString& dir);
    void showStep(Step step);
    StepList* stepList() const { return steps_; }
    ProjectPage* projectPage() const { return projectPage_; }
    ExtractPage* extractPage() const { return extractPage_; }
    FacesPage* facesPage() const { return facesPage_; }
    TrainPage* trainPage() const { return trainPage_; }
    MergePage* mergePage() const { return mergePage_; }
    ExportPage* exportPage() const { return exportPage_; }

  protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void buildMenus();
    void buildStatusBar();
    void refreshSteps();
    void appendLog(int level, const QString& text);
    void onJobStarted(const QString& name);
    void onJobProgress(const JobProgress& progress);
    void onJobFinished(const QString& name, const JobOutcome& outcome);
    void addRecent(const QString& dir);
    void rebuildRecentMenu();
    void chooseAndOpenWorkspace();
    void showAbout();

    StudioSession* session_;
    LogBridge* log_;
    StepList* steps_;
    QStackedWidget* stack_;
    QPlainTextEdit* logView_;
    QMenu* recentMenu_ = nullptr;
    QLabel* jobLabel_;
    QProgressBar* jobProgress_;
    QLabel* etaLabel_;
    ProjectPage* projectPage_;
    ExtractPage* extractPage_;
    FacesPage* facesPage_;
    TrainPage* trainPage_;
    MergePage* mergePage_;
    ExportPage* exportPage_;
    bool closeWhenIdle_ = false;
};

/// A line telling the user what to do about a failure message (install a package, pick
/// another file, ...); empty when there is nothing more specific than the message.
QString remedyFor(const QString& failureMessage);

}  // namespace doppel::ui
