// The user interface's side of the Engine: the latest snapshots, kept on the
// thread that reads them, and the person's requests, sent to the engine's
// thread as queued calls. Nothing here reads a file, /proc or the history
// database, and nothing waits for the engine: answers come back as signals.
//
// The signals carry the names of Fleet's, so a view that followed the Fleet
// follows the client the same way. Each arrives after the snapshot that
// shows it (Engine's promise), so a slot may read services() at once.
#pragma once

#include "engine/engine.h"
#include "engine/snapshot.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <optional>

namespace lifeline {

// One service as the last snapshot showed it; lives as long as the service
// is in the configuration, so a view may keep a QPointer to it. The getters
// are those of ServiceSupervisor; uptime and the backoff countdown move on
// by themselves between snapshots.
class ServiceView final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceView)

public:
    explicit ServiceView(const ServiceSnapshot &snapshot, QObject *parent = nullptr);

    const ServiceSnapshot &snapshot() const { return m_snap; }
    void update(const ServiceSnapshot &snapshot);

    QString name() const { return m_snap.spec.name; }
    const ServiceSpec &spec() const { return m_snap.spec; }
    ServiceState state() const { return m_snap.state; }
    pid_t pid() const { return m_snap.pid; }
    bool isAdopted() const { return m_snap.adopted; }
    qint64 uptimeMs() const;
    // The same at `nowMs` on snapshotClockMs()'s scale (a view's injected clock).
    qint64 uptimeMs(qint64 nowMs) const;
    int restarts() const { return m_snap.restarts; }
    int restartsInWindow() const { return m_snap.restartsInWindow; }
    qint64 nextRestartInMs() const;
    qint64 nextRestartInMs(qint64 nowMs) const;
    ExitStatus lastExit() const { return m_snap.lastExit; }
    bool hasExited() const { return m_snap.hasExited; }
    QString lastError() const { return m_snap.lastError; }
    QString restartReason() const { return m_snap.restartReason; }
    QString lastReason() const { return m_snap.lastReason; }
    qint64 logsDropped() const { return m_snap.logsDropped; }
    QString logPath() const { return m_snap.logPath; }
    QString errLogPath() const { return m_snap.errLogPath; }
    // nullptr: no health check configured.
    const HealthSnapshot *health() const { return m_snap.health ? &*m_snap.health : nullptr; }
    QString waitingReason() const { return m_snap.waitingReason; }
    QStringList dependents() const { return m_snap.dependents; }
    // enabled = false without [service.update].
    const UpdateStatus &update() const { return m_snap.update; }
    // Its recurring errors, most recently seen first (Engine::errorsUpdated).
    QList<ErrorSignature> errors() const { return m_errors; }
    void setErrors(const QList<ErrorSignature> &errors);

signals:
    void changed();
    void errorsChanged();

private:
    qint64 sinceTaken(qint64 nowMs) const;

    ServiceSnapshot m_snap;
    QList<ErrorSignature> m_errors;
};

class EngineClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineClient)

public:
    // `config` is what the engine was built from: the rows exist at once,
    // stopped, until the engine's first snapshot. `engine` must outlive the
    // client; it may live in another thread.
    EngineClient(Engine *engine, const Config &config, QObject *parent = nullptr);
    ~EngineClient() override;

    // --- what the snapshots say
    QList<ServiceView *> services() const { return m_services; }
    ServiceView *service(const QString &name) const;
    const Config &config() const { return m_config; }
    QString stateDir() const { return m_fleet.stateDir; }
    QString eventLogPath() const { return m_fleet.eventLogPath; }
    int severity() const { return m_fleet.severity; } // 0 good, 1 degraded, 2 bad
    bool isAllStopped() const { return m_fleet.allStopped; }
    bool isShuttingDown() const { return m_fleet.shuttingDown; }
    QStringList dependentsOf(const QString &name) const;
    QString waitingReason(const QString &name) const;
    const UsageSnapshot &lastUsage() const { return m_usage; }
    std::optional<ServiceUsage> usage(const QString &name) const;
    bool isRecoveryRunning() const { return m_recoveryRunning; }
    QList<RecoveryStep> recoverySteps() const { return m_recoverySteps; }

    // --- requests; false + *error at once for a name that is not a service
    bool start(const QString &name, QString *error = nullptr);
    bool stop(const QString &name, QString *error = nullptr);
    bool restart(const QString &name, QString *error = nullptr);
    bool restartWithDependents(const QString &name, QString *error = nullptr);
    void boot();
    void startAll();
    void stopAll();
    void restartAll();
    void detachAll();
    void beginShutdown();
    void closeControl();
    void writeEvent(const QString &text);
    // The answer comes as historyAnswered() with the id returned.
    quint64 queryHistory(const HistoryQuery &query);
    int pendingQueries() const { return m_pendingQueries; } // asked, not yet answered
    void planRecovery();                                    // recoveryPlanned()
    void startRecovery(const RecoveryOptions &options = {});
    void writeReport(const QString &path); // reportWritten()
    // repairStarted ... repairFinished, or repairRefused.
    void startRepair(const QString &name);
    // [service.update]: fetch, check and apply; updateFinished() tells how it ended.
    bool applyUpdate(const QString &name, QString *error = nullptr);
    // Crash records of a service: the list comes as crashesAnswered()
    // (newest first), one record as crashFetched().
    void queryCrashes(const QString &service);
    void fetchCrash(const QString &service, qint64 id);
    // alertsAnswered(): the service's alerts and machine-wide ones.
    void queryAlerts(const QString &service);
    // A maintenance window for everything (the tray's pause); 0 ends it.
    void pauseAlerts(qint64 ms);
    // Engine::setWindowShown; only a change is sent.
    void setWindowShown(bool shown);
    // Engine::setProfile: configChanged() follows the switch, commandFailed() a refusal.
    void setProfile(const QString &name);

