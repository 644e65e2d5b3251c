#pragma once
// Export page: the export stage's options (codec, quality, audio, output path, ...) with the
// synthetic-media label explained, progress, and "Open folder" / "Play" once the video exists.
#include <QLabel>
#include <QPushButton>
#include <QWidget>

#include "ui/StudioSession.h"

namespace doppel::ui {

class OptionForm;
class SideProgress;

class ExportPage : public QWidget {
    Q_OBJECT
  public:
    ExportPage(StudioSession* session, QWidget* parent = nullptr);

  private:
    void start();
    void onFinished(const QString& name, const JobOutcome& outcome);
    QString newestResult() const;

    StudioSession* session_;
    OptionForm* form_;
    QPushButton* startButton_;
    QPushButton* cancelButton_;
    QPushButton* openFolder_;
    QPushButton* play_;
    SideProgress* progress_;
    QLabel* resultLabel_;
    QLabel* photoNote_;  ///< shown when the destination is one photo (exported as a photo)
    QString resultPath_;
};

}  // namespace doppel::ui
