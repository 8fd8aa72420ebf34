#include "engine/engine.h"

#include "alerts/enginealerts.h"
#include "control/controlserver.h"
#include "diagnostics/crashrecorder.h"
#include "diagnostics/crashstore.h"
#include "engine/livereload.h"
#include "engine/profilecommand.h"
#include "engine/reportsections.h"
#include "errors/errortracker.h"
#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "logs/loghousekeeper.h"
#include "metrics/metricsendpoint.h"
#include "metrics/metricssampler.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "repair/repair.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "update/updater.h"

#include <QDir>
#include <QFileInfo>
#include <QMetaMethod>
#include <QNetworkAccessManager>
#include <QNetworkProxy>

#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// Everything a person can see change, without the figures a reader
// extrapolates (uptime, countdown) and without the spec, which changes only
// with a reload (after which everything is sent again).
bool sameForDisplay(const ServiceSnapshot &a, const ServiceSnapshot &b)
{
    return a.state == b.state && a.pid == b.pid && a.adopted == b.adopted && a.restarts == b.restarts &&
           a.restartsInWindow == b.restartsInWindow && (a.nextRestartInMs < 0) == (b.nextRestartInMs < 0) &&
           (a.uptimeMs > 0) == (b.uptimeMs > 0) && a.lastExit.describe() == b.lastExit.describe() &&
           a.hasExited == b.hasExited && a.lastError == b.lastError && a.restartReason == b.restartReason &&
           a.lastReason == b.lastReason && a.logsDropped == b.logsDropped && a.health == b.health &&
           a.waitingReason == b.waitingReason && a.dependents == b.dependents &&
           a.beingRemoved == b.beingRemoved && a.update == b.update;
}

bool sameFleet(const FleetSnapshot &a, const FleetSnapshot &b)
{
    return a.severity == b.severity && a.allStopped == b.allStopped && a.shuttingDown == b.shuttingDown &&
           a.orphans == b.orphans && a.stateDir == b.stateDir && a.eventLogPath == b.eventLogPath;
}

} // namespace

Engine::Engine(const Config &config, const EngineOptions &options, QObject *parent)
    : QObject(parent)
    , m_initialConfig(config)
    , m_options(options)
    , m_flush(new QTimer(this))
    , m_errorsFlush(new QTimer(this))
{
    // A flood of errors redraws the Errors tab once a second, not per line.
    m_errorsFlush->setSingleShot(true);
    m_errorsFlush->setInterval(1000);
    connect(m_errorsFlush, &QTimer::timeout, this, &Engine::publishErrors);
    // Many small changes come in bursts (a probe result, then a state
    // change): they leave together, once control returns to the loop.
    m_flush->setSingleShot(true);
    m_flush->setInterval(0);
    connect(m_flush, &QTimer::timeout, this, &Engine::flushDirty);
}

Engine::~Engine()
{
    // Each part goes before what it uses: the control server, live reload
    // and recovery reach into the Fleet, and the Fleet's last exits still
    // write to the history and the event log.
    delete m_metrics;
    delete m_control;
    delete m_updater;
    delete m_alerts;
    delete m_errors;
    delete m_reload;
    delete m_recovery;
    delete m_repair;
    delete m_fleet;
    delete m_crashRecorder; // writes what still waits for its output
    delete m_crashes;
    delete m_sampler;
    delete m_history;
    delete m_network;
}

const Config &Engine::config() const
{
    return m_fleet ? m_fleet->config() : m_initialConfig;
}

