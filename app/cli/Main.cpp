// doppel: the command-line face-swap pipeline. Every command drives the same stages as the
// studio GUI, on the same workspace. Exit codes: 0 ok, 1 failed, 2 bad usage, 130 cancelled.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/CliSupport.h"
#include "cli/CommandRegistry.h"
#include "common/Error.h"

namespace {

void printHelp() {
    std::cout << "doppel " DOPPEL_VERSION " - face-swap studio (command line)\n\n"
              << "usage: doppel <command> [options]     doppel <command> --help\n\n"
              << "commands:\n";
    for (const auto& c : doppel::cli::registeredCommands()) {
        std::string name = c.name;
        name.resize(std::max<size_t>(10, name.size() + 2), ' ');
        std::cout << "  " << name << c.summary << "\n";
    }
#ifdef DOPPEL_CLI_ENGINE_ONLY
    std::cout << "\nEngine-only build (for a GPU host): training only; extract, align, pack, "
                 "merge and export\nrun in the full build on the same workspace.\n";
#endif
    std::cout
        << "\nOnly use faces you have consent to use. Exports are labelled as synthetic media.\n";
}

}  // namespace

int main(int argc, char** argv) {
    using namespace doppel::cli;
    std::vector<std::string> words(argv + 1, argv + argc);
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        printHelp();
        return words.empty() ? 2 : 0;
    }
    if (words[0] == "--version") {
        std::cout << "doppel " DOPPEL_VERSION "\n";
        return 0;
    }
    const CliCommand* command = nullptr;
    for (const auto& c : registeredCommands())
        if (c.name == words[0]) command = &c;
    if (!command) {
        std::cerr << "doppel: unknown command '" << words[0] << "' (see doppel --help)\n";
#ifdef DOPPEL_CLI_ENGINE_ONLY
        std::cerr << "This is the engine-only build, for training on a GPU host: it has `train`. "
                     "Run the other stages with the full build, on a copy of the same "
                     "workspace (docs/training.md, \"Training on another machine\").\n";
#endif
        return 2;
    }
    std::vector<std::string> rest(words.begin() + 1, words.end());
    for (const auto& w : rest)
        if (w == "--help" || w == "-h") {
            std::cout << command->usage;
            return 0;
        }
    installInterruptHandler();
    try {
        CliArgs args(rest, command->flags);
        return command->run(args);
    } catch (const UsageError& e) {
        // The error and the usage lines only: the whole help (options of a stage included)
        // would bury the one line that says what is wrong.
        std::string usage = command->usage.substr(0, command->usage.find("\n\n"));
        std::cerr << "doppel " << command->name << ": " << e.what() << "\n"
                  << usage << "\n(doppel " << command->name << " --help for the options)\n";
        return 2;
    } catch (const doppel::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return e.code() == doppel::ErrorCode::BadOption ? 2 : 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
