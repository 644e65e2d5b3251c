// The Project page of an open workspace: "Add more of this person..." copies another input into
// the source (as a job), lists it under the source card, and marks extract stale; the
// destination card has no such button; "Remove an added input..." takes it out again.
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "common/Workspace.h"
#include "support/TestSupport.h"
#include "ui/ProjectPage.h"
#include "ui/StudioSession.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class ProjectPageTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void addsMoreSourceInputsToAnOpenWorkspace() {
        auto dir = test::scratchDir("gui_project_page");
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        ws.setStageStatus("extract.src", "done");
        StudioSession session(nullptr);
        ProjectPage page(&session);
        auto buttons = page.findChildren<QPushButton*>(QStringLiteral("addSourceInput"));
        QCOMPARE(buttons.size(), 1);  // the source card only
        QPushButton* add = buttons.front();
        QVERIFY(!add->isEnabled());  // no workspace yet
        session.setWorkspace(ws);
        QVERIFY(add->isEnabled());
        // A file, or a folder (photos, or a faceset made elsewhere).
        QVERIFY(add->menu());
        QCOMPARE(add->menu()->actions().size(), 2);
        QVERIFY(add->menu()->actions()[1]->text().contains(QStringLiteral("faceset")));

        QSignalSpy finished(&session, &StudioSession::jobFinished);
        page.addSourceInput(QString::fromStdString(test::dataFile("photos/lisa3.jpg").string()));
        QVERIFY(finished.wait(10000));
        QCOMPARE(ws.inputPaths(Side::Src).size(), size_t(2));
        QCOMPARE(ws.inputPaths(Side::Src)[1].filename().string(), std::string("input_2.jpg"));
        QCOMPARE(ws.stageStatus("extract.src"), std::string("stale"));
        bool listed = false;
        for (QLabel* label : page.findChildren<QLabel*>())
            listed =
                listed || label->text().contains(QStringLiteral("1 more input(s): input_2.jpg"));
        QVERIFY(listed);
        auto* remove = page.findChild<QPushButton*>(QStringLiteral("removeSourceInput"));
        QVERIFY(remove && !remove->isHidden());

        // A folder: a DeepFaceLab faceset.
        page.addSourceInput(QString::fromStdString(test::dataFile("dfl").string()));
        QVERIFY(finished.wait(10000));
        QCOMPARE(ws.inputPaths(Side::Src).size(), size_t(3));
        QVERIFY(fs::is_directory(ws.inputPaths(Side::Src)[2]));
        page.removeSourceInput(QStringLiteral("input_3"));
        QVERIFY(finished.wait(10000));

        // Taken out again: the card shows one input and no remove button.
        page.removeSourceInput(QStringLiteral("input_2.jpg"));
        QVERIFY(finished.wait(10000));
        QCOMPARE(ws.inputPaths(Side::Src).size(), size_t(1));
        QVERIFY(!fs::exists(ws.sideDir(Side::Src) / "input_2.jpg"));
        QVERIFY(remove->isHidden());
    }
};

QTEST_MAIN(ProjectPageTest)
#include "test_project_page.moc"
