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

/// Stopped: cancelled or interrupted (killed) part way; what it finished is kept and running it
/// again continues. A model whose training was stopped is the usual case, not an error.
/// Partial: some of the step's parts have run and others not yet (frames extracted, faces not
/// aligned; one side done).
enum class StepState { NotRun, Done, Stale, Running, Failed, Stopped, Partial };

QString stepTitle(Step step);
/// "not run", "done", "stale", "running", "failed", "stopped", "partly done"
QString stepStateName(StepState state);
/// One sentence saying what the state means and what to do (the step list's tooltip).
QString stepStateHint(StepState state);
/// The project.json stage keys a step is made of (e.g. Extract: extract.src, align.dst, ...).
QStringList stageKeysOf(Step step);

/// One state per step. `hasWorkspace` false gives NotRun everywhere. A step is:
///   running when any of its keys runs, failed when any failed, stopped when any was cancelled
///   or interrupted, partly done when some are missing and others ran, not run when all are
///   missing, done when all are done, and stale when done
///   but an earlier step's key of the same side (or one serving both sides, like train) changed
///   its outputs after one of its keys finished (common/StageFreshness.h).
std::vector<StepState> computeStepStates(const nlohmann::json& project, bool hasWorkspace);

}  // namespace doppel::ui
