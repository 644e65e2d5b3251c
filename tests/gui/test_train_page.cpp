// The train page shows a preview frame pushed into the trainer's mailbox: the GUI-thread timer
// takes it, draws the grid, the iteration and losses, and the loss chart; presets fill the form
// for a new model; "Timelapse" encodes the saved previews as a job.
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <filesystem>

#include "common/TrainingEngine.h"
#include "common/Workspace.h"
#include "support/TestSupport.h"
#include "ui/LossChart.h"
#include "ui/OptionForm.h"
#include "ui/StudioSession.h"
#include "ui/TrainPage.h"

using namespace doppel;
using namespace doppel::ui;

namespace {

// Only what the page asks before training starts; train() is never called here.
class IdleEngine : public TrainingEngine {
  public:
    IdleEngine() {
        schema_.addInt("resolution", 128, 64, 512, "face side in pixels")
            .fixedOnResume()
            .inGroup("Model");
        schema_.addInt("batch", 8, 1, 256, "faces per step").inGroup("Training");
        schema_.addChoice("arch", "liae-ud", {"df-ud", "liae-ud"}, "architecture").inGroup("Model");
    }
    const OptionSchema& optionSchema() const override { return schema_; }
    std::string deviceDescription(const std::string&) const override {
        return "CPU: no CUDA device found";
    }
    int64_t estimatePeakMemoryBytes(const nlohmann::json& options) const override {
        return options.at("batch").get<int64_t>() * (int64_t(1) << 28);
    }
    StageResult train(const TrainRequest&, ProgressSink&, const CancelToken&,
                      LatestMailbox<TrainingUpdate>*, CommandQueue<TrainerCommand>*) override {
        return StageResult::failed("not used in this test");
    }
    std::unique_ptr<FaceSwapper> loadSwapper(const std::filesystem::path&) const override {
        return nullptr;
    }

  private:
    OptionSchema schema_;
};

// The same engine with two presets, the second suggested for its device.
class PresetEngine : public IdleEngine {
  public:
    std::vector<TrainPreset> presets() const override {
        return {
            {"tiny", "Tiny", "for tests", {{"resolution", 64}, {"batch", 4}}},
            {"big", "Big", "for tests", {{"resolution", 256}, {"batch", 16}, {"arch", "df-ud"}}}};
    }
    std::string suggestedPreset() const override { return "big"; }
};

}  // namespace

class TrainPageTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void showsAPreviewPushedIntoTheMailbox() {
        IdleEngine engine;
        StudioSession session(&engine);
        TrainPage page(&session);
        page.resize(1100, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.previewLabel()->pixmap().isNull());

        TrainingUpdate update;
        update.iteration = 1234;
        update.srcLoss = 0.25f;
        update.dstLoss = 0.5f;
        update.msPerIteration = 420;
        update.preview = ImageU8(320, 128, 3, 0);
        for (int y = 0; y < 128; ++y)
            for (int x = 0; x < 320; ++x) update.preview.at(y, x, 2) = 255;  // red in BGR
        update.maskPreview = ImageU8(320, 128, 3, 255);
        for (int i = 1; i <= 10; ++i)
            update.lossHistory.push_back({i * 100, 1.0f / float(i), 1.5f / float(i)});
        page.mailbox().post(update);

        // Nobody calls pollMailbox: the page's own timer must pick it up.
        QVERIFY(QTest::qWaitFor([&] { return !page.previewLabel()->pixmap().isNull(); }, 5000));
        QImage shown = page.previewLabel()->pixmap().toImage();
        QColor centre = shown.pixelColor(shown.width() / 2, shown.height() / 2);
        QVERIFY2(centre.red() > 200 && centre.green() < 50 && centre.blue() < 50,
                 qPrintable(centre.name()));
        QVERIFY2(page.statsLabel()->text().contains("1234"), qPrintable(page.statsLabel()->text()));
        QVERIFY(page.statsLabel()->text().contains("420 ms/iter"));
        QCOMPARE(page.lossChart()->pointCount(), 10);
        QVERIFY(!page.mailbox().take().has_value());  // taken by the page

