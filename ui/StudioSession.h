#pragma once
// What every page shares: the open workspace, the training engine (injected by the app; may be
// null in tests), and the one running job. Lives on the GUI thread. One job at a time keeps
// project.json and the CPU free of competing stages; pages ask startJob() and get false while
// another job runs.
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>
#include <optional>

#include "common/SegmentationEngine.h"
#include "common/TrainingEngine.h"
#include "common/Workspace.h"
#include "ui/JobRunner.h"
#include "ui/PipelineSteps.h"

namespace doppel::ui {

class StudioSession : public QObject {
    Q_OBJECT
  public:
    explicit StudioSession(TrainingEngine* engine, QObject* parent = nullptr);

    bool hasWorkspace() const { return workspace_.has_value(); }
    /// Only valid when hasWorkspace().
    const Workspace& workspace() const { return *workspace_; }
    /// Opens a workspace; throws doppel::Error on a folder without a project.
    void openWorkspace(const QString& dir);
    void setWorkspace(const Workspace& workspace);
    /// `name` when that model exists in the workspace, else the model saved last (else `name`):
    /// pages open on where training stands.
    QString existingModelName(const QString& name) const;

    TrainingEngine* engine() const { return engine_; }
    /// The face-mask (XSeg) engine, injected by the app like the training engine; may be null.
    SegmentationEngine* maskEngine() const { return maskEngine_; }
    void setMaskEngine(SegmentationEngine* engine) { maskEngine_ = engine; }

    bool isJobRunning() const { return !job_.isNull(); }
    QPointer<JobRunner> currentJob() const { return job_; }
    /// Starts a job unless one is already running (then returns null and logs why). `step`: the
    /// pipeline step the job runs, shown "running" from the moment it starts (the job's own
    /// "running" status reaches project.json a moment later, from its thread).
    QPointer<JobRunner> startJob(const QString& name, JobBody body,
                                 std::optional<Step> step = std::nullopt);
    /// The step the running job runs, if any.
    std::optional<Step> runningStep() const { return isJobRunning() ? runningStep_ : std::nullopt; }
    void cancelJob();

    /// Call after anything wrote project.json from outside a job (e.g. a delete in review).
    void notifyProjectChanged() { Q_EMIT projectChanged(); }
    /// Call after a side's aligned faces changed (deleted, restored, masks drawn or applied):
    /// pages holding them (the merge preview) read them again.
    void notifyFacesChanged(Side side) { Q_EMIT facesChanged(side); }

  Q_SIGNALS:
    void workspaceChanged();
    void projectChanged();
    void facesChanged(doppel::Side side);
    void jobStarted(const QString& name);
    void jobProgress(const doppel::ui::JobProgress& progress);
    void jobFinished(const QString& name, const doppel::ui::JobOutcome& outcome);

  private:
    TrainingEngine* engine_;
    SegmentationEngine* maskEngine_ = nullptr;
    std::optional<Workspace> workspace_;
    QPointer<JobRunner> job_;
    std::optional<Step> runningStep_;
};

}  // namespace doppel::ui
