#include "ui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>

#include "common/Log.h"
#include "ui/ExportPage.h"
#include "ui/ExtractPage.h"
#include "ui/FacesPage.h"
#include "ui/LogBridge.h"
#include "ui/MergePage.h"
#include "ui/ProjectPage.h"
#include "ui/StepList.h"
#include "ui/TrainPage.h"

namespace doppel::ui {
namespace {

constexpr int kMaxRecent = 8;

bool isMediaFile(const QString& path) {
    static const QStringList kinds = {"mp4", "mkv", "mov", "avi",  "webm",
                                      "m4v", "png", "jpg", "jpeg", "bmp"};
    QFileInfo info(path);
    return info.isDir() || kinds.contains(info.suffix().toLower());
}

}  // namespace

QString remedyFor(const QString& message) {
    QString m = message.toLower();
    if (m.contains("shape_predictor") || m.contains("landmark model"))
        return QObject::tr(
            "Install the dlib landmark model: sudo apt install libdlib-data "
            "(it provides /usr/share/dlib/shape_predictor_68_face_landmarks.dat).");
    if (m.contains("no project") || m.contains("project.json"))
        return QObject::tr(
            "Pick a folder that holds a project.json, or create a new project on the Project "
            "page.");
    if (m.contains("packed") || m.contains("doppel pack"))
        return QObject::tr(
            "Review the faces on the Faces page and press \"Pack for training\" for both sides.");
    if (m.contains("aligned"))
        return QObject::tr("Run Extract (frames and faces) for both sides first.");
    if (m.contains("frames")) return QObject::tr("Run Extract for this side first.");
    if (m.contains("model") && m.contains("not found"))
        return QObject::tr("Train a model on the Train page first.");
    if (m.contains("merged")) return QObject::tr("Run \"Merge all\" on the Merge page first.");
    if (m.contains("invalid data") || m.contains("cannot open") || m.contains("not a video"))
        return QObject::tr("The file is not a readable video or image: pick another file.");
    if (m.contains("space") || m.contains("permission"))
        return QObject::tr("Free some disk space or pick a folder you can write to.");
    return {};
}

MainWindow::MainWindow(TrainingEngine* engine, QWidget* parent)
    : QMainWindow(parent), session_(new StudioSession(engine, this)), log_(new LogBridge(this)) {
    setWindowTitle(tr("Doppel Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/doppel.svg")));
    setAcceptDrops(true);

    QString logDir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    if (!logDir.isEmpty() && QDir().mkpath(logDir)) log_->setLogFile(logDir + "/doppel-studio.log");

    steps_ = new StepList(this);
    stack_ = new QStackedWidget(this);
    projectPage_ = new ProjectPage(session_, this);
    extractPage_ = new ExtractPage(session_, this);
    facesPage_ = new FacesPage(session_, this);
    trainPage_ = new TrainPage(session_, this);
    mergePage_ = new MergePage(session_, this);
    exportPage_ = new ExportPage(session_, this);
    for (QWidget* page : std::initializer_list<QWidget*>{projectPage_, extractPage_, facesPage_,
                                                         trainPage_, mergePage_, exportPage_})
        stack_->addWidget(page);

    auto* central = new QSplitter(Qt::Horizontal, this);
    central->addWidget(steps_);
    central->addWidget(stack_);
    central->setStretchFactor(1, 1);
    central->setChildrenCollapsible(false);
    setCentralWidget(central);

    logView_ = new QPlainTextEdit(this);
    logView_->setReadOnly(true);
    logView_->setMaximumBlockCount(5000);
    auto* dock = new QDockWidget(tr("Log"), this);
    dock->setObjectName(QStringLiteral("logDock"));
    dock->setWidget(logView_);
    addDockWidget(Qt::BottomDockWidgetArea, dock);

