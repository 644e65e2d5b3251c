#include "common/Log.h"

#include <iostream>
#include <mutex>

#include "common/Error.h"

namespace doppel {
namespace {
std::mutex& logMutex() {
    static std::mutex mutex;
    return mutex;
}
LogHandler& currentHandler() {
    static LogHandler handler;
    return handler;
}
}  // namespace

const char* errorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidInput:
            return "invalid input";
        case ErrorCode::NotFound:
            return "not found";
        case ErrorCode::Io:
            return "i/o error";
        case ErrorCode::MissingDependency:
            return "missing dependency";
        case ErrorCode::BadOption:
            return "bad option";
        case ErrorCode::Incompatible:
            return "incompatible";
        case ErrorCode::Busy:
            return "busy";
        case ErrorCode::Internal:
            return "internal error";
    }
    return "error";
}

const char* logLevelName(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
    }
    return "";
}

void setLogHandler(LogHandler handler) {
    std::lock_guard<std::mutex> lock(logMutex());
    currentHandler() = std::move(handler);
}

void logMessage(LogLevel level, const std::string& message) {
    std::lock_guard<std::mutex> lock(logMutex());
    if (currentHandler()) {
        currentHandler()(level, message);
        return;
    }
    if (level == LogLevel::Debug) return;
    std::cerr << logLevelName(level) << ": " << message << "\n";
}

}  // namespace doppel
