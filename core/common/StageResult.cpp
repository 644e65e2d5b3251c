#include "common/StageResult.h"

#include <exception>

#include "common/Error.h"
#include "common/Log.h"

namespace doppel {

int StageResult::exitCode() const {
    switch (status) {
        case StageStatus::Succeeded:
            return 0;
        case StageStatus::Failed:
            return 1;
        case StageStatus::Cancelled:
            return 130;
    }
    return 1;
}

StageResult StageResult::succeeded(std::string message, nlohmann::json summary) {
    StageResult r;
    r.status = StageStatus::Succeeded;
    r.message = std::move(message);
    r.summary = std::move(summary);
    return r;
}

StageResult StageResult::failed(std::string message) {
    StageResult r;
    r.status = StageStatus::Failed;
    r.message = std::move(message);
    return r;
}

StageResult StageResult::cancelled(std::string message) {
    StageResult r;
    r.status = StageStatus::Cancelled;
    r.message = std::move(message);
    return r;
}

const char* stageStatusName(StageStatus status) {
    switch (status) {
        case StageStatus::Succeeded:
            return "succeeded";
        case StageStatus::Failed:
            return "failed";
        case StageStatus::Cancelled:
            return "cancelled";
    }
    return "";
}

StageResult runStageSafely(const std::string& stageName, const std::function<StageResult()>& body) {
    try {
        return body();
    } catch (const Error& e) {
        return StageResult::failed(stageName + ": " + e.what());
    } catch (const std::bad_alloc&) {
        return StageResult::failed(stageName + ": out of memory");
    } catch (const std::exception& e) {
        // cv::Exception and c10::Error land here; their what() names the failing call.
        logDebug(stageName + ": unexpected exception: " + e.what());
        return StageResult::failed(stageName + ": " + e.what());
    } catch (...) {
        return StageResult::failed(stageName + ": unknown error");
    }
}

}  // namespace doppel
