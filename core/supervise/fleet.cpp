#include "fleet.h"

#include "config/configdiff.h"
#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "platform/childregistry.h"
#include "platform/procfs.h"
#include "platform/treetracker.h"
#include "supervise/servicesupervisor.h"
#include "util/clock.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QStandardPaths>

#include <unistd.h>

namespace lifeline {

static QString findLogger()
{
    const QString fromEnv = qEnvironmentVariable("LIFELINE_LOGGER");
    if (!fromEnv.isEmpty())
        return fromEnv;
    if (QCoreApplication::instance()) {
        const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/lifeline-logger");
        if (QFileInfo(beside).isExecutable())
            return beside;
    }
    return QStandardPaths::findExecutable(QStringLiteral("lifeline-logger"));
}

Fleet::Fleet(const Config &config, const FleetParts &parts, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_clock(parts.clock ? parts.clock : Clock::system())
    , m_eventLog(parts.eventLog)
    , m_network(parts.network)
    , m_history(parts.history)
    , m_sampler(parts.sampler)
{
    setup();
}

void Fleet::setup()
{
    const QString canonical = QFileInfo(m_config.path).canonicalFilePath();
    m_instanceId = QCryptographicHash::hash((canonical.isEmpty() ? m_config.path : canonical).toUtf8(),
                                            QCryptographicHash::Sha1)
                       .toHex()
                       .left(16);

    m_context.stateDir = stateDir();
    m_context.instanceId = m_instanceId;
    m_context.loggerPath = findLogger();
    m_context.clock = m_clock;
    m_context.network = m_network;
    m_context.escapees = [this](const QString &service) { return escapeesOf(service); };
    m_context.treesNow = [this](const QList<TreeQuery> &roots) -> std::optional<QList<pid_t>> {
        // Lifeline's children as escapeesOf() just read them, not read twice.
        const std::optional<QHash<QString, QList<pid_t>>> trees = m_tracker.treesNow(
            roots, std::exchange(m_ownChildrenFresh, false) ? m_ownChildren : std::nullopt);
        if (!trees)
            return std::nullopt;
        QList<pid_t> all;
        for (const QList<pid_t> &tree : *trees)
            all += tree;
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        return all;
    };

    setupMetrics();
    for (const QString &name : m_config.startOrder()) {
        if (const ServiceSpec *spec = m_config.service(name))
            m_services.append(createSupervisor(*spec));
    }
    updateMetricsTargets(m_config.startOrder());
    m_sampler->start();

    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &Fleet::tick);
    m_tick.start();
}

ServiceSupervisor *Fleet::createSupervisor(const ServiceSpec &spec)
{
    auto *s = new ServiceSupervisor(spec, m_context, this);
    m_byName.insert(spec.name, s);
    connect(s, &ServiceSupervisor::stateChanged, this,
            [this, s](ServiceState from, ServiceState to) { onStateChanged(s, from, to); });
    connect(s, &ServiceSupervisor::healthChanged, this, [this, s](Health health, const QString &) {
        emit serviceHealthChanged(s->name(), health);
        pump(); // a dependency that became healthy lets its dependents start
    });
    connect(s, &ServiceSupervisor::eventLogged, this, [this, s](const QString &text) {
        m_eventLog->write(s->name(), text);
        emit eventLogged(s->name(), text);
    });
    connect(s, &ServiceSupervisor::logsDropping, this, [this, s](const QString &file, const QString &reason) {
        emit serviceLogsDropping(s->name(), file, reason);
    });
    // Events go next to the samples so charts can mark restarts and exits.
    connect(s, &ServiceSupervisor::started, this, [this, s](pid_t pid) {
        m_history->addEvent(QDateTime::currentMSecsSinceEpoch(), s->name(), HistoryEventKind::Start,
                            QStringLiteral("started pid %1").arg(pid));
    });
    // The cause, not just the status: a memory-limit stop exits cleanly.
    connect(s, &ServiceSupervisor::exited, this, [this, s](const ExitStatus &) {
        m_history->addEvent(QDateTime::currentMSecsSinceEpoch(), s->name(), HistoryEventKind::Exit,
                            s->lastReason());
    });
    connect(s, &ServiceSupervisor::stateChanged, this, [this, s](ServiceState, ServiceState to) {
        if (to == ServiceState::Backoff || to == ServiceState::Fatal)
            m_history->addEvent(QDateTime::currentMSecsSinceEpoch(), s->name(), HistoryEventKind::Restart,
                                to == ServiceState::Fatal ? s->lastError() : s->restartReason());
    });
    connect(s, &ServiceSupervisor::healthChanged, this, [this, s](Health health, const QString &reason) {
        m_history->addEvent(QDateTime::currentMSecsSinceEpoch(), s->name(), HistoryEventKind::Health,
                            healthName(health) +
                                (reason.isEmpty() ? QString() : QStringLiteral(": ") + reason));
    });
    return s;
}

void Fleet::setupMetrics()
{
    connect(m_history, &MetricsHistory::warningRaised, this, [this](const QString &message) {
        m_eventLog->write(QString(), QStringLiteral("history: ") + message);
        emit eventLogged(QString(), QStringLiteral("history: ") + message);
    });
    m_sampler->setInterval(m_config.settings.sampleInterval);
    m_sampler->setServiceTreeProvider([this] {
        // Every process of every running service, escaped grandchildren
        // included. TreeTracker keeps the trees from one tick to the next by
        // reading only the services' own processes and ours; a full pass
        // over /proc (the dear part) runs when the set of services or their
        // main pids change, after a state change, and every 30th tick.
        QList<TreeQuery> queries;
        for (const ServiceSupervisor *s : std::as_const(m_services)) {
            if (s->state() == ServiceState::Running || s->state() == ServiceState::Stopping)
                queries.append(s->treeQuery());
        }
        return queries.isEmpty() ? QHash<QString, QList<pid_t>>() : m_tracker.trees(queries);
    });
    // Over a limit: restarted through the restart policy, like a crash.
    const auto restartFor = [this](const QString &name, const QString &reason) {
        if (ServiceSupervisor *s = service(name))
            s->restartForFailure(reason);
    };
    connect(m_sampler, &MetricsSampler::memoryLimitExceeded, this, restartFor);
    connect(m_sampler, &MetricsSampler::cpuLimitExceeded, this, restartFor);
}

void Fleet::updateMetricsTargets(const QStringList &limitsFor)
{
    QStringList disks{stateDir()};
    for (const ServiceSupervisor *s : std::as_const(m_services)) {
        if (!s->spec().cwd.isEmpty() && !disks.contains(s->spec().cwd))
            disks.append(s->spec().cwd);
    }
    m_sampler->setDiskPaths(disks);
    // Only the named services: setting a limit again would restart its count
    // of time over it.
    for (const QString &name : limitsFor) {
        const ServiceSupervisor *s = service(name);
        if (s) // a limit of 0 clears it
            m_sampler->setMemoryLimit(name, s->spec().memoryLimit, s->spec().memoryLimitFor,
                                      s->spec().memoryLimitUnit);
        else
            m_sampler->setMemoryLimit(name, 0);
        m_sampler->setCpuLimit(name, s ? s->spec().cpuLimit : 0, s ? s->spec().cpuLimitFor : Millis(0));
    }
    if (m_sampler->interval() != m_config.settings.sampleInterval)
        m_sampler->setInterval(m_config.settings.sampleInterval);
}

QStringList Fleet::applyConfig(const Config &newConfig, const ConfigDiff &diff)
{
    // A reload while quitting would start what the shutdown is stopping, and
    // the shutdown would wait for it forever.
    if (refuseWhileShuttingDown(QStringLiteral("configuration reload"), nullptr))
        return {};
    // The state folder holds the lock, the logs, the pidfiles and the
    // history: it stays what Lifeline started with (ConfigDiff says so).
    const QString keptStateDir = stateDir();
    m_config = newConfig;
    m_config.settings.stateDir = keptStateDir;
    m_tracker.invalidate();

    QStringList restarted;
    for (const QString &name : diff.changed) {
        ServiceSupervisor *s = service(name);
        const ServiceSpec *spec = newConfig.service(name);
        if (!s || !spec)
            continue;
        s->setSpec(*spec);
        // A service a person stopped stays stopped; it starts with the new
        // definition next time.
        if (isRunningState(s->state()) || s->state() == ServiceState::Backoff) {
            s->restart(QStringLiteral("config changed"));
            restarted << name;
        }
    }

    for (const QString &name : diff.added) {
        const ServiceSpec *spec = newConfig.service(name);
        if (!spec)
            continue;
        if (ServiceSupervisor *s = service(name)) {
            // Removed and added again before its stop completed: keep it.
            m_removing.remove(name);
            s->setSpec(*spec);
            if (spec->autostart)
                m_wantStarted.insert(name);
            continue;
        }
        const int row = int(m_services.size());
        emit serviceAboutToBeAdded(row, name);
        m_services.append(createSupervisor(*spec));
        emit serviceAdded(name);
        m_eventLog->write(name, QStringLiteral("added by a configuration reload"));
        if (spec->autostart)
            m_wantStarted.insert(name);
    }

    for (const QString &name : diff.removed) {
        ServiceSupervisor *s = service(name);
        if (!s)
            continue;
        m_wantStarted.remove(name);
        if (m_waiting.remove(name))
            emit waitingChanged(name, QString());
        m_removing.insert(name);
        m_eventLog->write(name, QStringLiteral("removed by a configuration reload; stopping it"));
        if (isRunningState(s->state()) || s->state() == ServiceState::Backoff)
            m_wantStopped.insert(name); // after whatever still depends on it
    }

    QStringList limits = diff.changed + diff.added + diff.removed;
    updateMetricsTargets(limits);
    pump();
    finishRemovals();
    return restarted;
}

void Fleet::finishRemovals()
{
    const QStringList names(m_removing.cbegin(), m_removing.cend());
    for (const QString &name : names) {
        ServiceSupervisor *s = service(name);
        if (!s) {
            m_removing.remove(name);
            continue;
        }
        if (isRunningState(s->state()) || s->state() == ServiceState::Backoff || m_wantStopped.contains(name))
            continue; // still stopping: its whole tree goes first
        m_removing.remove(name);
        const int row = int(m_services.indexOf(s));
        emit serviceAboutToBeRemoved(row, name);
        m_services.removeAt(row);
        m_byName.remove(name);
        m_wantStarted.remove(name);
        disconnect(s, nullptr, this, nullptr);
        // Later: this may run inside one of its own signals.
        s->deleteLater();
        m_eventLog->write(name, QStringLiteral("removed"));
        emit serviceRemoved(name);
    }
}

Fleet::~Fleet()
{
    // Each kills what is left of its own tree, asking this fleet for its
    // escapees: so all of them go now, removed ones awaiting deleteLater too,
    // not after this object's members are gone.
    m_services.clear();
    qDeleteAll(findChildren<ServiceSupervisor *>(Qt::FindDirectChildrenOnly));
    reapOrphans(ChildRegistry::pids());
}

ServiceSupervisor *Fleet::service(const QString &name) const
{
    return m_byName.value(name);
}

void Fleet::boot()
{
    m_eventLog->write(QString(), QStringLiteral("lifeline %1 starting, config %2, %3 services")
                                     .arg(QStringLiteral(LIFELINE_VERSION), m_config.path)
                                     .arg(m_services.size()));
    for (ServiceSupervisor *s : std::as_const(m_services))
        s->tryAdopt();
    for (ServiceSupervisor *s : std::as_const(m_services)) {
        if (s->spec().autostart && s->state() != ServiceState::Running)
            m_wantStarted.insert(s->name());
    }
    readTreesBeforeStarts();
    pump();
}

static QString unknownService(const QString &name)
{
    return QStringLiteral("unknown service \"%1\"").arg(name);
}

void Fleet::beginShutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_wantStarted.clear();
    for (ServiceSupervisor *s : std::as_const(m_services))
        s->beginShutdown();
    m_eventLog->write(QString(), QStringLiteral("shutting down: no service starts, restarts or reloads now"));
    emit shutdownBegun();
}

