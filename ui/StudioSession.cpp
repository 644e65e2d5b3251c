#include "ui/StudioSession.h"

#include "common/Log.h"

namespace doppel::ui {

StudioSession::StudioSession(TrainingEngine* engine, QObject* parent)
    : QObject(parent), engine_(engine) {}

void StudioSession::openWorkspace(const QString& dir) {
    setWorkspace(Workspace::open(dir.toStdString()));
}

void StudioSession::setWorkspace(const Workspace& workspace) {
    workspace_ = workspace;
    logInfo("workspace " + workspace.root().string());
    Q_EMIT workspaceChanged();
    Q_EMIT projectChanged();
}

QPointer<JobRunner> StudioSession::startJob(const QString& name, JobBody body,
                                            std::optional<Step> step) {
    if (isJobRunning()) {
        logWarning("'" + job_->name().toStdString() +
                   "' is still running; wait for it or cancel it first");
        return nullptr;
    }
    job_ = JobRunner::launch(name, std::move(body));
    runningStep_ = step;
    connect(job_, &JobRunner::progress, this, &StudioSession::jobProgress);
    connect(job_, &JobRunner::finished, this, [this, name](const JobOutcome& outcome) {
        job_.clear();
        Q_EMIT jobFinished(name, outcome);
        Q_EMIT projectChanged();
    });
    Q_EMIT jobStarted(name);
    Q_EMIT projectChanged();
    return job_;
}

void StudioSession::cancelJob() {
    if (job_) job_->cancel();
}

QString StudioSession::existingModelName(const QString& name) const {
    if (!hasWorkspace() ||
        std::filesystem::exists(workspace().modelDir(name.trimmed().toStdString())))
        return name;
    std::string latest = workspace().latestModelName();
    return latest.empty() ? name : QString::fromStdString(latest);
}

}  // namespace doppel::ui
