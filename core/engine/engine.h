// The supervision engine, assembled once: the Fleet and what it works with
// (event log, network access for health probes, metrics history and
// sampler), the emergency recovery, the control socket and live reload of
// the configuration. The desktop app and `lifeline --headless` both run
// exactly this; the desktop app runs it on a thread of its own (EngineHost)
// and sees it only through EngineClient.
//
// Construction only keeps the configuration; initialize() builds the parts,
// in the thread the Engine lives in by then, because SQLite connections,
// QProcess and socket notifiers belong to the thread that creates them.
//
// Everything the user interface needs leaves as a queued signal carrying
// values (engine/snapshot.h); everything it asks arrives as an invokable
// slot. A state change is announced after the snapshot that contains it, so
// a reader of the snapshots is never behind the event it is told about.
#pragma once

#include "alerts/alerthistory.h"
#include "config/servicespec.h"
#include "diagnostics/crashrecord.h"
#include "diagnostics/diagnosticreport.h"
#include "engine/snapshot.h"
#include "errors/errorsignature.h"
#include "metrics/metricshistory.h"
#include "recovery/recoverytypes.h"
#include "repair/repair.h"

#include <QHash>
#include <QObject>
#include <QPointF>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace lifeline {

class Clock;
class ControlServer;
class CrashRecorder;
class CrashStore;
class EngineAlerts;
class ErrorTracker;
class EventLog;
class Fleet;
class LiveReload;
class LogHousekeeper;
class MetricsEndpoint;
class MetricsSampler;
class Recovery;
class Repair;
class ServiceSupervisor;
class Updater;

// Points and events of the history for one chart or event list.
struct HistoryQuery
{
    struct Series
    {
        QString service; // empty: the machine
        QString metric;
    };
    QList<Series> series;
    qint64 fromMs = 0;
    qint64 toMs = 0;
    int maxPoints = 500;
    std::optional<QString> eventService; // events of this service ("" = all); none: no events
};

struct HistoryAnswer
{
    quint64 id = 0;
    QList<QList<QPointF>> series; // in the order asked
    QList<HistoryEvent> events;
    // The oldest sample kept of any series asked, wherever the range
    // begins (MetricsHistory::firstSampleMs); nullopt: none at all.
    std::optional<qint64> firstSampleMs;
};

struct EngineOptions
{
    bool liveReload = true; // apply edits of the configuration file while running
    Clock *clock = nullptr; // nullptr: the system clock
};

class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    explicit Engine(const Config &config, const EngineOptions &options = {}, QObject *parent = nullptr);
    ~Engine() override;

    // Builds the parts and, with a socketPath, opens the control socket.
    // Emits initialized(); returns what it says.
    Q_INVOKABLE bool initialize(const QString &socketPath = QString());
    bool isInitialized() const { return m_fleet != nullptr; }

    // The parts, for the composition roots and tests on the engine's thread.
    Fleet *fleet() const { return m_fleet; }
    Recovery *recovery() const { return m_recovery; }
    Repair *repair() const { return m_repair; }
    ControlServer *control() const { return m_control; }
    LiveReload *reload() const { return m_reload; }
    MetricsHistory *history() const { return m_history; }
    MetricsSampler *sampler() const { return m_sampler; }
    EventLog *eventLog() const { return m_eventLog.get(); }
    Updater *updater() const { return m_updater; }
    // Crash records: list, fetch and count them here on the engine's thread
    // (CrashStore::list / record / counts / addedSinceStart).
    CrashStore *crashes() const { return m_crashes; }
    CrashRecorder *crashRecorder() const { return m_crashRecorder; }
    ErrorTracker *errorTracker() const { return m_errors; }
    // Open only while [metrics] listen is set and its address could be bound.
    MetricsEndpoint *metricsEndpoint() const { return m_metrics; }
    EngineAlerts *alerts() const { return m_alerts; }
    const Config &config() const;

    QList<ServiceSnapshot> serviceSnapshots() const;

    // The diagnostic report (diagnostics/diagnosticreport.h), built now;
    // `lifelinectl report` and writeReport() use it.
    QString diagnosticReport() const;
    // The sections other parts write (error signatures, crash records, alerts).
    void setReportProviders(const ReportProviders &providers) { m_reportProviders = providers; }
    // Runs the stack as profile `name` ("" or "default": none; see
    // LiveReload::setProfile). False, with *error naming the profiles there
    // are, when there is no such profile; nothing changes then.
    bool switchProfile(const QString &name, QString *error);

