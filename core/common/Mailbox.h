#pragma once
// Channels between a running stage and its UI. Both are safe to use from two threads.
#include <deque>
#include <mutex>
#include <optional>

namespace doppel {

/// "Latest wins": the producer posts, the consumer takes the newest value; stale values are
/// dropped, so a slow UI never slows the trainer down.
template <typename T>
class LatestMailbox {
  public:
    void post(T value) {
        std::lock_guard<std::mutex> lock(mutex_);
        value_ = std::move(value);
        ++posted_;
    }
    std::optional<T> take() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::optional<T> out = std::move(value_);
        value_.reset();
        return out;
    }
    /// How many values were ever posted (taken or dropped).
    long long postedCount() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return posted_;
    }

  private:
    mutable std::mutex mutex_;
    std::optional<T> value_;
    long long posted_ = 0;
};

/// A small FIFO of commands from the UI to a stage (e.g. save now, preview now, stop).
template <typename T>
class CommandQueue {
  public:
    void push(T command) {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(command));
    }
    std::optional<T> pop() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (queue_.empty()) return std::nullopt;
        T out = std::move(queue_.front());
        queue_.pop_front();
        return out;
    }

  private:
    std::mutex mutex_;
    std::deque<T> queue_;
};

}  // namespace doppel