bool Fleet::refuseWhileShuttingDown(const QString &what, QString *error)
{
    if (!m_shuttingDown)
        return false;
    const QString text = QStringLiteral("%1 refused: Lifeline is shutting down").arg(what);
    if (error)
        *error = text;
    m_eventLog->write(QString(), text);
    emit eventLogged(QString(), text);
    return true;
}

bool Fleet::start(const QString &name, QString *error)
{
    if (refuseWhileShuttingDown(QStringLiteral("start %1").arg(name), error))
        return false;
    if (name == QLatin1String("all")) {
        startAll();
        return true;
    }
    ServiceSupervisor *s = service(name);
    if (!s) {
        if (error)
            *error = unknownService(name);
        return false;
    }
    // Starting a service by hand starts what it needs first, all the way
    // down; pump() starts them in dependency order. A walk with its own
    // stack: a chain of 50 000 services must not overflow the C++ stack.
    m_wantStopped.remove(name);
    m_wantStarted.insert(name);
    QStringList todo{name};
    QSet<QString> seen{name};
    while (!todo.isEmpty()) {
        const ServiceSupervisor *cur = service(todo.takeLast());
        for (const QString &dep : cur->spec().dependsOn) {
            ServiceSupervisor *d = service(dep);
            if (!d || isRunningState(d->state()) || seen.contains(dep))
                continue;
            seen.insert(dep);
            m_wantStopped.remove(dep);
            m_wantStarted.insert(dep);
            todo.append(dep);
        }
    }
    pump();
    return true;
}

