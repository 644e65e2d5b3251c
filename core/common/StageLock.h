#pragma once
// One process at a time per stage of a workspace. Two runs of the same stage (a `doppel train`
// in a terminal while the studio trains the same model, two aligns of one side) overwrite each
// other's files: one run's work is silently lost, or a mix of both is left. Each stage run holds
// an exclusive lock on a small file (workspace/.locks/<stage>.lock, an open-file-description
// lock: per open file, like flock); the kernel releases it when the process ends, however it
// ends, so a killed run never leaves a stale lock. The same lock tells `doppel status` and the
// studio whether a stage recorded as "running" still runs, or was interrupted.
#include <filesystem>
#include <string>

namespace doppel {

class StageLock {
  public:
    /// Takes the lock on `lockFile` (its folder is created). Throws Error(Busy) naming `what`
    /// and the process that holds it, or Error(Io).
    StageLock(const std::filesystem::path& lockFile, const std::string& what);
    ~StageLock();
    StageLock(const StageLock&) = delete;
    StageLock& operator=(const StageLock&) = delete;

    /// Whether some process (this one included) holds the lock on `lockFile` now. Only tests:
    /// never takes the lock, so it cannot make a starting run fail.
    static bool isHeld(const std::filesystem::path& lockFile);

  private:
    int fd_ = -1;
};

}  // namespace doppel
