#include "common/OptionSchema.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/Error.h"

namespace doppel {

const char* optionTypeName(OptionType type) {
    switch (type) {
        case OptionType::Bool:
            return "bool";
        case OptionType::Int:
            return "int";
        case OptionType::Float:
            return "float";
        case OptionType::String:
            return "string";
        case OptionType::Choice:
            return "choice";
    }
    return "";
}

OptionSchema& OptionSchema::add(OptionSpec spec) {
    if (find(spec.key)) throw Error(ErrorCode::Internal, "option declared twice: " + spec.key);
    specs_.push_back(std::move(spec));
    return *this;
}

OptionSchema& OptionSchema::addBool(const std::string& key, bool def, const std::string& help) {
    OptionSpec s;
    s.key = key, s.type = OptionType::Bool, s.defaultValue = def, s.help = help;
    return add(std::move(s));
}

OptionSchema& OptionSchema::addInt(const std::string& key, long long def, long long min,
                                   long long max, const std::string& help) {
    OptionSpec s;
    s.key = key, s.type = OptionType::Int, s.defaultValue = def, s.minValue = double(min),
    s.maxValue = double(max);
    s.help = help;
    return add(std::move(s));
}

OptionSchema& OptionSchema::addFloat(const std::string& key, double def, double min, double max,
                                     const std::string& help) {
    OptionSpec s;
    s.key = key, s.type = OptionType::Float, s.defaultValue = def, s.minValue = min,
    s.maxValue = max;
    s.help = help;
    return add(std::move(s));
}

OptionSchema& OptionSchema::addString(const std::string& key, const std::string& def,
                                      const std::string& help) {
    OptionSpec s;
    s.key = key, s.type = OptionType::String, s.defaultValue = def, s.help = help;
    return add(std::move(s));
}

OptionSchema& OptionSchema::addChoice(const std::string& key, const std::string& def,
                                      std::vector<std::string> choices, const std::string& help) {
    OptionSpec s;
    s.key = key, s.type = OptionType::Choice, s.defaultValue = def, s.choices = std::move(choices),
    s.help = help;
    return add(std::move(s));
}

OptionSchema& OptionSchema::fixedOnResume() {
    if (!specs_.empty()) specs_.back().changeableOnResume = false;
    return *this;
}

OptionSchema& OptionSchema::inGroup(const std::string& group) {
    if (!specs_.empty()) specs_.back().group = group;
    return *this;
}

const OptionSpec* OptionSchema::find(const std::string& key) const {
    for (const auto& s : specs_)
        if (s.key == key) return &s;
    return nullptr;
}

nlohmann::json OptionSchema::defaults() const {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& s : specs_) values[s.key] = s.defaultValue;
    return values;
}

nlohmann::json OptionSchema::parseValue(const std::string& key, const std::string& text) const {
    const OptionSpec* spec = find(key);
    if (!spec) throw Error(ErrorCode::BadOption, "unknown option '" + key + "'");
    auto bad = [&](const std::string& why) {
        return Error(ErrorCode::BadOption,
                     "option '" + key + "': " + why + " (got '" + text + "')");
    };
    nlohmann::json value;
    switch (spec->type) {
        case OptionType::Bool: {
            std::string t = text;
            std::transform(t.begin(), t.end(), t.begin(), ::tolower);
            if (t == "1" || t == "true" || t == "yes" || t == "on")
                value = true;
            else if (t == "0" || t == "false" || t == "no" || t == "off")
                value = false;
            else
                throw bad("expected true or false");
            break;
        }
        case OptionType::Int: {
            size_t used = 0;
            long long v = 0;
            try {
                v = std::stoll(text, &used);
            } catch (...) {
                throw bad("expected an integer");
            }
            if (used != text.size()) throw bad("expected an integer");
            value = v;
            break;
        }
        case OptionType::Float: {
            size_t used = 0;
            double v = 0;
            try {
                v = std::stod(text, &used);
            } catch (...) {
                throw bad("expected a number");
            }
            if (used != text.size() || !std::isfinite(v)) throw bad("expected a number");
            value = v;
            break;
        }
        case OptionType::String:
        case OptionType::Choice:
            value = text;
            break;
    }
    validate(*spec, value);
    return value;
}

