#pragma once
// Installs the doppel log handler for the GUI: stages log from worker threads, so every message
// is forwarded to the GUI thread through a queued signal (and mirrored to a log file when one is
// set). Uninstalls itself on destruction so no late message reaches a dead object.
#include <QFile>
#include <QMutex>
#include <QObject>
#include <QString>

#include "common/Log.h"

namespace doppel::ui {

class LogBridge : public QObject {
    Q_OBJECT
  public:
    explicit LogBridge(QObject* parent = nullptr);
    ~LogBridge() override;
    /// Appends every message to `path` too (created if needed); empty turns it off.
    void setLogFile(const QString& path);

  Q_SIGNALS:
    void messageLogged(int level, const QString& text);

  private:
    void handle(LogLevel level, const std::string& message);
    QMutex fileMutex_;
    QFile file_;
};

}  // namespace doppel::ui
