#include "notificationpolicy.h"

#include <algorithm>
#include <utility>

namespace lifeline {

NotificationPolicy::NotificationPolicy(const Clock *clock, qint64 intervalMs)
    : m_clock(clock)
    , m_intervalMs(intervalMs)
{
    Q_ASSERT(m_clock);
}

bool NotificationPolicy::isPaused() const
{
    return m_pausedUntilMs && m_clock->nowMs() < *m_pausedUntilMs;
}

void NotificationPolicy::pauseFor(qint64 ms)
{
    m_pausedUntilMs = m_clock->nowMs() + ms;
}

void NotificationPolicy::clear()
{
    m_held.clear();
    m_heldOrder.clear();
    m_urgentHeld.clear();
}

bool NotificationPolicy::mayShow(const QString &service, qint64 now) const
{
    if (m_menuOpen || isPaused())
        return false;
    if (service.isEmpty())
        return true;
    const auto last = m_lastShownMs.constFind(service);
    return last == m_lastShownMs.cend() || now - *last >= m_intervalMs;
}

std::optional<NotificationPolicy::Balloon> NotificationPolicy::offer(const Event &event)
{
    const qint64 now = m_clock->nowMs();
    if (event.priority == Priority::Urgent) {
        if (m_menuOpen) {
            m_urgentHeld.append({event, now});
            return std::nullopt;
        }
        // It says where the service stands now: what was held before it is moot.
        m_held.remove(event.service);
        m_heldOrder.removeOne(event.service);
        if (!event.service.isEmpty())
            m_lastShownMs.insert(event.service, now);
        return Balloon{event.service, {Group{event, 1, now, now}}};
    }
    if (!m_held.contains(event.service))
        m_heldOrder.append(event.service);
    m_held[event.service].append({event, now});
    if (!mayShow(event.service, now))
        return std::nullopt;
    return take(event.service, now);
}

QList<NotificationPolicy::Balloon> NotificationPolicy::due()
{
    QList<Balloon> out;
    if (m_menuOpen)
        return out;
    const QList<Held> urgent = std::exchange(m_urgentHeld, {});
    for (const Held &h : urgent) {
        if (const auto b = offer(h.event))
            out.append(*b);
    }
    const qint64 now = m_clock->nowMs();
    const QStringList order = m_heldOrder;
    for (const QString &service : order) {
        if (mayShow(service, now))
            out.append(take(service, now));
    }
    return out;
}

NotificationPolicy::Balloon NotificationPolicy::take(const QString &service, qint64 now)
{
    const QList<Held> held = m_held.take(service);
    m_heldOrder.removeOne(service);
    if (!service.isEmpty())
        m_lastShownMs.insert(service, now);

    Balloon b{service, {}};
    for (const Held &h : held) {
        auto it = std::find_if(b.groups.begin(), b.groups.end(),
                               [&h](const Group &g) { return g.last.kind == h.event.kind; });
        if (it == b.groups.end()) {
            b.groups.append(Group{h.event, 1, h.atMs, h.atMs});
            continue;
        }
        Group g = *it;
        b.groups.erase(it);
        g.last = h.event;
        ++g.count;
        g.lastAtMs = h.atMs;
        b.groups.append(g); // the newest event's group goes last
    }
    return b;
}

} // namespace lifeline
