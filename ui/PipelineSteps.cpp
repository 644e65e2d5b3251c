#include "ui/PipelineSteps.h"

#include <QObject>

#include <string>

namespace doppel::ui {

QString stepTitle(Step step) {
    switch (step) {
        case Step::Project:
            return QObject::tr("Project");
        case Step::Extract:
            return QObject::tr("Extract");
        case Step::Faces:
            return QObject::tr("Faces");
        case Step::Train:
            return QObject::tr("Train");
        case Step::Merge:
            return QObject::tr("Merge");
        case Step::Export:
            return QObject::tr("Export");
    }
    return {};
}

QString stepStateName(StepState state) {
    switch (state) {
        case StepState::NotRun:
            return QObject::tr("not run");
        case StepState::Done:
            return QObject::tr("done");
        case StepState::Stale:
            return QObject::tr("stale");
        case StepState::Running:
            return QObject::tr("running");
        case StepState::Failed:
            return QObject::tr("failed");
    }
    return {};
}

QStringList stageKeysOf(Step step) {
    switch (step) {
        case Step::Project:
            return {};
        case Step::Extract:
            return {"extract.src", "extract.dst", "align.src", "align.dst"};
        case Step::Faces:
            return {"pack.src", "pack.dst"};
        case Step::Train:
            return {"train"};
        case Step::Merge:
            return {"merge"};
        case Step::Export:
            return {"export"};
    }
    return {};
}

namespace {

// "extract.src" -> "src"; "train" -> "" (a step that serves both sides).
std::string sideOf(const std::string& key) {
    auto dot = key.rfind('.');
    return dot == std::string::npos ? std::string() : key.substr(dot + 1);
}

bool sameSideOrShared(const std::string& a, const std::string& b) {
    return a.empty() || b.empty() || a == b;
}

}  // namespace

std::vector<StepState> computeStepStates(const nlohmann::json& project, bool hasWorkspace) {
    std::vector<StepState> states(kStepCount, StepState::NotRun);
    if (!hasWorkspace) return states;
    states[0] = StepState::Done;
    const nlohmann::json stages = project.is_object() && project.contains("stages")
                                      ? project["stages"]
                                      : nlohmann::json::object();
    // (side, updated) of every finished key of the earlier steps. A key is stale when an earlier
    // key of its side (or one serving both sides) finished after it, so running the source side
    // to the end before the destination does not make the source's later steps look stale.
    // ISO-8601 UTC timestamps of one format compare correctly as strings.
    std::vector<std::pair<std::string, std::string>> earlierDone;
    for (int i = 1; i < kStepCount; ++i) {
        bool running = false, failed = false, missing = false, stale = false;
        std::vector<std::pair<std::string, std::string>> done;
        for (const QString& qkey : stageKeysOf(Step(i))) {
            std::string key = qkey.toStdString();
            auto it = stages.find(key);
            if (it == stages.end() || !it->is_object()) {
                missing = true;
                continue;
            }
            std::string status = it->value("status", "");
            std::string updated = it->value("updated", "");
            if (status == "running")
                running = true;
            else if (status == "failed")
                failed = true;
            else if (status == "stale")  // e.g. a pack after faces were deleted in review
                stale = true;
            else if (status != "done")
                missing = true;
            else {
                done.emplace_back(sideOf(key), updated);
                for (const auto& [side, time] : earlierDone)
                    if (sameSideOrShared(side, sideOf(key)) && time > updated) stale = true;
            }
        }
        StepState state = StepState::Done;
        if (running)
            state = StepState::Running;
        else if (failed)
            state = StepState::Failed;
        else if (missing)
            state = StepState::NotRun;
        else if (stale)
            state = StepState::Stale;
        states[i] = state;
        earlierDone.insert(earlierDone.end(), done.begin(), done.end());
    }
    return states;
}

}  // namespace doppel::ui
