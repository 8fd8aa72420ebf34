// All services of one configuration: creates a ServiceSupervisor per service,
// starts them in depends_on order and stops them in reverse, writes
// lifeline.log, reaps orphaned descendants (Lifeline is a child subreaper),
// and is what the control server, the models and the UI talk to.
#pragma once

#include "config/servicespec.h"
#include "health/healthresult.h"
#include "platform/procfs.h"
#include "platform/treetracker.h"
#include "supervise/servicestate.h"
#include "supervise/servicesupervisor.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

class QNetworkAccessManager;

namespace lifeline {

class Clock;
struct ConfigDiff;
class EventLog;
class MetricsHistory;
class MetricsSampler;
class ServiceSupervisor;

// A process re-parented to Lifeline (the child subreaper) that is none of
// its own children (services, loggers, probes): it came from a service tree
// whose process in between has died, usually a daemon's double fork.
struct OrphanProcess
{
    pid_t pid = 0;
    quint64 startTime = 0;
    pid_t pgid = 0;
    uid_t uid = 0;
    QStringList cmdline;
    QString service; // the tree it is proven to come from; empty when that cannot be told
    QString why;     // how that was told
};

// What a Fleet works with; the composition root (Engine) creates them and
// keeps them alive longer than the Fleet. All but the clock are required.
struct FleetParts
{
    EventLog *eventLog = nullptr;
    QNetworkAccessManager *network = nullptr; // shared by the HTTP health probes
    MetricsHistory *history = nullptr;
    MetricsSampler *sampler = nullptr; // Fleet sets its interval, limits, paths and tree provider
    Clock *clock = nullptr;            // nullptr: the system clock
};

class Fleet final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Fleet)

public:
    Fleet(const Config &config, const FleetParts &parts, QObject *parent = nullptr);
    ~Fleet() override;

    const Config &config() const { return m_config; }
    QByteArray instanceId() const { return m_instanceId; }
    QString stateDir() const { return m_config.settings.stateDir; }

    QList<ServiceSupervisor *> services() const { return m_services; }
    ServiceSupervisor *service(const QString &name) const;

    // At startup: adopt what a previous Lifeline left running, then start
    // every autostart service in dependency order.
    void boot();

    // Person's requests. Names are validated: false + *error for an unknown name.
    bool start(const QString &name, QString *error = nullptr);
    bool stop(const QString &name, QString *error = nullptr);
    bool restart(const QString &name, QString *error = nullptr);
    // Restart a service and everything that depends on it (stopped in reverse
    // order, started again in order).
    bool restartWithDependents(const QString &name, QString *error = nullptr);
    void startAll();
    // Reverse dependency order; allStopped() when done. `cause` is what each
    // service's lastReason() says (emergency recovery passes its own).
    void stopAll(const QString &cause = QStringLiteral("stopped by you"));
    void restartAll();
    // Lifeline quits and leaves the services running (on_exit = keep).
    void detachAll();
    bool isAllStopped() const;
    // Lifeline is quitting. A latch, never undone: from here on nothing
    // starts, restarts or reloads (start/restart fail with a reason,
    // applyConfig does nothing, a crash is not restarted), so the stop or
    // detach that follows is the last word. Emits shutdownBegun() once.
    void beginShutdown();
    bool isShuttingDown() const { return m_shuttingDown; }

    // A reloaded configuration (ConfigWatcher): changed services take their
    // new definition and restart if they were running (a stopped one stays
    // stopped); added services are created and started (autostart); removed
    // services are stopped, after whatever still depends on them, whole tree,
    // and then dropped (serviceAboutToBeRemoved/serviceRemoved). Unchanged
    // services are never touched. [settings] and [recovery] apply at once,
    // except state_dir, which stays until Lifeline restarts. Returns the
    // services restarted.
    QStringList applyConfig(const Config &newConfig, const ConfigDiff &diff);
    // Removed from the configuration but still stopping.
    bool isBeingRemoved(const QString &name) const { return m_removing.contains(name); }

    // Names of the services that depend (directly or not) on `name`.
    QStringList dependentsOf(const QString &name) const;

    // Why a service that should start has not yet (waiting for a dependency,
    // or a dependency that never became healthy); empty when not waiting.
    QString waitingReason(const QString &name) const;

    // Orphans as of the last look (every OrphanScanTicks ticks, and whenever
    // a service's tree is asked for). One attributed to a service is part of its tree: a stop
    // ends it. The others are listed (status, the window's events, recovery)
    // and ended only by a recovery the person agreed to.
    QList<OrphanProcess> orphans() const { return m_orphans.values(); }
    // Looks again now (a recovery, after it stopped everything).
    QList<OrphanProcess> freshOrphans()
    {
        scanOrphans();
        return orphans();
    }

    // The worst state of all services, for the tray: 0 good, 1 degraded, 2 bad.
    int severity() const;

    EventLog *eventLog() const { return m_eventLog; }
    // CPU/memory/disk of every service tree and of the system, sampled once
    // per sample_interval into the history (memory ring + SQLite tiers).
    MetricsSampler *sampler() const { return m_sampler; }
    MetricsHistory *history() const { return m_history; }
    QNetworkAccessManager *network() const { return m_network; }

