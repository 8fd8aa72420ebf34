// Applies edits of the configuration file to the running Fleet, in the GUI
// and headless alike: ConfigWatcher notices and loads the file, this applies
// the difference (Fleet::applyConfig). An edit that arrives while an
// emergency recovery runs waits until it has finished — the recovery walks
// the services step by step and must not see them change under it — and is
// then applied against what runs at that moment. Once the Fleet shuts down
// (Fleet::shutdownBegun) nothing is reloaded any more: the watcher stops and
// a change waiting for its debounce or for a recovery is dropped.
#pragma once

#include "config/configwatcher.h"

#include <QObject>

namespace lifeline {

class Fleet;
class Recovery;

class LiveReload final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveReload)

public:
    // `recovery` may be null (no deferral).
    LiveReload(Fleet *fleet, Recovery *recovery, QObject *parent = nullptr);

    ConfigWatcher *watcher() { return &m_watcher; }
    const Config &config() const { return m_watcher.config(); }
    bool isPending() const { return m_pending; }
    bool isStopped() const { return m_stopped; }
    // Switches the stack to profile `name` ("" or "default": none) the way
    // an edit of the file is applied: only the services whose definition
    // differs restart, in dependency order; applied() follows (after a
    // running recovery, like an edit). Later edits keep this profile.
    // False, with *error, for an unknown profile or while quitting.
    bool setProfile(const QString &name, QString *error);

signals:
    // One line for a person: what changed and what was done about it.
    void applied(const QString &summary);
    // The file does not load; everything keeps running as it was.
    void failed(const QString &errorsText);
    // A reload waits for the running recovery to finish.
    void deferred();

private:
    void applyWhenPossible();
    void apply();
    void stop();

    Fleet *m_fleet;
    Recovery *m_recovery;
    ConfigWatcher m_watcher;
    bool m_pending = false;
    bool m_stopped = false;
};

} // namespace lifeline
