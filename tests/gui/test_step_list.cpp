// The step list follows the stage states in project.json: not run, partly done, running, done,
// failed, stopped, and stale when an earlier step changed its outputs after a later one ran.
#include <QSignalSpy>
#include <QTest>

#include <chrono>
#include <thread>

#include "common/StageLock.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"
#include "ui/PipelineSteps.h"
#include "ui/StepList.h"
#include "ui/StudioSession.h"

using namespace doppel;
using namespace doppel::ui;

namespace doppel::ui {
void initResources();
}

class StepListTest : public QObject {
    Q_OBJECT
  private:
    static void setStage(const Workspace& ws, const std::string& key, const std::string& status,
                         const std::string& updated) {
        ws.updateProject([&](nlohmann::json& p) {
            p["stages"][key] = {{"status", status}, {"updated", updated}, {"message", ""}};
        });
    }

  private Q_SLOTS:
    void initTestCase() { initResources(); }

    void noWorkspaceMeansNothingRun() {
        auto states = computeStepStates(nlohmann::json(), false);
        QCOMPARE(int(states.size()), kStepCount);
        for (StepState s : states) QCOMPARE(s, StepState::NotRun);
    }

    void followsARealWorkspace() {
        auto dir = test::scratchDir("gui_step_list");
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        StepList list;
        auto refresh = [&] { list.setStates(computeStepStates(ws.project(), true)); };
        refresh();
        QCOMPARE(list.state(Step::Project), StepState::Done);
        QCOMPARE(list.state(Step::Extract), StepState::NotRun);

        // Through the real Workspace API: running (a run holds the stage's lock), then done for
        // every key of Extract.
        {
            const StageLock run(ws.stageLockFile("extract.src"), "extract src");
            ws.setStageStatus("extract.src", "running");
            refresh();
            QCOMPARE(list.state(Step::Extract), StepState::Running);
            QVERIFY(list.item(int(Step::Extract))->text().contains("running"));
        }
        // Its run gone without a word (killed): interrupted, shown as stopped, not running.
        refresh();
        QCOMPARE(list.state(Step::Extract), StepState::Stopped);
        QVERIFY(list.item(int(Step::Extract))->text().contains("stopped"));
        for (const char* key : {"extract.src", "extract.dst", "align.src"})
            ws.setStageStatus(key, "done");
        refresh();
        QCOMPARE(list.state(Step::Extract), StepState::Partial);  // align.dst still missing
        QVERIFY(list.item(int(Step::Extract))->text().contains("partly done"));
        ws.setStageStatus("align.dst", "failed", "no faces");
        refresh();
        QCOMPARE(list.state(Step::Extract), StepState::Failed);
        ws.setStageStatus("align.dst", "cancelled");
        refresh();
        QCOMPARE(list.state(Step::Extract), StepState::Stopped);

        // Timestamps set explicitly so that "ran after" does not depend on the clock.
        for (const char* key : {"extract.src", "extract.dst", "align.src", "align.dst"})
            setStage(ws, key, "done", "2026-01-01T10:00:00Z");
        setStage(ws, "pack.src", "done", "2026-01-01T10:05:00Z");
        setStage(ws, "pack.dst", "done", "2026-01-01T10:05:00Z");
        setStage(ws, "train", "done", "2026-01-01T11:00:00Z");
        refresh();
        QCOMPARE(list.state(Step::Extract), StepState::Done);
        QCOMPARE(list.state(Step::Faces), StepState::Done);
        QCOMPARE(list.state(Step::Train), StepState::Done);
        QCOMPARE(list.state(Step::Merge), StepState::NotRun);
        QVERIFY(list.item(int(Step::Train))->text().contains("done"));

        // Re-packing the destination after training makes the model stale.
        setStage(ws, "pack.dst", "done", "2026-01-01T12:00:00Z");
        refresh();
        QCOMPARE(list.state(Step::Faces), StepState::Done);
        QCOMPARE(list.state(Step::Train), StepState::Stale);
        QVERIFY(list.item(int(Step::Train))->text().contains("stale"));

        // Each side run to the end before the other: pack.src precedes align.dst but depends
        // only on align.src, so nothing is stale.
        setStage(ws, "pack.dst", "done", "2026-01-01T10:05:00Z");
        setStage(ws, "align.dst", "done", "2026-01-01T10:03:00Z");
        setStage(ws, "pack.src", "done", "2026-01-01T10:01:00Z");
        setStage(ws, "align.src", "done", "2026-01-01T10:00:30Z");
        refresh();
        QCOMPARE(list.state(Step::Faces), StepState::Done);
        setStage(ws, "align.src", "done", "2026-01-01T10:02:00Z");  // src re-aligned after its pack
        refresh();
        QCOMPARE(list.state(Step::Faces), StepState::Stale);
        setStage(ws, "pack.src", "done", "2026-01-01T10:06:00Z");
        setStage(ws, "pack.dst", "done", "2026-01-01T12:00:00Z");

        // Faces deleted in review after packing: the pack is marked stale (Train packs again).
        setStage(ws, "pack.src", "stale", "2026-01-01T12:10:00Z");
        refresh();
        QCOMPARE(list.state(Step::Faces), StepState::Stale);
        setStage(ws, "pack.src", "done", "2026-01-01T12:20:00Z");

        // Training again brings it back to done.
        setStage(ws, "train", "done", "2026-01-01T13:00:00Z");
        setStage(ws, "merge", "done", "2026-01-01T12:30:00Z");
        refresh();
        QCOMPARE(list.state(Step::Train), StepState::Done);
        QCOMPARE(list.state(Step::Merge), StepState::Stale);  // merged with the older model
    }

    // A job is "running" from the moment it starts: its own status reaches project.json later,
    // from its thread (a new model's training read "not run" while it ran).
    void theSessionKnowsTheStepItsJobRuns() {
        StudioSession session(nullptr);
        QCOMPARE(session.runningStep().has_value(), false);
        auto job = session.startJob(
            QStringLiteral("Train"),
            [](ProgressSink&, const CancelToken& cancel) {
                while (!cancel.isCancelled())
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                return StageResult::cancelled();
            },
            Step::Train);
        QVERIFY(job);
        QCOMPARE(session.runningStep().value(), Step::Train);
        QSignalSpy finished(&session, &StudioSession::jobFinished);
        session.cancelJob();
        QVERIFY(finished.wait(5000));
        QCOMPARE(session.runningStep().has_value(), false);
    }
};

QTEST_MAIN(StepListTest)
#include "test_step_list.moc"
