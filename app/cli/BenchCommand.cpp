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
                     "usage: doppel bench align [--threads N] [--frames N] [--video FILE] [--out "
                     "DIR]\n"
                     "       doppel bench merge [--workspace DIR [--model NAME]] [--video FILE] "
                     "[--frames N] [--out DIR]\n\n"
                     "The default clip is tests/data/video/grid_s2_150f.mp4 from the repository "
                     "root\n(or $DOPPEL_TEST_DATA/video/...). Figures, not pass/fail.\n",
                     {},
                     runBench});
}  // namespace

std::filesystem::path benchVideo(const CliArgs& args) {
    const char* dataEnv = std::getenv("DOPPEL_TEST_DATA");
    const std::filesystem::path video =
        args.value("video", ((dataEnv && *dataEnv ? std::filesystem::path(dataEnv)
                                                  : std::filesystem::path("tests/data")) /
                             "video/grid_s2_150f.mp4")
                                .string());
    if (!std::filesystem::exists(video))
        throw UsageError(video.string() +
                         " not found: run from the repository root, set DOPPEL_TEST_DATA, or pass "
                         "--video FILE");
    return video;
}

bool registerBench(BenchEntry entry) {
    entries().push_back(std::move(entry));
    return true;
}

const std::vector<BenchEntry>& registeredBenches() {
    return entries();
}

}  // namespace doppel::cli
