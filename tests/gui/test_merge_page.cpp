// The merge page re-renders the current frame when a slider moves, on a worker thread, with the
// new value in the options; a burst of changes ends with a render of the newest settings; a frame
// without a face says so and offers to place one; a strip under the slider marks the frames
// without a face and the ranges with their own settings, and "next" walks the former.
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTest>
#include <QThread>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/AtomicFile.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"
#include "ui/FrameMarkerBar.h"
#include "ui/MergePage.h"
#include "ui/StudioSession.h"

using namespace doppel;
using namespace doppel::ui;

namespace {

// A renderer that draws the frame darker by `erode` so the output depends on the settings,
// records what it was asked, and checks it never runs on the GUI thread.
struct RecordingRenderer {
    std::mutex mutex;
    std::vector<std::pair<int64_t, int>> calls;  // frame, erode
    std::atomic<bool> onGuiThread{false};
    std::atomic<int> concurrent{0}, maxConcurrent{0};

    MergeRender render(int64_t frame, const nlohmann::json& options) {
        if (QThread::currentThread() == qApp->thread()) onGuiThread = true;
        int now = ++concurrent;
        maxConcurrent = std::max(maxConcurrent.load(), now);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        MergeRender out;
        out.frameIndex = frame;
        out.before = QImage(64, 48, QImage::Format_RGB32);
        out.before.fill(QColor(200, 200, 200));
        out.after = out.before.copy();
        int erode = options.at("erode").get<int>();
        out.after.fill(QColor(std::clamp(100 + erode, 0, 255), 50, 50));
        {
            std::lock_guard<std::mutex> lock(mutex);
            calls.emplace_back(frame, erode);
        }
        --concurrent;
        return out;
    }
};

}  // namespace

class MergePageTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void rerendersWhenASliderMoves() {
        StudioSession session(nullptr);
        MergePage page(&session);
        page.resize(900, 600);
        page.show();
        auto renderer = std::make_shared<RecordingRenderer>();
        QSignalSpy rendered(&page, &MergePage::rendered);
        page.setRenderer(
            [renderer](int64_t f, const nlohmann::json& o) { return renderer->render(f, o); },
            {1, 2, 3, 4, 5});
        QVERIFY(rendered.wait(5000));
        QCOMPARE(page.lastRender().frameIndex, int64_t(1));
        int before = page.renderCount();

        QSlider* erode = page.slider("erode");
        QVERIFY(erode);
        QElapsedTimer clock;
        clock.start();
        erode->setValue(40);
        QVERIFY(rendered.wait(5000));
        qint64 latencyMs = clock.elapsed();
        QVERIFY2(latencyMs < 1000, qPrintable(QString::number(latencyMs)));
        QCOMPARE(page.renderCount(), before + 1);
        {
            std::lock_guard<std::mutex> lock(renderer->mutex);
            QCOMPARE(renderer->calls.back().second, 40);
        }
        QCOMPARE(page.lastRender().after.pixelColor(0, 0).red(), 140);
        QVERIFY(!renderer->onGuiThread);

