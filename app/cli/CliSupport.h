#pragma once
// What every stage command shares: Ctrl-C as a cancel token, a progress printer for stderr,
// `--set key=value` options resolved against a schema, and printing a StageResult.
#include <chrono>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/CliArgs.h"
#include "common/OptionSchema.h"
#include "common/Progress.h"
#include "common/StageResult.h"
#include "common/Workspace.h"

namespace doppel::cli {

/// Cancelled by SIGINT or SIGTERM (installed once by main); stages check it per frame/batch.
CancelToken& interruptToken();
void installInterruptHandler();

/// Progress on stderr: one rewritten line with count, rate and ETA on a terminal; plain lines
/// at most every few seconds (and at the end) when stderr is a file or a pipe.
class ConsoleProgress : public ProgressSink {
  public:
    ConsoleProgress();
    ~ConsoleProgress() override;
    void report(const ProgressEvent& event) override;
    /// Ends the current terminal line, if any.
    void finish();

  private:
    std::mutex mutex_;
    bool terminal_;
    bool lineOpen_ = false;
    std::chrono::steady_clock::time_point lastPrint_{};
};

/// Defaults < options saved in the workspace under `savedOptions` < every --set key=value.
nlohmann::json resolveOptions(const OptionSchema& schema, const nlohmann::json& savedOptions,
                              const CliArgs& args);

/// How long a training command runs: --iters N or --minutes M, neither (until Ctrl-C), never
/// both. A 0 or a negative value is a usage error (0 used to mean "for ever" unannounced).
struct TrainingLength {
    long long iterations = 0;  ///< 0: not limited by iterations
    double minutes = 0;        ///< 0: not limited by time
};
TrainingLength trainingLength(const CliArgs& args);

/// Prints the result (message, warnings, summary) and returns its exit code.
int reportResult(const std::string& command, const StageResult& result);

}  // namespace doppel::cli