bool Engine::initialize(const QString &socketPath)
{
    if (m_fleet) {
        emit initialized(true, QString());
        return true;
    }
    const QString stateDir = m_initialConfig.settings.stateDir;
    QDir().mkpath(stateDir);
    m_eventLog = std::make_unique<EventLog>(stateDir + QStringLiteral("/lifeline.log"));
    m_network = new QNetworkAccessManager(this);
    // Health checks talk to local services: an http_proxy in the environment must not reroute them.
    m_network->setProxy(QNetworkProxy::NoProxy);
    m_history = new MetricsHistory(stateDir, this);
    m_sampler = new MetricsSampler(m_history, this);
    m_sampler->setWatched(m_windowShown);
    // Orphaned descendants of services are re-parented to us instead of
    // init, so they stay findable and killable.
    becomeSubreaper();

    FleetParts parts;
    parts.eventLog = m_eventLog.get();
    parts.network = m_network;
    parts.history = m_history;
    parts.sampler = m_sampler;
    parts.clock = m_options.clock;
    m_fleet = new Fleet(m_initialConfig, parts, this);
    m_crashes = new CrashStore(m_history, this);
    m_crashRecorder = new CrashRecorder(m_history, m_crashes, this);
    connect(m_crashes, &CrashStore::added, this, &Engine::crashRecorded);
    m_recovery = new Recovery(m_fleet, this);
    m_control = new ControlServer(m_fleet, this);
    m_control->setRecovery(m_recovery);
    m_control->setReportBuilder([this] { return diagnosticReport(); });
    startHousekeeping();
    m_repair = new Repair(m_fleet, this);
    // A recovery stops and starts everything: a repair would fight it.
    m_repair->setBusyCheck([this] {
        return m_recovery->isRunning() ? QStringLiteral("an emergency recovery is running") : QString();
    });
    m_control->setRepair(m_repair);
    m_updater = new Updater(m_fleet, this);
    m_control->setUpdater(m_updater);
    connect(m_updater, &Updater::statusChanged, this, &Engine::markDirty);
    connect(m_updater, &Updater::eventLogged, this, &Engine::eventLogged);
    connect(m_updater, &Updater::updateAvailable, this, &Engine::updateAvailable);
    connect(m_updater, &Updater::finished, this, &Engine::updateFinished);
    m_control->setCrashes(m_crashes);
    m_alerts = new EngineAlerts(m_fleet, m_sampler, m_recovery, m_options.clock, this);
    connect(m_alerts, &EngineAlerts::eventText, this, &Engine::logEngineEvent);
    connect(m_alerts, &EngineAlerts::notified, this, &Engine::alertNotified);
    connect(m_alerts->center(), &AlertCenter::changed, this, &Engine::alertsChanged);
    connect(m_control, &ControlServer::restartRequested, this, [this](const QString &name) {
        for (const ServiceSupervisor *s : m_fleet->services()) {
            if (name == u"all"_s || s->name() == name)
                m_alerts->center()->openMaintenance(s->name(), u"restarted by you"_s);
        }
    });
    // What other parts know, as alerts: a rolled-back update (the tray has
    // its own urgent notice for it: updateAlert), recurring errors, the
    // min-free-disk guard. An update's own restart does not alert.
    connect(m_updater, &Updater::applyStarted, this, [this](const QString &name, const QString &target) {
        m_alerts->center()->openMaintenance(name, u"update to %1"_s.arg(target.left(12)));
    });
    connect(m_updater, &Updater::alertRaised, this,
            [this](const QString &service, int severity, const QString &title, const QString &text) {
                m_alerts->center()->fire(u"update:"_s + service,
                                         severity >= 2 ? AlertSeverity::Critical : AlertSeverity::Warning,
                                         service, title, text);
                emit updateAlert(service, severity, title, text);
            });
    connect(m_updater, &Updater::finished, this, [this](const QString &name, bool ok) {
        if (ok)
            m_alerts->center()->clear(u"update:"_s + name, u"%1 updated"_s.arg(name));
    });
    setReportProviders(reportSections(*this));
    m_control->addCommand(u"alerts"_s, [this](const QJsonObject &r) { return m_alerts->cmdAlerts(r); });
    m_control->addCommand(u"maintenance"_s,
                          [this](const QJsonObject &r) { return m_alerts->cmdMaintenance(r); });
    m_control->addCommand(u"profile"_s,
                          [this](const QJsonObject &request) { return profileCommand(*this, request); });
    // A file of its own, like the alerts': a history.sqlite found damaged and
    // replaced must not take them along, nor its writes hold theirs up.
    m_errors = new ErrorTracker(m_fleet,
                                m_history->isPersistent()
                                    ? QDir(m_fleet->config().settings.stateDir).filePath(u"errors.sqlite"_s)
                                    : QString(),
                                m_options.clock, this);
    m_control->setErrorTracker(m_errors);
    connect(m_errors, &ErrorTracker::problem, this,
            [this](const QString &, const QString &text) { logEngineEvent(text, true); });
    connect(m_errors, &ErrorTracker::errorOccurred, this, &Engine::errorOccurred);
    connect(m_errors, &ErrorTracker::signaturesChanged, this, [this](const QString &name) {
        m_errorsDirty.insert(name);
        if (!m_errorsFlush->isActive())
            m_errorsFlush->start();
    });
    connect(m_errors, &ErrorTracker::errorOccurred, this,
            [this](const QString &service, const QString &, const QString &signature, qint64 timeMs) {
                m_alerts->center()->noteErrorOccurrence(service, signature, timeMs);
            });
    if (m_options.liveReload) {
        m_reload = new LiveReload(m_fleet, m_recovery, this);
        connect(m_reload, &LiveReload::applied, this, &Engine::configApplied);
        connect(m_reload, &LiveReload::failed, this, &Engine::reloadFailed);
        connect(m_reload, &LiveReload::deferred, this, &Engine::reloadDeferred);
    }

    for (ServiceSupervisor *s : m_fleet->services())
        watch(s);
    // Announcements come after the snapshot that shows them. A state change
    // waits until the supervisor has finished the transition (a backoff
    // arms its timer after it), so the snapshot has the countdown.
    connect(m_fleet, &Fleet::serviceStateChanged, this,
            [this](const QString &name, ServiceState from, ServiceState to) {
                QMetaObject::invokeMethod(
                    this,
                    [this, name, from, to] {
                        publish(name);
                        publishFleet();
                        emit serviceStateChanged(name, from, to);
                    },
                    Qt::QueuedConnection);
            });
    connect(m_fleet, &Fleet::serviceHealthChanged, this, [this](const QString &name, Health health) {
        publish(name);
        publishFleet();
        emit serviceHealthChanged(name, health);
    });
    connect(m_fleet, &Fleet::waitingChanged, this, [this](const QString &name, const QString &reason) {
        publish(name);
        emit waitingChanged(name, reason);
    });
    connect(m_fleet, &Fleet::serviceLogsDropping, this,
            [this](const QString &name, const QString &file, const QString &reason) {
                publish(name);
                emit serviceLogsDropping(name, file, reason);
            });
    connect(m_fleet, &Fleet::eventLogged, this, &Engine::eventLogged);
    connect(m_fleet, &Fleet::allStopped, this, [this] {
        // The last stop's own announcement may still be on its way.
        for (const ServiceSupervisor *s : m_fleet->services())
            publish(s->name());
        publishFleet();
        emit allStopped();
    });
    connect(m_fleet, &Fleet::shutdownBegun, this, [this] {
        publishFleet();
        emit shutdownBegun();
    });
    connect(m_fleet, &Fleet::orphansChanged, this, [this] {
        publishFleet();
        emit orphansChanged();
    });
    connect(m_fleet, &Fleet::serviceAdded, this, [this](const QString &name) {
        ServiceSupervisor *s = m_fleet->service(name);
        if (!s)
            return;
        watch(s);
        const ServiceSnapshot snap = snapshotOf(*s);
        m_published.insert(name, snap);
        emit serviceAdded(int(m_fleet->services().indexOf(s)), snap);
    });
    connect(m_fleet, &Fleet::serviceRemoved, this, [this](const QString &name) {
        m_published.remove(name);
        m_dirty.remove(name);
        publishFleet();
        emit serviceRemoved(name);
    });
    connect(m_sampler, &MetricsSampler::sampled, this, [this] {
        ++m_samplesTaken;
        publishUsage();
    });

    connect(m_recovery, &Recovery::started, this, [this] { emit recoveryStarted(m_recovery->steps()); });
    connect(m_recovery, &Recovery::stepChanged, this, &Engine::recoveryStepChanged);
    connect(m_recovery, &Recovery::finished, this, &Engine::recoveryFinished);
    connect(m_repair, &Repair::started, this, &Engine::repairStarted);
    connect(m_repair, &Repair::stepStarted, this, &Engine::repairStepStarted);
    connect(m_repair, &Repair::output, this, &Engine::repairOutput);
    connect(m_repair, &Repair::stepFinished, this, &Engine::repairStepFinished);
    connect(m_repair, &Repair::finished, this, &Engine::repairFinished);

    for (const ServiceSupervisor *s : m_fleet->services())
        m_published.insert(s->name(), snapshotOf(*s));
    m_publishedFleet = FleetSnapshot::of(*m_fleet);

    applyMetrics(m_initialConfig.metrics);

    QString error;
    if (!socketPath.isEmpty() && !m_control->listen(socketPath, &error)) {
        emit initialized(false, error);
        return false;
    }
    emit initialized(true, QString());
    // What the window asked while it was being built.
    for (const auto &request : std::exchange(m_beforeInitialize, {}))
        request();
    return true;
}

