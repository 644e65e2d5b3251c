#include "ui/FloatSpinBox.h"

#include <QFontMetrics>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace doppel::ui {
namespace {

// Enough decimals that Qt's rounding never changes a value a user or a schema sets.
constexpr int kDecimals = 12;
// Significant digits shown: 5e-05, 0.0002, 25, 12.5.
constexpr int kShownDigits = 6;

}  // namespace

FloatSpinBox::FloatSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(kDecimals);
}

void FloatSpinBox::stepBy(int steps) {
    if (!logarithmic_) {
        QDoubleSpinBox::stepBy(steps);
        return;
    }
    const double start = value() > 0 ? value() : std::max(minimum(), 1e-12);
    setValue(std::clamp(start * std::pow(2.0, steps), minimum(), maximum()));
}

namespace {

/// How much wider than Qt's measure the box must be for the widest value it shows.
int extraWidth(const FloatSpinBox& box) {
    const QFontMetrics metrics = box.fontMetrics();
    const int widest = metrics.horizontalAdvance(QStringLiteral("-0.000125"));
    const int measured = std::max(metrics.horizontalAdvance(box.textFromValue(box.minimum())),
                                  metrics.horizontalAdvance(box.textFromValue(box.maximum())));
    return std::max(0, widest - measured);
}

}  // namespace

QSize FloatSpinBox::sizeHint() const {
    return QDoubleSpinBox::sizeHint() + QSize(extraWidth(*this), 0);
}

QSize FloatSpinBox::minimumSizeHint() const {
    return QDoubleSpinBox::minimumSizeHint() + QSize(extraWidth(*this), 0);
}

QString FloatSpinBox::textFromValue(double value) const {
    return QLocale::c().toString(value, 'g', kShownDigits);
}

double FloatSpinBox::valueFromText(const QString& text) const {
    return QLocale::c().toDouble(text.trimmed());
}

QValidator::State FloatSpinBox::validate(QString& text, int& /*position*/) const {
    // Anything that can still become a number ("", "-", "5e-") is on its way; other text is not.
    static const QRegularExpression numberSoFar(R"(^\s*[+-]?\d*\.?\d*([eE][+-]?\d*)?\s*$)");
    if (!numberSoFar.match(text).hasMatch()) return QValidator::Invalid;
    bool ok = false;
    const double v = QLocale::c().toDouble(text.trimmed(), &ok);
    return ok && v >= minimum() && v <= maximum() ? QValidator::Acceptable
                                                  : QValidator::Intermediate;
}

}  // namespace doppel::ui
