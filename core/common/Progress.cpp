#include "common/Progress.h"

#include <cmath>
#include <cstdio>

namespace doppel {

double ProgressEvent::elapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

double ProgressEvent::rate() const {
    double elapsed = elapsedSeconds();
    return (done > 0 && elapsed > 0) ? double(done) / elapsed : 0.0;
}

double ProgressEvent::etaSeconds() const {
    double r = rate();
    if (total <= 0 || r <= 0) return -1.0;
    return double(total - done) / r;
}

std::string formatDuration(double seconds) {
    if (seconds < 0 || !std::isfinite(seconds)) return "?";
    long s = long(std::lround(seconds));
    char buffer[32];
    if (s >= 3600)
        std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%lds", s);
    return buffer;
}

}  // namespace doppel
