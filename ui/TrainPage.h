#pragma once
// Train page: the engine's option form, device and memory estimate, Start / Pause / Stop /
// Save now, a live preview polled from the trainer's latest-wins mailbox by a GUI-thread timer
// (with mask view and a slider back through model/<name>/previews/*.png), the loss chart, and
// iteration, ms/iter and ETA. The trainer is reached only through TrainingEngine.
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QWidget>

#include <memory>

#include "common/Mailbox.h"
#include "common/TrainingEngine.h"
#include "ui/StudioSession.h"

namespace doppel::ui {

class LossChart;
class OptionForm;

class TrainPage : public QWidget {
    Q_OBJECT
  public:
    TrainPage(StudioSession* session, QWidget* parent = nullptr);

    bool isTraining() const { return !job_.isNull(); }
    /// Asks the trainer to stop; it saves the model and the job finishes soon after.
    void requestStop();
    /// Starts (or resumes) training with the form's options, as the Start button does.
    void startTraining() { start(); }
    /// Asks the trainer for a preview now instead of at the next preview period.
    void requestPreview() { sendCommand(TrainerCommand::PreviewNow); }
    /// The channel the trainer posts previews to (tests post into it directly).
    LatestMailbox<TrainingUpdate>& mailbox() { return *previews_; }
    QLabel* previewLabel() const { return preview_; }
    QLabel* statsLabel() const { return stats_; }
    LossChart* lossChart() const { return chart_; }
    /// Takes the newest update from the mailbox and shows it (the timer calls this).
    void pollMailbox();
    /// "Start from a trained model...": the model shown (or "reused" when that name is taken)
    /// starts as a copy of the trained model in `from` (a model folder or a workspace), and
    /// the page shows it. Returns the error, empty on success.
    QString startFromTrainedModel(const std::filesystem::path& from);
    QString modelName() const { return modelName_->text(); }
    /// The preset menu: "Custom" first, then the engine's presets (for a new model only).
    QComboBox* presetCombo() const { return presetCombo_; }
    /// Fills the form with the engine's preset `name`; false when there is no such preset.
    bool applyPreset(const std::string& name);
    /// "Timelapse": a job encoding the model's saved previews (or, with Show masks, the mask
    /// grids) into model/NAME/timelapse.mp4 (TrainingTimelapse); the log says where.
    void makeTimelapse();

  private:
    void start();
    void sendCommand(TrainerCommand command);
    void showUpdate(const TrainingUpdate& update);
    void showPreviewImage();
    void refreshHistory();
    void updateMemoryEstimate();
    void updateButtons();
    /// The model named on the page: its loss curve, previews and options, as saved.
    void showModelState();
    std::filesystem::path modelDir() const;
    /// Shows "Custom" once the form no longer holds the chosen preset's values.
    void matchPresetToForm();

    StudioSession* session_;
    OptionForm* form_ = nullptr;
    QLineEdit* modelName_;
    QSpinBox* maxIterations_;
    QPushButton* reuseButton_;
    QComboBox* presetCombo_;
    std::vector<TrainPreset> presets_;
    QLabel* device_;
    QPushButton* startButton_;
    QPushButton* pauseButton_;
    QPushButton* stopButton_;
    QPushButton* saveButton_;
    QLabel* preview_;
    QCheckBox* maskView_;
    QSlider* history_;
    QLabel* historyLabel_;
    LossChart* chart_;
    QLabel* stats_;
    QTimer poll_;
    std::shared_ptr<LatestMailbox<TrainingUpdate>> previews_;
    std::shared_ptr<CommandQueue<TrainerCommand>> commands_;
    QPointer<JobRunner> job_;
    QImage livePreview_, liveMask_;
    QStringList historyFiles_;
    bool pausing_ = false;
};

}  // namespace doppel::ui
