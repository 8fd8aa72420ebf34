#include "healthmonitor.h"

#include "healthprobe.h"
#include "platform/procfs.h"
#include "util/clock.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

Q_LOGGING_CATEGORY(lcHealth, "lifeline.health")

HealthMonitor::HealthMonitor(const HealthSpec &spec, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_spec(spec)
    , m_nam(nam)
    , m_clock(Clock::system())
    , m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &HealthMonitor::onTick);
}

HealthMonitor::~HealthMonitor()
{
    dropProbe();
}

void HealthMonitor::setServiceName(const QString &name)
{
    m_serviceName = name;
}

void HealthMonitor::setClock(Clock *clock)
{
    m_clock = clock ? clock : Clock::system();
}

void HealthMonitor::setPortCheck(std::function<std::optional<QString>()> check)
{
    m_portCheck = std::move(check);
}

void HealthMonitor::start()
{
    if (!m_spec.enabled()) {
        qCDebug(lcHealth) << m_serviceName << "has no health check";
        return;
    }
    dropProbe();
    m_active = true;
    m_startedAtMs = m_clock->nowMs();
    m_startPeriodOver = m_spec.startPeriod.count() <= 0;
    m_consecutiveFailures = 0;
    m_consecutiveSuccesses = 0;
    setHealth(Health::Unknown, u"service started"_s);
    m_rampMs = FirstProbeMs;
    scheduleNext();
}

void HealthMonitor::stop()
{
    m_active = false;
    m_timer->stop();
    dropProbe();
    dropConnection(); // the next run is another process: a fresh connection
    m_consecutiveFailures = 0;
    m_consecutiveSuccesses = 0;
    setHealth(Health::Unknown, u"health checks stopped"_s);
}

bool HealthMonitor::inStartPeriod() const
{
    // The early probes of the start ramp (before one interval has passed)
    // never count against a service, even with start_period = 0: they only
    // exist to notice "healthy" sooner than the schedule would.
    const qint64 since = m_clock->nowMs() - m_startedAtMs;
    if (m_active && m_health == Health::Unknown && since < m_spec.interval.count())
        return true;
    return m_active && !m_startPeriodOver && since < m_spec.startPeriod.count();
}

std::optional<HealthResult> HealthMonitor::lastResult() const
{
    if (m_ring.isEmpty())
        return std::nullopt;
    const int last =
        m_ring.size() < HistorySize ? int(m_ring.size()) - 1 : (m_next + HistorySize - 1) % HistorySize;
    HealthResult result = m_ring.at(last);
    result.report = m_lastReport;
    return result;
}

QList<HealthResult> HealthMonitor::history() const
{
    if (m_ring.size() < HistorySize)
        return m_ring;
    QList<HealthResult> ordered;
    ordered.reserve(HistorySize);
    for (int i = 0; i < HistorySize; ++i)
        ordered.append(m_ring.at((m_next + i) % HistorySize));
    return ordered;
}

void HealthMonitor::scheduleNext()
{
    qint64 next = std::max<qint64>(1, m_spec.interval.count());
    if (m_health == Health::Unknown) {
        // Until the first verdict: ask soon after the start and then back off
        // (10 ms, 20 ms, 40 ms ... up to StartPeriodPollMs), so dependents
        // and a recovery's verify step learn "healthy" within moments of the
        // backend being ready instead of a whole interval later.
        next = std::min({next, StartPeriodPollMs, m_rampMs});
        m_rampMs = std::min<qint64>(m_rampMs * 2, StartPeriodPollMs);
    } else if (m_health != Health::Healthy && inStartPeriod()) {
        next = std::min(next, StartPeriodPollMs);
    }
    m_timer->start(std::chrono::milliseconds(next));
}

void HealthMonitor::onTick()
{
    if (!m_active)
        return;
    scheduleNext();
    if (m_probe) {
        // The previous check is still running: never pile probes up on a
        // backend that is already slow. A skipped tick counts as nothing.
        ++m_skippedTicks;
        return;
    }
    launchProbe();
}

void HealthMonitor::launchProbe()
{
    auto *probe = new HealthProbe(m_spec, m_nam, this);
    probe->setWorkingDirectory(m_workingDirectory);
    if (QTcpSocket *connection = std::exchange(m_connection, nullptr)) {
        disconnect(connection, nullptr, this, nullptr);
        probe->setConnection(connection);
    }
    connect(probe, &HealthProbe::finished, this,
            [this, probe](const HealthResult &result) { onProbeFinished(probe, result); });
    m_probe = probe;
    probe->start();
}

