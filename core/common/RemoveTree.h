#pragma once
// Recursive delete that does not go through std::filesystem::remove_all.
// Why: pip's LibTorch (2.x) exports its own copy of libstdc++'s filesystem symbols, and when a
// program links it, remove_all resolves into libtorch.so and crashes there (seen with torch
// 2.11 + CUDA 13: a call through a null pointer). POSIX nftw has no such clash.
#include <filesystem>

namespace doppel {

/// Deletes `path` and everything under it (symbolic links are removed, not followed).
/// Returns false and leaves the rest in place when an entry cannot be removed; a missing path
/// counts as removed.
bool removeTree(const std::filesystem::path& path);

}  // namespace doppel
