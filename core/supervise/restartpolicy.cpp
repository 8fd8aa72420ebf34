#include "restartpolicy.h"

#include <algorithm>
#include <cmath>

namespace lifeline {

RestartTracker::Verdict RestartTracker::onExit(const ExitStatus &status, bool forced, qint64 nowMs)
{
    if (!forced) {
        if (m_spec->restart == RestartPolicy::Never)
            return Verdict::LeaveDown;
        if (m_spec->restart == RestartPolicy::OnFailure && status.isSuccess())
            return Verdict::LeaveDown;
    }
    const qint64 window = m_spec->restartWindow.count();
    m_restarts.removeIf([&](qint64 t) { return nowMs - t >= window; });
    if (m_restarts.size() >= m_spec->maxRestarts)
        return Verdict::Fatal;
    m_restarts.append(nowMs);
    ++m_total;
    // restart_delay, then times backoff_factor per consecutive restart, capped.
    const double base = double(m_spec->restartDelay.count());
    const double grown = base * std::pow(m_spec->backoffFactor, std::max(0, m_consecutive));
    const double capped =
        std::min(grown, double(std::max(m_spec->backoffMax.count(), m_spec->restartDelay.count())));
    m_delay = Millis(qint64(std::llround(capped)));
    ++m_consecutive;
    return Verdict::Restart;
}

void RestartTracker::noteRunning(qint64 sinceMs, qint64 nowMs)
{
    if (nowMs - sinceMs >= m_spec->stableAfter.count()) {
        m_restarts.clear();
        m_consecutive = 0;
    }
}

void RestartTracker::reset()
{
    m_restarts.clear();
    m_consecutive = 0;
}

int RestartTracker::restartsInWindow(qint64 nowMs) const
{
    const qint64 window = m_spec->restartWindow.count();
    return int(
        std::count_if(m_restarts.cbegin(), m_restarts.cend(), [&](qint64 t) { return nowMs - t < window; }));
}

} // namespace lifeline