bool Fleet::stop(const QString &name, QString *error)
{
    if (name == QLatin1String("all")) {
        stopAll();
        return true;
    }
    ServiceSupervisor *s = service(name);
    if (!s) {
        if (error)
            *error = unknownService(name);
        return false;
    }
    m_wantStarted.remove(name);
    if (m_waiting.remove(name))
        emit waitingChanged(name, QString());
    s->stop();
    return true;
}

bool Fleet::restart(const QString &name, QString *error)
{
    if (refuseWhileShuttingDown(QStringLiteral("restart %1").arg(name), error))
        return false;
    if (name == QLatin1String("all")) {
        restartAll();
        return true;
    }
    ServiceSupervisor *s = service(name);
    if (!s) {
        if (error)
            *error = unknownService(name);
        return false;
    }
    m_wantStopped.remove(name);
    s->restart();
    return true;
}

bool Fleet::restartWithDependents(const QString &name, QString *error)
{
    if (refuseWhileShuttingDown(QStringLiteral("restart %1").arg(name), error))
        return false;
    ServiceSupervisor *s = service(name);
    if (!s) {
        if (error)
            *error = unknownService(name);
        return false;
    }
    const QStringList dependents = dependentsOf(name);
    for (const QString &d : dependents) {
        if (ServiceSupervisor *ds = service(d); ds && isRunningState(ds->state())) {
            ds->stop(QStringLiteral("restarted with %1").arg(name));
            m_wantStarted.insert(d); // started again once `name` is back
        }
    }
    s->restart();
    pump();
    return true;
}

