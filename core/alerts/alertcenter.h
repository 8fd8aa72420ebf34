// Alerts: conditions worth a person's attention, raised once, repeated only
// after a cooldown, cleared (and said so) when the condition goes away.
//
// The rules (thresholds in [alerts], config/alertsspec.h) are fed by the
// engine through the note*() calls; anything else raises its own alerts with
// fire(key, ...) / clear(key). A key names one condition ("restarts:api",
// "disk"); firing a key that is already firing only updates its text, and
// sends it again once the cooldown has passed. A key cleared and fired again
// within the cooldown is recorded but not sent again, so a flapping
// condition does not flood anyone.
//
// Maintenance windows: while a service (or everything) is in one, its alerts
// are recorded as suppressed instead of being sent. Lifeline opens windows
// itself around its own restarts (a person's restart, reload, recovery,
// update: openMaintenance()); those close when the service is healthy again
// (or running, without a health check), at the latest after maintenance_max.
// A person's window (tray pause, `lifelinectl maintenance`) runs its length.
// When a window closes, alerts still firing that were suppressed are sent.
//
// Times: the Clock (monotonic, a ManualClock in tests) decides cooldowns and
// windows; history records carry wall-clock time.
#pragma once

#include "alerts/alerthistory.h"
#include "config/alertsspec.h"
#include "util/clock.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <optional>

namespace lifeline {

struct FiringAlert
{
    AlertNotice notice;     // state Firing, time = when it began
    qint64 lastSentMs = -1; // on the clock, for the cooldown; -1: never sent
    bool sent = false;      // this firing reached the sinks, so its clearing goes too
    bool suppressed = false;
};

struct MaintenanceWindow
{
    QString service; // empty: everything
    QString reason;
    qint64 untilMs = 0;        // on the clock
    bool untilHealthy = false; // Lifeline's own: also ends when the service is healthy again
    qint64 untilWallMs = 0;    // the same end, wall clock, for people
};

class AlertCenter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertCenter)

public:
    // clock and history must outlive the center.
    AlertCenter(const AlertsSpec &spec, const Clock *clock, AlertHistory *history, QObject *parent = nullptr);

    void setSpec(const AlertsSpec &spec) { m_spec = spec; }
    const AlertsSpec &spec() const { return m_spec; }

    // The generic API.
    void fire(const QString &key, AlertSeverity severity, const QString &service, const QString &title,
              const QString &text);
    // Nothing when `key` is not firing. `text` says why it is over.
    void clear(const QString &key, const QString &text = QString());

    // Maintenance. service empty or "all": everything.
    void openMaintenance(const QString &service, const QString &reason); // Lifeline's own, until healthy
    void openMaintenanceFor(const QString &service, qint64 ms, const QString &reason); // a person's
    // Ends the windows of `service` ("all": every window). False: there was none.
    bool closeMaintenance(const QString &service);
    bool inMaintenance(const QString &service) const;
    QList<MaintenanceWindow> maintenance() const;

    // The rules' inputs. timeMs arguments are on the clock.
    void noteRestartScheduled(const QString &service);
    void noteFatal(const QString &service, const QString &reason);
    void noteStarted(const QString &service);
    void noteHealthCheck(const QString &service, bool ok, int consecutiveFailures, const QString &reason);
    // The service is healthy again, or running and has no health check:
    // Lifeline's own maintenance window for it is over.
    void noteSettled(const QString &service);
    void noteMachine(std::optional<double> memoryPercent, std::optional<double> diskPercent);
    void noteServiceMemory(const QString &service, qint64 rssBytes, qint64 limitBytes);
    void noteLogsDropping(const QString &service, const QString &file, const QString &reason);
    void noteLogsResumed(const QString &service);
    void noteRecoveryFinished(bool ok, const QString &summary);
    // One occurrence of an error signature (the error tracker calls this).
    void noteErrorOccurrence(const QString &service, const QString &signature, qint64 timeMs);
    // A sink could not deliver `notice`: on record, never an alert itself.
    void noteDeliveryFailed(const QString &sink, const AlertNotice &notice, const QString &error);
    // A service is gone from the configuration: its alerts are over.
    void forgetService(const QString &service);

    // Advances time-based things: restart and error windows sliding,
    // maintenance windows ending, repeats after the cooldown. Call often (the
    // engine does on every sample).
    void tick();

    QList<FiringAlert> firing() const;
    QHash<QString, int> firingCounts() const; // per service, "" = machine-wide ones
    AlertHistory *history() const { return m_history; }

    // {"firing":[...], "maintenance":[...], "history":[...]}; service: only
    // that service's and machine-wide ones (empty: all).
    QJsonObject toJson(const QString &service = QString(), int historyLimit = 100) const;

signals:
    // To the sinks: a firing alert (new, repeated, escalated) or its clearing.
    void notify(const lifeline::AlertNotice &notice);
    // firing(), maintenance() or the history changed.
    void changed();

private:
    void send(FiringAlert &alert, bool repeat);
    void record(const AlertNotice &notice, AlertState state);
    void endWindow(qsizetype index);
    void releaseSuppressed();
    void checkRestarts(const QString &service);
    void checkErrors(const QString &service, const QString &signature);
    qint64 wallMs() const;

    AlertsSpec m_spec;
    const Clock *m_clock;
    AlertHistory *m_history;
    QHash<QString, FiringAlert> m_firing;
    QHash<QString, qint64> m_lastSentMs; // per key, survives the clearing: the flapping guard
    QList<MaintenanceWindow> m_windows;
    QHash<QString, QList<qint64>> m_restarts; // per service, times on the clock
    QHash<QString, QList<qint64>> m_errors;   // per "service\nsignature"
};

} // namespace lifeline
