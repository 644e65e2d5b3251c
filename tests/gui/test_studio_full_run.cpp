// A first swap driven through the studio the way a user clicks through it, with the real engine
// and real stages: two videos dropped on the window, the project created, frames extracted and
// faces aligned (Extract page), a tiny model trained (Train page, packing on its own), the Merge
// page loading the model and merging every frame, and the Export page writing the labelled video.
// Each page is grabbed into the test's scratch folder, so a person can look at the run.
#include <QApplication>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <filesystem>
#include <memory>

#include "common/Workspace.h"
#include "media/ExportLabel.h"
#include "models/models.h"
#include "support/TestSupport.h"
#include "ui/ExportPage.h"
#include "ui/ExtractPage.h"
#include "ui/FacesPage.h"
#include "ui/MainWindow.h"
#include "ui/MergePage.h"
#include "ui/OptionForm.h"
#include "ui/ProjectPage.h"
#include "ui/StepList.h"
#include "ui/TrainPage.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

namespace doppel::ui {
void initResources();
}

namespace {

// A failed job opens a modal warning; a test must not hang on it: close it and remember the text.
class DialogWatcher : public QObject {
  public:
    DialogWatcher() {
        connect(&timer_, &QTimer::timeout, this, [this] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                seen += box->windowTitle() + ": " + box->text() + "\n";
                box->done(QMessageBox::Ok);
            }
        });
        timer_.start(100);
    }
    QString seen;

  private:
    QTimer timer_;
};

// Records how every job ended, by name.
struct JobLog {
    std::map<QString, JobOutcome> finished;
    void attach(StudioSession* session) {
        QObject::connect(
            session, &StudioSession::jobFinished,
            [this](const QString& name, const JobOutcome& outcome) { finished[name] = outcome; });
    }
    // Waits for job `name` and reports its message when it did not succeed.
    bool waitFor(const QString& name, int timeoutMs, QString* why) {
        bool done = QTest::qWaitFor([&] { return finished.count(name) > 0; }, timeoutMs);
        if (!done) {
            *why = name + " did not finish in time";
            return false;
        }
        const JobOutcome& outcome = finished[name];
        *why = name + ": " + outcome.message;
        return outcome.status == StageStatus::Succeeded;
    }
};

QPushButton* button(QWidget* page, const char* name) {
    auto* b = page->findChild<QPushButton*>(QString::fromLatin1(name));
    if (!b) qFatal("no button %s", name);
    return b;
}

// The form among a page's option forms that has `key`.
OptionForm* formWith(QWidget* page, const std::string& key) {
    for (OptionForm* form : page->findChildren<OptionForm*>())
        if (form->editorFor(key)) return form;
    qFatal("no option form with %s", key.c_str());
}

void dropFile(QWidget* window, const fs::path& file) {
    QMimeData data;
    data.setUrls({QUrl::fromLocalFile(QString::fromStdString(file.string()))});
    QDragEnterEvent enter(QPoint(200, 200), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &enter);
    QVERIFY2(enter.isAccepted(), "the window refuses a dragged video");
    QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &drop);
}

void grab(QWidget* window, const fs::path& dir, const char* name) {
    QTest::qWait(500);  // let probes and thumbnails still on the pool land and lay out
    window->grab().save(QString::fromStdString((dir / name).string()));
}

}  // namespace

class StudioFullRunTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void initTestCase() { initResources(); }

    void dropTrainMergeExport() {
        fs::path scratch = test::scratchDir("gui_studio_full_run");
        fs::path wsDir = scratch / "ws";
        fs::path src = test::dataFile("video/grid_s2_150f.mp4");
        fs::path dst = test::dataFile("video/grid_sbia1a_75f_audio.mp4");

        std::unique_ptr<TrainingEngine> engine = models::createTrainingEngine();
        MainWindow window(engine.get());
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        DialogWatcher dialogs;
        JobLog jobs;
        jobs.attach(window.session());
        QString why;

        // Project: the first dropped video is the source, the second the destination.
        dropFile(&window, src);
        dropFile(&window, dst);
        ProjectPage* project = window.projectPage();
        QCOMPARE(project->chosenInput(Side::Src), QString::fromStdString(src.string()));
        QCOMPARE(project->chosenInput(Side::Dst), QString::fromStdString(dst.string()));
        QVERIFY(button(project, "createProjectButton")->isEnabled());
        project->createProjectIn(QString::fromStdString(wsDir.string()));
        QVERIFY2(jobs.waitFor("Create project", 60000, &why), qPrintable(why));
        QVERIFY(QTest::qWaitFor([&] { return window.session()->hasWorkspace(); }, 10000));
        QCOMPARE(fs::canonical(window.session()->workspace().root()), fs::canonical(wsDir));
        QCOMPARE(window.stepList()->state(Step::Extract), StepState::NotRun);
        grab(&window, scratch, "1-project.png");

        // Extract + align both sides; the first two seconds (50 frames each) keep the test short.
        window.showStep(Step::Extract);
        formWith(window.extractPage(), "end")->setValues({{"end", 2.0}});
        button(window.extractPage(), "extractStartButton")->click();
        QVERIFY2(jobs.waitFor("Extract", 300000, &why), qPrintable(why));
        const Workspace& ws = window.session()->workspace();
        QCOMPARE(window.stepList()->state(Step::Extract), StepState::Done);
        grab(&window, scratch, "2-extract.png");

        // Train: a tiny DF-UD model; Start packs the reviewed faces first (no Pack click).
        window.showStep(Step::Train);
        TrainPage* train = window.trainPage();
        train->findChild<QSpinBox*>(QStringLiteral("maxIterations"))->setValue(40);
        train->findChild<OptionForm*>()->setValues({{"archi", "df-ud"},
                                                    {"resolution", 64},
                                                    {"ae_dims", 64},
                                                    {"e_dims", 16},
                                                    {"d_dims", 16},
                                                    {"d_mask_dims", 8},
                                                    {"batch", 4},
                                                    {"lr", 2e-4},
                                                    {"preview_every", 20},
                                                    {"threads", 2}});
        button(train, "trainStartButton")->click();
        QVERIFY(train->isTraining());
        QVERIFY2(jobs.waitFor("Train", 600000, &why), qPrintable(why));
        QCOMPARE(window.stepList()->state(Step::Faces), StepState::Done);  // packed on the way
        QCOMPARE(window.stepList()->state(Step::Train), StepState::Done);
        QVERIFY(fs::exists(ws.modelDir("default") / "latest.json"));
        QVERIFY(!train->previewLabel()->pixmap().isNull());
        // The last iteration's figures: from the job's progress ("iter 40 ...") or, when the
        // final preview is taken after the job ended, from it ("iteration 40, ...").
        const QString stats = train->statsLabel()->text();
        QVERIFY2(stats.startsWith("iter 40 ") || stats.startsWith("iteration 40,"),
                 qPrintable(stats));
        grab(&window, scratch, "3-train.png");

        // Merge: the page loads the model training just saved and renders a frame with a face.
        window.showStep(Step::Merge);
        MergePage* merge = window.mergePage();
        QVERIFY(QTest::qWaitFor([&] { return merge->renderCount() > 0; }, 60000));
        QVERIFY2(merge->lastRender().error.isEmpty(), qPrintable(merge->lastRender().error));
        QVERIFY(merge->lastRender().faces > 0);
        QVERIFY(merge->lastRender().before != merge->lastRender().after);

        // The preview follows the faces: a destination face deleted in review (here moved by
        // hand, then announced as the Faces page does) leaves it; restored, it is back.
        const int64_t shown = merge->lastRender().frameIndex;
        const fs::path faceImage =
            ws.alignedDir(Side::Dst) /
            QString::asprintf("%06lld_0.jpg", (long long)shown).toStdString();
        const fs::path aside = scratch / "aside.jpg";
        fs::rename(faceImage, aside);
        int renders = merge->renderCount();
        window.session()->notifyFacesChanged(Side::Dst);
        QVERIFY(QTest::qWaitFor(
            [&] { return merge->renderCount() > renders && merge->lastRender().faces == 0; },
            60000));
        QVERIFY(!button(merge, "placeFaceHere")->isHidden());  // the frame is not swapped now
        fs::rename(aside, faceImage);
        renders = merge->renderCount();
        window.session()->notifyFacesChanged(Side::Dst);
        QVERIFY(QTest::qWaitFor(
            [&] { return merge->renderCount() > renders && merge->lastRender().faces > 0; },
            60000));
        QVERIFY(button(merge, "placeFaceHere")->isHidden());
        button(merge, "mergeAllButton")->click();
        QVERIFY2(jobs.waitFor("Merge", 300000, &why), qPrintable(why));
        int merged = 0;
        for (const auto& entry : fs::directory_iterator(ws.mergedDir()))
            if (entry.path().extension() == ".png") ++merged;
        QCOMPARE(merged, 50);
        QCOMPARE(window.stepList()->state(Step::Merge), StepState::Done);
        grab(&window, scratch, "4-merge.png");

        // Export: a labelled video with the destination's audio, and Play offered.
        window.showStep(Step::Export);
        button(window.exportPage(), "exportStartButton")->click();
        QVERIFY2(jobs.waitFor("Export", 300000, &why), qPrintable(why));
        QVERIFY(button(window.exportPage(), "playButton")->isEnabled());
        QCOMPARE(window.stepList()->state(Step::Export), StepState::Done);
        fs::path result;
        for (const auto& entry : fs::directory_iterator(ws.resultDir()))
            if (entry.path().extension() == ".mp4") result = entry.path();
        QVERIFY(!result.empty());
        MediaFileSummary summary = inspectMediaFile(result);
        const MediaStreamSummary* video = summary.firstOfType("video");
        QVERIFY(video);
        QCOMPARE(video->packets, int64_t(50));
        QVERIFY(summary.firstOfType("audio"));
        QVERIFY(checkSyntheticLabel(summary.tags).labelled);
        grab(&window, scratch, "5-export.png");

        QVERIFY2(dialogs.seen.isEmpty(), qPrintable(dialogs.seen));
    }
};

QTEST_MAIN(StudioFullRunTest)
#include "test_studio_full_run.moc"