void Fleet::startAll()
{
    if (refuseWhileShuttingDown(QStringLiteral("start all"), nullptr))
        return;
    m_stoppingAll = false;
    m_wantStopped.clear();
    for (ServiceSupervisor *s : std::as_const(m_services))
        m_wantStarted.insert(s->name());
    readTreesBeforeStarts();
    pump();
}

void Fleet::readTreesBeforeStarts()
{
    // One pass over /proc for the leftovers of every service about to start,
    // instead of one per service as each starts: the starts read only what
    // changed since (TreeTracker::treesNow), and so do their exits.
    QList<TreeQuery> queries;
    for (const ServiceSupervisor *s : std::as_const(m_services)) {
        if (m_wantStarted.contains(s->name()) || isRunningState(s->state()))
            queries.append(s->treeQuery());
    }
    if (!queries.isEmpty())
        m_tracker.trees(queries);
}

void Fleet::stopAll(const QString &cause)
{
    m_wantStarted.clear();
    m_stoppingAll = true;
    m_stopAllCause = cause;
    for (ServiceSupervisor *s : std::as_const(m_services))
        m_wantStopped.insert(s->name());
    pump();
}

void Fleet::restartAll()
{
    if (refuseWhileShuttingDown(QStringLiteral("restart all"), nullptr))
        return;
    for (ServiceSupervisor *s : std::as_const(m_services)) {
        if (isRunningState(s->state()))
            s->restart();
        else
            m_wantStarted.insert(s->name());
    }
    pump();
}

