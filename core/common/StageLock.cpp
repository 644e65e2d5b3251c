#include "common/StageLock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/Error.h"

namespace doppel {
namespace fs = std::filesystem;

namespace {

struct flock wholeFile(short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;  // to the end, however long
    return lock;
}

}  // namespace

StageLock::StageLock(const fs::path& lockFile, const std::string& what) {
    std::error_code ec;
    fs::create_directories(lockFile.parent_path(), ec);
    fd_ = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Error(ErrorCode::Io,
                    "cannot open " + lockFile.string() + ": " + std::strerror(errno));
    struct flock lock = wholeFile(F_WRLCK);
    if (::fcntl(fd_, F_OFD_SETLK, &lock) == 0) {
        // Who holds it, for the message another process gets.
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
            // The pid is only for the message: the lock is what counts.
        }
        return;
    }
    const int why = errno;
    char holder[32] = {0};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (why != EAGAIN && why != EACCES)
        throw Error(ErrorCode::Io, "cannot lock " + lockFile.string() + ": " + std::strerror(why));
    std::string pid(holder, n > 0 ? size_t(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw Error(ErrorCode::Busy, what + " is being run by another process" +
                                     (pid.empty() ? std::string() : " (pid " + pid + ")") +
                                     ": wait for it to finish, or stop it");
}

StageLock::~StageLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the description releases the lock
}

bool StageLock::isHeld(const fs::path& lockFile) {
    const int fd = ::open(lockFile.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // never locked here
    struct flock probe = wholeFile(F_WRLCK);
    const bool held = ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

}  // namespace doppel
