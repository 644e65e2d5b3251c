#pragma once
// Shared helpers for the test executables: where the committed fixtures are, a fresh scratch
// folder per test, and the path of the doppel CLI (set by CTest, see tests/CMakeLists.txt).
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
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

inline std::string readWholeFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A path in single quotes, for the shell command lines runCli takes.
inline std::string quoted(const std::filesystem::path& path) {
    return "'" + path.string() + "'";
}

/// What a run of the CLI printed, and how it ended.
struct CliRun {
    int exitCode = -1;  ///< -1 when it did not exit normally (a crash)
    std::string out;    ///< stdout
    std::string err;    ///< stderr
    std::string output() const { return out + err; }
};

/// Runs `doppel ARGUMENTS` through the shell (quote paths in ARGUMENTS), with `env` (e.g.
/// "DOPPEL_X=1") in front; its stdout and stderr go through files in `scratch`.
inline CliRun runCli(const std::filesystem::path& scratch, const std::string& arguments,
                     const std::string& env = "") {
    const auto out = scratch / "cli.out", err = scratch / "cli.err";
    const std::string command = env + " '" + cliPath().string() + "' " + arguments + " > '" +
                                out.string() + "' 2> '" + err.string() + "'";
    const int status = std::system(command.c_str());
    CliRun run;
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = readWholeFile(out);
    run.err = readWholeFile(err);
    return run;
}

}  // namespace doppel::test
