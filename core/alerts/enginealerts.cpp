#include "alerts/enginealerts.h"

#include "health/healthmonitor.h"
#include "metrics/metricssampler.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDateTime>
#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace lifeline {

EngineAlerts::EngineAlerts(Fleet *fleet, MetricsSampler *sampler, Recovery *recovery, const Clock *clock,
                           QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_sampler(sampler)
    , m_config(fleet->config())
{
    m_history = std::make_unique<AlertHistory>(m_config.settings.stateDir);
    m_center = new AlertCenter(m_config.alerts, clock ? clock : Clock::system(), m_history.get(), this);
    m_sinks = new AlertSinks(m_config.alerts, this);
    if (!m_history->lastWarning().isEmpty())
        QMetaObject::invokeMethod(
            this, [this] { emit eventText(m_history->lastWarning(), true); }, Qt::QueuedConnection);

    connect(m_center, &AlertCenter::notify, this, [this](const AlertNotice &notice) {
        emit eventText(u"alert: "_s + notice.headline() + u": "_s + notice.text, false);
        m_sinks->deliver(notice);
        emit notified(notice);
    });
    connect(m_sinks, &AlertSinks::deliveryFailed, this,
            [this](const QString &sink, const AlertNotice &notice, const QString &error) {
                m_center->noteDeliveryFailed(sink, notice, error);
                emit eventText(u"alert %1 could not be delivered by %2: %3"_s.arg(notice.key, sink, error),
                               true);
            });

    for (ServiceSupervisor *s : fleet->services())
        watch(s);
    connect(fleet, &Fleet::serviceAdded, this, [this](const QString &name) {
        if (ServiceSupervisor *s = m_fleet->service(name))
            watch(s);
    });
    connect(fleet, &Fleet::serviceRemoved, m_center, &AlertCenter::forgetService);
    connect(fleet, &Fleet::serviceStateChanged, this,
            [this](const QString &name, ServiceState, ServiceState to) {
                const ServiceSupervisor *s = m_fleet->service(name);
                switch (to) {
                case ServiceState::Backoff:
                    m_center->noteRestartScheduled(name);
                    break;
                case ServiceState::Fatal:
                    m_center->noteFatal(name, s ? s->lastReason() : QString());
                    break;
                case ServiceState::Starting:
                    m_center->noteStarted(name);
                    break;
                case ServiceState::Running:
                    if (s && !s->spec().health.enabled())
                        m_center->noteSettled(name);
                    break;
                case ServiceState::Stopped:
                    // Stopped on purpose: what it was unhealthy or heavy about is over.
                    m_center->clear(u"unhealthy:"_s + name, u"%1 was stopped"_s.arg(name));
                    m_center->clear(u"memory:"_s + name, u"%1 was stopped"_s.arg(name));
                    break;
                default:
                    break;
                }
            });
    connect(fleet, &Fleet::serviceHealthChanged, this, [this](const QString &name, Health health) {
        if (health == Health::Healthy)
            m_center->noteSettled(name);
    });
    connect(fleet, &Fleet::serviceLogsDropping, m_center, &AlertCenter::noteLogsDropping);
    connect(sampler, &MetricsSampler::sampled, this, &EngineAlerts::onSampled);
    if (recovery) {
        connect(recovery, &Recovery::started, this, [this] {
            for (const ServiceSupervisor *s : m_fleet->services())
                m_center->openMaintenance(s->name(), u"emergency recovery"_s);
        });
        connect(recovery, &Recovery::finished, this, [this](const RecoveryReport &report) {
            m_center->noteRecoveryFinished(report.ok, report.summary());
        });
    }
}

EngineAlerts::~EngineAlerts()
{
    // The center writes to the history until it goes.
    delete m_center;
}

void EngineAlerts::watch(ServiceSupervisor *s)
{
    const QString name = s->name();
    connect(s, &ServiceSupervisor::logsResumed, this, [this, name] { m_center->noteLogsResumed(name); });
    const auto watchHealth = [this, s, name] {
        HealthMonitor *monitor = s->health();
        if (!monitor)
            return;
        connect(monitor, &HealthMonitor::resultAdded, this, [this, monitor, name](const HealthResult &r) {
            m_center->noteHealthCheck(name, r.ok, monitor->consecutiveFailures(), r.reason);
        });
    };
    watchHealth();
    connect(s, &ServiceSupervisor::healthMonitorReplaced, this, watchHealth);
}

void EngineAlerts::onSampled()
{
    const SystemSample system = m_sampler->lastSystem();
    m_center->noteMachine(system.memoryValid ? std::optional(system.memoryPercent) : std::nullopt,
                          system.disks.isEmpty() ? std::nullopt : std::optional(system.diskPercent));
    for (const ServiceSupervisor *s : m_fleet->services()) {
        if (s->spec().memoryLimit <= 0)
            continue;
        if (const auto sample = m_sampler->lastService(s->name());
            sample && s->state() == ServiceState::Running)
            m_center->noteServiceMemory(s->name(), sample->rssBytes, s->spec().memoryLimit);
    }
    m_center->tick();
}

void EngineAlerts::applyConfig(const Config &config)
{
    for (const ServiceSpec &spec : config.services) {
        const ServiceSpec *old = m_config.service(spec.name);
        if (old && old->commandHash() != spec.commandHash())
            m_center->openMaintenance(spec.name, u"configuration changed"_s);
    }
    m_config = config;
    m_center->setSpec(config.alerts);
    m_sinks->setSpec(config.alerts);
}

QJsonObject EngineAlerts::cmdAlerts(const QJsonObject &request) const
{
    const QString name = request.value(u"name"_s).toString();
    if (!name.isEmpty() && !m_fleet->service(name))
        return {{u"ok"_s, false}, {u"error"_s, u"unknown service \"%1\""_s.arg(name)}};
    QJsonObject reply = m_center->toJson(name);
    reply.insert(u"ok"_s, true);
    return reply;
}

QString EngineAlerts::alertsText(const QJsonObject &reply)
{
    const auto line = [](const QJsonObject &a) {
        const QString service = a.value(u"service"_s).toString();
        return u"  %1  %2  %3%4: %5\n"_s.arg(a.value(u"time"_s).toString().left(19).replace(u'T', u' '),
                                             a.value(u"state"_s).toString().leftJustified(10),
                                             a.value(u"severity"_s).toString().leftJustified(9),
                                             service.isEmpty() ? u"(machine)"_s : service,
                                             a.value(u"title"_s).toString());
    };
    QString out;
    const QJsonArray firing = reply.value(u"firing"_s).toArray();
    out += firing.isEmpty() ? u"Firing: none\n"_s : u"Firing:\n"_s;
    for (const QJsonValue &v : firing) {
        QJsonObject a = v.toObject();
        if (a.value(u"suppressed"_s).toBool())
            a.insert(u"state"_s, u"suppressed"_s);
        out += line(a) + u"      "_s + a.value(u"text"_s).toString() + u'\n';
    }
    const QJsonArray windows = reply.value(u"maintenance"_s).toArray();
    if (!windows.isEmpty())
        out += u"Maintenance:\n"_s;
    for (const QJsonValue &v : windows) {
        const QJsonObject w = v.toObject();
        out += u"  %1 until %2 (%3)%4\n"_s.arg(
            w.value(u"service"_s).toString(), w.value(u"until"_s).toString().replace(u'T', u' '),
            w.value(u"reason"_s).toString(),
            w.value(u"until_healthy"_s).toBool() ? u", or until healthy"_s : QString());
    }
    const QJsonArray history = reply.value(u"history"_s).toArray();
    out += history.isEmpty() ? u"Recent: none\n"_s : u"Recent:\n"_s;
    for (const QJsonValue &v : history)
        out += line(v.toObject());
    return out;
}

QJsonObject EngineAlerts::cmdMaintenance(const QJsonObject &request)
{
    const QString name = request.value(u"name"_s).toString();
    if (name.isEmpty())
        return {{u"ok"_s, false},
                {u"error"_s, u"bad request: \"maintenance\" needs \"name\" (a service or \"all\")"_s}};
    if (name != u"all"_s && !m_fleet->service(name))
        return {{u"ok"_s, false}, {u"error"_s, u"unknown service \"%1\""_s.arg(name)}};
    if (request.value(u"off"_s).toBool()) {
        const bool closed = m_center->closeMaintenance(name);
        emit eventText(u"maintenance of %1 ended by lifelinectl"_s.arg(name), false);
        return {{u"ok"_s, true}, {u"closed"_s, closed}};
    }
    const qint64 ms = request.value(u"duration_ms"_s).toInteger(-1);
    if (ms <= 0)
        return {{u"ok"_s, false},
                {u"error"_s,
                 u"bad request: \"maintenance\" needs \"duration_ms\" (a positive number) or \"off\""_s}};
    m_center->openMaintenanceFor(name, ms, u"lifelinectl maintenance"_s);
    const QString until = QDateTime::currentDateTime().addMSecs(ms).toString(u"yyyy-MM-dd HH:mm:ss"_s);
    emit eventText(u"maintenance of %1 for %2 (until %3): alerts are suppressed"_s.arg(
                       name, formatDuration(Millis(ms)), until),
                   false);
    return {{u"ok"_s, true}, {u"until"_s, until}};
}

} // namespace lifeline
