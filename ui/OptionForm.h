#pragma once
// One generic form for any OptionSchema: a widget per option (check box, spin box, combo box,
// line edit), grouped by the spec's group, with the help text as tooltip. Every page uses it, so
// an option added to a stage appears in the GUI without GUI code.
#include <QWidget>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/OptionSchema.h"

namespace doppel::ui {

class OptionForm : public QWidget {
    Q_OBJECT
  public:
    /// The schema must outlive the form (stage schemas are static; the engine's lives with it).
    explicit OptionForm(const OptionSchema& schema, QWidget* parent = nullptr);

    /// Current values of every option, typed as the schema says.
    nlohmann::json values() const;
    /// Sets the widgets from `values` (missing keys keep their value; unknown keys are ignored).
    void setValues(const nlohmann::json& values);
    void resetToDefaults() { setValues(schema_.defaults()); }
    /// Disables the options that are fixed once a run exists (e.g. model resolution).
    void setResumeLocked(bool locked);
    /// The widget editing `key`, or null (for tests and for pages that wire extra behaviour).
    QWidget* editorFor(const std::string& key) const;

  Q_SIGNALS:
    void valuesChanged();

  private:
    QWidget* createEditor(const OptionSpec& spec);
    const OptionSchema& schema_;
    std::map<std::string, QWidget*> editors_;
};

}  // namespace doppel::ui
