// The face placement dialog (Faces page, "Place faces..."): it opens on the first frame without
// a face, a square dragged loosely around the face shows the landmarks the detector finds near
// it and the crop that will be saved, a landmark dragged on its own is saved where it was
// dropped, Save writes a "manual" face with those landmarks and moves on; Next/Previous walk
// only frames without a face unless told otherwise; the grid labels the placed face. A grab of
// the dialog is written to test-tmp/face_placement.png.
#include <QApplication>
#include <QCheckBox>
#include <QPushButton>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <filesystem>

#include "common/Progress.h"
#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "pipeline/AlignStage.h"
#include "pipeline/ExtractStage.h"
#include "support/TestSupport.h"
#include "ui/FaceGridModel.h"
#include "ui/FacePlacementDialog.h"
#include "ui/PlacementCanvas.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class FacePlacementTest : public QObject {
    Q_OBJECT
  private:
    /// 10 frames of a GRID clip, aligned, with the faces of frames 4 and 7 deleted in review.
    static Workspace makeWorkspace(const std::string& name) {
        auto dir = test::scratchDir(name);
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        NullProgressSink progress;
        CancelToken cancel;
        auto extracted = ExtractStage::run(ws, Side::Src, {{"end", 0.4}}, progress, cancel);
        if (!extracted.ok()) qFatal("extract failed: %s", extracted.message.c_str());
        auto aligned = AlignStage::run(ws, Side::Src, nlohmann::json::object(), progress, cancel);
        if (!aligned.ok()) qFatal("align failed: %s", aligned.message.c_str());
        fs::create_directories(ws.trashDir(Side::Src));
        for (const char* stem : {"000004_0", "000007_0"})
            for (const char* ext : {".json", ".jpg"})
                fs::rename(ws.alignedDir(Side::Src) / (std::string(stem) + ext),
                           ws.trashDir(Side::Src) / (std::string(stem) + ext));
        return ws;
    }

    static void drag(PlacementCanvas* canvas, QPointF from, QPointF to) {
        QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->toWidget(from).toPoint());
        QTest::mouseMove(canvas, canvas->toWidget((from + to) / 2).toPoint());
        QTest::mouseMove(canvas, canvas->toWidget(to).toPoint());
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->toWidget(to).toPoint());
    }

  private Q_SLOTS:
    void placesADeletedFaceFromADraggedBox() {
        Workspace ws = makeWorkspace("gui_face_placement");
        const AlignedFace reference = readAlignedFace(ws.trashDir(Side::Src) / "000004_0.json");

        FacePlacementDialog dialog(ws, Side::Src, 0);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.currentFrame(), int64_t(4));
        QVERIFY(dialog.windowTitle().contains(QStringLiteral("2 without a face")));
        QVERIFY(!dialog.saveFace());  // nothing drawn yet
        QVERIFY(dialog.statusText().contains(QStringLiteral("Draw a box")));

        // A square a little off the detector's box and larger, as a hand draws it.
        const float side = reference.box[2];
        const QPointF from(reference.box[0] - 0.1 * side, reference.box[1] - 0.2 * side);
        drag(dialog.canvas(), from, from + QPointF(1.25 * side, 1.25 * side));
        QVERIFY(dialog.canvas()->hasBox());
        QVERIFY2(dialog.statusText().contains(QStringLiteral("detector found the face")),
                 qPrintable(dialog.statusText()));
        QVERIFY(dialog.grab().save(QString::fromStdString(
            (test::envPath("DOPPEL_TEST_TMP", "/tmp") / "face_placement.png").string())));

        // The chin point dragged on its own, 12 widget pixels down: saved where it was dropped.
        PlacementCanvas* canvas = dialog.canvas();
        const auto chin = canvas->candidate()[8];
        const QPoint grab = canvas->toWidget(QPointF(chin[0], chin[1])).toPoint();
        const QPoint drop = grab + QPoint(0, 12);
        QTest::mousePress(canvas, Qt::LeftButton, {}, grab);
        QTest::mouseMove(canvas, drop);
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, drop);
        const QPointF dropped = canvas->toFrame(drop);
        QVERIFY2(dialog.statusText().contains(QStringLiteral("moved by hand")),
                 qPrintable(dialog.statusText()));
        QVERIFY(canvas->hasBox());  // the box stayed where it was

        auto* save = dialog.findChild<QPushButton*>(QStringLiteral("saveFace"));
        QVERIFY(save);
        save->click();
        QCOMPARE(dialog.placedCount(), 1);
        QCOMPARE(dialog.currentFrame(), int64_t(7));  // on to the next frame without a face
        const fs::path placed = ws.alignedDir(Side::Src) / "000004_1.json";
        QVERIFY(fs::exists(placed));
        const AlignedFace face = readAlignedFace(placed);
        QCOMPARE(face.placement, std::string("manual"));
        double distance = 0;
        for (size_t k = 0; k < 68; ++k)
            distance += std::hypot(face.landmarks[k][0] - reference.landmarks[k][0],
                                   face.landmarks[k][1] - reference.landmarks[k][1]);
        QVERIFY2(distance / 68 < 2.0, qPrintable(QString::number(distance / 68)));
        QVERIFY(std::abs(face.landmarks[8][0] - dropped.x()) < 0.01);
        QVERIFY(std::abs(face.landmarks[8][1] - dropped.y()) < 0.01);
        QVERIFY(face.landmarks[8][1] > chin[1] + 1.0);

        // Only frames without a face: 7 is the last, and 4 no longer is one.
        dialog.next();
        QCOMPARE(dialog.currentFrame(), int64_t(7));
        dialog.previous();
        QCOMPARE(dialog.currentFrame(), int64_t(7));
        dialog.setOnlyFramesWithoutFace(false);
        dialog.previous();
        QCOMPARE(dialog.currentFrame(), int64_t(6));

        // The wheel resizes the box about its centre; a click without a drag keeps it.
        drag(dialog.canvas(), from, from + QPointF(side, side));
        const QRectF before = dialog.canvas()->box();
        QWheelEvent wheel(dialog.canvas()->toWidget(before.center()), QCursor::pos(), {}, {0, 120},
                          Qt::NoButton, {}, Qt::NoScrollPhase, false);
        QApplication::sendEvent(dialog.canvas(), &wheel);
        QVERIFY(std::abs(dialog.canvas()->box().width() - before.width() * 1.1) < 0.01);
        QVERIFY((dialog.canvas()->box().center() - before.center()).manhattanLength() < 0.01);
        const QRectF sized = dialog.canvas()->box();
        QTest::mouseClick(dialog.canvas(), Qt::LeftButton, {},
                          dialog.canvas()->toWidget(QPointF(5, 5)).toPoint());
        QCOMPARE(dialog.canvas()->box(), sized);

        // The grid labels the face placed by hand.
        FaceGridModel model;
        model.setFaces(
            {{QString::fromStdString((ws.alignedDir(Side::Src) / "000004_1.jpg").string()), face}});
        QVERIFY(model.data(model.index(0), Qt::DisplayRole).toString().contains("placed"));
    }
};

QTEST_MAIN(FacePlacementTest)
#include "test_face_placement.moc"