signals:
    void serviceStateChanged(const QString &name, lifeline::ServiceState from, lifeline::ServiceState to);
    void allStopped();
    void shutdownBegun();
    void eventLogged(const QString &service, const QString &text);
    void serviceHealthChanged(const QString &name, lifeline::Health health);
    void waitingChanged(const QString &name, const QString &reason);
    // A service's logger began dropping lines of `file` (a full disk): the
    // service keeps running, its output is lost until the disk has room.
    void serviceLogsDropping(const QString &name, const QString &file, const QString &reason);
    // services() changes only between these pairs (row = index in services()),
    // so a model can insert and remove rows.
    void serviceAboutToBeAdded(int row, const QString &name);
    void serviceAdded(const QString &name);
    void serviceAboutToBeRemoved(int row, const QString &name);
    // The supervisor is deleted once control returns to the event loop.
    void serviceRemoved(const QString &name);
    // orphans() changed (a new one, one gone, or one attributed).
    void orphansChanged();

private:
    void pump();
    void readTreesBeforeStarts();
    bool dependenciesReady(const ServiceSupervisor *s) const;
    void onStateChanged(ServiceSupervisor *s, ServiceState from, ServiceState to);
    void tick();
    void noteWaiting(ServiceSupervisor *s);
    void setup();
    void setupMetrics();
    void updateMetricsTargets(const QStringList &limitsFor);
    ServiceSupervisor *createSupervisor(const ServiceSpec &spec);
    void finishRemovals();
    bool refuseWhileShuttingDown(const QString &what, QString *error);
    void scanOrphans();
    void announceOrphans();
    QList<TreeQuery> escapeesOf(const QString &service);

    struct Waiting
    {
        qint64 sinceMs = 0;
        QString reason;
    };
    QHash<QString, Waiting> m_waiting;

    Config m_config;
    QByteArray m_instanceId;
    Clock *m_clock;
    SupervisorContext m_context;
    QList<ServiceSupervisor *> m_services; // in start order
    QHash<QString, ServiceSupervisor *> m_byName;
    QSet<QString> m_wantStarted; // waiting for their dependencies before starting
    QSet<QString> m_wantStopped; // waiting for their dependents to stop first
    QSet<QString> m_removing;    // removed from the configuration, stopping
    bool m_stoppingAll = false;
    QString m_stopAllCause; // stopAll()'s, for the stops pump() makes
    bool m_shuttingDown = false;
    EventLog *m_eventLog = nullptr;
    QNetworkAccessManager *m_network = nullptr;
    MetricsHistory *m_history = nullptr;
    MetricsSampler *m_sampler = nullptr;
    QTimer m_tick;
    // An orphan needs no second-by-second attention: it is listed, and a
    // stop or recovery looks again itself. Zombies are reaped every tick.
    static constexpr int OrphanScanTicks = 2;
    quint64 m_ticks = 0;
    std::optional<QList<pid_t>> m_ownChildren;             // as the last scanOrphans() read them
    bool m_ownChildrenFresh = false;                       // read by escapeesOf() just now
    TreeTracker m_tracker{ServiceSupervisor::markerKey()}; // the services' trees, tick to tick
    ProcFs m_proc;
    QHash<ProcessKey, OrphanProcess> m_orphans;
    QHash<ProcessKey, QString> m_announced; // orphan -> the service it was announced with
};

} // namespace lifeline
