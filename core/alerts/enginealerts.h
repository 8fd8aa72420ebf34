// The alerts part of the engine: the history, the AlertCenter and its sinks,
// fed from the Fleet (states, health checks, logs), the sampler (machine and
// service memory), recovery and reloads, and answering the control socket's
// "alerts" and "maintenance" commands. Lives on the engine's thread.
//
//   {"cmd":"alerts"[,"name":SERVICE]} -> {"ok":true,"firing":[...],"maintenance":[...],"history":[...]}
//   {"cmd":"maintenance","name":NAME|"all","duration_ms":N}   -> {"ok":true,"until":ISO}
//   {"cmd":"maintenance","name":NAME|"all","off":true}        -> {"ok":true,"closed":BOOL}
#pragma once

#include "alerts/alertcenter.h"
#include "alerts/alertsinks.h"
#include "config/servicespec.h"

#include <QJsonObject>
#include <QObject>

#include <memory>

namespace lifeline {

class Clock;
class EventLog;
class Fleet;
class MetricsSampler;
class Recovery;
class ServiceSupervisor;

class EngineAlerts final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineAlerts)

public:
    EngineAlerts(Fleet *fleet, MetricsSampler *sampler, Recovery *recovery, const Clock *clock,
                 QObject *parent = nullptr);
    ~EngineAlerts() override;

    AlertCenter *center() const { return m_center; }
    AlertSinks *sinks() const { return m_sinks; }

    // A reload: new thresholds and sinks; changed services get a maintenance
    // window (they are being restarted), removed ones lose their alerts.
    void applyConfig(const Config &config);

    QJsonObject cmdAlerts(const QJsonObject &request) const;
    // The reply of "alerts" for a terminal: firing first, then maintenance, then the history.
    static QString alertsText(const QJsonObject &reply);
    QJsonObject cmdMaintenance(const QJsonObject &request);

signals:
    // For the event log and the tray: a notice that went out, or a sink's failure.
    void notified(const lifeline::AlertNotice &notice);
    void eventText(const QString &text, bool warn);

private:
    void watch(ServiceSupervisor *s);
    void onSampled();

    Fleet *m_fleet;
    MetricsSampler *m_sampler;
    std::unique_ptr<AlertHistory> m_history;
    AlertCenter *m_center;
    AlertSinks *m_sinks;
    Config m_config;
};

} // namespace lifeline
