#include "common/ShellQuote.h"

#include <cctype>
#include <cstring>

namespace doppel {

std::string shellQuoted(const std::string& text) {
    bool safe = !text.empty();
    for (unsigned char c : text)
        if (!std::isalnum(c) && !std::strchr("_-./=:,+@%", c)) safe = false;
    if (safe) return text;
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

}  // namespace doppel