void Engine::configApplied(const QString &summary)
{
    m_published.clear(); // specs changed: everything goes again
    m_updater->sync();
    m_errors->sync();
    applyMetrics(m_fleet->config().metrics);
    m_alerts->applyConfig(m_fleet->config());
    emit configChanged(m_fleet->config());
    publishAll();
    emit reloadApplied(summary);
}

bool Engine::switchProfile(const QString &name, QString *error)
{
    if (!m_fleet) {
        if (error)
            *error = u"Lifeline is still starting"_s;
        return false;
    }
    if (m_reload)
        return m_reload->setProfile(name, error);
    Config next = m_fleet->config();
    if (!next.selectProfile(name)) {
        if (error)
            *error = next.unknownProfileText(name);
        return false;
    }
    const ConfigDiff diff = ConfigDiff::compute(m_fleet->config(), next);
    if (!diff.isEmpty()) {
        m_fleet->applyConfig(next, diff);
        configApplied(diff.summary());
    }
    return true;
}

void Engine::setProfile(const QString &name)
{
    if (deferUntilInitialized([this, name] { setProfile(name); }))
        return;
    QString error;
    command(switchProfile(name, &error), error);
}

bool Engine::deferUntilInitialized(std::function<void()> request)
{
    if (m_fleet)
        return false;
    m_beforeInitialize.append(std::move(request));
    return true;
}