signals:
    void initialized(bool ok, const QString &error);
    void configChanged();
    void fleetUpdated();
    void serviceUpdated(const QString &name);
    void serviceStateChanged(const QString &name, lifeline::ServiceState from, lifeline::ServiceState to);
    void serviceHealthChanged(const QString &name, lifeline::Health health);
    void waitingChanged(const QString &name, const QString &reason);
    void serviceLogsDropping(const QString &name, const QString &file, const QString &reason);
    void eventLogged(const QString &service, const QString &text);
    void allStopped();
    void shutdownBegun();
    void orphansChanged();
    // services() changes only between these pairs (row = index in services()).
    void serviceAboutToBeAdded(int row, const QString &name);
    void serviceAdded(const QString &name);
    void serviceAboutToBeRemoved(int row, const QString &name);
    void serviceRemoved(const QString &name);
    void sampled();
    void reloadApplied(const QString &summary);
    void reloadFailed(const QString &errors);
    void reloadDeferred();
    void recoveryStarted();
    void recoveryStepChanged(int index, const lifeline::RecoveryStep &step);
    void recoveryFinished(const lifeline::RecoveryReport &report);
    void recoveryPlanned(const lifeline::RecoveryPlan &plan);
    void recoveryRefused(const QString &error);
    void historyAnswered(const lifeline::HistoryAnswer &answer);
    void repairStarted(const lifeline::RepairPlan &plan);
    void repairStepStarted(const QString &service, int index, const QStringList &argv);
    void repairOutput(const QString &service, const QStringList &lines);
    void repairStepFinished(const QString &service, int index, const lifeline::CommandStepResult &result);
    void repairFinished(const lifeline::RepairReport &report);
    void repairRefused(const QString &service, const QString &error);
    void crashRecorded(const lifeline::CrashSummary &summary);
    void crashesAnswered(const QString &service, const QList<lifeline::CrashSummary> &crashes);
    void crashFetched(const QString &service, qint64 id, bool found, const lifeline::CrashRecord &record);
    void commandFailed(const QString &error);
    void reportWritten(const QString &path, const QString &error);
    void updateAvailable(const QString &name, const QString &text);
    void updateAlert(const QString &service, int severity, const QString &title, const QString &text);
    void updateFinished(const QString &name, bool ok, const QString &summary, const QString &reportPath);
    void alertNotified(const lifeline::AlertNotice &notice);
    void alertsChanged();
    void alertsAnswered(const QString &service, const QJsonObject &alerts);

private:
    template<typename F>
    void post(F &&work);
    bool knows(const QString &name, QString *error) const;
    void onServiceUpdated(const ServiceSnapshot &snapshot);
    void onServiceAdded(int row, const ServiceSnapshot &snapshot);
    void onServiceRemoved(const QString &name);

    Engine *m_engine;
    Config m_config;
    QList<ServiceView *> m_services;
    QHash<QString, ServiceView *> m_byName;
    FleetSnapshot m_fleet;
    UsageSnapshot m_usage;
    QHash<QString, qsizetype> m_usageIndex;
    QList<RecoveryStep> m_recoverySteps;
    bool m_recoveryRunning = false;
    quint64 m_nextQueryId = 1;
    int m_pendingQueries = 0;
    bool m_windowShown = false; // as last told to the engine
};

} // namespace lifeline
