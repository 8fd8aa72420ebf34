#include "metrics/metricsendpoint.h"

#include "control/statusjson.h"
#include "health/healthmonitor.h"
#include "metrics/metricssampler.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerResponse>
#include <QTcpServer>

#include <cmath>
#include <initializer_list>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr ServiceState kStates[] = {ServiceState::Stopped, ServiceState::Starting, ServiceState::Running,
                                    ServiceState::Backoff, ServiceState::Stopping, ServiceState::Exited,
                                    ServiceState::Fatal};

QByteArray formatValue(double v)
{
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        return QByteArray::number(qint64(v));
    return QByteArray::number(v, 'g', 15);
}

using Labels = std::initializer_list<std::pair<const char *, QString>>;

class Exposition
{
public:
    void family(const char *name, const char *type, const QString &help)
    {
        m_text += "# HELP "_ba + name + ' ' + escapeHelp(help).toUtf8() + '\n';
        m_text += "# TYPE "_ba + name + ' ' + type + '\n';
    }
    void sample(const char *name, Labels labels, double value)
    {
        m_text += name;
        if (labels.size() > 0) {
            m_text += '{';
            bool first = true;
            for (const auto &[label, v] : labels) {
                if (!first)
                    m_text += ',';
                first = false;
                m_text += QByteArray(label) + "=\"" + escapeLabelValue(v).toUtf8() + '"';
            }
            m_text += '}';
        }
        m_text += ' ' + formatValue(value) + '\n';
    }
    QByteArray text() const { return m_text; }

private:
    QByteArray m_text;
};

} // namespace

QString escapeLabelValue(const QString &value)
{
    QString out;
    out.reserve(value.size());
    for (const QChar c : value) {
        if (c == u'\\')
            out += u"\\\\"_s;
        else if (c == u'"')
            out += u"\\\""_s;
        else if (c == u'\n')
            out += u"\\n"_s;
        else
            out += c;
    }
    return out;
}

QString escapeHelp(const QString &text)
{
    QString out = text;
    return out.replace(u'\\', u"\\\\"_s).replace(u'\n', u"\\n"_s);
}

