// The status of a fleet as JSON (what `lifelinectl status --json` prints and
// the control protocol's "status" reply carries), and the human table made
// from that JSON.
//
// Public contract (design.md): {"services":[{"name","state","pid","restarts",
// "uptime_s","health","cpu_percent","rss_bytes","last_exit_code", ...}],
// "system":{"cpu_percent","memory_percent","disk_percent"}}. Keys may be
// added, never renamed. Extra service keys: "restart_reason",
// "restarts_in_window", "max_restarts", "next_restart_in_s", "last_exit",
// "last_error", "adopted". Extra system key: "disk_unavailable" (true while a
// filesystem's statfs has not answered in time; disk_percent is then the last
// value known).
#pragma once

#include <QJsonObject>
#include <QString>

namespace lifeline {

class Fleet;
class ServiceSupervisor;

// CPU and memory of one service's whole process tree.
struct CpuRss
{
    double cpuPercent = 0; // 100 = one core busy
    qint64 rssBytes = 0;
};

// Whole-machine figures, in percent.
struct SystemFigures
{
    double cpuPercent = 0;
    double memoryPercent = 0;
    double diskPercent = 0;       // of the fullest filesystem of state_dir and the services' cwds
    bool diskUnavailable = false; // one of them did not answer in time: diskPercent is the last known
};

// The figures the status shows, each from what the fleet's own monitors
// last saw (nothing here reads /proc or probes).
//
// "healthy", "unhealthy" or "unknown" (no health check, or no verdict yet).
QString serviceHealthName(const Fleet &fleet, const ServiceSupervisor &service);
// The reply body of the "health" command: {"health": <serviceHealthName>,
// "results": [recent probe results, newest last], "report": the newest JSON
// report of the backend, capped (absent when it sent none)}.
QJsonObject serviceHealthJson(const Fleet &fleet, const ServiceSupervisor &service);
// The sampler's last figures for the service's whole tree; zero when it is not running.
CpuRss serviceCpuRss(const Fleet &fleet, const ServiceSupervisor &service);
// memory_percent from /proc/meminfo (MemTotal - MemAvailable), disk_percent
// from the sampler's DiskProbe, cpu_percent over the time since the previous call.
SystemFigures systemFigures(const Fleet &fleet);

QJsonObject serviceStatusJson(const Fleet &fleet, const ServiceSupervisor &service);
QJsonObject statusJson(const Fleet &fleet);

// The `lifelinectl status` table, columns NAME STATE PID UPTIME RESTARTS
// HEALTH CPU RSS LAST EXIT; a fatal service gets its last error on the line
// below, a service in backoff when its next restart is; then one system line.
QString statusTable(const QJsonObject &status);

} // namespace lifeline