        // Scrubbing renders another frame.
        page.frameSlider()->setValue(3);
        QVERIFY(QTest::qWaitFor([&] { return page.lastRender().frameIndex == 4; }, 5000));
    }

    void offersToPlaceAFaceInAFrameWithoutOne() {
        StudioSession session(nullptr);
        MergePage page(&session);
        page.resize(900, 600);
        page.show();
        QSignalSpy rendered(&page, &MergePage::rendered);
        // Frames 1 and 3 have a face, frame 2 passes through.
        page.setRenderer(
            [](int64_t frame, const nlohmann::json&) {
                MergeRender out;
                out.frameIndex = frame;
                out.before = QImage(64, 48, QImage::Format_RGB32);
                out.before.fill(Qt::gray);
                out.after = out.before.copy();
                out.faces = frame % 2;
                return out;
            },
            {1, 2, 3});
        QVERIFY(rendered.wait(5000));
        auto* place = page.findChild<QPushButton*>(QStringLiteral("placeFaceHere"));
        QVERIFY(place);
        QVERIFY(place->isHidden());
        page.frameSlider()->setValue(1);
        QVERIFY(QTest::qWaitFor([&] { return page.lastRender().frameIndex == 2; }, 5000));
        QVERIFY(!place->isHidden());
        bool said = false;
        for (QLabel* label : page.findChildren<QLabel*>())
            said = said || label->text() == QStringLiteral("frame 2: no face, not swapped");
        QVERIFY(said);
        page.frameSlider()->setValue(2);
        QVERIFY(QTest::qWaitFor([&] { return page.lastRender().frameIndex == 3; }, 5000));
        QVERIFY(place->isHidden());
    }

    void marksFramesWithoutAFaceAndRangesWithTheirOwnSettings() {
        const auto dir = test::scratchDir("gui_merge_markers");
        const auto video = test::dataFile("video/grid_s2_150f.mp4");
        Workspace ws = Workspace::create(dir / "ws", video, video);
        std::filesystem::create_directories(ws.alignedDir(Side::Dst));
        for (const char* stem : {"000001_0", "000003_0", "000004_0"})  // 2 and 5 have no face
            writeFileAtomic(ws.alignedDir(Side::Dst) / (std::string(stem) + ".json"), "{}");
        ws.updateProject([](nlohmann::json& p) {
            p["options"]["merge.overrides"] = {
                {{"first", 3}, {"last", 4}, {"set", {{"erode", 9}}}}};
        });
        StudioSession session(nullptr);
        session.setWorkspace(ws);
        MergePage page(&session);
        page.resize(900, 600);
        page.show();
        page.setRenderer(
            [](int64_t frame, const nlohmann::json&) {
                MergeRender out;
                out.frameIndex = frame;
                out.before = QImage(64, 48, QImage::Format_RGB32);
                out.after = out.before.copy();
                return out;
            },
            {1, 2, 3, 4, 5});
        QCOMPARE(page.markers()->ticks(), (std::vector<int>{1, 4}));
        QCOMPARE(page.markers()->bands(), (std::vector<std::pair<int, int>>{{2, 3}}));
        auto* next = page.findChild<QPushButton*>(QStringLiteral("nextWithoutFace"));
        QVERIFY(next && !next->isHidden());
        QCOMPARE(next->text(), QString("2 without a face: next"));
        next->click();
        QCOMPARE(page.frameSlider()->value(), 1);
        next->click();
        QCOMPARE(page.frameSlider()->value(), 4);
        next->click();  // wraps round
        QCOMPARE(page.frameSlider()->value(), 1);
        // A click on the strip moves the slider there.
        QTest::mouseClick(page.markers(), Qt::LeftButton, {},
                          QPoint(page.markers()->width() - 2, 3));
        QCOMPARE(page.frameSlider()->value(), 4);
        QVERIFY(page.markers()->grab().save(QString::fromStdString(
            (test::envPath("DOPPEL_TEST_TMP", "/tmp") / "merge_markers.png").string())));
    }

    void aBurstOfChangesEndsWithTheNewestSettings() {
        StudioSession session(nullptr);
        MergePage page(&session);
        auto renderer = std::make_shared<RecordingRenderer>();
        page.setRenderer(
            [renderer](int64_t f, const nlohmann::json& o) { return renderer->render(f, o); }, {7});
        QSlider* erode = page.slider("erode");
        for (int v = 1; v <= 30; ++v) erode->setValue(v);  // while the first render runs
        QVERIFY(QTest::qWaitFor(
            [&] {
                std::lock_guard<std::mutex> lock(renderer->mutex);
                return !renderer->calls.empty() && renderer->calls.back().second == 30;
            },
            5000));
        QTest::qWait(200);
        std::lock_guard<std::mutex> lock(renderer->mutex);
        // Latest wins: far fewer renders than changes, never two at once, the last one newest.
        QVERIFY2(renderer->calls.size() <= 4, qPrintable(QString::number(renderer->calls.size())));
        QCOMPARE(renderer->maxConcurrent.load(), 1);
        QCOMPARE(renderer->calls.back().second, 30);
        QCOMPARE(page.currentOptions().at("erode").get<int>(), 30);
    }
};

QTEST_MAIN(MergePageTest)
#include "test_merge_page.moc"