QByteArray renderMetrics(const Fleet &fleet, const LifelineCounters &counters)
{
    const QList<ServiceSupervisor *> services = fleet.services();
    Exposition e;
    const auto perService =
        [&](const char *name, const char *type, const QString &help,
            const std::function<std::optional<double>(const ServiceSupervisor &)> &value) {
            e.family(name, type, help);
            for (const ServiceSupervisor *s : services) {
                if (const std::optional<double> v = value(*s))
                    e.sample(name, {{"service", s->name()}}, *v);
            }
        };

    e.family("lifeline_build_info", "gauge", u"Always 1; the version of Lifeline serving these metrics."_s);
    e.sample("lifeline_build_info", {{"version", QStringLiteral(LIFELINE_VERSION)}}, 1);

    perService("lifeline_service_up", "gauge", u"1 while the service's process runs, else 0."_s,
               [](const ServiceSupervisor &s) -> std::optional<double> {
                   return isRunningState(s.state()) && s.pid() > 0 ? 1 : 0;
               });

    e.family("lifeline_service_state", "gauge",
             u"1 for the state the service is in, 0 for the others (as `lifelinectl status` names them)."_s);
    for (const ServiceSupervisor *s : services) {
        for (const ServiceState state : kStates)
            e.sample("lifeline_service_state", {{"service", s->name()}, {"state", stateName(state)}},
                     s->state() == state ? 1 : 0);
    }

    perService("lifeline_service_restarts_total", "counter", u"Restarts since Lifeline started."_s,
               [](const ServiceSupervisor &s) -> std::optional<double> { return s.restarts(); });
    perService("lifeline_service_health", "gauge",
               u"1 healthy, 0 unhealthy; absent without a health check or before its first verdict."_s,
               [&fleet](const ServiceSupervisor &s) -> std::optional<double> {
                   const QString health = serviceHealthName(fleet, s);
                   if (health == u"unknown"_s)
                       return std::nullopt;
                   return health == u"healthy"_s ? 1 : 0;
               });
    perService("lifeline_service_health_latency_seconds", "gauge",
               u"How long the newest health probe took; absent while the health is unknown."_s,
               [](const ServiceSupervisor &s) -> std::optional<double> {
                   const HealthMonitor *h = s.health();
                   const auto last = h && h->health() != Health::Unknown ? h->lastResult() : std::nullopt;
                   if (!last)
                       return std::nullopt;
                   return double(last->latencyMs) / 1000.0;
               });
    perService(
        "lifeline_service_cpu_seconds_total", "counter",
        u"User and system CPU time of the processes now in the service's tree; absent when not running."_s,
        [&fleet](const ServiceSupervisor &s) -> std::optional<double> {
            if (!isRunningState(s.state()))
                return std::nullopt;
            const auto sample = fleet.sampler()->lastService(s.name());
            if (!sample)
                return std::nullopt;
            return sample->cpuSeconds;
        });
    perService("lifeline_service_rss_bytes", "gauge",
               u"Resident memory of the service's whole process tree; 0 when not running."_s,
               [&fleet](const ServiceSupervisor &s) -> std::optional<double> {
                   return double(serviceCpuRss(fleet, s).rssBytes);
               });
    perService("lifeline_service_last_exit_code", "gauge",
               u"Exit code of the last exit as a shell reports it (128+N for signal N); absent before one."_s,
               [](const ServiceSupervisor &s) -> std::optional<double> {
                   if (!s.hasExited())
                       return std::nullopt;
                   return s.lastExit().shellCode();
               });

    const SystemSample sys = fleet.sampler()->lastSystem();
    e.family("lifeline_system_cpu_usage_ratio", "gauge", u"Busy share of all CPU cores, 0 to 1."_s);
    if (sys.cpuValid)
        e.sample("lifeline_system_cpu_usage_ratio", {}, sys.cpuPercent / 100.0);
    e.family("lifeline_system_memory_used_bytes", "gauge", u"Memory in use: MemTotal - MemAvailable."_s);
    if (sys.memoryValid)
        e.sample("lifeline_system_memory_used_bytes", {},
                 double(sys.mem.totalBytes - sys.mem.availableBytes));
    e.family("lifeline_system_memory_total_bytes", "gauge", u"MemTotal."_s);
    if (sys.memoryValid)
        e.sample("lifeline_system_memory_total_bytes", {}, double(sys.mem.totalBytes));
    e.family("lifeline_system_disk_used_bytes", "gauge",
             u"Filesystem of state_dir or a service's cwd: size minus what an unprivileged user may still "
             u"write."_s);
    for (const DiskUsage &d : sys.disks)
        e.sample("lifeline_system_disk_used_bytes", {{"path", d.path}, {"mountpoint", d.rootPath}},
                 double(d.totalBytes - d.availableBytes));
    e.family("lifeline_system_disk_free_bytes", "gauge",
             u"Filesystem of state_dir or a service's cwd: what an unprivileged user may still write."_s);
    for (const DiskUsage &d : sys.disks)
        e.sample("lifeline_system_disk_free_bytes", {{"path", d.path}, {"mountpoint", d.rootPath}},
                 double(d.availableBytes));

    e.family("lifeline_samples_total", "counter", u"CPU, memory and disk samples taken."_s);
    e.sample("lifeline_samples_total", {}, double(counters.samples));
    e.family("lifeline_health_probes_total", "counter", u"Health probe results, of every service."_s);
    e.sample("lifeline_health_probes_total", {}, double(counters.probes));
    e.family("lifeline_alerts_firing", "gauge",
             u"Alerts firing now, per service and machine-wide (`lifelinectl alerts`)."_s);
    for (const ServiceSupervisor *s : services)
        e.sample("lifeline_alerts_firing", {{"scope", u"service"_s}, {"service", s->name()}},
                 counters.alertsFiring.value(s->name()));
    e.sample("lifeline_alerts_firing", {{"scope", u"machine"_s}}, counters.alertsFiring.value(QString()));
    e.family("lifeline_crash_records_total", "counter",
             u"Crash records written for unexpected exits since Lifeline started (`lifelinectl crashes`)."_s);
    for (const ServiceSupervisor *s : services)
        e.sample("lifeline_crash_records_total", {{"service", s->name()}},
                 double(counters.crashRecords.value(s->name())));
    return e.text();
}

MetricsEndpoint::MetricsEndpoint(const Fleet *fleet, std::function<LifelineCounters()> counters,
                                 QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_counters(std::move(counters))
{}

MetricsEndpoint::~MetricsEndpoint() = default;

bool MetricsEndpoint::listen(const MetricsSpec &spec, QString *error)
{
    close();
    // Bound by hand rather than through QHttpServer::listen(), which says
    // only "0" when it fails: a person needs the cause.
    auto tcp = std::make_unique<QTcpServer>();
    if (!tcp->listen(QHostAddress(spec.host), spec.port)) {
        if (error)
            *error = u"metrics endpoint cannot listen on "_s + spec.address() + u": "_s + tcp->errorString();
        return false;
    }
    m_server = std::make_unique<QHttpServer>();
    m_server->route(u"/metrics"_s, QHttpServerRequest::Method::Get, [this] {
        return QHttpServerResponse(QByteArray(ContentType), renderMetrics(*m_fleet, m_counters()));
    });
    tcp->setParent(m_server.get());
    m_server->bind(tcp.release());
    m_spec = spec;
    return true;
}

void MetricsEndpoint::close()
{
    m_server.reset();
    m_spec = MetricsSpec();
}

QString MetricsEndpoint::exposureWarning(const MetricsSpec &spec)
{
    if (!spec.enabled() || QHostAddress(spec.host).isLoopback())
        return QString();
    return u"metrics endpoint listens on "_s + spec.address() + u": anyone on the network can read it"_s;
}

} // namespace lifeline
