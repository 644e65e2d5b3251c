#include "cli/CliArgs.h"

namespace doppel::cli {

CliArgs::CliArgs(const std::vector<std::string>& words, const std::set<std::string>& flags) {
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w.rfind("--", 0) != 0 || w.size() == 2) {
            positional_.push_back(w);
            continue;
        }
        std::string key = w.substr(2), value;
        auto eq = key.find('=');
        if (eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
            if (flags.count(key)) {
                // A switch written with a value: --visible-label=false must switch it off.
                const std::optional<bool> on = switchValue(value);
                if (!on)
                    throw UsageError("--" + key + " is a switch: give --" + key + ", or --" + key +
                                     "=true|false (got '" + value + "')");
                if (!*on) {  // as if not given, but remembered for a switch on by default
                    switchedOff_.insert(key);
                    continue;
                }
                value = "true";
            }
        } else if (flags.count(key)) {
            value = "true";
        } else {
            if (i + 1 >= words.size())
                throw UsageError("option --" + key +
                                 " needs a value (or is not an option of this command)");
            value = words[++i];
        }
        options_.emplace(key, value);
    }
}

bool CliArgs::switchedOff(const std::string& key) const {
    used_.insert(key);
    return switchedOff_.count(key) > 0;
}

bool CliArgs::has(const std::string& key) const {
    used_.insert(key);
    return options_.count(key) > 0;
}

std::string CliArgs::value(const std::string& key, const std::string& fallback) const {
    used_.insert(key);
    auto range = options_.equal_range(key);
    if (range.first == range.second) return fallback;
    // Given twice with different values (--side src --side dst): which one was meant is not
    // for the program to guess.
    for (auto it = range.first; it != range.second; ++it)
        if (it->second != range.first->second)
            throw UsageError("--" + key + " given more than once ('" + range.first->second +
                             "' and '" + it->second + "')");
    return range.first->second;
}

const std::vector<std::string>& CliArgs::positional() const {
    positionalUsed_ = true;
    return positional_;
}

std::string CliArgs::required(const std::string& key) const {
    if (!has(key)) throw UsageError("missing --" + key);
    return value(key);
}

long long CliArgs::intValue(const std::string& key, long long fallback) const {
    if (!has(key)) return fallback;
    std::string v = value(key);
    try {
        size_t used = 0;
        long long n = std::stoll(v, &used);
        if (used == v.size()) return n;
    } catch (...) {
    }
    throw UsageError("--" + key + " expects an integer, got '" + v + "'");
}

double CliArgs::doubleValue(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    std::string v = value(key);
    try {
        size_t used = 0;
        double n = std::stod(v, &used);
        if (used == v.size()) return n;
    } catch (...) {
    }
    throw UsageError("--" + key + " expects a number, got '" + v + "'");
}

std::vector<std::string> CliArgs::all(const std::string& key) const {
    used_.insert(key);
    std::vector<std::string> out;
    auto range = options_.equal_range(key);
    for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
    return out;
}

void CliArgs::rejectUnused() const {
    for (const auto& [key, value] : options_)
        if (!used_.count(key)) throw UsageError("unknown option --" + key);
    if (!positionalUsed_ && !positional_.empty())
        throw UsageError("unexpected argument '" + positional_.front() + "'");
}

std::optional<bool> CliArgs::switchValue(const std::string& text) {
    for (const char* yes : {"true", "yes", "on", "1"})
        if (text == yes) return true;
    for (const char* no : {"false", "no", "off", "0"})
        if (text == no) return false;
    return std::nullopt;
}

}  // namespace doppel::cli
