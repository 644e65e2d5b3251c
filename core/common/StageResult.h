#pragma once
// What a stage returns. Failed carries a message a user can act on (which file, what was
// expected); Cancelled is an outcome, not an error (CLI exit code 130).
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace doppel {

enum class StageStatus { Succeeded, Failed, Cancelled };

struct StageResult {
    StageStatus status = StageStatus::Succeeded;
    std::string message;     ///< one line for the user
    nlohmann::json summary;  ///< counts and figures (frames written, faces found, ...)
    std::vector<std::string> warnings;
    /// It found its work already done (e.g. an align that resumed every frame): the stages
    /// after it stay up to date (common/StageFreshness.h).
    bool changedNothing = false;

    bool ok() const { return status == StageStatus::Succeeded; }
    /// 0 succeeded, 1 failed, 130 cancelled (as a shell reports Ctrl-C).
    int exitCode() const;

    static StageResult succeeded(std::string message, nlohmann::json summary = {});
    static StageResult failed(std::string message);
    static StageResult cancelled(std::string message = "cancelled");
};

const char* stageStatusName(StageStatus status);

/// Runs `body` and turns every exception (doppel::Error, cv::Exception, c10::Error, any
/// std::exception) into a failed result whose message starts with `stageName`.
StageResult runStageSafely(const std::string& stageName, const std::function<StageResult()>& body);

}  // namespace doppel
