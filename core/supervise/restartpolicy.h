// The restart decision, kept pure so each rule is testable with a manual
// clock: should an exit be followed by a restart, after how long, and when
// has a service crashed often enough that a person must look.
#pragma once

#include "config/servicespec.h"
#include "supervise/exitstatus.h"

#include <QList>

namespace lifeline {

class RestartTracker
{
public:
    explicit RestartTracker(const ServiceSpec &spec)
        : m_spec(&spec)
    {}
    void setSpec(const ServiceSpec &spec) { m_spec = &spec; }

    enum class Verdict
    {
        Restart,   // restart after delay()
        LeaveDown, // the policy says not to restart (never / clean exit with on-failure)
        Fatal,     // crash loop: more than max_restarts within restart_window
    };

    // A restart is wanted because of `status` (or, when forced, because a
    // health check or memory limit asked for it: those always count as failures).
    Verdict onExit(const ExitStatus &status, bool forced, qint64 nowMs);
    // Delay before the next start, valid after onExit() returned Restart.
    Millis delay() const { return m_delay; }

    // The service has been running since `sinceMs`; once that is stable_after
    // ago the count starts over.
    void noteRunning(qint64 sinceMs, qint64 nowMs);
    // A person acted (start, restart): forget the history.
    void reset();

    int restartsInWindow(qint64 nowMs) const;
    int totalRestarts() const { return m_total; }

private:
    const ServiceSpec *m_spec;
    QList<qint64> m_restarts; // times of restarts still inside restart_window
    int m_consecutive = 0;    // restarts since the last stable run; drives the backoff
    int m_total = 0;
    Millis m_delay{0};
};

} // namespace lifeline
