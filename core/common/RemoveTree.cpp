#include "common/RemoveTree.h"

#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

namespace doppel {
namespace {

int removeEntry(const char* path, const struct stat*, int, struct FTW*) {
    // Depth-first (FTW_DEPTH): a folder is visited after its contents, so remove() succeeds.
    return std::remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

}  // namespace

bool removeTree(const std::filesystem::path& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return errno == ENOENT;
    return nftw(path.c_str(), removeEntry, 32, FTW_DEPTH | FTW_PHYS) == 0;
}

}  // namespace doppel
