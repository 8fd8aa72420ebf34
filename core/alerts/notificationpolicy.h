// Which notifications a person sees, and when: the rules that keep the tray
// informative without nagging, kept apart from the tray so they are testable
// on a ManualClock.
//
// - Per service at most one balloon per interval (a minute in the app).
//   Events in between are held and summarised in the next balloon allowed:
//   "flaky crashed 5 times in 5 min".
// - Pausing (the tray's "Pause notifications for 1 h") holds everything
//   except Urgent events: a service that gave up (fatal) and the result of an
//   emergency recovery always get through, since those need a person. When the
//   pause ends, what was held comes out as one summary per service.
// - While the tray menu is open everything is held, Urgent too, because a
//   balloon would cover or close the menu; it comes out when the menu closes.
// Events without a service (about Lifeline itself) are not rate limited.
#pragma once

#include "util/clock.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace lifeline {

class NotificationPolicy
{
public:
    enum class Priority
    {
        Normal,
        Urgent,
    };

    struct Event
    {
        QString service;
        QString kind;  // what happened, the grouping key: "crashed", "turned unhealthy"
        QString text;  // the whole message, when shown on its own
        int level = 0; // 0 information, 1 warning, 2 critical: carried, not interpreted
        Priority priority = Priority::Normal;
    };

    // Events of one kind within a balloon.
    struct Group
    {
        Event last;
        int count = 0;
        qint64 firstAtMs = 0;
        qint64 lastAtMs = 0;
    };

    // One balloon: the groups in the order of their newest event, so the
    // last group is what happened most recently.
    struct Balloon
    {
        QString service;
        QList<Group> groups;
        const Group &newest() const { return groups.constLast(); }
        // More than one event: a summary rather than a single message.
        bool isSummary() const { return groups.size() > 1 || groups.constFirst().count > 1; }
    };

    // clock must outlive the policy.
    explicit NotificationPolicy(const Clock *clock, qint64 intervalMs = 60'000);

    // An event happens: the balloon to show now, or nothing when it is held.
    std::optional<Balloon> offer(const Event &event);
    // The held balloons whose time has come (interval over, pause ended, menu
    // closed), oldest first. Ask again whenever the clock may have moved.
    QList<Balloon> due();
    bool hasHeld() const { return !m_held.isEmpty() || !m_urgentHeld.isEmpty(); }

    void pauseFor(qint64 ms);
    void resume() { m_pausedUntilMs.reset(); }
    bool isPaused() const;
    // On the policy's clock; meaningful while isPaused().
    qint64 pausedUntilMs() const { return m_pausedUntilMs.value_or(0); }

    void setMenuOpen(bool open) { m_menuOpen = open; }
    bool isMenuOpen() const { return m_menuOpen; }

    // Forget everything held (notifications turned off).
    void clear();

private:
    struct Held
    {
        Event event;
        qint64 atMs = 0;
    };

    bool mayShow(const QString &service, qint64 now) const;
    Balloon take(const QString &service, qint64 now);

    const Clock *m_clock;
    qint64 m_intervalMs;
    std::optional<qint64> m_pausedUntilMs;
    bool m_menuOpen = false;
    QHash<QString, qint64> m_lastShownMs;
    QHash<QString, QList<Held>> m_held;
    QStringList m_heldOrder; // services in the order their first held event came
    QList<Held> m_urgentHeld;
};

} // namespace lifeline
