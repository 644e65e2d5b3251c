#include "cli/CommandRegistry.h"

#include <algorithm>

namespace doppel::cli {
namespace {
std::vector<CliCommand>& commands() {
    static std::vector<CliCommand> list;
    return list;
}
// Order of `doppel --help`: the pipeline order, then the rest alphabetically.
int rank(const std::string& name) {
    static const std::vector<std::string> order = {"new",   "extract", "align",  "pack", "train",
                                                   "merge", "export",  "verify", "bench"};
    auto it = std::find(order.begin(), order.end(), name);
    return it == order.end() ? int(order.size()) : int(it - order.begin());
}
}  // namespace

bool registerCommand(CliCommand command) {
    auto& list = commands();
    list.push_back(std::move(command));
    std::stable_sort(list.begin(), list.end(), [](const CliCommand& a, const CliCommand& b) {
        int ra = rank(a.name), rb = rank(b.name);
        return ra != rb ? ra < rb : a.name < b.name;
    });
    return true;
}

const std::vector<CliCommand>& registeredCommands() {
    return commands();
}

}  // namespace doppel::cli
