#pragma once
// Command-line arguments of one `doppel <command>`: "--key value", "--flag", repeatable
// "--set key=value", and positional words. Unknown or unused options, stray words and an option
// given twice with different values are usage errors (exit 2); a switch also takes
// --flag=true|false.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace doppel::cli {

/// Thrown for bad usage; main() prints it with the command's usage and exits with 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class CliArgs {
  public:
    /// `flags` are the options that take no value (e.g. "estimate", "help").
    CliArgs(const std::vector<std::string>& words, const std::set<std::string>& flags);

    /// Given (a switch: given and not written =false).
    bool has(const std::string& key) const;
    /// A switch written --key=false (or =no/off/0): off on purpose, e.g. for one that is on by
    /// default.
    bool switchedOff(const std::string& key) const;
    std::string value(const std::string& key, const std::string& fallback = "") const;
    /// Throws UsageError when missing.
    std::string required(const std::string& key) const;
    long long intValue(const std::string& key, long long fallback) const;
    double doubleValue(const std::string& key, double fallback) const;
    /// Every value given for a repeatable option (e.g. "set").
    std::vector<std::string> all(const std::string& key) const;
    /// The words that are not options (a command that asks for them takes them).
    const std::vector<std::string>& positional() const;
    /// Throws UsageError naming the first option no accessor asked for, or the first word
    /// when the command never asked for positional words.
    void rejectUnused() const;

    /// "true"/"yes"/"on"/"1" or "false"/"no"/"off"/"0"; nothing for anything else.
    static std::optional<bool> switchValue(const std::string& text);

  private:
    std::multimap<std::string, std::string> options_;
    std::vector<std::string> positional_;
    std::set<std::string> switchedOff_;
    mutable std::set<std::string> used_;
    mutable bool positionalUsed_ = false;
};

}  // namespace doppel::cli
