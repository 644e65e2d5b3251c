#include "ui/FloatSpinBox.h"

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
