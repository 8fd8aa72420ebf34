#include "alerts/alertcenter.h"

#include "util/units.h"

#include <QDateTime>
#include <QJsonArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr qint64 kHourMs = 3'600'000;

bool isAll(const QString &service)
{
    return service.isEmpty() || service == u"all"_s;
}

QString percentText(double p)
{
    return QString::number(p, 'f', 1) + u" %"_s;
}

} // namespace

AlertCenter::AlertCenter(const AlertsSpec &spec, const Clock *clock, AlertHistory *history, QObject *parent)
    : QObject(parent)
    , m_spec(spec)
    , m_clock(clock)
    , m_history(history)
{}

qint64 AlertCenter::wallMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

void AlertCenter::record(const AlertNotice &notice, AlertState state)
{
    AlertNotice n = notice;
    n.state = state;
    n.timeMs = wallMs();
    m_history->add(n);
}

void AlertCenter::fire(const QString &key, AlertSeverity severity, const QString &service,
                       const QString &title, const QString &text)
{
    if (!m_spec.enabled)
        return;
    const qint64 now = m_clock->nowMs();
    auto it = m_firing.find(key);
    if (it != m_firing.end()) {
        const bool escalated = severity > it->notice.severity;
        it->notice.severity = severity;
        it->notice.title = title;
        it->notice.text = text;
        if (escalated)
            send(*it, false);
        else if (it->lastSentMs >= 0 && now - it->lastSentMs >= m_spec.cooldown.count())
            send(*it, true);
        return;
    }
    FiringAlert alert;
    alert.notice = AlertNotice{key, severity, service, title, text, AlertState::Firing, wallMs(), 0};
    it = m_firing.insert(key, alert);
    const auto last = m_lastSentMs.constFind(key);
    if (last != m_lastSentMs.constEnd() && now - *last < m_spec.cooldown.count()) {
        // Flapping: on record, but the person heard of it a moment ago.
        record(it->notice, AlertState::Firing);
        it->lastSentMs = *last;
        emit changed();
        return;
    }
    send(*it, false);
}

void AlertCenter::send(FiringAlert &alert, bool repeat)
{
    AlertNotice notice = alert.notice;
    if (inMaintenance(notice.service)) {
        // A repeat while suppressed is not news for the history either.
        if (!alert.suppressed)
            record(notice, AlertState::Suppressed);
        alert.suppressed = true;
        emit changed();
        return;
    }
    alert.suppressed = false;
    alert.sent = true;
    alert.lastSentMs = m_clock->nowMs();
    m_lastSentMs.insert(notice.key, alert.lastSentMs);
    if (repeat)
        notice.text += u" (still so)"_s;
    notice.timeMs = wallMs();
    m_history->add(notice);
    emit changed();
    emit notify(notice);
}

void AlertCenter::clear(const QString &key, const QString &text)
{
    const auto it = m_firing.find(key);
    if (it == m_firing.end())
        return;
    const FiringAlert alert = *it;
    m_firing.erase(it);
    AlertNotice notice = alert.notice;
    notice.state = AlertState::Cleared;
    notice.timeMs = wallMs();
    notice.text = text.isEmpty() ? u"no longer: "_s + alert.notice.title : text;
    m_history->add(notice);
    emit changed();
    // Only what was sent is taken back.
    if (alert.sent)
        emit notify(notice);
}

void AlertCenter::openMaintenance(const QString &service, const QString &reason)
{
    const qint64 now = m_clock->nowMs();
    const QString who = isAll(service) ? QString() : service;
    for (MaintenanceWindow &w : m_windows) {
        if (w.service == who && w.untilHealthy) {
            w.untilMs = now + m_spec.maintenanceMax.count();
            w.untilWallMs = wallMs() + m_spec.maintenanceMax.count();
            w.reason = reason;
            emit changed();
            return;
        }
    }
    m_windows.append(
        {who, reason, now + m_spec.maintenanceMax.count(), true, wallMs() + m_spec.maintenanceMax.count()});
    emit changed();
}

