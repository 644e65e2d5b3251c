// The Faces page drives the real face-mask engine: "Train" (until Stop) gathers the faces with
// drawn masks and trains; Stop saves the model; "Apply to all faces" writes a mask next to every
// face of both sides and marks both packs stale; the newest preview is shown.
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/Workspace.h"
#include "faces/AlignedFace.h"
#include "models/models.h"
#include "support/TestSupport.h"
#include "ui/FacesPage.h"
#include "ui/StudioSession.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class StudioMaskModelTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void trainsStopsAndApplies() {
        auto dir = test::scratchDir("gui_studio_mask_model");
        auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        cv::Mat photo = cv::imread(test::dataFile("photos/grace_hopper.jpg").string());
        for (Side side : {Side::Src, Side::Dst}) {
            fs::create_directories(ws.alignedDir(side));
            for (int i = 1; i <= 3; ++i) {
                cv::Mat face;
                cv::resize(photo(cv::Rect(80 + 10 * i, 50, 320, 320)), face, cv::Size(128, 128));
                AlignedFace meta;
                meta.sourceFrame = QString::asprintf("%06d.png", i).toStdString();
                meta.frameIndex = i;
                meta.size = 128;
                meta.frameToAligned = {1, 0, 0, 0, 1, 0};
                meta.frameWidth = 512;
                meta.frameHeight = 600;
                for (int k = 0; k < 68; ++k)
                    meta.landmarks.push_back({float(30 + k), float(40 + (k % 17) * 4)});
                if (i == 1) meta.maskPolygons = {{true, {{20, 20}, {108, 20}, {64, 120}}}};
                cv::imwrite((ws.alignedDir(side) / meta.imageName()).string(), face);
                writeAlignedFace(ws.alignedDir(side) / meta.metaName(), meta);
            }
            ws.setStageStatus(std::string("pack.") + sideName(side), "done");
        }
        ws.setStageOptions("xseg", {{"resolution", 64}, {"dims", 8}, {"threads", 2}});

        auto engine = models::createSegmentationEngine();
        StudioSession session(nullptr);
        session.setMaskEngine(engine.get());
        FacesPage page(&session);
        QSignalSpy loaded(&page, &FacesPage::facesLoaded);
        session.setWorkspace(ws);
        QVERIFY(loaded.wait(10000));
        QSignalSpy finished(&session, &StudioSession::jobFinished);

        page.findChild<QSpinBox*>("maskMinutes")->setValue(0);  // until Stop
        QTest::mouseClick(page.findChild<QPushButton*>("maskTrainButton"), Qt::LeftButton);
        QVERIFY(session.isJobRunning());
        QTest::qWait(3000);
        session.cancelJob();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.back().at(0).toString(), QString("Train mask model"));
        QVERIFY(fs::exists(ws.xsegDir() / "latest.json"));  // a stopped run is saved
        bool previewShown = false;  // the newest preview replaces the frame view
        for (auto* label : page.findChildren<QLabel*>())
            previewShown |= label->text().startsWith("Mask model preview");
        QVERIFY(previewShown);

        QTest::mouseClick(page.findChild<QPushButton*>("maskApplyButton"), Qt::LeftButton);
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.back().at(0).toString(), QString("Apply mask model"));
        for (Side side : {Side::Src, Side::Dst}) {
            for (int i = 1; i <= 3; ++i)
                QVERIFY(fs::exists(ws.alignedDir(side) /
                                   QString::asprintf("%06d_0_xseg.png", i).toStdString()));
            QCOMPARE(ws.stageStatus(std::string("pack.") + sideName(side)), std::string("stale"));
        }
    }
};

QTEST_MAIN(StudioMaskModelTest)
#include "test_studio_mask_model.moc"
