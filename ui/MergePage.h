#pragma once
// Merge page: scrub the destination frames and tune the merge. Every control change re-renders
// the current frame on a worker thread (latest request wins: while one render runs, only the
// newest request waits), so the UI never blocks. Before/after toggle, split view, per-range
// settings ("apply to frames A-B", stored as merge.overrides) and "Merge all" with progress.
#include <QCheckBox>
#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QWidget>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ui/StudioSession.h"

namespace doppel::ui {

class FrameMarkerBar;
class SideProgress;

struct MergeRender {
    int64_t frameIndex = 0;
    QImage before;
    QImage after;
    int faces = 0;
    QString error;
};

/// Renders one destination frame with resolved merge options; called on a worker thread, one
/// call at a time.
using MergeFrameRenderer =
    std::function<MergeRender(int64_t frameIndex, const nlohmann::json& options)>;

class MergePage : public QWidget {
    Q_OBJECT
  public:
    MergePage(StudioSession* session, QWidget* parent = nullptr);

    /// Installs the renderer and the frame numbers it can render (the model loader does this;
    /// tests inject their own).
    void setRenderer(MergeFrameRenderer renderer, std::vector<int64_t> frameIndices);
    /// The resolved options the controls describe.
    nlohmann::json currentOptions() const;
    QSlider* slider(const std::string& key) const;
    QSlider* frameSlider() const { return frameSlider_; }
    FrameMarkerBar* markers() const { return markers_; }
    int renderCount() const { return renderCount_; }
    const MergeRender& lastRender() const { return last_; }

  Q_SIGNALS:
    void rendered(qint64 frameIndex);

  protected:
    /// The preview fills the view at any window size (it was scaled once, at the first size).
    void resizeEvent(QResizeEvent* event) override;
    void showEvent(QShowEvent* event) override;

  private:
    QWidget* buildControls();
    void loadModel();
    /// Shows `name` and loads that model when it has been saved.
    void loadModelNamed(const QString& name);
    void requestRender();
    void launchRender(int64_t frameIndex, nlohmann::json options);
    void showRender();
    void applyToRange();
    void mergeAll();
    /// A frame without a face passes through unswapped: opens the face placement dialog on it.
    void placeFaceInFrame();
    /// The marker strip: frames without a destination face, ranges with their own settings.
    void refreshMarkers();

    StudioSession* session_;
    QLineEdit* modelName_;
    QLabel* modelState_;
    QSlider* frameSlider_;
    QLabel* frameLabel_;
    QPushButton* placeFaceButton_;  ///< shown on a frame without a face
    FrameMarkerBar* markers_;
    QPushButton* nextWithoutFace_;  ///< "N without a face: next", when there are such frames
    QLabel* view_;
    QCheckBox* showBefore_;
    QCheckBox* split_;
    std::map<std::string, QSlider*> sliders_;
    std::map<std::string, QComboBox*> combos_;
    QSpinBox* rangeFirst_;
    QSpinBox* rangeLast_;
    QPushButton* mergeButton_;
    SideProgress* progress_;
    nlohmann::json baseOptions_;
    MergeFrameRenderer renderer_;
    std::vector<int64_t> frames_;
    bool rendering_ = false;
    std::optional<std::pair<int64_t, nlohmann::json>> pending_;
    MergeRender last_;
    int renderCount_ = 0;
};

}  // namespace doppel::ui
