// The mask editor: polygons drawn with the mouse and keys land in the face's sidecar in aligned
// pixels, exclude polygons after include ones, "Copy from previous" moves a mask through the
// frame onto the next face, closing saves; from the Faces page a saved mask marks the pack stale
// and labels the face. A grab of the dialog is written to test-tmp/mask_editor.png.
#include <QApplication>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"
#include "ui/FaceGridModel.h"
#include "ui/FacesPage.h"
#include "ui/MaskCanvas.h"
#include "ui/MaskEditorDialog.h"
#include "ui/StudioSession.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class MaskEditorTest : public QObject {
    Q_OBJECT
  private:
    // Three 256 px faces cut from a real photo; face i sits 4*i px further right in its frame.
    static Workspace makeWorkspace(const std::string& name) {
        auto dir = test::scratchDir(name);
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        cv::Mat photo = cv::imread(test::dataFile("photos/grace_hopper.jpg").string());
        fs::create_directories(ws.alignedDir(Side::Src));
        for (int i = 1; i <= 3; ++i) {
            cv::Mat face;
            cv::resize(photo(cv::Rect(100, 60, 300, 300)), face, cv::Size(256, 256));
            AlignedFace meta;
            meta.sourceFrame = QString::asprintf("%06d.png", i).toStdString();
            meta.frameIndex = i;
            meta.size = 256;
            meta.box = {float(4 * i), 0, 256, 256};
            meta.frameToAligned = {1, 0, -4.0 * i, 0, 1, 0};
            meta.frameWidth = 512;
            meta.frameHeight = 600;
            for (int k = 0; k < 68; ++k)
                meta.landmarks.push_back({float(4 * i + 60 + 2 * k), float(100 + (k % 17) * 6)});
            cv::imwrite((ws.alignedDir(Side::Src) / meta.imageName()).string(), face);
            writeAlignedFace(ws.alignedDir(Side::Src) / meta.metaName(), meta);
        }
        return ws;
    }

    static std::vector<fs::path> sidecars(const Workspace& ws) {
        std::vector<fs::path> out;
        for (int i = 1; i <= 3; ++i)
            out.push_back(ws.alignedDir(Side::Src) /
                          QString::asprintf("%06d_0.json", i).toStdString());
        return out;
    }

    static void clickAt(MaskCanvas* canvas, float x, float y,
                        Qt::MouseButton button = Qt::LeftButton) {
        QTest::mouseClick(canvas, button, {}, canvas->toWidget({x, y}).toPoint());
    }

  private Q_SLOTS:
    void drawsIncludeAndExcludePolygonsAndSavesThem() {
        Workspace ws = makeWorkspace("gui_mask_editor");
        MaskEditorDialog dialog(sidecars(ws), 0);
        dialog.resize(640, 760);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        MaskCanvas* canvas = dialog.canvas();

        // Include: a triangle, closed with a right click.
        clickAt(canvas, 40, 40);
        clickAt(canvas, 220, 40);
        clickAt(canvas, 128, 230);
        QCOMPARE(canvas->pendingPoints(), 3);
        clickAt(canvas, 0, 0, Qt::RightButton);
        QCOMPARE(int(canvas->polygons().size()), 1);
        // Exclude: a square (a hand), a stray point taken back, closed with Enter.
        QRadioButton* exclude = nullptr;
        for (auto* b : dialog.findChildren<QRadioButton*>())
            if (b->text() == "Exclude") exclude = b;
        QVERIFY(exclude);
        QTest::mouseClick(exclude, Qt::LeftButton);
        QVERIFY(!canvas->includeMode());
        for (auto [x, y] :
             {std::pair{100.f, 100.f}, {160.f, 100.f}, {160.f, 160.f}, {100.f, 160.f}})
            clickAt(canvas, x, y);
        clickAt(canvas, 250, 250);
        QTest::keyClick(canvas, Qt::Key_Backspace);
        QCOMPARE(canvas->pendingPoints(), 4);
        QTest::keyClick(canvas, Qt::Key_Return);
        QCOMPARE(int(canvas->polygons().size()), 2);
        QVERIFY(canvas->isModified());
        QVERIFY(dialog.windowTitle().contains("1 of 3"));
        QDir().mkpath(QString::fromStdString(test::envPath("DOPPEL_TEST_TMP", "/tmp").string()));
        dialog.grab().save(QString::fromStdString(
            (test::envPath("DOPPEL_TEST_TMP", "/tmp") / "mask_editor.png").string()));

        // Moving on writes the sidecar, in aligned pixels (within a pixel of the clicks).
        dialog.next();
        QCOMPARE(dialog.currentIndex(), 1);
        AlignedFace saved = readAlignedFace(sidecars(ws)[0]);
        QCOMPARE(int(saved.maskPolygons.size()), 2);
        QVERIFY(saved.maskPolygons[0].include);
        QVERIFY(!saved.maskPolygons[1].include);
        QCOMPARE(int(saved.maskPolygons[1].points.size()), 4);
        QVERIFY(std::abs(saved.maskPolygons[0].points[1][0] - 220) < 1.0f);
        QVERIFY(std::abs(saved.maskPolygons[1].points[2][1] - 160) < 1.0f);
        QCOMPARE(saved.landmarks.size(), size_t(68));  // the rest of the sidecar is kept

        // Face 2 sits 4 px further right in its frame: the copied mask moves 4 px left in it.
        auto* copy = dialog.findChild<QPushButton*>("copyFromPrevious");
        QVERIFY(copy);
        QTest::mouseClick(copy, Qt::LeftButton);
        QCOMPARE(int(canvas->polygons().size()), 2);
        QVERIFY(std::abs(canvas->polygons()[0].points[0][0] -
                         (saved.maskPolygons[0].points[0][0] - 4)) < 1e-3f);
        dialog.accept();  // closing saves
        QCOMPARE(dialog.savedCount(), 2);
        QCOMPARE(int(readAlignedFace(sidecars(ws)[1]).maskPolygons.size()), 2);
        QVERIFY(!readAlignedFace(sidecars(ws)[2]).hasDrawnMask());
    }

    void fromTheFacesPageASavedMaskMarksThePackStale() {
        Workspace ws = makeWorkspace("gui_mask_editor_page");
        ws.setStageStatus("pack.src", "done");
        StudioSession session(nullptr);
        FacesPage page(&session);
        QSignalSpy loaded(&page, &FacesPage::facesLoaded);
        session.setWorkspace(ws);
        QVERIFY(loaded.wait(10000));
        // The editor is modal: draw and close it from inside its event loop.
        QTimer::singleShot(100, [] {
            auto* editor = qobject_cast<MaskEditorDialog*>(QApplication::activeModalWidget());
            QVERIFY(editor);
            QCOMPARE(editor->currentIndex(), 1);
            editor->canvas()->setPolygons({{true, {{10, 10}, {200, 10}, {100, 200}}}});
            editor->accept();
        });
        page.editMasks(1);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(ws.stageStatus("pack.src"), std::string("stale"));
        QCOMPARE(page.model()->data(page.model()->index(1), Qt::DisplayRole).toString(),
                 QString("000002_0 mask"));
        QCOMPARE(page.model()->data(page.model()->index(0), Qt::DisplayRole).toString(),
                 QString("000001_0.jpg"));
    }
};

QTEST_MAIN(MaskEditorTest)
#include "test_mask_editor.moc"
