#pragma once
// Workspaces made through the real CLI for the integration tests (GoogleTest: a failed command
// is a test failure naming it).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/TestSupport.h"

namespace doppel::test {

/// A workspace `scratch`/ws made with the CLI: `src` and `dst` as inputs, both sides extracted
/// with `extractArgs` (e.g. "--set end=2"), then the sides in `alignSides` ("src", "dst", "src
/// dst") aligned with `alignArgs`. Failures are reported as test failures naming the command.
inline std::filesystem::path cliWorkspace(const std::filesystem::path& scratch,
                                          const std::filesystem::path& src,
                                          const std::filesystem::path& dst,
                                          const std::string& extractArgs,
                                          const std::string& alignSides,
                                          const std::string& alignArgs = "") {
    const std::filesystem::path ws = scratch / "ws";
    auto run = [&](const std::string& arguments) {
        const CliRun done = runCli(scratch, arguments);
        EXPECT_EQ(done.exitCode, 0) << "doppel " << arguments << "\n" << done.output();
    };
    run("new --workspace " + quoted(ws) + " --src " + quoted(src) + " --dst " + quoted(dst));
    for (const char* side : {"src", "dst"})
        run("extract --workspace " + quoted(ws) + " --side " + side + " " + extractArgs);
    for (const char* side : {"src", "dst"})
        if (alignSides.find(side) != std::string::npos)
            run("align --workspace " + quoted(ws) + " --side " + side + " " + alignArgs);
    return ws;
}

}  // namespace doppel::test