void OptionSchema::applyAssignment(nlohmann::json& values, const std::string& assignment) const {
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw Error(ErrorCode::BadOption, "expected key=value, got '" + assignment + "'");
    std::string key = assignment.substr(0, eq);
    values[key] = parseValue(key, assignment.substr(eq + 1));
}

void OptionSchema::validate(const OptionSpec& spec, const nlohmann::json& value) const {
    auto bad = [&](const std::string& why) {
        return Error(ErrorCode::BadOption, "option '" + spec.key + "': " + why);
    };
    switch (spec.type) {
        case OptionType::Bool:
            if (!value.is_boolean()) throw bad("expected true or false");
            return;
        case OptionType::Int:
        case OptionType::Float: {
            if (!value.is_number()) throw bad("expected a number");
            if (spec.type == OptionType::Int && !value.is_number_integer())
                throw bad("expected an integer");
            double v = value.get<double>();
            if (spec.minValue != spec.maxValue && (v < spec.minValue || v > spec.maxValue)) {
                std::ostringstream os;
                os << "value " << v << " out of range [" << spec.minValue << ", " << spec.maxValue
                   << "]";
                throw bad(os.str());
            }
            return;
        }
        case OptionType::String:
            if (!value.is_string()) throw bad("expected text");
            return;
        case OptionType::Choice: {
            if (!value.is_string()) throw bad("expected one of the choices");
            auto v = value.get<std::string>();
            if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
                std::string list;
                for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
                throw bad("'" + v + "' is not one of: " + list);
            }
            return;
        }
    }
}

nlohmann::json OptionSchema::resolve(const nlohmann::json& given) const {
    nlohmann::json values = defaults();
    if (given.is_null()) return values;
    if (!given.is_object()) throw Error(ErrorCode::BadOption, "options must be a JSON object");
    for (auto it = given.begin(); it != given.end(); ++it) {
        const OptionSpec* spec = find(it.key());
        if (!spec) throw Error(ErrorCode::BadOption, "unknown option '" + it.key() + "'");
        nlohmann::json v = it.value();
        // Accept an integer where a float is expected (JSON written by hand).
        if (spec->type == OptionType::Float && v.is_number()) v = v.get<double>();
        validate(*spec, v);
        values[it.key()] = v;
    }
    return values;
}

void OptionSchema::checkResumeChange(const nlohmann::json& saved,
                                     const nlohmann::json& requested) const {
    std::string changed;
    for (const auto& s : specs_) {
        if (s.changeableOnResume) continue;
        if (saved.contains(s.key) && requested.contains(s.key) && saved[s.key] != requested[s.key])
            changed += (changed.empty() ? "" : ", ") + s.key + " (" + saved[s.key].dump() + " -> " +
                       requested[s.key].dump() + ")";
    }
    if (!changed.empty())
        throw Error(ErrorCode::BadOption,
                    "these options are fixed once a model exists and cannot change on resume: " +
                        changed + "; start a new model to use other values");
}

std::string OptionSchema::helpText() const {
    std::ostringstream os;
    for (const auto& s : specs_) {
        os << "  " << s.key << " (" << optionTypeName(s.type) << ", default "
           << s.defaultValue.dump();
        if ((s.type == OptionType::Int || s.type == OptionType::Float) && s.minValue != s.maxValue)
            os << ", " << s.minValue << ".." << s.maxValue;
        if (s.type == OptionType::Choice) {
            os << ", one of";
            for (const auto& c : s.choices) os << " " << c;
        }
        if (!s.changeableOnResume) os << ", fixed on resume";
        os << ")\n      " << s.help << "\n";
    }
    return os.str();
}

}  // namespace doppel
