// "Start from a trained model..." on the Train page, with the real engine: a model trained in one
// workspace is copied into another (by workspace folder), the page names it and shows its saved
// loss curve; the name taken, the next copy is called "reused"; a folder without a model gives
// the reason and copies nothing.
#include <QTest>

#include <filesystem>

#include "common/AtomicFile.h"
#include "common/Progress.h"
#include "common/Workspace.h"
#include "engine/SyntheticFaces.h"
#include "models/models.h"
#include "support/TestSupport.h"
#include "ui/LossChart.h"
#include "ui/StudioSession.h"
#include "ui/TrainPage.h"

namespace fs = std::filesystem;
using namespace doppel;
using namespace doppel::ui;

class StudioReuseModelTest : public QObject {
    Q_OBJECT
  private:
    static Workspace packedWorkspace(const fs::path& dir) {
        const fs::path input = dir / "input.txt";
        fs::create_directories(dir);
        writeFileAtomic(input, "not needed for training");
        Workspace ws = Workspace::create(dir / "ws", input, input);
        test::writeSyntheticPair(ws.root(), 64, 8);
        return ws;
    }

  private Q_SLOTS:
    void startsANewModelFromOneTrainedElsewhere() {
        const fs::path scratch = test::scratchDir("gui_studio_reuse_model");
        Workspace trainedWs = packedWorkspace(scratch / "first");
        auto engine = models::createTrainingEngine();
        TrainRequest request;
        request.modelDir = trainedWs.modelDir("default");
        request.srcFaceset = trainedWs.packedDir(Side::Src);
        request.dstFaceset = trainedWs.packedDir(Side::Dst);
        request.options = engine->optionSchema().resolve({{"archi", "df-ud"},
                                                          {"resolution", 64},
                                                          {"batch", 2},
                                                          {"ae_dims", 32},
                                                          {"e_dims", 16},
                                                          {"d_dims", 16},
                                                          {"d_mask_dims", 8},
                                                          {"device", "cpu"},
                                                          {"threads", 2}});
        request.maxIterations = 3;
        NullProgressSink progress;
        CancelToken cancel;
        QVERIFY(engine->train(request, progress, cancel, nullptr, nullptr).ok());

        Workspace fresh = packedWorkspace(scratch / "second");
        StudioSession session(engine.get());
        TrainPage page(&session);
        session.setWorkspace(fresh);
        QCOMPARE(page.lossChart()->pointCount(), 0);

        QCOMPARE(page.startFromTrainedModel(trainedWs.root()), QString());
        QCOMPARE(page.modelName(), QStringLiteral("default"));
        QCOMPARE(readJsonFile(fresh.modelDir("default") / "latest.json")["iteration"].get<int>(),
                 3);
        QCOMPARE(page.lossChart()->pointCount(), 3);
        QVERIFY(page.statsLabel()->text().contains(QStringLiteral("iteration 3")));
        QCOMPARE(fresh.stageOptions("train")["ae_dims"].get<int>(), 32);

        // "default" is taken now: the next copy gets a name of its own.
        QCOMPARE(page.startFromTrainedModel(trainedWs.modelDir("default")), QString());
        QCOMPARE(page.modelName(), QStringLiteral("reused"));
        QVERIFY(fs::exists(fresh.modelDir("reused") / "latest.json"));

        const QString error = page.startFromTrainedModel(fresh.packedDir(Side::Src));
        QVERIFY2(error.contains(QStringLiteral("no trained model")), qPrintable(error));
        QCOMPARE(page.modelName(), QStringLiteral("reused"));
        QVERIFY(!fs::exists(fresh.modelDir("reused-2")));
    }
};

QTEST_MAIN(StudioReuseModelTest)
#include "test_studio_reuse_model.moc"