void HealthMonitor::keepConnection(QTcpSocket *socket)
{
    dropConnection();
    m_connection = socket;
    socket->setParent(this);
    // Closed by the server, or sending what nobody asked for: not reusable.
    connect(socket, &QTcpSocket::disconnected, this, &HealthMonitor::dropConnection);
    connect(socket, &QTcpSocket::readyRead, this, &HealthMonitor::dropConnection);
}

void HealthMonitor::dropConnection()
{
    if (QTcpSocket *socket = std::exchange(m_connection, nullptr)) {
        disconnect(socket, nullptr, this, nullptr);
        socket->abort();
        socket->deleteLater();
    }
}

void HealthMonitor::dropProbe()
{
    if (!m_probe)
        return;
    HealthProbe *probe = std::exchange(m_probe, nullptr);
    disconnect(probe, nullptr, this, nullptr);
    probe->abort();
    probe->deleteLater();
}

void HealthMonitor::onProbeFinished(HealthProbe *probe, HealthResult result)
{
    if (probe != m_probe)
        return;
    m_probe = nullptr;
    probe->deleteLater();
    if (!m_active)
        return;
    if (QTcpSocket *connection = probe->takeConnection())
        keepConnection(connection);
    if (result.ok && m_portCheck) {
        if (const std::optional<QString> foreign = m_portCheck()) {
            result.ok = false;
            result.error = ProbeError::PortHeldByOther;
            result.reason = *foreign;
        }
    }
    record(result);
}

void HealthMonitor::record(const HealthResult &result)
{
    const bool grace = inStartPeriod();

    HealthResult kept = result;
    m_lastReport = std::exchange(kept.report, {});
    if (m_ring.size() < HistorySize) {
        m_ring.append(kept);
    } else {
        m_ring[m_next] = kept;
        m_next = (m_next + 1) % HistorySize;
    }

    // Work out the new state first, then tell the world: a receiver may stop
    // (or delete) this monitor from any of the signals.
    std::optional<Health> newHealth;
    QString reason;
    if (result.ok) {
        m_consecutiveFailures = 0;
        ++m_consecutiveSuccesses;
        m_startPeriodOver = true;
        if (m_health == Health::Unknown ||
            (m_health == Health::Unhealthy && m_consecutiveSuccesses >= std::max(1, m_spec.successes))) {
            newHealth = Health::Healthy;
            reason = result.reason;
        }
    } else {
        m_consecutiveSuccesses = 0;
        if (!grace) {
            ++m_consecutiveFailures;
            const int threshold = std::max(1, m_spec.failures);
            if (m_consecutiveFailures >= threshold && m_health != Health::Unhealthy) {
                newHealth = Health::Unhealthy;
                reason = threshold == 1 ? result.reason
                                        : u"failed "_s + QString::number(m_consecutiveFailures) +
                                              u" checks in a row, last: "_s + result.reason;
            }
        }
    }

    QPointer<HealthMonitor> self(this);
    emit resultAdded(result);
    if (!self || !m_active || !newHealth)
        return;
    const bool firstVerdict = m_health == Health::Unknown;
    setHealth(*newHealth, reason);
    if (!self || !m_active)
        return;
    // The start ramp ends with the first verdict: the next probe follows
    // the schedule from here, not the ramp's timer already running.
    if (firstVerdict)
        scheduleNext();
    if (*newHealth == Health::Unhealthy)
        emit unhealthy(reason);
}

void HealthMonitor::setHealth(Health health, const QString &reason)
{
    if (m_health == health)
        return;
    m_health = health;
    qCInfo(lcHealth).noquote() << (m_serviceName.isEmpty() ? u"(unnamed service)"_s : m_serviceName) << "is"
                               << healthName(health) << "-" << reason;
    emit healthChanged(health, reason);
}

std::optional<QString> HealthMonitor::foreignPortHolder(const QList<quint16> &ports,
                                                        const QList<pid_t> &servicePids, const ProcFs &proc)
{
    // Only the tree's own descriptors on the passing path: scanning every
    // process on the machine after each probe is what this avoids.
    const QList<quint16> own = proc.listeningPorts(servicePids);
    for (const quint16 port : ports) {
        if (own.contains(port))
            continue;
        const std::optional<PortHolder> holder = proc.portHolder(port);
        if (!holder)
            return u"port "_s + QString::number(port) + u" is not listened on"_s;
        if (holder->pid == 0 || !servicePids.contains(holder->pid))
            return u"port "_s + QString::number(port) + u" is held by "_s + holder->describe() +
                   u", not by the service"_s;
    }
    return std::nullopt;
}

} // namespace lifeline