void AlertCenter::openMaintenanceFor(const QString &service, qint64 ms, const QString &reason)
{
    const QString who = isAll(service) ? QString() : service;
    // A person's window replaces whatever the same target had.
    m_windows.removeIf([&who](const MaintenanceWindow &w) { return w.service == who && !w.untilHealthy; });
    m_windows.append({who, reason, m_clock->nowMs() + ms, false, wallMs() + ms});
    emit changed();
}

bool AlertCenter::closeMaintenance(const QString &service)
{
    bool any = false;
    for (qsizetype i = m_windows.size() - 1; i >= 0; --i) {
        if (isAll(service) || m_windows.at(i).service == service) {
            m_windows.removeAt(i);
            any = true;
        }
    }
    if (any) {
        releaseSuppressed();
        emit changed();
    }
    return any;
}

bool AlertCenter::inMaintenance(const QString &service) const
{
    const qint64 now = m_clock->nowMs();
    return std::any_of(m_windows.cbegin(), m_windows.cend(), [&](const MaintenanceWindow &w) {
        return w.untilMs > now && (w.service.isEmpty() || (!service.isEmpty() && w.service == service));
    });
}

QList<MaintenanceWindow> AlertCenter::maintenance() const
{
    return m_windows;
}

void AlertCenter::releaseSuppressed()
{
    // By key: a receiver of notify() may fire or clear meanwhile.
    for (const QString &key : m_firing.keys()) {
        const auto it = m_firing.find(key);
        if (it != m_firing.end() && it->suppressed && !inMaintenance(it->notice.service))
            send(*it, false);
    }
}

void AlertCenter::noteRestartScheduled(const QString &service)
{
    m_restarts[service].append(m_clock->nowMs());
    checkRestarts(service);
}

void AlertCenter::checkRestarts(const QString &service)
{
    auto it = m_restarts.find(service);
    if (it == m_restarts.end())
        return;
    const qint64 now = m_clock->nowMs();
    while (!it->isEmpty() && now - it->constFirst() >= kHourMs)
        it->removeFirst();
    const qsizetype n = it->size();
    const QString key = u"restarts:"_s + service;
    if (n > m_spec.restartsPerHour) {
        fire(key, AlertSeverity::Warning, service,
             u"%1 restarted %2 times in the last hour"_s.arg(service).arg(n),
             u"%1 has restarted %2 times within an hour (alert above %3); last reason: see its log"_s
                 .arg(service)
                 .arg(n)
                 .arg(m_spec.restartsPerHour));
    } else {
        clear(key, u"%1: %2 restarts in the last hour, at most %3 again"_s.arg(service).arg(n).arg(
                       m_spec.restartsPerHour));
    }
    if (it->isEmpty())
        m_restarts.erase(it);
}

void AlertCenter::noteFatal(const QString &service, const QString &reason)
{
    fire(u"fatal:"_s + service, AlertSeverity::Critical, service,
         u"%1 gave up: manual intervention required"_s.arg(service),
         u"%1 stopped restarting (fatal): %2"_s.arg(service, reason));
}

void AlertCenter::noteStarted(const QString &service)
{
    clear(u"fatal:"_s + service, u"%1 is starting again"_s.arg(service));
}

void AlertCenter::noteHealthCheck(const QString &service, bool ok, int consecutiveFailures,
                                  const QString &reason)
{
    const QString key = u"unhealthy:"_s + service;
    if (ok) {
        if (m_firing.contains(key)) // the usual answer, every check: no text to build
            clear(key, u"%1 is healthy again"_s.arg(service));
        return;
    }
    if (consecutiveFailures > m_spec.unhealthyChecks) {
        fire(key, AlertSeverity::Critical, service, u"%1 is unhealthy"_s.arg(service),
             u"%1 failed %2 health checks in a row: %3"_s.arg(service).arg(consecutiveFailures).arg(reason));
    }
}

