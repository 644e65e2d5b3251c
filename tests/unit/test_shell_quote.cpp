// Paths in suggested commands (common/ShellQuote): safe words stay as they are, anything else
// becomes one single-quoted shell word that a POSIX shell reads back unchanged.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "common/ShellQuote.h"

using doppel::shellQuoted;

namespace {

/// What /bin/sh makes of `word`: printf's argument after the shell's parsing.
std::string throughTheShell(const std::string& word) {
    FILE* pipe = popen(("printf %s " + word).c_str(), "r");
    std::string out;
    char buffer[256];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    if (pipe) pclose(pipe);
    return out;
}

}  // namespace

TEST(ShellQuote, SafeWordsStayAndOthersComeBackUnchanged) {
    EXPECT_EQ(shellQuoted("/tmp/ws-1/model_a.b"), "/tmp/ws-1/model_a.b");
    EXPECT_EQ(shellQuoted("sp ace"), "'sp ace'");
    EXPECT_EQ(shellQuoted(""), "''");
    for (const std::string text : {"sp ace/wörk", "it's", "a\"b$HOME`x`", "semi;colon", "-"})
        EXPECT_EQ(throughTheShell(shellQuoted(text)), text) << text;
}
