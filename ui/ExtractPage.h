#pragma once
// Extract page: decode the videos into frames (ExtractStage), then find and align the faces
// (AlignStage), per side. Option forms come from the stages' schemas; per-side progress with
// rate and ETA; a strip of extracted frame thumbnails once a side is done.
#include <QCheckBox>
#include <QListWidget>
#include <QPushButton>
#include <QWidget>

#include <array>

#include "common/Workspace.h"
#include "ui/StudioSession.h"

namespace doppel::ui {

class OptionForm;
class SideProgress;

class ExtractPage : public QWidget {
    Q_OBJECT
  public:
    ExtractPage(StudioSession* session, QWidget* parent = nullptr);

  private:
    void start();
    void loadSavedOptions();
    void onProgress(const JobProgress& progress);
    void onFinished(const QString& name, const JobOutcome& outcome);
    void loadThumbnails();

    StudioSession* session_;
    OptionForm* extractForm_;
    OptionForm* alignForm_;
    std::array<QCheckBox*, 2> sideBoxes_;
    QCheckBox* alignBox_;
    std::array<SideProgress*, 2> progress_;
    QPushButton* startButton_;
    QPushButton* cancelButton_;
    QListWidget* strip_;
    int thumbnailGeneration_ = 0;
};

}  // namespace doppel::ui
