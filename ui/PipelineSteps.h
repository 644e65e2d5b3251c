#pragma once
// The studio's pipeline steps and their state, computed from project.json's "stages" (see
// Workspace::setStageStatus). Plain logic without widgets so that it is easy to test.
#include <QString>
#include <QStringList>

#include <vector>

#include <nlohmann/json.hpp>

namespace doppel::ui {

enum class Step { Project, Extract, Faces, Train, Merge, Export };
constexpr int kStepCount = 6;

enum class StepState { NotRun, Done, Stale, Running, Failed };

QString stepTitle(Step step);
QString stepStateName(StepState state);  ///< "not run", "done", "stale", "running", "failed"
/// The project.json stage keys a step is made of (e.g. Extract: extract.src, align.dst, ...).
QStringList stageKeysOf(Step step);

/// One state per step. `hasWorkspace` false gives NotRun everywhere. A step is:
///   running when any of its keys runs, failed when any failed, not run when any is missing or
///   was cancelled, done when all are done, and stale when done but an earlier step's key of the
///   same side (or one serving both sides, like train) finished after one of its keys.
std::vector<StepState> computeStepStates(const nlohmann::json& project, bool hasWorkspace);

}  // namespace doppel::ui