    buildStatusBar();
    buildMenus();
    menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"))->addAction(dock->toggleViewAction());
    dock->toggleViewAction()->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));

    connect(steps_, &StepList::stepSelected, this,
            [this](Step step) { stack_->setCurrentIndex(int(step)); });
    connect(log_, &LogBridge::messageLogged, this, &MainWindow::appendLog);
    connect(session_, &StudioSession::projectChanged, this, &MainWindow::refreshSteps);
    connect(session_, &StudioSession::workspaceChanged, this, [this] {
        QString root = QString::fromStdString(session_->workspace().root().string());
        setWindowTitle(tr("Doppel Studio - %1").arg(root));
        addRecent(root);
    });
    connect(session_, &StudioSession::jobStarted, this, &MainWindow::onJobStarted);
    connect(session_, &StudioSession::jobProgress, this, &MainWindow::onJobProgress);
    connect(session_, &StudioSession::jobFinished, this, &MainWindow::onJobFinished);
    connect(projectPage_, &ProjectPage::workspaceRequested, this, &MainWindow::openWorkspace);

    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1280, 820);
    // The log panel starts low so the pages get the room; a saved layout wins.
    // Docks can only be sized once the window has its geometry: after the first layout pass.
    if (!restoreState(settings.value("window/state").toByteArray()))
        QTimer::singleShot(0, this, [this, dock] { resizeDocks({dock}, {140}, Qt::Vertical); });
    steps_->setCurrentRow(0);
    refreshSteps();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildStatusBar() {
    jobLabel_ = new QLabel(tr("Idle"), this);
    jobProgress_ = new QProgressBar(this);
    jobProgress_->setMaximumWidth(260);
    jobProgress_->setVisible(false);
    etaLabel_ = new QLabel(this);
    statusBar()->addWidget(jobLabel_, 1);
    statusBar()->addPermanentWidget(jobProgress_);
    statusBar()->addPermanentWidget(etaLabel_);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* newProject = file->addAction(tr("&New Project..."), this, [this] {
        showStep(Step::Project);
        projectPage_->startNewProject();
    });
    newProject->setShortcut(QKeySequence::New);
    QAction* open =
        file->addAction(tr("&Open Workspace..."), this, &MainWindow::chooseAndOpenWorkspace);
    open->setShortcut(QKeySequence::Open);
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* cancel =
        edit->addAction(tr("&Cancel Running Job"), session_, &StudioSession::cancelJob);
    cancel->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    edit->addAction(tr("Clear &Log"), logView_, &QPlainTextEdit::clear);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    for (int i = 0; i < kStepCount; ++i) {
        QAction* go = view->addAction(stepTitle(Step(i)), this, [this, i] { showStep(Step(i)); });
        go->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
    }
    view->addSeparator();

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Doppel Studio"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::showAbout() {
    QMessageBox::about(
        this, tr("About Doppel Studio"),
        tr("<h3>Doppel Studio %1</h3>"
           "<p>A desktop face-swap studio: extract, align, train, merge and export on one "
           "workspace.</p>"
           "<p><b>Only use faces you have consent to use.</b> Do not use this software to deceive, "
           "harass or impersonate anyone.</p>"
           "<p>Every output is labelled as synthetic media: an invisible watermark in the merged "
           "faces "
           "and a label in the exported video's metadata.</p>")
            .arg(QStringLiteral(DOPPEL_VERSION)));
}

bool MainWindow::openWorkspace(const QString& dir) {
    try {
        session_->openWorkspace(dir);
        return true;
    } catch (const std::exception& e) {
        QString message = QString::fromStdString(e.what());
        logError(e.what());
        QMessageBox::warning(this, tr("Cannot open workspace"),
                             message + "\n\n" + remedyFor(message));
        return false;
    }
}

void MainWindow::chooseAndOpenWorkspace() {
    QString dir = QFileDialog::getExistingDirectory(this, tr("Open workspace"));
    if (!dir.isEmpty()) openWorkspace(dir);
}

