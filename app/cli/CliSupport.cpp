#include "cli/CliSupport.h"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "common/Error.h"

namespace doppel::cli {
namespace {
CancelToken gInterrupt;
volatile std::sig_atomic_t gSignalCount = 0;

extern "C" void onInterrupt(int) {
    gInterrupt.cancel();
    // A second Ctrl-C while the stage is winding down exits at once (write() is safe here).
    if (++gSignalCount >= 2) {
        static const char kNote[] =
            "\ninterrupted again: exiting now, without saving what this run did since its last "
            "save\n";
        [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, kNote, sizeof kNote - 1);
        std::_Exit(130);
    }
}
}  // namespace

CancelToken& interruptToken() {
    return gInterrupt;
}

void installInterruptHandler() {
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    // A closed terminal or a dropped ssh session stops a run the way Ctrl-C does: training saves
    // its checkpoint instead of losing the session.
    std::signal(SIGHUP, onInterrupt);
}

ConsoleProgress::ConsoleProgress() : terminal_(::isatty(STDERR_FILENO) == 1) {}

ConsoleProgress::~ConsoleProgress() {
    finish();
}

void ConsoleProgress::report(const ProgressEvent& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    bool last = e.total > 0 && e.done >= e.total;
    auto minGap = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
    if (!last && now - lastPrint_ < minGap) return;
    lastPrint_ = now;
    char line[512];
    std::string label = e.stage + (e.side.empty() ? "" : " " + e.side);
    double rate = e.rate();
    if (e.total > 0)
        std::snprintf(line, sizeof line, "%s: %lld/%lld (%.0f%%) %.1f/s ETA %s", label.c_str(),
                      (long long)e.done, (long long)e.total,
                      100.0 * double(e.done) / double(e.total), rate,
                      formatDuration(e.etaSeconds()).c_str());
    else
        std::snprintf(line, sizeof line, "%s: %lld %.1f/s", label.c_str(), (long long)e.done, rate);
    std::string text = line;
    if (!e.message.empty()) text += "  " + e.message;
    if (terminal_) {
        if (text.size() > 150) text.resize(150);
        std::fprintf(stderr, "\r\033[K%s", text.c_str());
        lineOpen_ = true;
    } else {
        std::fprintf(stderr, "%s\n", text.c_str());
    }
    std::fflush(stderr);
}

void ConsoleProgress::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (lineOpen_) std::fprintf(stderr, "\n");
    lineOpen_ = false;
}

nlohmann::json resolveOptions(const OptionSchema& schema, const nlohmann::json& savedOptions,
                              const CliArgs& args) {
    nlohmann::json given = nlohmann::json::object();
    if (savedOptions.is_object())
        for (auto it = savedOptions.begin(); it != savedOptions.end(); ++it)
            if (schema.find(it.key()))
                given[it.key()] = it.value();  // options since removed are dropped
    try {
        for (const auto& assignment : args.all("set")) schema.applyAssignment(given, assignment);
        return schema.resolve(given);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
}

TrainingLength trainingLength(const CliArgs& args) {
    TrainingLength length;
    length.iterations = args.intValue("iters", 0);
    length.minutes = args.doubleValue("minutes", 0);
    // NaN and infinity are numbers to strtod; a training length they are not. 10^12 iterations
    // (years on any machine) keeps the end iteration from overflowing.
    if ((args.has("iters") && (length.iterations <= 0 || length.iterations > 1000000000000LL)) ||
        (args.has("minutes") && !(std::isfinite(length.minutes) && length.minutes > 0)))
        throw UsageError(
            "--iters takes 1 to 10^12 and --minutes a number above 0 (leave both out to train "
            "until Ctrl-C)");
    if (args.has("iters") && args.has("minutes"))
        throw UsageError("give either --iters or --minutes, not both");
    return length;
}

int reportResult(const std::string& command, const StageResult& result) {
    for (const auto& w : result.warnings) std::cerr << "warning: " << w << "\n";
    switch (result.status) {
        case StageStatus::Succeeded:
            std::cout << command << ": " << result.message << "\n";
            break;
        case StageStatus::Failed:
            std::cerr << "error: " << result.message << "\n";
            break;
        case StageStatus::Cancelled:
            std::cerr << command << ": cancelled"
                      << (result.message.empty() || result.message == "cancelled"
                              ? ""
                              : " (" + result.message + ")")
                      << "\n";
            break;
    }
    return result.exitCode();
}

}  // namespace doppel::cli
