#pragma once
// Progress and cancellation, plain C++ so that the CLI, the GUI and tests drive stages alike.
// A stage reports once per frame or batch; a sink may be called from any worker thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace doppel {

struct ProgressEvent {
    std::string stage;    ///< "extract", "align", "train", ...
    std::string side;     ///< "src", "dst" or empty
    int64_t done = 0;     ///< units finished (frames, faces, iterations)
    int64_t total = 0;    ///< 0 when unknown
    std::string message;  ///< a short human line, e.g. the current file
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    double elapsedSeconds() const;
    /// Units per second since `started`; 0 before anything is done.
    double rate() const;
    /// Seconds left at the current rate; negative when unknown.
    double etaSeconds() const;
};

class ProgressSink {
  public:
    virtual ~ProgressSink() = default;
    /// Called from the stage's thread(s); implementations must be thread-safe.
    virtual void report(const ProgressEvent& event) = 0;
};

class NullProgressSink : public ProgressSink {
  public:
    void report(const ProgressEvent&) override {}
};

/// Cancelled is an outcome, never an error: stages check this once per frame or batch.
class CancelToken {
  public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    void reset() { cancelled_.store(false, std::memory_order_relaxed); }
    bool isCancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  private:
    std::atomic<bool> cancelled_{false};
};

/// Formats seconds as "1h02m", "3m05s" or "12s" for progress lines.
std::string formatDuration(double seconds);

}  // namespace doppel
