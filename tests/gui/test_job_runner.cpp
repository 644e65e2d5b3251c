// JobRunner: progress arrives in order on the GUI thread, is throttled, cancellation is an
// outcome (not an error), and any exception in the body becomes a failure with its message.
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <stdexcept>
#include <thread>

#include "common/Error.h"
#include "ui/JobRunner.h"

using namespace doppel;
using namespace doppel::ui;

class JobRunnerTest : public QObject {
    Q_OBJECT
  private:
    // Waits for the job's finished signal and returns the outcome.
    static JobOutcome waitFor(QPointer<JobRunner> job, QList<JobProgress>* progress = nullptr) {
        JobOutcome outcome;
        bool done = false;
        QObject context;
        QObject::connect(job, &JobRunner::progress, &context, [&](const JobProgress& p) {
            if (progress) progress->append(p);
            // Delivered on the GUI thread, as a queued signal.
            if (QThread::currentThread() != qApp->thread()) qFatal("progress on the wrong thread");
        });
        QObject::connect(job, &JobRunner::finished, &context, [&](const JobOutcome& o) {
            outcome = o;
            done = true;
        });
        if (!QTest::qWaitFor([&] { return done; }, 20000)) qFatal("job did not finish");
        return outcome;
    }

  private Q_SLOTS:
    void progressArrivesInOrderAndEndsWithTheLastEvent() {
        QList<JobProgress> seen;
        auto job = JobRunner::launch(
            "count",
            [](ProgressSink& sink, const CancelToken&) {
                ProgressEvent e;
                e.stage = "extract";
                e.side = "src";
                e.total = 50;
                for (int i = 1; i <= 50; ++i) {
                    e.done = i;
                    sink.report(e);
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                }
                return StageResult::succeeded("50 frames");
            },
            0);
        JobOutcome outcome = waitFor(job, &seen);
        QCOMPARE(outcome.status, StageStatus::Succeeded);
        QCOMPARE(outcome.message, QString("50 frames"));
        QVERIFY(!seen.isEmpty());
        for (int i = 1; i < seen.size(); ++i) QVERIFY(seen[i].done > seen[i - 1].done);
        QCOMPARE(seen.back().done, qint64(50));
        QCOMPARE(seen.back().side, QString("src"));
    }

    void throttlesToAFewSignalsPerSecond() {
        QList<JobProgress> seen;
        // 2000 reports: with a 100 ms throttle, at most one per 100 ms + first + last arrive.
        std::atomic<double> seconds{0};
        auto job = JobRunner::launch(
            "flood",
            [&seconds](ProgressSink& sink, const CancelToken&) {
                auto start = std::chrono::steady_clock::now();
                ProgressEvent e;
                e.stage = "align";
                e.total = 2000;
                for (int i = 1; i <= 2000; ++i) {
                    e.done = i;
                    sink.report(e);
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
                seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                return StageResult::succeeded("ok");
            },
            100);
        JobOutcome outcome = waitFor(job, &seen);
        QCOMPARE(outcome.status, StageStatus::Succeeded);
        QVERIFY2(seen.size() >= 2, qPrintable(QString::number(seen.size())));
        int allowed = int(seconds.load() / 0.1) + 3;
        QVERIFY2(seen.size() <= allowed,
                 qPrintable(QString("%1 signals in %2 s").arg(seen.size()).arg(seconds.load())));
        QVERIFY(seen.size() < 100);
        QCOMPARE(seen.front().done, qint64(1));
        QCOMPARE(seen.back().done, qint64(2000));
    }

    void deliversAHeldBackEventWhenTheJobEnds() {
        QList<JobProgress> seen;
        // Total unknown: the last report (done = 7) is throttled but must still be delivered.
        auto job = JobRunner::launch(
            "unknown total",
            [](ProgressSink& sink, const CancelToken&) {
                ProgressEvent e;
                for (int i = 1; i <= 7; ++i) {
                    e.done = i;
                    sink.report(e);
                }
                return StageResult::succeeded("ok");
            },
            10000);
        waitFor(job, &seen);
        QCOMPARE(seen.size(), 2);
        QCOMPARE(seen.back().done, qint64(7));
    }

    void cancelIsAnOutcomeNotAFailure() {
        std::atomic<bool> started{false};
        auto job = JobRunner::launch("long", [&](ProgressSink&, const CancelToken& cancel) {
            started = true;
            for (int i = 0; i < 2000 && !cancel.isCancelled(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return cancel.isCancelled() ? StageResult::cancelled()
                                        : StageResult::succeeded("ran out");
        });
        QVERIFY(QTest::qWaitFor([&] { return started.load(); }, 5000));
        QSignalSpy finished(job.data(), &JobRunner::finished);
        job->cancel();
        QVERIFY(finished.wait(5000));
        auto outcome = finished.front().front().value<JobOutcome>();
        QCOMPARE(outcome.status, StageStatus::Cancelled);
    }

    void anExceptionBecomesAFailureWithItsMessage() {
        auto job =
            JobRunner::launch("broken", [](ProgressSink&, const CancelToken&) -> StageResult {
                throw Error(ErrorCode::InvalidInput, "clip.mp4: not a video");
            });
        JobOutcome outcome = waitFor(job);
        QCOMPARE(outcome.status, StageStatus::Failed);
        QVERIFY2(outcome.message.contains("clip.mp4: not a video"), qPrintable(outcome.message));
        QVERIFY(outcome.message.startsWith("broken"));

        auto other = JobRunner::launch(
            "odd", [](ProgressSink&, const CancelToken&) -> StageResult { throw 42; });
        JobOutcome unknown = waitFor(other);
        QCOMPARE(unknown.status, StageStatus::Failed);
        QVERIFY(unknown.message.contains("unknown error"));
    }

    void runnerAndThreadAreDeletedAfterwards() {
        auto job = JobRunner::launch(
            "short", [](ProgressSink&, const CancelToken&) { return StageResult::succeeded("x"); });
        waitFor(job);
        QVERIFY(QTest::qWaitFor([&] { return job.isNull(); }, 5000));
    }
};

QTEST_MAIN(JobRunnerTest)
#include "test_job_runner.moc"