void Engine::watch(ServiceSupervisor *s)
{
    const QString name = s->name();
    m_crashRecorder->watch(s);
    const auto dirty = [this, name] { markDirty(name); };
    connect(s, &ServiceSupervisor::exited, this, dirty);
    connect(s, &ServiceSupervisor::started, this, dirty);
    connect(s, &ServiceSupervisor::logsResumed, this, dirty);
    const auto watchHealth = [this, s, dirty] {
        if (HealthMonitor *monitor = s->health()) {
            connect(monitor, &HealthMonitor::resultAdded, this, dirty);
            connect(monitor, &HealthMonitor::resultAdded, this, [this] { ++m_probesRun; });
        }
    };
    watchHealth();
    connect(s, &ServiceSupervisor::healthMonitorReplaced, this, [watchHealth, dirty] {
        watchHealth();
        dirty();
    });
}

void Engine::markDirty(const QString &name)
{
    m_dirty.insert(name);
    if (!m_flush->isActive())
        m_flush->start();
}

void Engine::flushDirty()
{
    const QSet<QString> dirty = std::exchange(m_dirty, {});
    for (const QString &name : dirty)
        publish(name);
    publishFleet();
}

ServiceSnapshot Engine::snapshotOf(const ServiceSupervisor &s) const
{
    ServiceSnapshot snap = ServiceSnapshot::of(s, *m_fleet);
    snap.update = m_updater->status(s.name());
    return snap;
}