public slots:
    // Emits the whole state once: a client that just connected.
    void publishAll();
    void boot();
    void start(const QString &name);
    void stop(const QString &name);
    void restart(const QString &name);
    void restartWithDependents(const QString &name);
    void startAll();
    void stopAll();
    void restartAll();
    void detachAll();
    void beginShutdown();
    void closeControl();
    void writeEvent(const QString &text);
    void queryHistory(quint64 id, const lifeline::HistoryQuery &query);
    void queryAlerts(const QString &service);
    void planRecovery();
    void startRecovery(const lifeline::RecoveryOptions &options);
    // Builds the report and saves it atomically at `path` (its folder is
    // created); answers with reportWritten().
    void writeReport(const QString &path);
    // Answered by repairStarted ... repairFinished, or repairRefused.
    void startRepair(const QString &name);
    // [service.update]: fetch and look now; fetch, check and apply (updateFinished tells the end).
    void checkUpdate(const QString &name);
    void applyUpdate(const QString &name);
    // Answered by crashesAnswered() (newest first) and crashFetched().
    void queryCrashes(const QString &service);
    void fetchCrash(const QString &service, qint64 id);
    // A person paused alerts (the tray): a maintenance window for everything; 0 ends it.
    void pauseAlerts(qint64 ms);
    // The window shows the services' figures (true) or is hidden or
    // minimised: unwatched services without limits are sampled less often.
    void setWindowShown(bool shown);
    // switchProfile() for the window; a refusal comes back as commandFailed().
    void setProfile(const QString &name);

signals:
    void initialized(bool ok, const QString &error);
    void configChanged(const lifeline::Config &config);
    void fleetUpdated(const lifeline::FleetSnapshot &fleet);
    void serviceUpdated(const lifeline::ServiceSnapshot &service);
    void serviceAdded(int row, const lifeline::ServiceSnapshot &service);
    void serviceRemoved(const QString &name);
    void serviceStateChanged(const QString &name, lifeline::ServiceState from, lifeline::ServiceState to);
    void serviceHealthChanged(const QString &name, lifeline::Health health);
    void waitingChanged(const QString &name, const QString &reason);
    void serviceLogsDropping(const QString &name, const QString &file, const QString &reason);
    void eventLogged(const QString &service, const QString &text);
    void allStopped();
    void shutdownBegun();
    void orphansChanged();
    void sampled(const lifeline::UsageSnapshot &usage);
    void reloadApplied(const QString &summary);
    void reloadFailed(const QString &errors);
    void reloadDeferred();
    void recoveryStarted(const QList<lifeline::RecoveryStep> &steps);
    void recoveryStepChanged(int index, const lifeline::RecoveryStep &step);
    void recoveryFinished(const lifeline::RecoveryReport &report);
    void recoveryPlanned(const lifeline::RecoveryPlan &plan);
    void recoveryRefused(const QString &error);
    void historyAnswered(const lifeline::HistoryAnswer &answer);
    // error is empty when the report was saved at path.
    void reportWritten(const QString &path, const QString &error);
    void repairStarted(const lifeline::RepairPlan &plan);
    void repairStepStarted(const QString &service, int index, const QStringList &argv);
    void repairOutput(const QString &service, const QStringList &lines);
    void repairStepFinished(const QString &service, int index, const lifeline::CommandStepResult &result);
    void repairFinished(const lifeline::RepairReport &report);
    void repairRefused(const QString &service, const QString &error);
    // Notify mode: new commits for `name` (once per upstream commit).
    void updateAvailable(const QString &name, const QString &text);
    // An update was rolled back; severity 1 warning, 2 critical. For the alert centre.
    void updateAlert(const QString &service, int severity, const QString &title, const QString &text);
    void updateFinished(const QString &name, bool ok, const QString &summary, const QString &reportPath);
    void crashRecorded(const lifeline::CrashSummary &summary);
    void crashesAnswered(const QString &service, const QList<lifeline::CrashSummary> &crashes);
    // found is false for an id the service has no record of (any more).
    void crashFetched(const QString &service, qint64 id, bool found, const lifeline::CrashRecord &record);
    // An alert went out (fired, repeated or cleared), for the tray.
    void alertNotified(const lifeline::AlertNotice &notice);
    // The alerts of the service (and machine-wide ones) as `lifelinectl alerts --json` shows them.
    void alertsChanged();
    void alertsAnswered(const QString &service, const QJsonObject &alerts);
    // The service's error signatures changed (at most once a second per service).
    void errorsUpdated(const QString &name, const QList<lifeline::ErrorSignature> &signatures);
    // Each error event, as it is counted (for alert rules).
    void errorOccurred(const QString &service, const QString &signatureId, const QString &signature,
                       qint64 timeMs);
    // A request that could not be done (unknown service, shutting down).
    void commandFailed(const QString &error);
    // The min-free-disk guard (core/logs/loghousekeeper.h) removed log backups or has none left
    // to remove (severity "warning" / "critical"), and when free space is back.
    void diskGuardAlert(const QString &severity, const QString &title, const QString &text);
    void diskGuardCleared(const QString &text);