void AlertCenter::noteSettled(const QString &service)
{
    const qsizetype before = m_windows.size();
    m_windows.removeIf(
        [&service](const MaintenanceWindow &w) { return w.untilHealthy && w.service == service; });
    if (m_windows.size() == before)
        return;
    releaseSuppressed();
    emit changed();
}

void AlertCenter::noteMachine(std::optional<double> memoryPercent, std::optional<double> diskPercent)
{
    const auto check = [this](const QString &key, const QString &what, std::optional<double> value,
                              double warn, double critical) {
        if (!value)
            return;
        if (*value > warn) {
            const AlertSeverity severity =
                *value > critical ? AlertSeverity::Critical : AlertSeverity::Warning;
            fire(key, severity, QString(), u"%1 at %2"_s.arg(what, percentText(*value)),
                 u"%1 is at %2 (warning above %3, critical above %4)"_s.arg(
                     what, percentText(*value), percentText(warn), percentText(critical)));
        } else {
            clear(key, u"%1 is back to %2"_s.arg(what, percentText(*value)));
        }
    };
    check(u"memory"_s, u"machine memory"_s, memoryPercent, m_spec.memoryPercent,
          m_spec.memoryCriticalPercent);
    check(u"disk"_s, u"disk"_s, diskPercent, m_spec.diskPercent, m_spec.diskCriticalPercent);
}

void AlertCenter::noteServiceMemory(const QString &service, qint64 rssBytes, qint64 limitBytes)
{
    const QString key = u"memory:"_s + service;
    if (limitBytes <= 0) {
        clear(key);
        return;
    }
    const double percent = 100.0 * double(rssBytes) / double(limitBytes);
    if (percent > m_spec.serviceMemoryPercent) {
        fire(key, AlertSeverity::Warning, service,
             u"%1 uses %2 of its memory limit"_s.arg(service, percentText(percent)),
             u"%1 uses %2 of its memory_limit %3 (warning above %4); it is restarted when over the limit"_s
                 .arg(service, formatSize(rssBytes), formatSize(limitBytes),
                      percentText(m_spec.serviceMemoryPercent)));
    } else {
        clear(key, u"%1 is back to %2 of its memory limit"_s.arg(service, percentText(percent)));
    }
}

void AlertCenter::noteLogsDropping(const QString &service, const QString &file, const QString &reason)
{
    fire(u"logs:"_s + service, AlertSeverity::Warning, service, u"%1 is losing log lines"_s.arg(service),
         u"the output of %1 cannot be written to %2: %3; the service keeps running"_s.arg(service, file,
                                                                                          reason));
}

void AlertCenter::noteLogsResumed(const QString &service)
{
    clear(u"logs:"_s + service, u"%1's log is written again"_s.arg(service));
}

void AlertCenter::noteRecoveryFinished(bool ok, const QString &summary)
{
    if (ok)
        clear(u"recovery"_s, summary);
    else
        fire(u"recovery"_s, AlertSeverity::Critical, QString(), u"emergency recovery failed"_s, summary);
}

void AlertCenter::noteErrorOccurrence(const QString &service, const QString &signature, qint64 timeMs)
{
    m_errors[service + u'\n' + signature].append(timeMs);
    checkErrors(service, signature);
}

void AlertCenter::checkErrors(const QString &service, const QString &signature)
{
    const QString id = service + u'\n' + signature;
    auto it = m_errors.find(id);
    if (it == m_errors.end())
        return;
    const qint64 now = m_clock->nowMs();
    while (!it->isEmpty() && now - it->constFirst() >= m_spec.errorWindow.count())
        it->removeFirst();
    // Only the count matters: keep no more than one past the threshold.
    while (it->size() > qsizetype(m_spec.errorCount) + 1)
        it->removeFirst();
    const qsizetype n = it->size();
    // The key must stay short for a sink and a person: a hash of the signature.
    const QString key = u"errors:%1:%2"_s.arg(service).arg(qHash(signature), 0, 16);
    const QString shortSig = signature.left(120);
    if (n > m_spec.errorCount) {
        fire(key, AlertSeverity::Warning, service, u"%1 keeps logging the same error"_s.arg(service),
             u"%1: more than %2 times within %3: %4"_s.arg(service)
                 .arg(m_spec.errorCount)
                 .arg(formatDuration(m_spec.errorWindow), shortSig));
    } else {
        clear(key, u"%1: the error is no longer recurring: %2"_s.arg(service, shortSig));
    }
    if (it->isEmpty())
        m_errors.erase(it);
}

