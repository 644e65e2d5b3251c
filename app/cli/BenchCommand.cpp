// doppel bench <name> [options]: dispatches to the benchmarks registered in BenchRegistry.h.
#include <iostream>

#include "cli/BenchRegistry.h"
#include "cli/CommandRegistry.h"

namespace doppel::cli {
namespace {
std::vector<BenchEntry>& entries() {
    static std::vector<BenchEntry> list;
    return list;
}

int runBench(const CliArgs& args) {
    if (args.positional().empty()) throw UsageError("which benchmark? (see doppel bench --help)");
    const std::string& name = args.positional()[0];
    for (const auto& e : entries())
        if (e.name == name) return e.run(args);
    throw UsageError("unknown benchmark '" + name + "'");
}

std::string benchUsage() {
    std::string text =
        "usage: doppel bench <name> [options]\n\nPrints figures (frames/s, ms per step) with the "
        "machine described.\n\nbenchmarks:\n";
    for (const auto& e : entries()) text += "  " + e.name + "  " + e.summary + "\n";
    return text;
}

const bool registered =
    registerCommand({"bench",
                     "run a benchmark (align, merge) and print figures",
                     "usage: doppel bench align|merge [--threads N] [--frames N] [--out DIR]\n",
                     {},
                     runBench});
}  // namespace

bool registerBench(BenchEntry entry) {
    entries().push_back(std::move(entry));
    return true;
}

const std::vector<BenchEntry>& registeredBenches() {
    return entries();
}

}  // namespace doppel::cli
