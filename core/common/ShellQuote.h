#pragma once
// Paths in the commands Doppel suggests ("next: doppel extract --workspace ...") are pasted into
// a shell: one with a space, a quote or a non-ASCII letter must come out as one word.
#include <string>

namespace doppel {

/// `text` as one POSIX shell word: unchanged when it holds only safe characters (letters,
/// digits, _ - . / = : , + @ %), else in single quotes with each ' written as '\''.
std::string shellQuoted(const std::string& text);

}  // namespace doppel
