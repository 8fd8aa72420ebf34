// Polls one service's health check and turns the results into a health
// state with thresholds, like Docker's HEALTHCHECK:
//   - start(): polling begins; failures within start_period do not count, but
//     a success in it makes the service Healthy at once (and ends the period);
//   - `failures` consecutive failures -> Unhealthy (unhealthy() is emitted);
//   - from Unhealthy, `successes` consecutive successes -> Healthy;
//   - at most one probe in flight: a tick that finds one running is skipped;
//   - stop(): Unknown again, timers stopped, a running probe aborted and its
//     result dropped. The history (last HistorySize results) is kept.
//   - a plain-HTTP check keeps its connection open between probes when the
//     server does (HTTP/1.1 keep-alive); stop() closes it.
// The history holds results without their reports: only the latest report is
// kept (lastReport()), so a backend answering a megabyte of JSON every
// second costs one capped report, not HistorySize of them.
// Reasons do not repeat the service name; whoever displays them adds it.
#pragma once

#include "config/servicespec.h"
#include "healthresult.h"

#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>
#include <sys/types.h>

class QNetworkAccessManager;
class QTcpSocket;
class QTimer;

namespace lifeline {

class Clock;
class HealthProbe;
class ProcFs;

class HealthMonitor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthMonitor)

public:
    static constexpr int HistorySize = 500;
    // While in the start period and not yet healthy, poll at least this often,
    // so a service with interval = "30s" is seen healthy soon after it is up
    // (Docker's start_interval).
    static constexpr qint64 StartPeriodPollMs = 1000;
    // The first probe after start(); later ones back off from here (10, 20,
    // 40 ms ... apart). A probe that finds nothing listening yet costs a
    // refused connect; one that finds the backend ready saves its
    // dependents (and a recovery's verify step) the wait.
    static constexpr qint64 FirstProbeMs = 10;

    // nam is shared by all monitors and must outlive them.
    HealthMonitor(const HealthSpec &spec, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~HealthMonitor() override;

    void setServiceName(const QString &name);
    QString serviceName() const { return m_serviceName; }
    // Exec checks run in this directory (the service's cwd).
    void setWorkingDirectory(const QString &dir) { m_workingDirectory = dir; }
    // Time source for the start period; tests pass a ManualClock. Not owned.
    void setClock(Clock *clock);
    // Called after each successful probe; a returned reason turns the result
    // into a PortHeldByOther failure (see foreignPortHolder()).
    void setPortCheck(std::function<std::optional<QString>()> check);

    const HealthSpec &spec() const { return m_spec; }
    bool isActive() const { return m_active; }

    // The service has just started: forget the previous verdict and poll.
    void start();
    void stop();

    Health health() const { return m_health; }
    // The newest result, with the latest report.
    std::optional<HealthResult> lastResult() const;
    // The backend's JSON report of the newest result (at most
    // HealthParser::MaxReportBytes); empty when it sent none.
    QJsonObject lastReport() const { return m_lastReport; }
    QList<HealthResult> history() const; // oldest first, at most HistorySize, reports left out
    int consecutiveFailures() const { return m_consecutiveFailures; }
    bool inStartPeriod() const;
    bool probeInFlight() const { return m_probe != nullptr; }
    int skippedTicks() const { return m_skippedTicks; }
    // An open connection kept for the next plain-HTTP probe.
    bool hasIdleConnection() const { return m_connection != nullptr; }

    // A reason when one of `ports` is not listened on, or is listened on by
    // a process that is not in servicePids ("port 8000 is held by PID 123
    // (alice): python3 old.py, not by the service"); nullopt when all of
    // them belong to the service.
    static std::optional<QString> foreignPortHolder(const QList<quint16> &ports,
                                                    const QList<pid_t> &servicePids, const ProcFs &proc);

signals:
    void resultAdded(const lifeline::HealthResult &result);
    void healthChanged(lifeline::Health newHealth, const QString &reason);
    // Each time the health turns Unhealthy; the supervisor restarts on it
    // when spec().restartOnUnhealthy.
    void unhealthy(const QString &reason);

private:
    void onTick();
    void launchProbe();
    void onProbeFinished(HealthProbe *probe, HealthResult result);
    void record(const HealthResult &result);
    void setHealth(Health health, const QString &reason);
    void scheduleNext();
    void dropProbe();
    void keepConnection(QTcpSocket *socket);
    void dropConnection();

    HealthSpec m_spec;
    QPointer<QNetworkAccessManager> m_nam;
    QString m_serviceName;
    QString m_workingDirectory;
    Clock *m_clock;
    std::function<std::optional<QString>()> m_portCheck;
    QTimer *m_timer;
    HealthProbe *m_probe = nullptr;
    QTcpSocket *m_connection = nullptr; // idle, owned; for the next probe

    bool m_active = false;
    bool m_startPeriodOver = false;
    qint64 m_startedAtMs = 0;
    Health m_health = Health::Unknown;
    int m_consecutiveFailures = 0;
    int m_consecutiveSuccesses = 0;
    int m_skippedTicks = 0;
    qint64 m_rampMs = FirstProbeMs;

    QList<HealthResult> m_ring; // circular once full; m_next is the oldest then; no reports
    int m_next = 0;
    QJsonObject m_lastReport;
};

} // namespace lifeline
