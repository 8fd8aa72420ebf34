#include "engine/livereload.h"

#include "recovery/recovery.h"
#include "supervise/fleet.h"

#include <QHash>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

LiveReload::LiveReload(Fleet *fleet, Recovery *recovery, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_recovery(recovery)
    , m_watcher(fleet->config(), this)
{
    connect(&m_watcher, &ConfigWatcher::reloaded, this, &LiveReload::applyWhenPossible);
    connect(&m_watcher, &ConfigWatcher::reloadFailed, this, &LiveReload::failed);
    connect(m_fleet, &Fleet::shutdownBegun, this, &LiveReload::stop);
    if (m_recovery) {
        connect(m_recovery, &Recovery::finished, this, [this] {
            if (m_pending)
                apply();
        });
    }
}

void LiveReload::applyWhenPossible()
{
    if (m_recovery && m_recovery->isRunning()) {
        if (!m_pending) {
            m_pending = true;
            emit deferred();
        }
        return;
    }
    apply();
}

bool LiveReload::setProfile(const QString &name, QString *error)
{
    if (m_stopped) {
        if (error)
            *error = u"Lifeline is quitting; the profile stays as it is"_s;
        return false;
    }
    if (!m_watcher.setProfile(name, error))
        return false;
    applyWhenPossible();
    return true;
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
    ConfigDiff diff = ConfigDiff::compute(m_fleet->config(), m_watcher.config());
    if (diff.isEmpty())
        return;
    // What others depend on restarts first.
    QHash<QString, qsizetype> position;
    const QStringList order = m_watcher.config().startOrder();
    for (qsizetype i = 0; i < order.size(); ++i)
        position.insert(order[i], i);
    std::sort(diff.changed.begin(), diff.changed.end(),
              [&](const QString &a, const QString &b) { return position.value(a) < position.value(b); });
    m_fleet->applyConfig(m_watcher.config(), diff);
    emit applied(diff.summary());
}

} // namespace lifeline
