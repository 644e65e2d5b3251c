#include "ui/ProjectPage.h"
#include "pipeline/FacesetReview.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "common/Error.h"
#include "common/Log.h"
#include "faces/AlignedFace.h"
#include "media/FrameSource.h"
#include "media/MediaProbe.h"
#include "pipeline/FacesetReview.h"
#include "ui/ImageConvert.h"

namespace doppel::ui {
namespace {

const QString kInputsJob = QStringLiteral("Source inputs");

struct ProbeResult {
    QString text;
    QImage thumbnail;
    bool ok = false;
};

ProbeResult probeFile(const QString& path, const QString& alignedDir) {
    ProbeResult out;
    try {
        int faceCount = -1;
        if (!alignedDir.isEmpty() && std::filesystem::exists(alignedDir.toStdString()))
            faceCount = int(listAlignedFaces(alignedDir.toStdString()).size());
        MediaInfo info = probeMedia(path.toStdString());
        QString text = QString::fromStdString(info.path.filename().string()) + "\n";
        text += QObject::tr("%1 x %2").arg(info.width).arg(info.height);
        if (info.kind == MediaKind::Video) {
            text += QObject::tr(", %1 fps, %2 s, %3 frames")
                        .arg(info.fps, 0, 'f', 2)
                        .arg(info.durationSeconds, 0, 'f', 1)
                        .arg(info.frameCount);
            text += info.hasAudio ? QObject::tr(", audio") : QObject::tr(", no audio");
        } else if (info.kind == MediaKind::ImageFolder) {
            text += QObject::tr(", %1 images").arg(info.frameCount);
        }
        text += "\n" + (faceCount >= 0 ? QObject::tr("%1 aligned faces").arg(faceCount)
                                       : QObject::tr("faces: not extracted yet"));
        out.text = text;
        out.thumbnail = toQImage(readThumbnail(path.toStdString(), 320));
        out.ok = true;
    } catch (const std::exception& e) {
        out.text = QObject::tr("Cannot read this input:\n%1").arg(QString::fromStdString(e.what()));
    }
    return out;
}

}  // namespace

ProjectPage::ProjectPage(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
    auto* layout = new QVBoxLayout(this);
    header_ = new QLabel(this);
    header_->setWordWrap(true);
    layout->addWidget(header_);

    auto* buttons = new QHBoxLayout;
    auto* newButton = new QPushButton(tr("New project..."), this);
    auto* openButton = new QPushButton(tr("Open workspace..."), this);
    buttons->addWidget(newButton);
    buttons->addWidget(openButton);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    auto* cards = new QHBoxLayout;
    cards->addWidget(buildCard(Side::Src), 1);
    cards->addWidget(buildCard(Side::Dst), 1);
    layout->addLayout(cards);

    createButton_ = new QPushButton(tr("Create project from these inputs..."), this);
    createButton_->setObjectName(QStringLiteral("createProjectButton"));
    layout->addWidget(createButton_, 0, Qt::AlignLeft);
    auto* hint =
        new QLabel(tr("Tip: drag a video onto the window. The first becomes the source (the face "
                      "to put in), the second the destination (the scene). Only use faces you "
                      "have consent to use."),
                   this);
    hint->setWordWrap(true);
    layout->addWidget(hint);
    layout->addStretch(1);

    connect(newButton, &QPushButton::clicked, this, &ProjectPage::startNewProject);
    connect(openButton, &QPushButton::clicked, this, [this] {
        QString dir = QFileDialog::getExistingDirectory(this, tr("Open workspace"));
        if (!dir.isEmpty()) Q_EMIT workspaceRequested(dir);
    });
    connect(createButton_, &QPushButton::clicked, this, &ProjectPage::createProject);
    connect(session_, &StudioSession::workspaceChanged, this, &ProjectPage::refreshFromWorkspace);
    connect(session_, &StudioSession::jobFinished, this,
            [this](const QString& name, const JobOutcome& outcome) {
                if (name == tr("Create project") && outcome.status == StageStatus::Succeeded &&
                    !pendingWorkspace_.isEmpty())
                    Q_EMIT workspaceRequested(pendingWorkspace_);
                else if (name == tr("Align faces") || name == tr("Extract"))
                    refreshFromWorkspace();
                else if (name == kInputsJob) {
                    refreshFromWorkspace();
                    session_->notifyProjectChanged();  // extract and align are stale now
                }
            });
    refreshFromWorkspace();
    updateCreateButton();
}

QWidget* ProjectPage::buildCard(Side side) {
    SideCard& card = cards_[size_t(side)];
    auto* box = new QGroupBox(
        side == Side::Src ? tr("Source (face to put in)") : tr("Destination (scene)"), this);
    auto* layout = new QVBoxLayout(box);
    card.thumbnail = new QLabel(box);
    card.thumbnail->setMinimumSize(320, 200);
    card.thumbnail->setAlignment(Qt::AlignCenter);
    card.thumbnail->setFrameShape(QFrame::StyledPanel);
    card.thumbnail->setText(tr("no input"));
    card.info = new QLabel(box);
    card.info->setWordWrap(true);
    card.info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    card.choose = new QPushButton(tr("Choose video..."), box);
    layout->addWidget(card.thumbnail);
    layout->addWidget(card.info);
    layout->addWidget(card.choose, 0, Qt::AlignLeft);
    connect(card.choose, &QPushButton::clicked, this, [this, side] { chooseInput(side); });
    if (side == Side::Src) {
        // A varied source faceset (other clips, light, angles) makes a better swap.
        card.moreInputs = new QLabel(box);
        card.moreInputs->setWordWrap(true);
        card.addInput = new QPushButton(tr("Add more of this person..."), box);
        card.addInput->setObjectName(QStringLiteral("addSourceInput"));
        card.addInput->setToolTip(
            tr("Another video, photo or folder of photos of the source person, or a faceset "
               "made elsewhere (DeepFaceLab, another workspace), for a more varied faceset: "
               "its frames are extracted in a block of their own (run Extract again)"));
        card.addInput->setEnabled(false);
        card.removeInput = new QPushButton(tr("Remove an added input..."), box);
        card.removeInput->setObjectName(QStringLiteral("removeSourceInput"));
        card.removeInput->setVisible(false);
        auto* inputButtons = new QHBoxLayout;
        inputButtons->addWidget(card.addInput);
        inputButtons->addWidget(card.removeInput);
        inputButtons->addStretch(1);
        layout->addWidget(card.moreInputs);
        layout->addLayout(inputButtons);
        connect(card.removeInput, &QPushButton::clicked, this, [this] {
            QStringList names;
            const auto inputs = session_->workspace().inputPaths(Side::Src);
            for (size_t k = 1; k < inputs.size(); ++k)
                names << QString::fromStdString(inputs[k].filename().string());
            bool ok = false;
            const QString name = QInputDialog::getItem(
                this, tr("Remove an added input"),
                tr("Its faces go to the trash and its frames with the next extract:"), names, 0,
                false, &ok);
            if (ok && !name.isEmpty()) removeSourceInput(name);
        });
        // A file, or a folder: of photos, or a faceset made elsewhere (DeepFaceLab's aligned/,
        // another workspace's), whose faces keep the landmarks and masks they carry.
        auto* addMenu = new QMenu(card.addInput);
        addMenu->addAction(tr("A video or photo..."), this, [this] {
            const QString path = QFileDialog::getOpenFileName(
                this, tr("More of the source person"), QString(),
                tr("Videos and images (*.mp4 *.mkv *.mov *.avi *.webm *.m4v *.png *.jpg "
                   "*.jpeg);;All files (*)"));
            if (!path.isEmpty()) addSourceInput(path);
        });
        addMenu
            ->addAction(tr("A folder of photos or a faceset..."), this,
                        [this] {
                            const QString dir = QFileDialog::getExistingDirectory(
                                this, tr("Photos of the source person, or a faceset (DeepFaceLab "
                                         "aligned faces, another workspace's aligned)"));
                            if (!dir.isEmpty()) addSourceInput(dir);
                        })
            ->setToolTip(tr("DeepFaceLab's data_src/aligned or another workspace's: align keeps "
                            "the landmarks and drawn masks its faces carry"));
        addMenu->setToolTipsVisible(true);
        card.addInput->setMenu(addMenu);
    }
    return box;
}

void ProjectPage::startNewProject() {
    chosen_ = {};
    for (Side side : {Side::Src, Side::Dst}) {
        cards_[size_t(side)].thumbnail->setPixmap({});
        cards_[size_t(side)].thumbnail->setText(tr("no input"));
        cards_[size_t(side)].info->clear();
        cards_[size_t(side)].choose->setEnabled(true);
    }
    header_->setText(tr("<b>New project.</b> Choose a source and a destination video."));
    updateCreateButton();
    if (isVisible()) chooseInput(Side::Src);
}

void ProjectPage::chooseInput(Side side) {
    QString path = QFileDialog::getOpenFileName(
        this, side == Side::Src ? tr("Source video") : tr("Destination video"), QString(),
        tr("Videos and images (*.mp4 *.mkv *.mov *.avi *.webm *.m4v *.png *.jpg *.jpeg);;All files "
           "(*)"));
    if (!path.isEmpty()) setChosen(side, path);
}

void ProjectPage::addDroppedInput(const QString& path) {
    if (session_->hasWorkspace() && chosen_[0].isEmpty() && chosen_[1].isEmpty())
        header_->setText(tr("<b>New project.</b> Drop or choose the destination video too."));
    setChosen(chosen_[0].isEmpty() ? Side::Src : Side::Dst, path);
}

void ProjectPage::setChosen(Side side, const QString& path) {
    chosen_[size_t(side)] = path;
    probe(side, path, QString());
    updateCreateButton();
}

void ProjectPage::updateCreateButton() {
    createButton_->setEnabled(!chosen_[0].isEmpty() && !chosen_[1].isEmpty());
}

void ProjectPage::probe(Side side, const QString& path, const QString& alignedDir) {
    SideCard& card = cards_[size_t(side)];
    card.info->setText(tr("reading %1 ...").arg(QFileInfo(path).fileName()));
    auto* watcher = new QFutureWatcher<ProbeResult>(this);
    connect(watcher, &QFutureWatcher<ProbeResult>::finished, this, [this, watcher, side, path] {
        ProbeResult result = watcher->result();
        watcher->deleteLater();
        SideCard& c = cards_[size_t(side)];
        if (!result.ok && chosen_[size_t(side)] == path) {
            // A new input that cannot be read: say so now, not when extraction fails later.
            chosen_[size_t(side)].clear();
            updateCreateButton();
            QMessageBox::warning(
                this, tr("Cannot use this input"),
                result.text + tr("\n\nPick a video (mp4, mkv, mov, ...), an image, "
                                 "or a folder of images."));
        }
        c.info->setText(result.text);
        if (result.thumbnail.isNull()) {
            c.thumbnail->setText(tr("no preview"));
        } else {
            c.thumbnail->setPixmap(QPixmap::fromImage(result.thumbnail));
        }
    });
    watcher->setFuture(QtConcurrent::run(probeFile, path, alignedDir));
}

void ProjectPage::createProject() {
    QString dir =
        QFileDialog::getExistingDirectory(this, tr("Folder for the new workspace (empty)"));
    if (!dir.isEmpty()) createProjectIn(dir);
}

void ProjectPage::createProjectIn(const QString& dir) {
    if (chosen_[0].isEmpty() || chosen_[1].isEmpty()) return;
    pendingWorkspace_ = dir;
    std::string src = chosen_[0].toStdString(), dst = chosen_[1].toStdString(),
                root = dir.toStdString();
    // Copying the videos into the workspace can take a while: a job, not the GUI thread.
    session_->startJob(tr("Create project"), [src, dst, root](ProgressSink&, const CancelToken&) {
        return runStageSafely("new", [&] {
            FrameSource::requireFrames(src);  // refused now, not at extract
            FrameSource::requireFrames(dst);
            Workspace ws = Workspace::create(root, src, dst);
            return StageResult::succeeded("workspace " + ws.root().string());
        });
    });
}

void ProjectPage::changeSourceInputs(const std::string& what,
                                     std::function<std::string(const Workspace&)> change) {
    if (!session_->hasWorkspace()) return;
    const Workspace ws = session_->workspace();
    // Copying a video into the workspace can take a while: a job, not the GUI thread.
    session_->startJob(kInputsJob, [ws, what, change](ProgressSink&, const CancelToken&) {
        return runStageSafely(what, [&] { return StageResult::succeeded(change(ws)); });
    });
}

void ProjectPage::addSourceInput(const QString& path) {
    const std::string input = path.toStdString();
    changeSourceInputs("add source", [input](const Workspace& ws) {
        FrameSource::requireFrames(input);
        return "added " + ws.addInput(Side::Src, input).string() +
               ": run Extract to add its frames";
    });
}

void ProjectPage::removeSourceInput(const QString& name) {
    const std::string input = name.toStdString();
    changeSourceInputs("remove source", [input](const Workspace& ws) {
        const int moved = FacesetReview::removeInput(ws, Side::Src, input);
        return "removed " + input + " from the source; " + std::to_string(moved) +
               " of its faces moved to the trash; run Extract";
    });
}

void ProjectPage::refreshFromWorkspace() {
    SideCard& source = cards_[size_t(Side::Src)];
    source.addInput->setEnabled(session_->hasWorkspace());
    source.removeInput->setVisible(false);
    source.moreInputs->clear();
    if (!session_->hasWorkspace()) {
        header_->setText(tr(
            "<b>No project open.</b> Create a new project from two videos, or open a workspace."));
        return;
    }
    const Workspace& ws = session_->workspace();
    chosen_ = {};
    updateCreateButton();
    header_->setText(
        tr("<b>Workspace</b> %1").arg(QString::fromStdString(ws.root().string()).toHtmlEscaped()));
    try {
        const auto inputs = ws.inputPaths(Side::Src);
        QStringList more;
        for (size_t k = 1; k < inputs.size(); ++k)
            more << QString::fromStdString(inputs[k].filename().string());
        source.removeInput->setVisible(!more.isEmpty());
        if (!more.isEmpty())
            source.moreInputs->setText(tr("and %n more input(s): %1", "", int(more.size()))
                                           .arg(more.join(QStringLiteral(", "))));
    } catch (const std::exception& e) {
        source.moreInputs->setText(QString::fromStdString(e.what()));
    }
    for (Side side : {Side::Src, Side::Dst}) {
        try {
            probe(side, QString::fromStdString(ws.inputPath(side).string()),
                  QString::fromStdString(ws.alignedDir(side).string()));
        } catch (const std::exception& e) {
            cards_[size_t(side)].info->setText(QString::fromStdString(e.what()));
        }
    }
}

}  // namespace doppel::ui
