#include "common/FolderSwap.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/Error.h"
#include "common/RemoveTree.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

fs::path withSuffix(const fs::path& target, const char* suffix) {
    return target.parent_path() / (target.filename().string() + suffix);
}

fs::path oldFolder(const fs::path& target) {
    return withSuffix(target, ".old");
}

/// Makes the renames in `dir` durable (a power cut after commit must not bring the old back).
void syncFolder(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

void renameOrThrow(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec)
        throw Error(ErrorCode::Io,
                    "cannot rename " + from.string() + " to " + to.string() + ": " + ec.message());
}

}  // namespace

fs::path stagingFolder(const fs::path& target) {
    return withSuffix(target, ".new");
}

void recoverFolderSwap(const fs::path& target) {
    std::error_code ec;
    const fs::path staging = stagingFolder(target), old = oldFolder(target);
    if (!fs::exists(target, ec) && fs::is_directory(staging, ec) && fs::exists(old, ec)) {
        renameOrThrow(staging, target);  // killed between the two renames: the new content is whole
        syncFolder(target.parent_path());
    }
    if (fs::exists(staging, ec)) removeTree(staging);  // a swap that never finished writing
    if (fs::exists(old, ec)) removeTree(old);
}

fs::path startFolderSwap(const fs::path& target) {
    recoverFolderSwap(target);
    const fs::path staging = stagingFolder(target);
    std::error_code ec;
    fs::create_directories(staging, ec);
    if (ec) throw Error(ErrorCode::Io, "cannot create " + staging.string() + ": " + ec.message());
    return staging;
}

void commitFolderSwap(const fs::path& target) {
    const fs::path staging = stagingFolder(target), old = oldFolder(target);
    std::error_code ec;
    syncFolder(staging);
    const bool hadTarget = fs::exists(target, ec);
    if (hadTarget) renameOrThrow(target, old);
    renameOrThrow(staging, target);
    syncFolder(target.parent_path());
    if (hadTarget) removeTree(old);
}

void abandonFolderSwap(const fs::path& target) {
    std::error_code ec;
    const fs::path staging = stagingFolder(target);
    if (fs::exists(staging, ec)) removeTree(staging);
}

}  // namespace doppel
