// What the Engine tells the user interface: plain values, copied across the
// thread boundary in queued signals. A snapshot is taken on the engine's
// thread from the live objects (ServiceSupervisor, HealthMonitor, Fleet)
// and never points back into them, so the GUI thread can read it while the
// engine goes on changing. Times that move by themselves (uptime, the
// backoff countdown) travel with the moment they were taken, and the reader
// extrapolates them (ServiceView).
#pragma once

#include "config/servicespec.h"
#include "health/healthresult.h"
#include "metrics/systemsampler.h"
#include "supervise/exitstatus.h"
#include "supervise/servicestate.h"
#include "update/updatestatus.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace lifeline {

class Fleet;
class HealthMonitor;
class ServiceSupervisor;

// A monotonic clock both threads read, for the age of a snapshot.
qint64 snapshotClockMs();

// A HealthMonitor as it was; the same read API, so a view reads either.
struct HealthSnapshot
{
    HealthSpec checkSpec;
    Health current = Health::Unknown;
    std::optional<HealthResult> last;
    QList<HealthResult> results; // oldest first
    int failuresInARow = 0;
    QJsonObject report;

    const HealthSpec &spec() const { return checkSpec; }
    Health health() const { return current; }
    std::optional<HealthResult> lastResult() const { return last; }
    QList<HealthResult> history() const { return results; }
    int consecutiveFailures() const { return failuresInARow; }
    QJsonObject lastReport() const { return report; }

    static HealthSnapshot of(const HealthMonitor &monitor);
    bool operator==(const HealthSnapshot &other) const;
};

struct ServiceSnapshot
{
    ServiceSpec spec;
    ServiceState state = ServiceState::Stopped;
    pid_t pid = 0;
    bool adopted = false;
    qint64 uptimeMs = 0;         // at takenAtMs
    qint64 nextRestartInMs = -1; // at takenAtMs; -1: none scheduled
    qint64 takenAtMs = 0;        // snapshotClockMs()
    int restarts = 0;
    int restartsInWindow = 0;
    ExitStatus lastExit;
    bool hasExited = false;
    QString lastError;
    QString restartReason;
    QString lastReason;
    qint64 logsDropped = 0;
    QString logPath;
    QString errLogPath;
    std::optional<HealthSnapshot> health; // none: no health check configured
    QString waitingReason;
    QStringList dependents;
    bool beingRemoved = false;
    UpdateStatus update; // enabled = false without [service.update]

    QString name() const { return spec.name; }
    static ServiceSnapshot of(const ServiceSupervisor &service, const Fleet &fleet);
    // A service of the configuration before the engine has said anything: stopped.
    static ServiceSnapshot beforeStart(const ServiceSpec &spec, const QString &stateDir);
};

// CPU and memory of one service's process tree, as of the last sample.
struct ServiceUsage
{
    QString name;
    double cpuPercent = 0;
    qint64 rssBytes = 0;
};

// One sampling pass, as the table and the header show it.
struct UsageSnapshot
{
    qint64 timeMs = 0;
    SystemSample system;
    QList<ServiceUsage> services;
};

// What is not per service.
struct FleetSnapshot
{
    int severity = 0; // Fleet::severity()
    bool allStopped = true;
    bool shuttingDown = false;
    int orphans = 0;
    QString stateDir;
    QString eventLogPath;

    static FleetSnapshot of(const Fleet &fleet);
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::ServiceSnapshot)
Q_DECLARE_METATYPE(lifeline::UsageSnapshot)
Q_DECLARE_METATYPE(lifeline::FleetSnapshot)
