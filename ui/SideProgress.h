#pragma once
// A progress bar with a line of text under it: "extract src: 45 / 150, 12.3 /s, ETA 9s".
// Used per side on the Extract and Faces pages and for merge/export.
#include <QLabel>
#include <QProgressBar>
#include <QWidget>

#include <string>

#include "common/Workspace.h"
#include "ui/JobRunner.h"

namespace doppel::ui {

class SideProgress : public QWidget {
    Q_OBJECT
  public:
    explicit SideProgress(const QString& title, QWidget* parent = nullptr);
    void showProgress(const JobProgress& progress);
    void showText(const QString& text);
    void reset();
    /// How the last run of stage `key` ended, from project.json (a page opened on a finished
    /// workspace says "done: 75 frames merged ...", not "idle"); "not run yet" when it never ran.
    void showLastRun(const Workspace& workspace, const std::string& key);
    QProgressBar* bar() const { return bar_; }

  private:
    QLabel* title_;
    QProgressBar* bar_;
    QLabel* detail_;
};

}  // namespace doppel::ui
