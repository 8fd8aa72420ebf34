#include "control/statusjson.h"

#include "health/healthmonitor.h"
#include "metrics/metricssampler.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QStringList>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

double roundTo1(double v)
{
    return std::round(v * 10.0) / 10.0;
}

} // namespace

QString serviceHealthName(const Fleet &fleet, const ServiceSupervisor &service)
{
    Q_UNUSED(fleet);
    const HealthMonitor *h = service.health();
    return healthName(h ? h->health() : Health::Unknown);
}

QJsonObject serviceHealthJson(const Fleet &fleet, const ServiceSupervisor &service)
{
    QJsonObject o;
    o.insert(u"health"_s, serviceHealthName(fleet, service));
    QJsonArray results;
    if (const HealthMonitor *h = service.health()) {
        o.insert(u"check"_s, h->spec().kind == HealthSpec::Kind::Http ? h->spec().url
                             : h->spec().kind == HealthSpec::Kind::Tcp
                                 ? h->spec().tcpHost + u':' + QString::number(h->spec().tcpPort)
                                 : h->spec().exec.join(u' '));
        o.insert(u"consecutive_failures"_s, h->consecutiveFailures());
        for (const HealthResult &r : h->history()) {
            QJsonObject jr;
            jr.insert(u"time"_s, QDateTime::fromMSecsSinceEpoch(r.timeMs).toString(Qt::ISODateWithMs));
            jr.insert(u"ok"_s, r.ok);
            jr.insert(u"latency_ms"_s, r.latencyMs);
            jr.insert(u"http_status"_s, r.httpStatus);
            jr.insert(u"detail"_s, r.reason);
            results.append(jr);
        }
        // Only the newest report: a backend's JSON may be large, and one is what a person reads.
        if (const QJsonObject report = h->lastReport(); !report.isEmpty())
            o.insert(u"report"_s, report);
    }
    o.insert(u"results"_s, results);
    return o;
}

CpuRss serviceCpuRss(const Fleet &fleet, const ServiceSupervisor &service)
{
    CpuRss out;
    if (!isRunningState(service.state()))
        return out;
    if (const auto sample = fleet.sampler()->lastService(service.name())) {
        out.cpuPercent = roundTo1(sample->cpuPercent);
        out.rssBytes = sample->rssBytes;
    }
    return out;
}

SystemFigures systemFigures(const Fleet &fleet)
{
    SystemFigures out;
    const SystemSample s = fleet.sampler()->lastSystem();
    if (s.cpuValid)
        out.cpuPercent = roundTo1(s.cpuPercent);
    if (s.memoryValid)
        out.memoryPercent = roundTo1(s.memoryPercent);
    out.diskPercent = roundTo1(s.diskPercent);
    out.diskUnavailable = s.diskUnavailable;
    return out;
}

QJsonObject serviceStatusJson(const Fleet &fleet, const ServiceSupervisor &service)
{
    const ServiceState state = service.state();
    const bool running = isRunningState(state) && service.pid() > 0;
    const CpuRss usage = serviceCpuRss(fleet, service);
    const qint64 nextRestartMs = service.nextRestartInMs();

    QJsonObject o;
    o.insert(u"name"_s, service.name());
    o.insert(u"state"_s, stateName(state));
    o.insert(u"pid"_s, running ? QJsonValue(qint64(service.pid())) : QJsonValue(QJsonValue::Null));
    o.insert(u"restarts"_s, service.restarts());
    o.insert(u"uptime_s"_s, running ? service.uptimeMs() / 1000 : 0);
    o.insert(u"health"_s, serviceHealthName(fleet, service));
    o.insert(u"cpu_percent"_s, usage.cpuPercent);
    o.insert(u"rss_bytes"_s, usage.rssBytes);
    o.insert(u"last_exit_code"_s,
             service.hasExited() ? QJsonValue(service.lastExit().shellCode()) : QJsonValue(QJsonValue::Null));
    // Extras (not part of the minimal contract, but stable names too).
    o.insert(u"restart_reason"_s, service.restartReason());
    o.insert(u"last_reason"_s, service.lastReason());
    o.insert(u"logs_dropped"_s, service.logsDropped());
    o.insert(u"restarts_in_window"_s, service.restartsInWindow());
    o.insert(u"max_restarts"_s, service.spec().maxRestarts);
    o.insert(u"next_restart_in_s"_s,
             nextRestartMs >= 0 ? QJsonValue(double(nextRestartMs) / 1000.0) : QJsonValue(QJsonValue::Null));
    o.insert(u"last_exit"_s,
             service.hasExited() ? QJsonValue(service.lastExit().describe()) : QJsonValue(QJsonValue::Null));
    o.insert(u"last_error"_s, service.lastError());
    o.insert(u"adopted"_s, service.isAdopted());
    const HealthMonitor *h = service.health();
    const auto last = h && h->health() != Health::Unknown ? h->lastResult() : std::nullopt;
    o.insert(u"health_reason"_s, last ? QJsonValue(last->reason) : QJsonValue(QJsonValue::Null));
    o.insert(u"health_latency_ms"_s, last ? QJsonValue(last->latencyMs) : QJsonValue(QJsonValue::Null));
    o.insert(u"waiting_for"_s, fleet.waitingReason(service.name()));
    return o;
}