void MainWindow::addRecent(const QString& dir) {
    QSettings settings;
    QStringList recent = settings.value("recentWorkspaces").toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue("recentWorkspaces", recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    recentMenu_->clear();
    QStringList recent = QSettings().value("recentWorkspaces").toStringList();
    for (const QString& dir : recent)
        recentMenu_->addAction(dir, this, [this, dir] { openWorkspace(dir); });
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::showStep(Step step) {
    steps_->setCurrentRow(int(step));
    stack_->setCurrentIndex(int(step));
}

void MainWindow::refreshSteps() {
    nlohmann::json project;
    if (session_->hasWorkspace()) {
        try {
            project = session_->workspace().project();
        } catch (const std::exception& e) {
            logWarning(e.what());
        }
    }
    std::vector<StepState> states = computeStepStates(project, session_->hasWorkspace());
    if (std::optional<Step> running = session_->runningStep())
        states[size_t(*running)] = StepState::Running;
    steps_->setStates(states);
}

void MainWindow::appendLog(int level, const QString& text) {
    QString prefix = QString::fromLatin1(logLevelName(LogLevel(level)));
    logView_->appendPlainText(QStringLiteral("[%1] %2").arg(prefix, text));
}

void MainWindow::onJobStarted(const QString& name) {
    jobLabel_->setText(tr("Running: %1").arg(name));
    jobProgress_->setRange(0, 0);
    jobProgress_->setVisible(true);
    etaLabel_->clear();
}

void MainWindow::onJobProgress(const JobProgress& p) {
    QString what = p.side.isEmpty() ? p.stage : p.stage + " " + p.side;
    jobLabel_->setText(tr("Running: %1  %2").arg(what, p.message));
    if (p.total > 0) {
        jobProgress_->setRange(0, 1000);
        jobProgress_->setValue(int(1000.0 * double(p.done) / double(p.total)));
        jobProgress_->setFormat(QStringLiteral("%1 / %2").arg(p.done).arg(p.total));
    } else {
        jobProgress_->setRange(0, 0);
    }
    etaLabel_->setText(tr("%1/s  ETA %2").arg(p.rate, 0, 'f', 1).arg(formatEta(p.etaSeconds)));
}

void MainWindow::onJobFinished(const QString& name, const JobOutcome& outcome) {
    jobProgress_->setVisible(false);
    etaLabel_->clear();
    switch (outcome.status) {
        case StageStatus::Succeeded:
            jobLabel_->setText(tr("%1 finished: %2").arg(name, outcome.message));
            logInfo(name.toStdString() + ": " + outcome.message.toStdString());
            break;
        case StageStatus::Cancelled:
            jobLabel_->setText(tr("%1 cancelled").arg(name));
            logInfo(name.toStdString() + " cancelled");
            break;
        case StageStatus::Failed: {
            jobLabel_->setText(tr("%1 failed").arg(name));
            logError(outcome.message.toStdString());
            if (!closeWhenIdle_) {
                QString remedy = remedyFor(outcome.message);
                QMessageBox::warning(
                    this, tr("%1 failed").arg(name),
                    outcome.message + (remedy.isEmpty() ? QString() : "\n\n" + remedy));
            }
            break;
        }
    }
    if (closeWhenIdle_) close();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (session_->isJobRunning()) {
        if (!closeWhenIdle_) {
            bool training = trainPage_->isTraining();
            QString question = training
                                   ? tr("Training is running. Stop it, save the model and quit?")
                                   : tr("'%1' is running. Cancel it and quit?")
                                         .arg(session_->currentJob()->name());
            if (QMessageBox::question(this, tr("Quit Doppel Studio"), question) !=
                QMessageBox::Yes) {
                event->ignore();
                return;
            }
            closeWhenIdle_ = true;
            // Training saves on Stop; a stage keeps what it finished. Either way we wait for the
            // job's finished signal (never block the GUI thread) and close then.
            if (training)
                trainPage_->requestStop();
            else
                session_->cancelJob();
            jobLabel_->setText(tr("Stopping before quitting..."));
        }
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!event->mimeData()->hasUrls()) return;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile() && isMediaFile(url.toLocalFile())) {
            event->acceptProposedAction();
            return;
        }
}

void MainWindow::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile()) continue;
        QString path = url.toLocalFile();
        if (QFileInfo(path + "/project.json").exists()) {
            openWorkspace(path);
            event->acceptProposedAction();
            return;
        }
        if (isMediaFile(path)) {
            showStep(Step::Project);
            projectPage_->addDroppedInput(path);
        }
    }
    event->acceptProposedAction();
}

}  // namespace doppel::ui
