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
        // Who holds it, for the message another process gets: "pid what".
        const std::string holder = std::to_string(::getpid()) + " " + what + "\n";
        if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, holder.data(), holder.size(), 0) < 0) {
            // The holder is only for the message: the lock is what counts.
        }
        return;
    }
    const int why = errno;
    char text[256] = {0};
    const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (why != EAGAIN && why != EACCES)
        throw Error(ErrorCode::Io, "cannot lock " + lockFile.string() + ": " + std::strerror(why));
    std::string holder(text, n > 0 ? size_t(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    const size_t space = holder.find(' ');
    const std::string pid = holder.substr(0, space);
    const std::string running = space == std::string::npos ? what : holder.substr(space + 1);
    std::string message = running + " is being run by another process" +
                          (pid.empty() ? std::string() : " (pid " + pid + ")");
    if (running != what) message += ", and " + what + " cannot run beside it";
    throw Error(ErrorCode::Busy, message + ": wait for it to finish, or stop it");
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
