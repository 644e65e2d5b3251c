#pragma once
// A spin box for float options whose values span decades (a learning rate of 5e-05 next to a
// 25-minute autosave): QDoubleSpinBox rounds every value to its fixed decimals, so with 4 of them
// the default lr 5e-05 became 1e-04 and was trained with. This one keeps the value as set, shows
// it in the shortest form (5e-05, 0.1, 25) and, for ranges over several decades, steps by
// doubling and halving instead of by a fixed amount.
#include <QDoubleSpinBox>

namespace doppel::ui {

class FloatSpinBox : public QDoubleSpinBox {
    Q_OBJECT
  public:
    explicit FloatSpinBox(QWidget* parent = nullptr);
    /// Arrow keys and the wheel multiply or divide the value by 2 (not below the minimum).
    void setLogarithmicSteps(bool on) { logarithmic_ = on; }
    bool logarithmicSteps() const { return logarithmic_; }

    void stepBy(int steps) override;
    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& position) const override;
    /// Wide enough for six significant digits (0.000125, 3.14159), not only for the range's
    /// ends, which is all Qt measures: an lr of 0.0002 was cut off by the arrows.
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

  private:
    bool logarithmic_ = false;
};

}  // namespace doppel::ui
