#pragma once
// One logging function for the whole program. The app installs the handler: stderr for the CLI,
// the log panel and a log file for the GUI. Thread-safe: stages log from worker threads.
#include <functional>
#include <string>

namespace doppel {

enum class LogLevel { Debug, Info, Warning, Error };

using LogHandler = std::function<void(LogLevel, const std::string&)>;

/// Replaces the handler (nullptr restores the default, which writes to stderr).
void setLogHandler(LogHandler handler);
void logMessage(LogLevel level, const std::string& message);
const char* logLevelName(LogLevel level);

inline void logDebug(const std::string& m) {
    logMessage(LogLevel::Debug, m);
}
inline void logInfo(const std::string& m) {
    logMessage(LogLevel::Info, m);
}
inline void logWarning(const std::string& m) {
    logMessage(LogLevel::Warning, m);
}
inline void logError(const std::string& m) {
    logMessage(LogLevel::Error, m);
}

}  // namespace doppel
