#include "ui/OptionForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include "ui/FloatSpinBox.h"

#include <cmath>
#include <limits>

namespace doppel::ui {
namespace {

QString labelFor(const std::string& key) {
    QString text = QString::fromStdString(key);
    text.replace('_', ' ');
    if (!text.isEmpty()) text[0] = text[0].toUpper();
    return text;
}

bool bounded(const OptionSpec& spec) {
    return spec.minValue != spec.maxValue;
}

}  // namespace

OptionForm::OptionForm(const OptionSchema& schema, QWidget* parent)
    : QWidget(parent), schema_(schema) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    // Options keep the schema's order; each new group name opens a group box.
    std::map<std::string, QFormLayout*> groups;
    for (const OptionSpec& spec : schema.specs()) {
        std::string group = spec.group.empty() ? "Options" : spec.group;
        QFormLayout*& form = groups[group];
        if (!form) {
            auto* box = new QGroupBox(QString::fromStdString(group), this);
            form = new QFormLayout(box);
            form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
            outer->addWidget(box);
        }
        QWidget* editor = createEditor(spec);
        editor->setObjectName(QString::fromStdString("option_" + spec.key));
        QString tip = QString::fromStdString(spec.help);
        if (!spec.changeableOnResume) tip += tr(" (fixed once a run exists)");
        editor->setToolTip(tip);
        auto* label = new QLabel(labelFor(spec.key), this);
        label->setToolTip(tip);
        form->addRow(label, editor);
        editors_[spec.key] = editor;
    }
    outer->addStretch(1);
    resetToDefaults();
}

QWidget* OptionForm::createEditor(const OptionSpec& spec) {
    switch (spec.type) {
        case OptionType::Bool: {
            auto* box = new QCheckBox(this);
            connect(box, &QCheckBox::toggled, this, &OptionForm::valuesChanged);
            return box;
        }
        case OptionType::Int: {
            auto* spin = new QSpinBox(this);
            int lo = bounded(spec)
                         ? int(std::max<double>(spec.minValue, std::numeric_limits<int>::min()))
                         : 0;
            int hi = bounded(spec)
                         ? int(std::min<double>(spec.maxValue, std::numeric_limits<int>::max()))
                         : std::numeric_limits<int>::max();
            if (!bounded(spec) && spec.minValue < 0) lo = std::numeric_limits<int>::min();
            spin->setRange(lo, hi);
            connect(spin, &QSpinBox::valueChanged, this, &OptionForm::valuesChanged);
            return spin;
        }
        case OptionType::Float: {
            auto* spin = new FloatSpinBox(this);
            if (bounded(spec)) {
                spin->setRange(spec.minValue, spec.maxValue);
                // A range over several decades (a learning rate) steps by doubling / halving.
                spin->setLogarithmicSteps(spec.minValue > 0 &&
                                          spec.maxValue / spec.minValue >= 1000.0);
                spin->setSingleStep(std::max(0.0001, (spec.maxValue - spec.minValue) / 100.0));
            } else {
                spin->setRange(-1e12, 1e12);
            }
            connect(spin, &QDoubleSpinBox::valueChanged, this, &OptionForm::valuesChanged);
            return spin;
        }
        case OptionType::Choice: {
            auto* combo = new QComboBox(this);
            for (const auto& choice : spec.choices) combo->addItem(QString::fromStdString(choice));
            connect(combo, &QComboBox::currentIndexChanged, this, &OptionForm::valuesChanged);
            return combo;
        }
        case OptionType::String:
        default: {
            auto* edit = new QLineEdit(this);
            connect(edit, &QLineEdit::textChanged, this, &OptionForm::valuesChanged);
            return edit;
        }
    }
}

nlohmann::json OptionForm::values() const {
    nlohmann::json out = nlohmann::json::object();
    for (const OptionSpec& spec : schema_.specs()) {
        QWidget* editor = editors_.at(spec.key);
        switch (spec.type) {
            case OptionType::Bool:
                out[spec.key] = static_cast<QCheckBox*>(editor)->isChecked();
                break;
            case OptionType::Int:
                out[spec.key] = static_cast<QSpinBox*>(editor)->value();
                break;
            case OptionType::Float:
                out[spec.key] = static_cast<QDoubleSpinBox*>(editor)->value();
                break;
            case OptionType::Choice:
                out[spec.key] = static_cast<QComboBox*>(editor)->currentText().toStdString();
                break;
            case OptionType::String:
            default:
                out[spec.key] = static_cast<QLineEdit*>(editor)->text().toStdString();
                break;
        }
    }
    return out;
}

void OptionForm::setValues(const nlohmann::json& values) {
    if (!values.is_object()) return;
    for (const OptionSpec& spec : schema_.specs()) {
        auto it = values.find(spec.key);
        if (it == values.end() || it->is_null()) continue;
        QWidget* editor = editors_.at(spec.key);
        const nlohmann::json& v = *it;
        switch (spec.type) {
            case OptionType::Bool:
                if (v.is_boolean()) static_cast<QCheckBox*>(editor)->setChecked(v.get<bool>());
                break;
            case OptionType::Int:
                if (v.is_number()) static_cast<QSpinBox*>(editor)->setValue(int(v.get<double>()));
                break;
            case OptionType::Float:
                if (v.is_number()) static_cast<QDoubleSpinBox*>(editor)->setValue(v.get<double>());
                break;
            case OptionType::Choice:
                if (v.is_string()) {
                    auto* combo = static_cast<QComboBox*>(editor);
                    int index = combo->findText(QString::fromStdString(v.get<std::string>()));
                    if (index >= 0) combo->setCurrentIndex(index);
                }
                break;
            case OptionType::String:
            default:
                if (v.is_string())
                    static_cast<QLineEdit*>(editor)->setText(
                        QString::fromStdString(v.get<std::string>()));
                break;
        }
    }
}

void OptionForm::setResumeLocked(bool locked) {
    for (const OptionSpec& spec : schema_.specs())
        if (!spec.changeableOnResume) editors_.at(spec.key)->setEnabled(!locked);
}

QWidget* OptionForm::editorFor(const std::string& key) const {
    auto it = editors_.find(key);
    return it == editors_.end() ? nullptr : it->second;
}

}  // namespace doppel::ui
