// The Prometheus endpoint: `[metrics] listen` serves GET /metrics in the
// text exposition format 0.0.4, for a Prometheus that scrapes it and a
// Grafana that draws it (packaging/grafana-dashboard.json).
//
// Every figure comes from where `status --json` takes it (control/statusjson.h)
// or from the Engine's own counters; nothing here reads /proc or probes, so
// a scrape costs a walk over the services and nothing else.
//
// Families (HELP and TYPE always, even without samples):
//   lifeline_build_info{version}                       gauge, 1
//   lifeline_service_up{service}                       gauge, 1 while a process runs (status "pid" set)
//   lifeline_service_state{service,state}              gauge, one series per state, 1 for the current one
//   lifeline_service_restarts_total{service}           counter (status "restarts")
//   lifeline_service_health{service}                   gauge, 1 healthy, 0 unhealthy; no sample while
//                                                      "unknown" (no check, or no verdict yet)
//   lifeline_service_health_latency_seconds{service}   gauge, of the newest probe; no sample while unknown
//   lifeline_service_cpu_seconds_total{service}        counter, CPU time of the tree; no sample when not
//   running lifeline_service_rss_bytes{service}                gauge (status "rss_bytes"; 0 when not running)
//   lifeline_service_last_exit_code{service}          gauge (status "last_exit_code"); no sample before an
//   exit lifeline_system_cpu_usage_ratio                    gauge, 0-1 of all cores
//   lifeline_system_memory_used_bytes / _total_bytes   gauges, used = MemTotal - MemAvailable
//   lifeline_system_disk_used_bytes{path,mountpoint}   gauge, size minus what an unprivileged user may still
//   write lifeline_system_disk_free_bytes{path,mountpoint}   gauge, what an unprivileged user may still write
//   lifeline_samples_total                             counter, metric samples taken
//   lifeline_health_probes_total                       counter, health probe results
//   lifeline_alerts_firing{scope="service",service}    gauge, alerts of the service firing now
//   lifeline_alerts_firing{scope="machine"}            gauge, machine-wide alerts firing now
//   lifeline_crash_records_total{service}               counter, crash records written since start
#pragma once

#include "config/servicespec.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QHttpServer;

namespace lifeline {

class Fleet;

struct LifelineCounters
{
    quint64 samples = 0;
    quint64 probes = 0;
    QHash<QString, int> alertsFiring;    // per service; "" = machine-wide
    QHash<QString, qint64> crashRecords; // per service, recorded since Lifeline started
};

// A label value as the format wants it: \ -> \\, " -> \", newline -> \n.
QString escapeLabelValue(const QString &value);
// A HELP text: \ -> \\, newline -> \n.
QString escapeHelp(const QString &text);
// The whole /metrics body.
QByteArray renderMetrics(const Fleet &fleet, const LifelineCounters &counters);

class MetricsEndpoint final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsEndpoint)

public:
    static constexpr const char *ContentType = "text/plain; version=0.0.4; charset=utf-8";

    MetricsEndpoint(const Fleet *fleet, std::function<LifelineCounters()> counters,
                    QObject *parent = nullptr);
    ~MetricsEndpoint() override;

    // Closes what was open, then listens at spec's address. False, with
    // *error "metrics endpoint cannot listen on 127.0.0.1:9464: The bound
    // address is already in use", when the address cannot be bound.
    bool listen(const MetricsSpec &spec, QString *error = nullptr);
    void close();
    bool isListening() const { return m_server != nullptr; }
    const MetricsSpec &spec() const { return m_spec; }

    // What to tell a person whose endpoint anyone on the network can read
    // ("metrics endpoint listens on 0.0.0.0:9464: anyone on the network can
    // read it"); empty for a loopback address.
    static QString exposureWarning(const MetricsSpec &spec);

private:
    const Fleet *m_fleet;
    std::function<LifelineCounters()> m_counters;
    std::unique_ptr<QHttpServer> m_server;
    MetricsSpec m_spec;
};

} // namespace lifeline
