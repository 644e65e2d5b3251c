// The Faces page lists the aligned faces of a side (thumbnails load asynchronously), moves the
// selected ones with their sidecars to trash/, restores them, all at once or face by face from
// the trash's own view, never over a face of the same name (either marks the side's packed
// faceset stale, so training packs again), marks faces align's fill_gaps placed, and sorts by
// blur and by person; "Keep best" thins the faceset as a job.
#include <QComboBox>
#include <QListView>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "support/TestSupport.h"
#include "ui/FaceGridModel.h"
#include "ui/FaceSortOrder.h"
#include "ui/FacesPage.h"
#include "ui/StudioSession.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class FacesPageTest : public QObject {
    Q_OBJECT
  private:
    // Four faces cut from a real photo; face 3 is blurred so that the blur sort has a loser.
    static Workspace makeWorkspace() {
        auto dir = test::scratchDir("gui_faces_page");
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        cv::Mat photo = cv::imread(test::dataFile("photos/grace_hopper.jpg").string());
        fs::create_directories(ws.alignedDir(Side::Src));
        for (int i = 1; i <= 4; ++i) {
            cv::Mat face;
            cv::resize(photo(cv::Rect(100 + i * 10, 60, 300, 300)), face, cv::Size(128, 128));
            if (i == 3) cv::GaussianBlur(face, face, cv::Size(0, 0), 4.0);
            AlignedFace meta;
            meta.sourceFrame = QString::asprintf("%06d.png", i).toStdString();
            meta.frameIndex = i;
            meta.faceIndex = 0;
            meta.box = {10, 10, 100, 100};
            meta.size = 128;
            if (i == 4) meta.placement = "interpolated";  // align's fill_gaps placed it
            meta.frameWidth = 512;
            meta.frameHeight = 600;
            for (int k = 0; k < 68; ++k)
                meta.landmarks.push_back({float(20 + k), float(30 + (k % 17) * 3)});
            cv::imwrite((ws.alignedDir(Side::Src) / meta.imageName()).string(), face);
            writeAlignedFace(ws.alignedDir(Side::Src) / meta.metaName(), meta);
        }
        return ws;
    }

  private Q_SLOTS:
    void deletesToTrashAndRestores() {
        Workspace ws = makeWorkspace();
        StudioSession session(nullptr);
        FacesPage page(&session);
        page.resize(1000, 700);
        page.show();
        QSignalSpy loaded(&page, &FacesPage::facesLoaded);
        session.setWorkspace(ws);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(loaded.back().front().toInt(), 4);
        QCOMPARE(page.model()->rowCount(), 4);
        // A face the detector lost and fill_gaps placed is marked for review; the others not.
        auto label = [&](int row) {
            return page.model()->data(page.model()->index(row), Qt::DisplayRole).toString();
        };
        QCOMPARE(label(0), QString("000001_0.jpg"));
        QCOMPARE(label(3), QString("000004_0 filled"));
        QVERIFY(page.model()
                    ->data(page.model()->index(3), Qt::ToolTipRole)
                    .toString()
                    .contains("the detector lost this face"));

        // Thumbnails arrive from the pool: the decoration turns from the grey placeholder into
        // the face (which is not uniformly grey).
        QVERIFY(QTest::qWaitFor(
            [&] {
                QPixmap p =
                    page.model()->data(page.model()->index(0), Qt::DecorationRole).value<QPixmap>();
                QImage img = p.toImage();
                return img.pixelColor(10, 10) != QColor(90, 90, 90) ||
                       img.pixelColor(60, 60) != QColor(90, 90, 90);
            },
            5000));
        ws.setStageStatus("pack.src", "done");
        ws.setStageStatus("pack.dst", "done");

        auto* grid = page.findChild<QListView*>();
        QVERIFY(grid);
        grid->selectionModel()->select(page.model()->index(1), QItemSelectionModel::Select);
        grid->selectionModel()->select(page.model()->index(2), QItemSelectionModel::Select);
        page.deleteSelected();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(page.model()->rowCount(), 2);
        QVERIFY(fs::exists(ws.trashDir(Side::Src) / "000002_0.jpg"));
        QVERIFY(fs::exists(ws.trashDir(Side::Src) / "000002_0.json"));
        QVERIFY(!fs::exists(ws.alignedDir(Side::Src) / "000003_0.jpg"));
        QCOMPARE(int(listAlignedFaces(ws.alignedDir(Side::Src)).size()), 2);
        QCOMPARE(ws.stageStatus("pack.src"), std::string("stale"));
        QCOMPARE(ws.stageStatus("pack.dst"), std::string("done"));

        // The trash's own view: one deleted face restored alone; the tools that act on a
        // side's faces are off there.
        auto* sideCombo = page.findChildren<QComboBox*>().at(0);
        sideCombo->setCurrentIndex(2);  // "Source: deleted faces"
        QVERIFY(loaded.wait(10000));
        QVERIFY(page.showingDeleted());
        QCOMPARE(page.model()->rowCount(), 2);
        auto* restore = page.findChild<QPushButton*>(QStringLiteral("restoreButton"));
        QCOMPARE(restore->text(), QString("Restore selected"));
        QVERIFY(!page.findChild<QPushButton*>(QStringLiteral("placeFaces"))->isEnabled());
        QVERIFY(page.grab().save(QString::fromStdString(
            (test::envPath("DOPPEL_TEST_TMP", "/tmp") / "faces_page_deleted.png").string())));
        QCOMPARE(label(1), QString("000003_0.jpg"));
        grid->selectionModel()->select(page.model()->index(1), QItemSelectionModel::Select);
        page.deleteSelected();  // nothing to delete in the trash
        QVERIFY(fs::exists(ws.trashDir(Side::Src) / "000003_0.jpg"));
        page.restoreDeleted();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(page.model()->rowCount(), 1);
        QVERIFY(fs::exists(ws.alignedDir(Side::Src) / "000003_0.json"));
        QVERIFY(fs::exists(ws.trashDir(Side::Src) / "000002_0.json"));

        // A face of that name written again since (align ran) is never overwritten.
        fs::copy_file(ws.trashDir(Side::Src) / "000002_0.json",
                      ws.alignedDir(Side::Src) / "000002_0.json");
        page.restoreDeleted();  // nothing selected: all of them, but 000002_0 is taken
        QVERIFY(loaded.wait(10000));
        QVERIFY(fs::exists(ws.trashDir(Side::Src) / "000002_0.jpg"));
        fs::remove(ws.alignedDir(Side::Src) / "000002_0.json");

        sideCombo->setCurrentIndex(0);
        QVERIFY(loaded.wait(10000));
        QVERIFY(page.findChild<QPushButton*>(QStringLiteral("placeFaces"))->isEnabled());
        QCOMPARE(restore->text(), QString("Restore deleted"));
        page.restoreDeleted();
        QVERIFY(loaded.wait(10000));
        QCOMPARE(page.model()->rowCount(), 4);
        QVERIFY(fs::exists(ws.alignedDir(Side::Src) / "000002_0.json"));
        QVERIFY(fs::is_empty(ws.trashDir(Side::Src)));
    }

    void sortsByPersonAsThePeopleDialogListsThem() {
        // Two people through frames 1-3 (tracks 4 and 9, 9 appearing first), a photo face.
        std::vector<FaceEntry> faces;
        auto add = [&](int64_t frame, int index, int track) {
            FaceEntry e;
            e.meta.frameIndex = frame;
            e.meta.faceIndex = index;
            e.meta.trackId = track;
            faces.push_back(e);
        };
        add(1, 0, 9), add(1, 1, 4), add(2, 0, 4), add(2, 1, 9), add(3, 0, 9), add(4, 0, -1);
        QCOMPARE(faceSortOrder(faces, FaceSort::ByPerson), (std::vector<size_t>{0, 3, 4, 1, 2, 5}));
    }

    void sortsByBlurWithTheBlurriestFirst() {
        Workspace ws = makeWorkspace();
        StudioSession session(nullptr);
        FacesPage page(&session);
        QSignalSpy loaded(&page, &FacesPage::facesLoaded);
        session.setWorkspace(ws);
        QVERIFY(loaded.wait(10000));
        auto* sort = page.findChildren<QComboBox*>().at(1);
        QVERIFY(sort->itemText(1).contains("blur"));
        sort->setCurrentIndex(1);
        QVERIFY(QTest::qWaitFor([&] { return page.model()->face(0).meta.frameIndex == 3; }, 10000));
    }

    void keepsTheBestFacesAsAJob() {
        Workspace ws = makeWorkspace();
        StudioSession session(nullptr);
        FacesPage page(&session);
        QSignalSpy loaded(&page, &FacesPage::facesLoaded);
        session.setWorkspace(ws);
        QVERIFY(loaded.wait(10000));
        page.keepBest(2);
        QVERIFY(loaded.wait(20000));
        QCOMPARE(page.model()->rowCount(), 2);
        // The blurred face is the one the blurriest fifth leaves out first.
        QVERIFY(!fs::exists(ws.alignedDir(Side::Src) / "000003_0.jpg"));
        QCOMPARE(int(listAlignedFaces(ws.trashDir(Side::Src)).size()), 2);
    }
};

QTEST_MAIN(FacesPageTest)
#include "test_faces_page.moc"
