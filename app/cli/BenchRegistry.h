#pragma once
// `doppel bench <name>`: benchmarks that print figures (not timed tests). Each lives in its own
// file (BenchAlign.cpp, BenchMerge.cpp, ...) and registers itself like a command.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli/CliArgs.h"

namespace doppel::cli {

struct BenchEntry {
    std::string name;
    std::string summary;
    std::function<int(const CliArgs&)> run;
};

bool registerBench(BenchEntry entry);

/// The clip a benchmark measures: --video FILE, or the bundled GRID clip (tests/data, or
/// $DOPPEL_TEST_DATA). Throws UsageError when it is not there.
std::filesystem::path benchVideo(const CliArgs& args);
const std::vector<BenchEntry>& registeredBenches();

}  // namespace doppel::cli
