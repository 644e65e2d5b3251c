#pragma once
// A thin strip under a frame slider that shows where in the clip something needs a look: frames
// without a face (merge passes them through unswapped: the original face shows) as red ticks,
// and frame ranges with their own merge settings as blue bands. A click moves the slider there.
#include <QColor>
#include <QSlider>
#include <QWidget>

#include <utility>
#include <vector>

namespace doppel::ui {

class FrameMarkerBar : public QWidget {
    Q_OBJECT
  public:
    /// Follows `slider`'s range and geometry; clicks set its value.
    explicit FrameMarkerBar(QSlider* slider, QWidget* parent = nullptr);

    /// Slider positions to tick (e.g. frames without a face).
    void setTicks(std::vector<int> positions);
    /// Inclusive position ranges to shade (e.g. frames with their own settings).
    void setBands(std::vector<std::pair<int, int>> ranges);
    const std::vector<int>& ticks() const { return ticks_; }
    const std::vector<std::pair<int, int>>& bands() const { return bands_; }
    /// The first tick after `position`, wrapping to the first one; -1 without ticks.
    int nextTick(int position) const;

    QSize sizeHint() const override { return {200, 8}; }

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

  private:
    /// x of a slider position, matching where the slider's handle centre goes.
    double xOf(int position) const;

    QSlider* slider_;
    std::vector<int> ticks_;
    std::vector<std::pair<int, int>> bands_;
};

}  // namespace doppel::ui
