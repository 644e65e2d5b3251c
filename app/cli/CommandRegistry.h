#pragma once
// Each CLI command lives in its own file and registers itself at start-up:
//   static const bool registered = registerCommand({"extract", "Extract frames", usage, run});
// The sources are compiled straight into the doppel executable (not a static library), so the
// registrations are never dropped by the linker.
#include <functional>
#include <string>
#include <vector>

#include "cli/CliArgs.h"

namespace doppel::cli {

struct CliCommand {
    std::string name;
    std::string summary;                     ///< one line for `doppel --help`
    std::string usage;                       ///< full help for `doppel <name> --help`
    std::set<std::string> flags;             ///< options that take no value
    std::function<int(const CliArgs&)> run;  ///< returns the exit code
};

bool registerCommand(CliCommand command);
const std::vector<CliCommand>& registeredCommands();

}  // namespace doppel::cli