QList<ServiceSnapshot> Engine::serviceSnapshots() const
{
    QList<ServiceSnapshot> out;
    if (!m_fleet)
        return out;
    for (const ServiceSupervisor *s : m_fleet->services())
        out.append(snapshotOf(*s));
    return out;
}

bool Engine::hasClient() const
{
    // Headless mode has none: no snapshot is taken for nobody.
    return isSignalConnected(QMetaMethod::fromSignal(&Engine::serviceUpdated));
}

void Engine::publish(const QString &name)
{
    const ServiceSupervisor *s = m_fleet && hasClient() ? m_fleet->service(name) : nullptr;
    if (!s)
        return;
    m_dirty.remove(name);
    ServiceSnapshot snap = snapshotOf(*s);
    const auto it = m_published.constFind(name);
    if (it != m_published.constEnd() && sameForDisplay(*it, snap))
        return;
    m_published.insert(name, snap);
    emit serviceUpdated(snap);
}

void Engine::publishFleet()
{
    if (!m_fleet || !hasClient())
        return;
    const FleetSnapshot snap = FleetSnapshot::of(*m_fleet);
    if (m_publishedFleet && sameFleet(*m_publishedFleet, snap))
        return;
    m_publishedFleet = snap;
    emit fleetUpdated(snap);
}

void Engine::publishAll()
{
    if (!m_fleet)
        return;
    emit configChanged(m_fleet->config());
    m_publishedFleet = FleetSnapshot::of(*m_fleet);
    emit fleetUpdated(*m_publishedFleet);
    for (const ServiceSupervisor *s : m_fleet->services()) {
        const ServiceSnapshot snap = snapshotOf(*s);
        m_published.insert(s->name(), snap);
        emit serviceUpdated(snap);
        m_errorsDirty.insert(s->name());
    }
    publishErrors();
}

void Engine::publishErrors()
{
    const QSet<QString> dirty = std::exchange(m_errorsDirty, {});
    if (!m_errors || !isSignalConnected(QMetaMethod::fromSignal(&Engine::errorsUpdated)))
        return;
    for (const QString &name : dirty)
        emit errorsUpdated(name, m_errors->signatures(name));
}

void Engine::publishUsage()
{
    if (!hasClient())
        return;
    UsageSnapshot usage;
    usage.timeMs = QDateTime::currentMSecsSinceEpoch();
    usage.system = m_sampler->lastSystem();
    for (const ServiceSupervisor *s : m_fleet->services()) {
        if (const auto sample = m_sampler->lastService(s->name()))
            usage.services.append({s->name(), sample->cpuPercent, sample->rssBytes});
        // Restarts age out of the window and health results arrive between
        // samples: what changed goes with the sample.
        publish(s->name());
    }
    publishFleet();
    emit sampled(usage);
}

void Engine::command(bool ok, const QString &error)
{
    if (!ok && !error.isEmpty())
        emit commandFailed(error);
}

void Engine::boot()
{
    if (deferUntilInitialized([this] { boot(); }))
        return;
    m_fleet->boot();
    publishAll();
}

void Engine::start(const QString &name)
{
    if (deferUntilInitialized([this, name] { start(name); }))
        return;
    QString error;
    command(m_fleet->start(name, &error), error);
}

void Engine::stop(const QString &name)
{
    if (deferUntilInitialized([this, name] { stop(name); }))
        return;
    QString error;
    command(m_fleet->stop(name, &error), error);
}

void Engine::restart(const QString &name)
{
    if (deferUntilInitialized([this, name] { restart(name); }))
        return;
    if (m_fleet->service(name))
        m_alerts->center()->openMaintenance(name, u"restarted by you"_s);
    QString error;
    command(m_fleet->restart(name, &error), error);
}

