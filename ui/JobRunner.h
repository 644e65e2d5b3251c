#pragma once
// Runs one long job (a stage, training, a merge) on its own QThread. The runner turns the
// stage's ProgressSink calls, which may come from any worker thread, into queued and throttled
// Qt signals (at most ~10 per second, first and last always delivered), catches every exception
// (an exception escaping a Qt slot is undefined behaviour) and reports it as a failure.
// Cancellation is an outcome, never an error.
//
// Ownership: launch() creates the runner and its thread; both delete themselves once the job
// has finished and `finished` was delivered. Keep a QPointer if you need to cancel it later.
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>

#include "common/Progress.h"
#include "common/StageResult.h"

namespace doppel::ui {

/// A copy of a ProgressEvent that can travel through a queued connection.
struct JobProgress {
    QString stage;
    QString side;
    qint64 done = 0;
    qint64 total = 0;
    QString message;
    double rate = 0;         ///< units per second
    double etaSeconds = -1;  ///< negative when unknown
};

struct JobOutcome {
    StageStatus status = StageStatus::Succeeded;
    QString message;
    QString summaryJson;  ///< the StageResult's summary, compact JSON
};

/// The work itself: runs on the job's thread, must report progress and check the token.
using JobBody = std::function<StageResult(ProgressSink&, const CancelToken&)>;

class JobRunner : public QObject, private ProgressSink {
    Q_OBJECT
  public:
    /// Starts `body` on a new thread. `minIntervalMs` throttles progress signals.
    static QPointer<JobRunner> launch(const QString& name, JobBody body, int minIntervalMs = 100);

    const QString& name() const { return name_; }
    /// Thread-safe; the body sees it at its next check.
    void cancel() { cancel_.cancel(); }
    bool isCancelRequested() const { return cancel_.isCancelled(); }
    /// How many progress signals were emitted so far (for tests of the throttle).
    int emittedProgressCount() const { return emitted_.load(); }

  Q_SIGNALS:
    void progress(const doppel::ui::JobProgress& progress);
    void finished(const doppel::ui::JobOutcome& outcome);

  private:
    JobRunner(QString name, JobBody body, int minIntervalMs);
    void runOnThread();
    void report(const ProgressEvent& event) override;
    void flushPending();

    QString name_;
    JobBody body_;
    CancelToken cancel_;
    std::chrono::milliseconds minInterval_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point lastEmit_{};
    bool anyEmitted_ = false;
    std::optional<JobProgress> pending_;  ///< newest event held back by the throttle
    std::atomic<int> emitted_{0};
};

/// "3m05s" or "--" for unknown.
QString formatEta(double seconds);

}  // namespace doppel::ui

Q_DECLARE_METATYPE(doppel::ui::JobProgress)
Q_DECLARE_METATYPE(doppel::ui::JobOutcome)