void AlertCenter::noteDeliveryFailed(const QString &sink, const AlertNotice &notice, const QString &error)
{
    AlertNotice n = notice;
    n.state = AlertState::DeliveryFailed;
    n.timeMs = wallMs();
    n.text = sink + u": "_s + error;
    m_history->add(n);
    emit changed();
}

void AlertCenter::forgetService(const QString &service)
{
    const QStringList keys = m_firing.keys();
    for (const QString &key : keys) {
        if (m_firing.value(key).notice.service == service)
            clear(key, u"%1 was removed from the configuration"_s.arg(service));
    }
    m_restarts.remove(service);
    m_windows.removeIf([&service](const MaintenanceWindow &w) { return w.service == service; });
}

void AlertCenter::tick()
{
    const qint64 now = m_clock->nowMs();
    const qsizetype before = m_windows.size();
    m_windows.removeIf([now](const MaintenanceWindow &w) { return w.untilMs <= now; });
    if (m_windows.size() != before) {
        releaseSuppressed();
        emit changed();
    }
    for (const QString &service : m_restarts.keys())
        checkRestarts(service);
    for (const QString &id : m_errors.keys()) {
        const qsizetype nl = id.indexOf(u'\n');
        checkErrors(id.left(nl), id.mid(nl + 1));
    }
    for (const QString &key : m_firing.keys()) {
        const auto it = m_firing.find(key);
        if (it != m_firing.end() && !it->suppressed && it->lastSentMs >= 0 &&
            now - it->lastSentMs >= m_spec.cooldown.count())
            send(*it, it->sent);
    }
}

QList<FiringAlert> AlertCenter::firing() const
{
    QList<FiringAlert> out = m_firing.values();
    std::sort(out.begin(), out.end(), [](const FiringAlert &a, const FiringAlert &b) {
        if (a.notice.severity != b.notice.severity)
            return a.notice.severity > b.notice.severity;
        return a.notice.timeMs > b.notice.timeMs;
    });
    return out;
}

QHash<QString, int> AlertCenter::firingCounts() const
{
    QHash<QString, int> counts;
    for (const FiringAlert &a : m_firing)
        ++counts[a.notice.service];
    return counts;
}

QJsonObject AlertCenter::toJson(const QString &service, int historyLimit) const
{
    const auto mine = [&service](const QString &s) {
        return service.isEmpty() || s.isEmpty() || s == service;
    };
    QJsonArray firingArray;
    for (const FiringAlert &a : firing()) {
        if (!mine(a.notice.service))
            continue;
        QJsonObject o = a.notice.toJson();
        o.insert(u"suppressed"_s, a.suppressed);
        firingArray.append(o);
    }
    QJsonArray windows;
    const qint64 now = m_clock->nowMs();
    for (const MaintenanceWindow &w : m_windows) {
        if (!mine(w.service))
            continue;
        windows.append(QJsonObject{
            {u"service"_s, w.service.isEmpty() ? u"all"_s : w.service},
            {u"reason"_s, w.reason},
            {u"until"_s, QDateTime::fromMSecsSinceEpoch(w.untilWallMs, Qt::UTC).toString(Qt::ISODate)},
            {u"remaining_s"_s, std::max<qint64>(0, (w.untilMs - now) / 1000)},
            {u"until_healthy"_s, w.untilHealthy},
        });
    }
    QJsonArray historyArray;
    for (const AlertNotice &n : m_history->recent(historyLimit, service))
        historyArray.append(n.toJson());
    return {{u"firing"_s, firingArray}, {u"maintenance"_s, windows}, {u"history"_s, historyArray}};
}

} // namespace lifeline
