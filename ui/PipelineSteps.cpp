#include "ui/PipelineSteps.h"

#include <QObject>

#include <string>

#include "common/StageFreshness.h"

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
        case StepState::Stopped:
            return QObject::tr("stopped");
        case StepState::Partial:
            return QObject::tr("partly done");
    }
    return {};
}

QString stepStateHint(StepState state) {
    switch (state) {
        case StepState::NotRun:
            return QObject::tr("not run yet");
        case StepState::Done:
            return QObject::tr("finished and up to date");
        case StepState::Stale:
            return QObject::tr(
                "an earlier step changed its results afterwards: run this one again");
        case StepState::Running:
            return QObject::tr("a job of this step is running now");
        case StepState::Failed:
            return QObject::tr("the last run failed: the log says why");
        case StepState::Stopped:
            return QObject::tr(
                "stopped part way (cancelled or interrupted); what it finished is "
                "kept, and running it again continues");
        case StepState::Partial:
            return QObject::tr(
                "some of its parts have run, not all (e.g. frames extracted but "
                "faces not aligned yet, or one side only)");
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

std::vector<StepState> computeStepStates(const nlohmann::json& project, bool hasWorkspace) {
    std::vector<StepState> states(kStepCount, StepState::NotRun);
    if (!hasWorkspace) return states;
    states[0] = StepState::Done;
    const nlohmann::json stages = project.is_object() && project.contains("stages")
                                      ? project["stages"]
                                      : nlohmann::json::object();
    for (int i = 1; i < kStepCount; ++i) {
        bool running = false, failed = false, missing = false, stopped = false, stale = false;
        bool anyRan = false;
        for (const QString& qkey : stageKeysOf(Step(i))) {
            const std::string key = qkey.toStdString();
            auto it = stages.find(key);
            if (it == stages.end() || !it->is_object()) {
                missing = true;
                continue;
            }
            const std::string status = it->value("status", "");
            anyRan = true;
            if (status == "running")
                running = true;
            else if (status == "failed")
                failed = true;
            else if (status == "cancelled" || status == "interrupted")
                stopped = true;
            else if (stageIsStale(project, key))  // e.g. a pack after faces were deleted
                stale = true;
            else if (status != "done")
                missing = true;
        }
        StepState state = StepState::Done;
        if (running)
            state = StepState::Running;
        else if (failed)
            state = StepState::Failed;
        else if (stopped)  // started and stopped part way says more than "not run"
            state = StepState::Stopped;
        else if (missing)
            state = anyRan ? StepState::Partial : StepState::NotRun;
        else if (stale)
            state = StepState::Stale;
        states[i] = state;
    }
    return states;
}

}  // namespace doppel::ui
