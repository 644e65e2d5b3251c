#pragma once
// Shared helpers for the test executables: where the committed fixtures are, a fresh scratch
// folder per test, and the path of the doppel CLI (set by CTest, see tests/CMakeLists.txt).
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "common/RemoveTree.h"

namespace doppel::test {

inline std::filesystem::path envPath(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return std::filesystem::path(value && *value ? value : fallback);
}

/// tests/data, the committed fixtures (real faces, a few MB, see tests/data/ATTRIBUTION.md).
inline std::filesystem::path dataDir() {
    return envPath("DOPPEL_TEST_DATA", "tests/data");
}
inline std::filesystem::path dataFile(const std::string& relative) {
    return dataDir() / relative;
}

/// A new empty folder under the build tree's test-tmp, named after the test.
inline std::filesystem::path scratchDir(const std::string& name) {
    auto dir = envPath("DOPPEL_TEST_TMP", "/tmp/doppel-test") / name;
    removeTree(dir);  // not std::filesystem::remove_all: see common/RemoveTree.h
    std::filesystem::create_directories(dir);
    return dir;
}

/// The doppel executable, for tests that drive the real CLI.
inline std::filesystem::path cliPath() {
    return envPath("DOPPEL_CLI", "doppel");
}

}  // namespace doppel::test