        // The mask view toggle shows the mask grid (white) instead.
        auto* maskBox = page.findChild<QCheckBox*>();
        QVERIFY(maskBox);
        maskBox->setChecked(true);
        QImage mask = page.previewLabel()->pixmap().toImage();
        QColor maskCentre = mask.pixelColor(mask.width() / 2, mask.height() / 2);
        QVERIFY2(maskCentre.green() > 200, qPrintable(maskCentre.name()));
    }

    void showsDeviceAndMemoryEstimateFromTheEngine() {
        IdleEngine engine;
        StudioSession session(&engine);
        TrainPage page(&session);
        QList<QLabel*> labels = page.findChildren<QLabel*>();
        auto find = [&](const QString& text) {
            for (QLabel* l : labels)
                if (l->text().contains(text)) return l;
            return static_cast<QLabel*>(nullptr);
        };
        QLabel* device = find("CPU: no CUDA device found");
        QVERIFY(device);
        QVERIFY2(device->text().contains("2.00 GiB"),
                 qPrintable(device->text()));  // batch 8 * 256 MiB
        auto* form = page.findChild<OptionForm*>();
        QVERIFY(form);
        form->setValues({{"batch", 16}});
        QVERIFY2(device->text().contains("4.00 GiB"), qPrintable(device->text()));
    }

    void aNewModelStartsFromTheSuggestedPresetAndAnEditMakesItCustom() {
        PresetEngine engine;
        StudioSession session(&engine);
        TrainPage page(&session);
        auto* form = page.findChild<OptionForm*>();
        QVERIFY(form);
        QCOMPARE(page.presetCombo()->count(), 3);  // Custom, Tiny, Big
        QVERIFY(page.presetCombo()->itemText(2).contains("suggested"));

        const auto dir = test::scratchDir("gui_train_presets");
        const auto video = test::dataFile("video/grid_s2_150f.mp4");
        session.setWorkspace(Workspace::create(dir / "ws", video, video));
        QCOMPARE(page.presetCombo()->currentIndex(), 2);  // a new workspace: the suggestion
        QCOMPARE(form->values()["resolution"].get<int>(), 256);
        QCOMPARE(form->values()["arch"].get<std::string>(), std::string("df-ud"));
        QVERIFY(page.presetCombo()->isEnabled());

        QVERIFY(page.applyPreset("tiny"));
        QCOMPARE(page.presetCombo()->currentIndex(), 1);
        QCOMPARE(form->values()["batch"].get<int>(), 4);
        QVERIFY(!page.applyPreset("nonexistent"));
        form->setValues({{"batch", 6}});  // an edit by hand: no longer the preset
        QCOMPARE(page.presetCombo()->currentIndex(), 0);
        QCOMPARE(form->values()["resolution"].get<int>(), 64);

        // A model that exists keeps its architecture: no presets for it.
        std::filesystem::create_directories(session.workspace().modelDir("default"));
        session.setWorkspace(session.workspace());
        QVERIFY(!page.presetCombo()->isEnabled());
    }

    void makesATimelapseOfTheSavedPreviewsAsAJob() {
        IdleEngine engine;
        StudioSession session(&engine);
        TrainPage page(&session);
        const auto dir = test::scratchDir("gui_train_timelapse");
        const auto video = test::dataFile("video/grid_s2_150f.mp4");
        session.setWorkspace(Workspace::create(dir / "ws", video, video));
        const auto previews = session.workspace().modelDir("default") / "previews";
        std::filesystem::create_directories(previews);
        for (const char* name : {"preview_00000100.png", "preview_00000200.png"})
            QVERIFY(QImage(240, 160, QImage::Format_RGB32)
                        .save(QString::fromStdString((previews / name).string())));
        QSignalSpy finished(&session, &StudioSession::jobFinished);
        auto* button = page.findChild<QPushButton*>(QStringLiteral("timelapseButton"));
        QVERIFY(button);
        button->click();
        QVERIFY(finished.wait(30000));
        const auto out = session.workspace().modelDir("default") / "timelapse.mp4";
        QVERIFY2(std::filesystem::exists(out), out.string().c_str());
    }
};

QTEST_MAIN(TrainPageTest)
#include "test_train_page.moc"
