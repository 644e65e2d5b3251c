#include "ui/LogBridge.h"

#include <QDateTime>
#include <QMutexLocker>

namespace doppel::ui {

LogBridge::LogBridge(QObject* parent) : QObject(parent) {
    setLogHandler([this](LogLevel level, const std::string& message) { handle(level, message); });
}

LogBridge::~LogBridge() {
    setLogHandler(nullptr);
}

void LogBridge::setLogFile(const QString& path) {
    QMutexLocker lock(&fileMutex_);
    file_.close();
    if (path.isEmpty()) return;
    file_.setFileName(path);
    if (!file_.open(QIODevice::Append | QIODevice::Text)) file_.setFileName(QString());
}

void LogBridge::handle(LogLevel level, const std::string& message) {
    QString text = QString::fromStdString(message);
    {
        QMutexLocker lock(&fileMutex_);
        if (file_.isOpen()) {
            QString line = QDateTime::currentDateTime().toString(Qt::ISODate) + " " +
                           logLevelName(level) + " " + text + "\n";
            file_.write(line.toUtf8());
            file_.flush();
        }
    }
    // Emitted from the calling thread; the queued connection carries it to the GUI thread.
    QMetaObject::invokeMethod(
        this, [this, level, text] { Q_EMIT messageLogged(int(level), text); },
        Qt::QueuedConnection);
}

}  // namespace doppel::ui
