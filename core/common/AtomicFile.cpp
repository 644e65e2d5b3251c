#include "common/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/Error.h"
#include "common/Log.h"

namespace fs = std::filesystem;

namespace doppel {
namespace {

std::string systemError(const std::string& what, const fs::path& path, int err) {
    std::string reason = std::strerror(err);
    if (err == ENOSPC) reason = "no space left on device";
    return what + " " + path.string() + ": " + reason;
}

void fsyncPath(const fs::path& path, int flags) {
    int fd = ::open(path.c_str(), flags);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

void writeFileAtomic(const fs::path& path, std::string_view bytes, bool keepBackup) {
    fs::path tmp = path;
    tmp += ".tmp";
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
    }
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(ErrorCode::Io, systemError("cannot write", tmp, errno));
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw Error(ErrorCode::Io, systemError("cannot write", path, err));
        }
        written += size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw Error(ErrorCode::Io, systemError("cannot flush", path, err));
    }
    if (keepBackup && fs::exists(path)) {
        fs::path bak = path;
        bak += ".bak";
        std::error_code ec;
        fs::copy_file(path, bak, fs::copy_options::overwrite_existing, ec);
    }
    commitFile(tmp, path);
}

void commitFile(const fs::path& tmpPath, const fs::path& finalPath) {
    fsyncPath(tmpPath, O_RDONLY);
    if (::rename(tmpPath.c_str(), finalPath.c_str()) != 0) {
        int err = errno;
        throw Error(ErrorCode::Io, systemError("cannot rename into", finalPath, err));
    }
    fsyncPath(finalPath.has_parent_path() ? finalPath.parent_path() : fs::path("."),
              O_RDONLY | O_DIRECTORY);
}

void writeJsonAtomic(const fs::path& path, const nlohmann::json& value, bool keepBackup) {
    writeFileAtomic(path, value.dump(2) + "\n", keepBackup);
}

std::string readFileBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (!fs::exists(path)) throw Error(ErrorCode::NotFound, "file not found: " + path.string());
        throw Error(ErrorCode::Io, "cannot read " + path.string());
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

nlohmann::json readJsonFile(const fs::path& path) {
    auto parse = [](const fs::path& p) { return nlohmann::json::parse(readFileBytes(p)); };
    fs::path bak = path;
    bak += ".bak";
    try {
        return parse(path);
    } catch (const std::exception& e) {
        if (fs::exists(bak)) {
            nlohmann::json backup = parse(bak);
            // Said, not silent: the backup is the state before the last write, so the newest
            // change (a stage's status, an option) may be missing from it.
            logWarning(path.string() + " is unreadable (" + e.what() + "); using its backup " +
                       bak.string() + ", which may miss the last change");
            return backup;
        }
        if (dynamic_cast<const Error*>(&e)) throw;
        throw Error(ErrorCode::InvalidInput, "corrupt JSON in " + path.string() + ": " + e.what());
    }
}

}  // namespace doppel