void Fleet::detachAll()
{
    m_wantStarted.clear();
    m_wantStopped.clear();
    for (ServiceSupervisor *s : std::as_const(m_services))
        s->detach();
}

bool Fleet::isAllStopped() const
{
    return std::all_of(m_services.cbegin(), m_services.cend(), [](const ServiceSupervisor *s) {
        return !isRunningState(s->state()) && s->state() != ServiceState::Backoff;
    });
}

QStringList Fleet::dependentsOf(const QString &name) const
{
    // Linear in the size of the graph, however long a chain is.
    QHash<QString, QStringList> direct;
    for (const ServiceSupervisor *s : m_services) {
        for (const QString &dep : s->spec().dependsOn)
            direct[dep].append(s->name());
    }
    QSet<QString> out;
    QStringList frontier{name};
    while (!frontier.isEmpty()) {
        for (const QString &d : direct.value(frontier.takeLast())) {
            if (!out.contains(d)) {
                out.insert(d);
                frontier.append(d);
            }
        }
    }
    // Keep start order.
    QStringList ordered;
    for (const ServiceSupervisor *s : m_services) {
        if (out.contains(s->name()))
            ordered.append(s->name());
    }
    return ordered;
}

int Fleet::severity() const
{
    int worst = 0;
    for (const ServiceSupervisor *s : m_services) {
        switch (s->state()) {
        case ServiceState::Fatal:
            worst = std::max(worst, 2);
            break;
        case ServiceState::Backoff:
        case ServiceState::Starting:
        case ServiceState::Stopping:
            worst = std::max(worst, 1);
            break;
        case ServiceState::Exited:
            if (!s->lastExit().isSuccess())
                worst = std::max(worst, 1);
            break;
        case ServiceState::Running:
        case ServiceState::Stopped:
            break;
        }
    }
    return worst;
}

// How long a dependent waits for a dependency's health check to pass before
// the wait is reported as a problem: the dependency's start period plus
// enough probes to decide.
static qint64 readinessLimitMs(const HealthSpec &h)
{
    return h.startPeriod.count() + h.interval.count() * std::max(1, h.failures) + h.timeout.count();
}

bool Fleet::dependenciesReady(const ServiceSupervisor *s) const
{
    for (const QString &dep : s->spec().dependsOn) {
        const ServiceSupervisor *d = service(dep);
        if (!d)
            continue;
        if (d->state() != ServiceState::Running)
            return false;
        // Readiness: a dependency with a health check must pass it first.
        if (d->health() && d->health()->health() != Health::Healthy)
            return false;
    }
    return true;
}

QString Fleet::waitingReason(const QString &name) const
{
    return m_waiting.value(name).reason;
}

