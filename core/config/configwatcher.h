// Notices when the configuration file changes (by hand in an editor, by the
// service editor, by git) and reloads it.
//
// QFileSystemWatcher watches the file and its folder: editors (and QSaveFile)
// replace a file by renaming a new one over it, which ends a watch on the
// file itself; the folder's change brings the watch back. Changes are
// debounced (300 ms) so that a save in several steps is read once, when it
// is complete.
//
// A file that does not load keeps the running configuration: reloadFailed()
// carries every error as "FILE:LINE:COL: error: ...", one per line.
#pragma once

#include "configdiff.h"
#include "servicespec.h"

#include <QFileSystemWatcher>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace lifeline {

class ConfigWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfigWatcher)

public:
    // Watches `current.path`; `current` is the configuration running now.
    explicit ConfigWatcher(const Config &current, QObject *parent = nullptr);

    QString path() const { return m_config.path; }
    // The last configuration that loaded (the running one until a reload).
    const Config &config() const { return m_config; }

    void setDebounceInterval(int ms) { m_debounce.setInterval(ms); }
    int debounceInterval() const { return m_debounce.interval(); }

    // Reads the file now (a "Reload" menu entry); the signals follow as for a change.
    void reloadNow();
    // Makes `name` the active profile of config() ("" or "default": none),
    // and of every later reload of the file. No signal: the caller applies it.
    // False, with *error naming the profiles there are, for an unknown one.
    bool setProfile(const QString &name, QString *error);
    // Stops watching for good (Lifeline is quitting): a change waiting for
    // its debounce is dropped and nothing is read again by itself.
    void stop();

signals:
    // The file loaded: config() is the new configuration, `diff` says what
    // changed against the previous one. Not emitted when the bytes did not change.
    void reloaded(const lifeline::ConfigDiff &diff);
    // The file does not load (or cannot be read); config() stays as it was.
    void reloadFailed(const QString &errorsText);

private:
    void scheduleReload();
    void rewatch();

    Config m_config;
    QByteArray m_lastBytes;       // of the file behind m_config
    QByteArray m_failedBytes;     // the last content that failed, reported once
    QString m_unreadableReported; // why the file could not be read, reported once
    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::ConfigDiff)
