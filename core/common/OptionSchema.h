#pragma once
// Options are described in one place (key, type, range, default, help) so that the CLI's
// `--set key=value`, its help text, project.json and the GUI's option forms all come from the
// same description. A stage's Options struct is filled from the resolved JSON values.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace doppel {

enum class OptionType { Bool, Int, Float, String, Choice };

struct OptionSpec {
    std::string key;
    OptionType type = OptionType::String;
    nlohmann::json defaultValue;
    double minValue = 0;               ///< Int/Float only
    double maxValue = 0;               ///< Int/Float only; min == max means unbounded
    std::vector<std::string> choices;  ///< Choice only
    std::string help;
    bool changeableOnResume = true;  ///< false: fixed once a model/run exists (e.g. resolution)
    std::string group;               ///< for grouping in forms ("Model", "Training", ...)
};

class OptionSchema {
  public:
    OptionSchema& add(OptionSpec spec);
    OptionSchema& addBool(const std::string& key, bool def, const std::string& help);
    OptionSchema& addInt(const std::string& key, long long def, long long min, long long max,
                         const std::string& help);
    OptionSchema& addFloat(const std::string& key, double def, double min, double max,
                           const std::string& help);
    OptionSchema& addString(const std::string& key, const std::string& def,
                            const std::string& help);
    OptionSchema& addChoice(const std::string& key, const std::string& def,
                            std::vector<std::string> choices, const std::string& help);
    /// Marks the last added option as fixed once a run exists.
    OptionSchema& fixedOnResume();
    /// Sets the group of the last added option.
    OptionSchema& inGroup(const std::string& group);

    const std::vector<OptionSpec>& specs() const { return specs_; }
    const OptionSpec* find(const std::string& key) const;

    nlohmann::json defaults() const;
    /// Parses the text of one value by its spec's type; throws Error(BadOption) naming the key.
    nlohmann::json parseValue(const std::string& key, const std::string& text) const;
    /// Applies "key=value" to `values`.
    void applyAssignment(nlohmann::json& values, const std::string& assignment) const;
    /// Defaults overlaid with `given`; checks types and ranges; unknown keys are an error.
    nlohmann::json resolve(const nlohmann::json& given) const;
    /// Checks a change of options on resume; throws Error(BadOption) listing the fixed keys
    /// changed.
    void checkResumeChange(const nlohmann::json& saved, const nlohmann::json& requested) const;
    /// Lines of "  key (type, default X, range): help" for --help.
    std::string helpText() const;

  private:
    void validate(const OptionSpec& spec, const nlohmann::json& value) const;
    std::vector<OptionSpec> specs_;
};

const char* optionTypeName(OptionType type);

}  // namespace doppel