void Fleet::noteWaiting(ServiceSupervisor *s)
{
    Waiting &w = m_waiting[s->name()];
    if (w.sinceMs == 0)
        w.sinceMs = m_clock->nowMs();
    QString reason;
    for (const QString &dep : s->spec().dependsOn) {
        const ServiceSupervisor *d = service(dep);
        if (!d)
            continue;
        if (d->state() == ServiceState::Fatal || d->state() == ServiceState::Exited) {
            reason =
                QStringLiteral("not started: it depends on %1, which is %2").arg(dep, stateName(d->state()));
            break;
        }
        if (d->state() == ServiceState::Running && d->health() && d->health()->health() != Health::Healthy) {
            const qint64 waited = m_clock->nowMs() - w.sinceMs;
            if (waited > readinessLimitMs(d->spec().health)) {
                const auto last = d->health()->lastResult();
                reason = QStringLiteral("not started: %1 did not become healthy within %2%3")
                             .arg(dep, formatDuration(Millis(waited)),
                                  last ? QStringLiteral(" (last check: %1)").arg(last->reason) : QString());
                break;
            }
        }
        if (reason.isEmpty() && d->state() != ServiceState::Running)
            reason = QStringLiteral("waiting for %1 (%2)").arg(dep, stateName(d->state()));
        else if (reason.isEmpty())
            reason = QStringLiteral("waiting for %1 to become healthy").arg(dep);
    }
    if (reason != w.reason) {
        const bool problem = reason.startsWith(QLatin1String("not started"));
        w.reason = reason;
        if (problem) {
            m_eventLog->write(s->name(), reason);
            emit eventLogged(s->name(), reason);
        }
        emit waitingChanged(s->name(), reason);
    }
}

void Fleet::pump()
{
    // Starts: each wanted service whose dependencies are up, in start order.
    for (ServiceSupervisor *s : std::as_const(m_services)) {
        if (!m_wantStarted.contains(s->name()))
            continue;
        if (s->state() == ServiceState::Running || s->state() == ServiceState::Starting) {
            m_wantStarted.remove(s->name());
            continue;
        }
        if (dependenciesReady(s)) {
            m_wantStarted.remove(s->name());
            if (m_waiting.remove(s->name()))
                emit waitingChanged(s->name(), QString());
            s->start();
        } else {
            noteWaiting(s);
        }
    }
    // Stops: a service stops once everything that depends on it has stopped.
    for (auto it = m_services.crbegin(); it != m_services.crend(); ++it) {
        ServiceSupervisor *s = *it;
        if (!m_wantStopped.contains(s->name()))
            continue;
        bool dependentsDown = true;
        for (const QString &d : dependentsOf(s->name())) {
            const ServiceSupervisor *ds = service(d);
            if (ds && (isRunningState(ds->state()) || ds->state() == ServiceState::Backoff))
                dependentsDown = false;
        }
        if (dependentsDown) {
            m_wantStopped.remove(s->name());
            if (m_shuttingDown)
                s->stop(QStringLiteral("stopped: Lifeline quit"));
            else if (m_removing.contains(s->name()))
                s->stop(QStringLiteral("removed from the configuration"));
            else
                s->stop(m_stopAllCause);
        }
    }
    if (m_stoppingAll && m_wantStopped.isEmpty() && isAllStopped()) {
        m_stoppingAll = false;
        m_eventLog->write(QString(), QStringLiteral("all services stopped"));
        emit allStopped();
    }
}

void Fleet::onStateChanged(ServiceSupervisor *s, ServiceState from, ServiceState to)
{
    m_tracker.invalidate();
    emit serviceStateChanged(s->name(), from, to);
    pump();
    if (!m_removing.isEmpty())
        finishRemovals();
}

void Fleet::tick()
{
    for (pid_t pid : reapOrphans(ChildRegistry::pids()))
        ChildRegistry::removeHelper(pid);
    if (++m_ticks % OrphanScanTicks == 0) {
        scanOrphans();
        announceOrphans();
    }
    if (!m_wantStarted.isEmpty())
        pump(); // bounded readiness waits are judged on the tick
    for (ServiceSupervisor *s : std::as_const(m_services))
        s->tick();
}

// ---- orphans ---------------------------------------------------------------

