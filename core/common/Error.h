#pragma once
// The one error type thrown inside a stage. The stage boundary (runStageSafely in StageResult.h)
// turns it, and any other exception, into a failed StageResult with a message a user can act on.
#include <stdexcept>
#include <string>

namespace doppel {

enum class ErrorCode {
    InvalidInput,       ///< a file exists but its content is unusable (corrupt, empty, wrong kind)
    NotFound,           ///< a file or folder the stage needs is missing
    Io,                 ///< reading or writing failed (permissions, full disk)
    MissingDependency,  ///< a system package or data file is not installed
    BadOption,          ///< an option value is out of range or of the wrong type
    Incompatible,       ///< e.g. a model trained at another resolution
    Busy,               ///< another process is running the same stage on the same workspace
    Internal,           ///< a bug: should never reach a user
};

const char* errorCodeName(ErrorCode code);

class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ErrorCode code() const { return code_; }

  private:
    ErrorCode code_;
};

}  // namespace doppel