void Engine::restartWithDependents(const QString &name)
{
    if (deferUntilInitialized([this, name] { restartWithDependents(name); }))
        return;
    if (m_fleet->service(name))
        m_alerts->center()->openMaintenance(name, u"restarted by you"_s);
    QString error;
    command(m_fleet->restartWithDependents(name, &error), error);
}

void Engine::startAll()
{
    if (deferUntilInitialized([this] { startAll(); }))
        return;
    m_fleet->startAll();
}

void Engine::stopAll()
{
    if (deferUntilInitialized([this] { stopAll(); }))
        return;
    m_fleet->stopAll();
}

void Engine::restartAll()
{
    if (deferUntilInitialized([this] { restartAll(); }))
        return;
    for (const ServiceSupervisor *s : m_fleet->services())
        m_alerts->center()->openMaintenance(s->name(), u"restart all"_s);
    m_fleet->restartAll();
}

void Engine::detachAll()
{
    if (deferUntilInitialized([this] { detachAll(); }))
        return;
    m_fleet->detachAll();
}

void Engine::beginShutdown()
{
    if (deferUntilInitialized([this] { beginShutdown(); }))
        return;
    m_fleet->beginShutdown();
}

void Engine::closeControl()
{
    if (m_control)
        m_control->close();
}

void Engine::applyMetrics(const MetricsSpec &spec)
{
    if (m_metrics && m_metrics->isListening() && m_metrics->spec() == spec)
        return;
    if (!spec.enabled()) {
        if (m_metrics && m_metrics->isListening())
            logEngineEvent(u"metrics endpoint on "_s + m_metrics->spec().address() + u" closed"_s, false);
        delete std::exchange(m_metrics, nullptr);
        return;
    }
    if (!m_metrics) {
        m_metrics = new MetricsEndpoint(
            m_fleet,
            [this] {
                return LifelineCounters{m_samplesTaken, m_probesRun, m_alerts->center()->firingCounts(),
                                        m_crashes->addedSinceStart()};
            },
            this);
    }
    QString error;
    if (!m_metrics->listen(spec, &error)) {
        // Lifeline goes on supervising: a scrape target is not worth its services.
        logEngineEvent(error, true);
        return;
    }
    const QString warning = MetricsEndpoint::exposureWarning(spec);
    if (warning.isEmpty())
        logEngineEvent(u"metrics endpoint listens on http://"_s + spec.address() + u"/metrics"_s, false);
    else
        logEngineEvent(warning, true);
}

void Engine::startHousekeeping()
{
    m_housekeeper = new LogHousekeeper([this] { return HousekeepingPlan::of(*m_fleet); }, this);
    connect(m_housekeeper, &LogHousekeeper::backupsRemoved, this,
            [this](const QString &service, const QStringList &files, const QString &reason) {
                const QString text = u"removed log backup(s) %1: %2"_s.arg(files.join(u", "_s), reason);
                if (m_eventLog)
                    m_eventLog->write(service, text);
                emit eventLogged(service, text);
            });
    connect(m_housekeeper, &LogHousekeeper::diskAlert, this,
            [this](const QString &severity, const QString &title, const QString &text) {
                logEngineEvent(text, true);
                if (m_alerts)
                    m_alerts->center()->fire(u"disk-guard"_s,
                                             severity == u"critical"_s ? AlertSeverity::Critical
                                                                       : AlertSeverity::Warning,
                                             QString(), title, text);
                emit diskGuardAlert(severity, title, text);
            });
    connect(m_housekeeper, &LogHousekeeper::diskAlertCleared, this, [this](const QString &text) {
        logEngineEvent(text, false);
        if (m_alerts)
            m_alerts->center()->clear(u"disk-guard"_s, text);
        emit diskGuardCleared(text);
    });
    m_housekeeper->start();
}