QJsonObject statusJson(const Fleet &fleet)
{
    QJsonArray services;
    const QList<ServiceSupervisor *> list = fleet.services();
    for (const ServiceSupervisor *s : list)
        services.append(serviceStatusJson(fleet, *s));

    const SystemFigures sys = systemFigures(fleet);
    QJsonObject system;
    system.insert(u"cpu_percent"_s, sys.cpuPercent);
    system.insert(u"memory_percent"_s, sys.memoryPercent);
    system.insert(u"disk_percent"_s, sys.diskPercent);
    system.insert(u"disk_unavailable"_s, sys.diskUnavailable);

    // Processes re-parented to Lifeline from a service tree (Fleet::orphans()).
    QJsonArray orphans;
    for (const OrphanProcess &p : fleet.orphans()) {
        QJsonObject x;
        x.insert(u"pid"_s, qint64(p.pid));
        x.insert(u"cmdline"_s, QJsonArray::fromStringList(p.cmdline));
        x.insert(u"service"_s, p.service.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(p.service));
        x.insert(u"why"_s, p.why);
        orphans.append(x);
    }

    QJsonObject o;
    o.insert(u"services"_s, services);
    o.insert(u"system"_s, system);
    o.insert(u"orphans"_s, orphans);
    const QString profile = fleet.config().profile;
    o.insert(u"profile"_s, profile.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(profile));
    return o;
}

QString statusTable(const QJsonObject &status)
{
    const QStringList header = {u"NAME"_s,   u"STATE"_s, u"PID"_s, u"UPTIME"_s,   u"RESTARTS"_s,
                                u"HEALTH"_s, u"CPU"_s,   u"RSS"_s, u"LAST EXIT"_s};
    QList<QStringList> rows;
    QList<QString> notes; // one per row, may be empty
    const QJsonArray services = status.value(u"services"_s).toArray();
    for (const QJsonValue &v : services) {
        const QJsonObject s = v.toObject();
        const QString state = s.value(u"state"_s).toString();
        const bool hasPid = s.value(u"pid"_s).isDouble();
        QStringList row;
        row << s.value(u"name"_s).toString() << state
            << (hasPid ? QString::number(s.value(u"pid"_s).toInteger()) : u"-"_s)
            << (hasPid ? formatUptime(s.value(u"uptime_s"_s).toInteger()) : u"-"_s)
            << QString::number(s.value(u"restarts"_s).toInteger()) << s.value(u"health"_s).toString()
            << (hasPid ? QString::number(s.value(u"cpu_percent"_s).toDouble(), 'f', 1) + u'%' : u"-"_s)
            << (hasPid ? formatSize(s.value(u"rss_bytes"_s).toInteger()) : u"-"_s)
            << (s.value(u"last_exit"_s).isString() ? s.value(u"last_exit"_s).toString() : u"-"_s);
        rows << row;

        QString note;
        const QString lastError = s.value(u"last_error"_s).toString();
        if (state == u"fatal"_s) {
            note = u"error: "_s + (lastError.isEmpty() ? u"gave up restarting"_s : lastError);
        } else if (state == u"backoff"_s && s.value(u"next_restart_in_s"_s).isDouble()) {
            note = u"restart %1 of %2 in %3s"_s.arg(s.value(u"restarts_in_window"_s).toInteger() + 1)
                       .arg(s.value(u"max_restarts"_s).toInteger())
                       .arg(s.value(u"next_restart_in_s"_s).toDouble(), 0, 'f', 1);
            const QString reason = s.value(u"restart_reason"_s).toString();
            if (!reason.isEmpty())
                note += u" ("_s + reason + u')';
        }
        notes << note;
    }

    QList<qsizetype> widths(header.size());
    for (qsizetype c = 0; c < header.size(); ++c) {
        widths[c] = header[c].size();
        for (const QStringList &row : std::as_const(rows))
            widths[c] = std::max(widths[c], row[c].size());
    }
    const auto line = [&widths](const QStringList &cells) -> QString {
        QString out;
        for (qsizetype c = 0; c < cells.size(); ++c) {
            if (c + 1 == cells.size())
                out += cells[c]; // no trailing blanks
            else
                out += cells[c].leftJustified(widths[c]) + u"  "_s;
        }
        return out + u'\n';
    };

    QString out = line(header);
    for (qsizetype r = 0; r < rows.size(); ++r) {
        out += line(rows[r]);
        if (!notes[r].isEmpty())
            out += u"    "_s + notes[r] + u'\n';
    }
    if (rows.isEmpty())
        out += u"(no services)\n"_s;

    const QJsonObject system = status.value(u"system"_s).toObject();
    out += u"\nsystem: cpu %1%  memory %2%  disk %3%\n"_s
               .arg(system.value(u"cpu_percent"_s).toDouble(), 0, 'f', 1)
               .arg(system.value(u"memory_percent"_s).toDouble(), 0, 'f', 1)
               .arg(system.value(u"disk_percent"_s).toDouble(), 0, 'f', 1);
    for (const QJsonValue &v : status.value(u"orphans"_s).toArray()) {
        const QJsonObject o = v.toObject();
        QStringList cmd;
        for (const QJsonValue &a : o.value(u"cmdline"_s).toArray())
            cmd << a.toString();
        out +=
            u"orphan: pid %1 (%2), %3\n"_s.arg(o.value(u"pid"_s).toInteger())
                .arg(
                    cmd.join(u' '),
                    o.value(u"service"_s).isString()
                        ? u"escaped from "_s + o.value(u"service"_s).toString() + u", ended with it"_s
                        : u"from no service tree it can be traced to; see `lifelinectl recover --dry-run`"_s);
    }
    return out;
}

} // namespace lifeline
