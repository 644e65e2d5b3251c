// The people dialog (Faces page, "People..."): a real two-person scene, aligned with keep=all,
// shows one row per speaker with a strip of their faces (a track broken in two: its second row
// says whom it looks like); unticking says what will go, enables Remove, and applying moves
// exactly that speaker's faces to the trash. Unticking everyone is refused. A grab of the dialog is
// written to test-tmp/people_dialog.png.
#include <QApplication>
#include <QPushButton>
#include <QTest>

#include <filesystem>

#include "common/Progress.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "support/TestSupport.h"
#include "support/TwoPeopleClip.h"
#include "ui/PeopleDialog.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class PeopleDialogTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void removesTheUntickedSpeaker() {
        const fs::path dir = test::scratchDir("gui_people");
        const fs::path clip = test::twoPeopleClip(dir, 8);
        Workspace ws = Workspace::create(dir / "ws", clip, clip);
        NullProgressSink progress;
        CancelToken cancel;
        QVERIFY(ExtractStage::run(ws, Side::Dst, nlohmann::json::object(), progress, cancel).ok());
        QVERIFY(AlignStage::run(ws, Side::Dst, {{"keep", "all"}}, progress, cancel).ok());
        QCOMPARE(listAlignedFaces(ws.alignedDir(Side::Dst)).size(), size_t(16));
        // The right speaker's track broken after frame 5, as a cut would: a third row.
        for (AlignedFace face : listAlignedFaces(ws.alignedDir(Side::Dst)))
            if (face.faceIndex == 1 && face.frameIndex > 5) {
                face.trackId = 50;
                writeAlignedFace(ws.alignedDir(Side::Dst) / face.metaName(), face);
            }

        PeopleDialog dialog(ws, Side::Dst);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.list()->count(), 3);
        QVERIFY(dialog.hintText().isEmpty());  // every face was aligned
        QVERIFY(dialog.list()->item(0)->text().contains(QStringLiteral("frames 1-8, 8 faces")));
        // The strips and "looks like" come in from a worker thread.
        QTRY_VERIFY_WITH_TIMEOUT(dialog.facesLoaded(), 20000);
        QVERIFY(!dialog.list()->item(1)->text().contains(QStringLiteral("looks like")));
        QVERIFY2(dialog.list()->item(2)->text().contains(QStringLiteral("looks like Person 1")),
                 qPrintable(dialog.list()->item(2)->text()));
        const QImage strip = dialog.list()->item(0)->icon().pixmap(QSize(336, 84)).toImage();
        QVERIFY(qAlpha(strip.pixel(42, 42)) == 255);   // the first face drawn
        QVERIFY(qAlpha(strip.pixel(294, 42)) == 255);  // and the last
        auto* apply = dialog.findChild<QPushButton*>(QStringLiteral("applyPeople"));
        QVERIFY(apply);
        QVERIFY(!apply->isEnabled());  // nothing unticked yet

        dialog.list()->item(1)->setCheckState(Qt::Unchecked);
        QVERIFY(apply->isEnabled());
        QVERIFY2(
            dialog.summaryText().contains(QStringLiteral("5 faces of one person go to the trash")),
            qPrintable(dialog.summaryText()));
        dialog.list()->item(2)->setCheckState(Qt::Unchecked);
        QVERIFY2(dialog.summaryText().contains(QStringLiteral("8 faces of 2 people")),
                 qPrintable(dialog.summaryText()));
        QVERIFY(dialog.grab().save(QString::fromStdString(
            (test::envPath("DOPPEL_TEST_TMP", "/tmp") / "people_dialog.png").string())));
        dialog.list()->item(0)->setCheckState(Qt::Unchecked);
        QVERIFY(!apply->isEnabled());
        QVERIFY(dialog.summaryText().contains(QStringLiteral("at least one")));
        dialog.list()->item(0)->setCheckState(Qt::Checked);

        const float rightSpeakerX = dialog.groups()[1].faces.front().box[0];
        QCOMPARE(dialog.apply(), 8);
        const auto kept = listAlignedFaces(ws.alignedDir(Side::Dst));
        QCOMPARE(kept.size(), size_t(8));
        for (const AlignedFace& face : kept) QVERIFY(face.box[0] < rightSpeakerX);
        QCOMPARE(listAlignedFaces(ws.trashDir(Side::Dst)).size(), size_t(8));
    }
};

QTEST_MAIN(PeopleDialogTest)
#include "test_people_dialog.moc"