void Fleet::scanOrphans()
{
    const pid_t self = ::getpid();
    const pid_t ourSession = ::getsid(0);
    QList<pid_t> children;
    m_ownChildren = m_proc.taskChildren(self);
    if (m_ownChildren) {
        children = *m_ownChildren;
    } else {
        for (const ProcInfo &p : m_proc.allProcesses()) {
            if (p.ppid == self)
                children.append(p.pid);
        }
    }
    const QList<pid_t> owned = ChildRegistry::pids();
    QHash<ProcessKey, OrphanProcess> found;
    for (pid_t pid : std::as_const(children)) {
        if (owned.contains(pid) || ChildRegistry::isHelper(pid))
            continue;
        const std::optional<ProcInfo> stat = m_proc.processStat(pid);
        // Services run in sessions of their own, so nothing in ours came from
        // one: that is Lifeline's own doing (a detached viewer, a test's helper).
        if (!stat || stat->isZombie() || stat->ppid != self || stat->sid == ourSession)
            continue;
        const ProcessKey key{pid, stat->startTime};
        OrphanProcess o = m_orphans.value(key);
        if (o.pid == 0) {
            const std::optional<ProcInfo> info = m_proc.process(pid);
            if (!info || info->startTime != key.startTime)
                continue;
            o.pid = pid;
            o.startTime = key.startTime;
            o.pgid = info->pgid;
            o.uid = info->uid;
            o.cmdline = info->cmdline.isEmpty()
                            ? QStringList{QLatin1Char('[') + info->comm + QLatin1Char(']')}
                            : info->cmdline;
        }
        if (!o.service.isEmpty() && !service(o.service))
            o.service.clear(); // its service was removed from the configuration
        if (o.service.isEmpty()) {
            // Proof, not a guess: a tree it was seen in, or the log pipe that
            // only that service's processes were given.
            if (const QString seen = m_tracker.lastSeenIn(key); !seen.isEmpty() && service(seen)) {
                o.service = seen;
                o.why = QStringLiteral("was part of %1's tree").arg(seen);
            }
            for (int fd = 1; o.service.isEmpty() && fd <= 2; ++fd) {
                const std::optional<QString> target = m_proc.fdTarget(pid, fd);
                for (const ServiceSupervisor *s : std::as_const(m_services)) {
                    if (target && s->ownsOutput(*target)) {
                        o.service = s->name();
                        o.why =
                            QStringLiteral("writes to %1's log (%2 is %3)")
                                .arg(s->name(), fd == 1 ? QStringLiteral("stdout") : QStringLiteral("stderr"),
                                     *target);
                        break;
                    }
                }
            }
        }
        found.insert(key, o);
    }
    m_orphans = found;
}

QList<TreeQuery> Fleet::escapeesOf(const QString &service)
{
    scanOrphans();             // a stop must not wait for the next tick to see a fresh escapee
    m_ownChildrenFresh = true; // for the treesNow() that follows in treePids()
    QList<TreeQuery> roots;
    for (const OrphanProcess &o : std::as_const(m_orphans)) {
        if (o.service == service)
            roots.append(TreeQuery{service, o.pid, o.pgid, {}});
    }
    return roots;
}

void Fleet::announceOrphans()
{
    bool changed = m_announced.size() != m_orphans.size();
    for (auto it = m_orphans.cbegin(); it != m_orphans.cend(); ++it) {
        const OrphanProcess &o = it.value();
        const auto seen = m_announced.constFind(it.key());
        if (seen != m_announced.cend() && seen.value() == o.service)
            continue;
        changed = true;
        const QString what = QStringLiteral("pid %1 (%2)").arg(o.pid).arg(o.cmdline.join(QLatin1Char(' ')));
        const QString text =
            o.service.isEmpty()
                ? QStringLiteral(
                      "orphan %1 was re-parented to Lifeline from no service tree it can be traced "
                      "to; not ended (see status and emergency recovery)")
                      .arg(what)
                : QStringLiteral("%1 escaped the service's process tree (re-parented to Lifeline; %2): it is "
                                 "ended with the service")
                      .arg(what, o.why);
        m_eventLog->write(o.service, text);
        emit eventLogged(o.service, text);
    }
    if (!changed)
        return;
    m_announced.clear();
    for (auto it = m_orphans.cbegin(); it != m_orphans.cend(); ++it)
        m_announced.insert(it.key(), it.value().service);
    emit orphansChanged();
}

} // namespace lifeline
