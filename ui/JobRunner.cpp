#include "ui/JobRunner.h"

#include <exception>

#include "common/Error.h"
#include "common/Log.h"

namespace doppel::ui {
namespace {

JobProgress toJobProgress(const ProgressEvent& event) {
    JobProgress p;
    p.stage = QString::fromStdString(event.stage);
    p.side = QString::fromStdString(event.side);
    p.done = event.done;
    p.total = event.total;
    p.message = QString::fromStdString(event.message);
    p.rate = event.rate();
    p.etaSeconds = event.etaSeconds();
    return p;
}

void registerMetaTypesOnce() {
    static const bool done = [] {
        qRegisterMetaType<doppel::ui::JobProgress>("doppel::ui::JobProgress");
        qRegisterMetaType<doppel::ui::JobOutcome>("doppel::ui::JobOutcome");
        return true;
    }();
    (void)done;
}

}  // namespace

QString formatEta(double seconds) {
    if (seconds < 0) return QStringLiteral("--");
    return QString::fromStdString(formatDuration(seconds));
}

JobRunner::JobRunner(QString name, JobBody body, int minIntervalMs)
    : name_(std::move(name)), body_(std::move(body)), minInterval_(minIntervalMs) {}

QPointer<JobRunner> JobRunner::launch(const QString& name, JobBody body, int minIntervalMs) {
    registerMetaTypesOnce();
    auto* runner = new JobRunner(name, std::move(body), minIntervalMs);
    auto* thread = new QThread;
    thread->setObjectName(QStringLiteral("job: ") + name);
    runner->moveToThread(thread);
    QObject::connect(thread, &QThread::started, runner, &JobRunner::runOnThread);
    // The runner dies on its own thread after its last signal; the thread object is deleted
    // from the GUI thread's event loop once it has stopped.
    QObject::connect(runner, &JobRunner::finished, thread, &QThread::quit);
    QObject::connect(thread, &QThread::finished, runner, &QObject::deleteLater);
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    QPointer<JobRunner> handle(runner);
    // Started from the event loop, once the caller has connected to the runner's signals: started
    // here, a fast job's first progress (or even its end) could be emitted before anyone listened.
    QMetaObject::invokeMethod(
        thread, [thread] { thread->start(); }, Qt::QueuedConnection);
    return handle;
}

void JobRunner::report(const ProgressEvent& event) {
    JobProgress p = toJobProgress(event);
    std::unique_lock<std::mutex> lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    // The first event and the final one (done == total) always pass; the rest at most every
    // minInterval_, so a stage that reports per frame cannot flood the GUI's event queue.
    bool last = p.total > 0 && p.done >= p.total;
    if (anyEmitted_ && !last && now - lastEmit_ < minInterval_) {
        pending_ = std::move(p);
        return;
    }
    anyEmitted_ = true;
    lastEmit_ = now;
    pending_.reset();
    ++emitted_;
    lock.unlock();
    Q_EMIT progress(p);
}

void JobRunner::flushPending() {
    std::optional<JobProgress> p;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        p.swap(pending_);
    }
    if (p) {
        ++emitted_;
        Q_EMIT progress(*p);
    }
}

void JobRunner::runOnThread() {
    JobOutcome outcome;
    try {
        StageResult result = body_(*this, cancel_);
        outcome.status = result.status;
        outcome.message = QString::fromStdString(result.message);
        if (!result.summary.is_null())
            outcome.summaryJson = QString::fromStdString(result.summary.dump());
        for (const auto& warning : result.warnings)
            logWarning(name_.toStdString() + ": " + warning);
    } catch (const Error& e) {
        outcome.status = StageStatus::Failed;
        outcome.message = name_ + QStringLiteral(": ") + QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        outcome.status = StageStatus::Failed;
        outcome.message = name_ + QStringLiteral(": ") + QString::fromStdString(e.what());
    } catch (...) {
        outcome.status = StageStatus::Failed;
        outcome.message = name_ + QStringLiteral(": unknown error");
    }
    // A body that noticed the token but returned "failed" was still stopped by the user.
    if (cancel_.isCancelled() && outcome.status == StageStatus::Failed) {
        outcome.status = StageStatus::Cancelled;
        if (outcome.message.isEmpty()) outcome.message = QStringLiteral("cancelled");
    }
    flushPending();
    Q_EMIT finished(outcome);
}

}  // namespace doppel::ui
