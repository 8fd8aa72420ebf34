#include "engine/snapshot.h"

#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <chrono>

namespace lifeline {

qint64 snapshotClockMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

HealthSnapshot HealthSnapshot::of(const HealthMonitor &monitor)
{
    HealthSnapshot h;
    h.checkSpec = monitor.spec();
    h.current = monitor.health();
    h.last = monitor.lastResult();
    h.results = monitor.history();
    h.failuresInARow = monitor.consecutiveFailures();
    h.report = monitor.lastReport();
    return h;
}

bool HealthSnapshot::operator==(const HealthSnapshot &other) const
{
    // Results are only ever appended: the newest one and the count tell a change.
    const auto sameResult = [](const std::optional<HealthResult> &a, const std::optional<HealthResult> &b) {
        if (a.has_value() != b.has_value())
            return false;
        return !a || (a->timeMs == b->timeMs && a->ok == b->ok);
    };
    return current == other.current && failuresInARow == other.failuresInARow &&
           results.size() == other.results.size() && sameResult(last, other.last) && report == other.report;
}

ServiceSnapshot ServiceSnapshot::of(const ServiceSupervisor &s, const Fleet &fleet)
{
    ServiceSnapshot snap;
    snap.spec = s.spec();
    snap.state = s.state();
    snap.pid = s.pid();
    snap.adopted = s.isAdopted();
    snap.uptimeMs = s.uptimeMs();
    snap.nextRestartInMs = s.nextRestartInMs();
    snap.takenAtMs = snapshotClockMs();
    snap.restarts = s.restarts();
    snap.restartsInWindow = s.restartsInWindow();
    snap.lastExit = s.lastExit();
    snap.hasExited = s.hasExited();
    snap.lastError = s.lastError();
    snap.restartReason = s.restartReason();
    snap.lastReason = s.lastReason();
    snap.logsDropped = s.logsDropped();
    snap.logPath = s.logPath();
    snap.errLogPath = s.errLogPath();
    if (const HealthMonitor *monitor = s.health())
        snap.health = HealthSnapshot::of(*monitor);
    snap.waitingReason = fleet.waitingReason(s.name());
    snap.dependents = fleet.dependentsOf(s.name());
    snap.beingRemoved = fleet.isBeingRemoved(s.name());
    return snap;
}

ServiceSnapshot ServiceSnapshot::beforeStart(const ServiceSpec &spec, const QString &stateDir)
{
    ServiceSnapshot snap;
    snap.spec = spec;
    snap.logPath = ServiceSupervisor::logPathIn(stateDir, spec.name);
    snap.errLogPath = ServiceSupervisor::errLogPathIn(stateDir, spec.name);
    return snap;
}

FleetSnapshot FleetSnapshot::of(const Fleet &fleet)
{
    FleetSnapshot f;
    f.severity = fleet.severity();
    f.allStopped = fleet.isAllStopped();
    f.shuttingDown = fleet.isShuttingDown();
    f.orphans = int(fleet.orphans().size());
    f.stateDir = fleet.stateDir();
    f.eventLogPath = fleet.eventLog() ? fleet.eventLog()->path() : QString();
    return f;
}

} // namespace lifeline