private:
    // Requests that arrive before initialize() run right after it; true: deferred.
    bool deferUntilInitialized(std::function<void()> request);
    void watch(ServiceSupervisor *s);
    bool hasClient() const;
    void markDirty(const QString &name);
    void flushDirty();
    // Emits the service's snapshot if it differs from the one last sent.
    void publish(const QString &name);
    void publishFleet();
    void publishUsage();
    void publishErrors();
    void command(bool ok, const QString &error);
    // Opens, moves or closes the /metrics endpoint to match `spec`; a
    // failure or an address anyone on the network can reach is logged.
    void applyMetrics(const MetricsSpec &spec);
    // To the event log, and to stderr as well with `warn`.
    void logEngineEvent(const QString &text, bool warn);
    void startHousekeeping();
    ServiceSnapshot snapshotOf(const ServiceSupervisor &s) const;
    void configApplied(const QString &summary);

    Config m_initialConfig;
    EngineOptions m_options;
    std::unique_ptr<EventLog> m_eventLog;
    QNetworkAccessManager *m_network = nullptr;
    MetricsHistory *m_history = nullptr;
    MetricsSampler *m_sampler = nullptr;
    Fleet *m_fleet = nullptr;
    Recovery *m_recovery = nullptr;
    Repair *m_repair = nullptr;
    ControlServer *m_control = nullptr;
    LogHousekeeper *m_housekeeper = nullptr;
    LiveReload *m_reload = nullptr;
    MetricsEndpoint *m_metrics = nullptr;
    Updater *m_updater = nullptr;
    CrashStore *m_crashes = nullptr;
    CrashRecorder *m_crashRecorder = nullptr;
    EngineAlerts *m_alerts = nullptr;
    ErrorTracker *m_errors = nullptr;
    QSet<QString> m_errorsDirty;
    quint64 m_samplesTaken = 0;
    bool m_windowShown = false;
    quint64 m_probesRun = 0;
    QHash<QString, ServiceSnapshot> m_published;
    std::optional<FleetSnapshot> m_publishedFleet;
    QSet<QString> m_dirty;
    QTimer *m_flush;       // a child: it moves to the engine's thread with it
    QTimer *m_errorsFlush; // a child, like m_flush
    QList<std::function<void()>> m_beforeInitialize;
    ReportProviders m_reportProviders;
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::HistoryQuery)
Q_DECLARE_METATYPE(lifeline::HistoryAnswer)
