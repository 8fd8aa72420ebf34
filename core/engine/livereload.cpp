#include "engine/livereload.h"

#include "recovery/recovery.h"
#include "supervise/fleet.h"

namespace lifeline {

LiveReload::LiveReload(Fleet *fleet, Recovery *recovery, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_recovery(recovery)
    , m_watcher(fleet->config(), this)
{
    connect(&m_watcher, &ConfigWatcher::reloaded, this, [this](const ConfigDiff &) {
        if (m_recovery && m_recovery->isRunning()) {
            if (!m_pending) {
                m_pending = true;
                emit deferred();
            }
            return;
        }
        apply();
    });
    connect(&m_watcher, &ConfigWatcher::reloadFailed, this, &LiveReload::failed);
    connect(m_fleet, &Fleet::shutdownBegun, this, &LiveReload::stop);
    if (m_recovery) {
        connect(m_recovery, &Recovery::finished, this, [this] {
            if (m_pending)
                apply();
        });
    }
}

void LiveReload::stop()
{
    m_stopped = true;
    m_pending = false;
    m_watcher.stop();
    disconnect(&m_watcher, nullptr, this, nullptr);
}

void LiveReload::apply()
{
    m_pending = false;
    // Against what runs, not against the previous file: when edits piled up
    // during a recovery, this is their sum.
    const ConfigDiff diff = ConfigDiff::compute(m_fleet->config(), m_watcher.config());
    if (diff.isEmpty())
        return;
    m_fleet->applyConfig(m_watcher.config(), diff);
    emit applied(diff.summary());
}

} // namespace lifeline