void Engine::logEngineEvent(const QString &text, bool warn)
{
    if (warn)
        qWarning("%s", qUtf8Printable(text));
    writeEvent(text);
    emit eventLogged(QString(), text);
}

void Engine::writeEvent(const QString &text)
{
    if (m_eventLog)
        m_eventLog->write(QString(), text);
}

void Engine::queryHistory(quint64 id, const HistoryQuery &query)
{
    if (deferUntilInitialized([this, id, query] { queryHistory(id, query); }))
        return;
    HistoryAnswer answer;
    answer.id = id;
    for (const HistoryQuery::Series &s : query.series) {
        answer.series.append(
            m_history->series(s.service, s.metric, query.fromMs, query.toMs, query.maxPoints));
        if (const auto first = m_history->firstSampleMs(s.service, s.metric))
            answer.firstSampleMs = std::min(answer.firstSampleMs.value_or(*first), *first);
    }
    if (query.eventService)
        answer.events = m_history->events(*query.eventService, query.fromMs, query.toMs);
    emit historyAnswered(answer);
}

QString Engine::diagnosticReport() const
{
    return m_fleet ? DiagnosticReport::build(*m_fleet, m_reportProviders) : QString();
}

void Engine::writeReport(const QString &path)
{
    if (deferUntilInitialized([this, path] { writeReport(path); }))
        return;
    QString error;
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder))
        error = u"cannot write the report to %1: cannot create the folder %2"_s.arg(path, folder);
    else
        writeReportFile(path, diagnosticReport(), &error);
    emit reportWritten(path, error);
}

void Engine::queryAlerts(const QString &service)
{
    if (deferUntilInitialized([this, service] { queryAlerts(service); }))
        return;
    emit alertsAnswered(service, m_alerts->center()->toJson(service));
}

void Engine::pauseAlerts(qint64 ms)
{
    if (deferUntilInitialized([this, ms] { pauseAlerts(ms); }))
        return;
    if (ms > 0)
        m_alerts->center()->openMaintenanceFor(u"all"_s, ms, u"alerts paused from the tray"_s);
    else
        m_alerts->center()->closeMaintenance(u"all"_s);
}

void Engine::setWindowShown(bool shown)
{
    m_windowShown = shown;
    if (m_sampler)
        m_sampler->setWatched(shown);
}

void Engine::planRecovery()
{
    if (deferUntilInitialized([this] { planRecovery(); }))
        return;
    emit recoveryPlanned(m_recovery->plan());
}

void Engine::checkUpdate(const QString &name)
{
    if (deferUntilInitialized([this, name] { checkUpdate(name); }))
        return;
    QString error;
    command(m_updater->check(name, &error), error);
}

void Engine::applyUpdate(const QString &name)
{
    if (deferUntilInitialized([this, name] { applyUpdate(name); }))
        return;
    QString error;
    command(m_updater->apply(name, &error), error);
}

void Engine::startRecovery(const RecoveryOptions &options)
{
    if (deferUntilInitialized([this, options] { startRecovery(options); }))
        return;
    QString error;
    if (!m_recovery->start(options, &error))
        emit recoveryRefused(error);
}

void Engine::startRepair(const QString &name)
{
    if (deferUntilInitialized([this, name] { startRepair(name); }))
        return;
    QString error;
    if (!m_repair->start(name, &error))
        emit repairRefused(name, error);
}

void Engine::queryCrashes(const QString &service)
{
    if (deferUntilInitialized([this, service] { queryCrashes(service); }))
        return;
    emit crashesAnswered(service, m_crashes->list(service));
}

void Engine::fetchCrash(const QString &service, qint64 id)
{
    if (deferUntilInitialized([this, service, id] { fetchCrash(service, id); }))
        return;
    const std::optional<CrashRecord> record = m_crashes->record(service, id);
    emit crashFetched(service, id, record.has_value(), record.value_or(CrashRecord{}));
}

} // namespace lifeline
