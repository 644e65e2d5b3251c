#pragma once
// A small fork-join helper for align and merge: runs body(i) for i in [0, count) on `threads`
// workers pulling indices from a shared counter. Results must be written to slot i by the body,
// so the output is identical whatever the thread count. The first exception is rethrown.
#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace doppel {

inline int defaultThreadCount() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

inline void parallelFor(int64_t count, int threads,
                        const std::function<void(int64_t index, int worker)>& body) {
    threads = std::max(1, std::min<int>(threads, int(std::max<int64_t>(count, 1))));
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto work = [&](int worker) {
        for (;;) {
            int64_t i = next.fetch_add(1);
            if (i >= count) return;
            try {
                body(i, worker);
            } catch (...) {
                std::lock_guard<std::mutex> lock(errorMutex);
                if (!error) error = std::current_exception();
                next.store(count);
                return;
            }
        }
    };
    if (threads == 1) {
        work(0);
    } else {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
        for (auto& t : pool) t.join();
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace doppel
