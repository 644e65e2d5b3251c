// doppel-studio: the Qt front end. Creates the training engine (the only place that knows
// models/), injects it into the main window, and optionally opens a workspace or saves one
// screenshot per page (for the user guide; the mask editor too when a face has a drawn mask) and
// quits.
//   doppel-studio [--workspace DIR] [--screenshot-dir DIR [--screenshot-training-ms MS]]
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QStyleFactory>
#include <QTimer>

#include <memory>

#include "common/Log.h"
#include "models/models.h"
#include "ui/FaceGridModel.h"
#include "ui/FacesPage.h"
#include "ui/MainWindow.h"
#include "ui/MaskEditorDialog.h"
#include "ui/StepList.h"
#include "ui/TrainPage.h"

namespace doppel::ui {
void initResources();
}

namespace {

// With `trainingMs` > 0, after the pages: starts training on the Train page, asks for a preview,
// grabs the window mid-run (studio-4-train-live.png), stops (the model is saved) and quits once
// the job has finished.
void screenshotTraining(doppel::ui::MainWindow* window, const QString& dir, int trainingMs) {
    using doppel::ui::Step;
    window->showStep(Step::Train);
    auto* page = window->trainPage();
    page->startTraining();
    QTimer::singleShot(trainingMs / 2, window, [page] { page->requestPreview(); });
    QTimer::singleShot(trainingMs, window, [window, page, dir] {
        QString file = dir + QStringLiteral("/studio-4-train-live.png");
        window->grab().save(file);
        doppel::logInfo("saved " + file.toStdString());
        page->requestStop();
        auto* wait = new QTimer(window);
        QObject::connect(wait, &QTimer::timeout, window, [page] {
            if (!page->isTraining()) QApplication::quit();
        });
        wait->start(200);
    });
}

// On the Faces page: the mask editor over the first face that has a drawn mask, if one has
// (studio-3-mask-editor.png); closed again without changing anything.
void screenshotMaskEditor(doppel::ui::MainWindow* window, const QString& dir) {
    const auto& faces = window->facesPage()->model()->faces();
    for (size_t row = 0; row < faces.size(); ++row) {
        if (!faces[row].meta.hasDrawnMask()) continue;
        std::vector<std::filesystem::path> sidecars;
        for (const auto& entry : faces)
            sidecars.push_back(std::filesystem::path(entry.imagePath.toStdString()).parent_path() /
                               entry.meta.metaName());
        doppel::ui::MaskEditorDialog editor(std::move(sidecars), int(row), window);
        editor.show();
        QApplication::processEvents();
        QString file = dir + QStringLiteral("/studio-3-mask-editor.png");
        editor.grab().save(file);
        doppel::logInfo("saved " + file.toStdString());
        editor.reject();
        return;
    }
}

// Visits every step, lets asynchronous loads (thumbnails, probes) land, and grabs the window.
void takeScreenshots(doppel::ui::MainWindow* window, const QString& dir, int settleMs,
                     int trainingMs) {
    QDir().mkpath(dir);
    auto step = std::make_shared<int>(0);
    auto next = std::make_shared<std::function<void()>>();
    *next = [window, dir, step, next, settleMs, trainingMs] {
        using doppel::ui::Step;
        if (*step > 0) {
            QString name = doppel::ui::stepTitle(Step(*step - 1)).toLower();
            QString file = QStringLiteral("%1/studio-%2-%3.png").arg(dir).arg(*step).arg(name);
            window->grab().save(file);
            doppel::logInfo("saved " + file.toStdString());
            if (Step(*step - 1) == Step::Faces) screenshotMaskEditor(window, dir);
        }
        if (*step >= doppel::ui::kStepCount) {
            if (trainingMs > 0)
                screenshotTraining(window, dir, trainingMs);
            else
                QApplication::quit();
            return;
        }
        window->showStep(Step(*step));
        ++*step;
        QTimer::singleShot(settleMs, window, *next);
    };
    QTimer::singleShot(settleMs, window, *next);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Doppel"));
    QApplication::setApplicationName(QStringLiteral("doppel-studio"));
    QApplication::setApplicationVersion(QStringLiteral(DOPPEL_VERSION));
    // Fusion takes its colours from the platform palette, so dark and light follow the system.
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    doppel::ui::initResources();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Doppel Studio: a desktop face-swap studio."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption workspace(QStringLiteral("workspace"),
                                 QStringLiteral("Open this workspace."), QStringLiteral("DIR"));
    QCommandLineOption screenshots(QStringLiteral("screenshot-dir"),
                                   QStringLiteral("Save one PNG per page into DIR and quit."),
                                   QStringLiteral("DIR"));
    QCommandLineOption settle(
        QStringLiteral("screenshot-wait-ms"),
        QStringLiteral("Time given to each page before its screenshot (default 1500)."),
        QStringLiteral("MS"), QStringLiteral("1500"));
    QCommandLineOption training(
        QStringLiteral("screenshot-training-ms"),
        QStringLiteral("After the pages, train this long and grab the Train page mid-run."),
        QStringLiteral("MS"), QStringLiteral("0"));
    parser.addOptions({workspace, screenshots, settle, training});
    parser.process(app);

    std::unique_ptr<doppel::TrainingEngine> engine;
    try {
        engine = doppel::models::createTrainingEngine();
    } catch (const std::exception& e) {
        doppel::logError(std::string("training engine unavailable: ") + e.what());
    }

    std::unique_ptr<doppel::SegmentationEngine> maskEngine;
    try {
        maskEngine = doppel::models::createSegmentationEngine();
    } catch (const std::exception& e) {
        doppel::logError(std::string("mask model unavailable: ") + e.what());
    }

    doppel::ui::MainWindow window(engine.get());
    window.session()->setMaskEngine(maskEngine.get());
    window.show();
    if (parser.isSet(workspace)) window.openWorkspace(parser.value(workspace));
    if (parser.isSet(screenshots))
        takeScreenshots(&window, parser.value(screenshots), parser.value(settle).toInt(),
                        parser.value(training).toInt());
    int code = app.exec();
    return code;
}
