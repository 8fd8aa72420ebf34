// Value types for a validated Lifeline configuration. The loader
// (configloader.h) is the only producer; everything else reads them.
// Defaults live here, in one place, and README.md's configuration table
// mirrors them.
#pragma once

#include "config/alertsspec.h"
#include "util/units.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace lifeline {

enum class RestartPolicy
{
    Always,
    OnFailure,
    Never
};
enum class OnExit
{
    Ask,
    Stop,
    Keep
};

// Where in the configuration file a value came from; kept so that errors found
// after loading (a port taken, a dependency that never gets healthy) can still
// point a person at the line to change.
struct SourcePos
{
    int line = 0;
    int column = 0;
};

struct HealthSpec
{
    enum class Kind
    {
        None,
        Http,
        Tcp,
        Exec
    };
    Kind kind = Kind::None;
    QString url;         // Http: "http://127.0.0.1:8000/health"
    QString tcpHost;     // Tcp: host part of "host:port"
    quint16 tcpPort = 0; // Tcp: port part
    QStringList exec;    // Exec: argv, exit 0 = healthy
    Millis interval{30'000};
    Millis timeout{5'000};
    Millis startPeriod{10'000};
    int failures = 3;  // consecutive failures -> unhealthy
    int successes = 1; // consecutive successes -> healthy again
    bool restartOnUnhealthy = false;
    int expectStatusMin = 200; // expect_status: "200-399" or 200
    int expectStatusMax = 399;
    bool enabled() const { return kind != Kind::None; }
};

struct LogSpec
{
    qint64 maxSize = 10LL * 1000 * 1000; // bytes, per file
    int backups = 5;
    bool compress = false; // rotated backups as FILE.N.gz (lifeline-logger --compress gzip)
    qint64 maxAgeSecs = 0; // backups older than this are removed; 0: kept until `backups` pushes them out
};

// [service.repair]: commands that fix a broken service (reinstall its
// dependencies), run in order in its cwd with its env (core/repair).
struct RepairSpec
{
    QList<QStringList> steps;    // each an argv; empty: the service has no repair
    Millis timeout{10 * 60'000}; // per step
    bool enabled() const { return !steps.isEmpty(); }
};

// [service.update]: follow a git branch (core/update/updater.h).
struct UpdateSpec
{
    enum class Mode
    {
        Notify,
        Auto
    };
    enum class Dirty
    {
        Refuse,
        Stash
    };
    bool enabled = false; // the table is present
    QString repo;         // absolute; empty = the service's cwd
    QString remote = QStringLiteral("origin");
    QString branch; // empty = the branch checked out
    Millis interval{10 * 60'000};
    Mode mode = Mode::Notify;
    QStringList build; // argv run in the repository after a pull; empty = none
    Dirty dirty = Dirty::Refuse;
    Millis verifyTimeout{60'000};
    SourcePos pos; // of the [service.update] table
};

// [service.errors]: what the error tracker (core/errors) counts as an error
// and which files it reads besides the service's own output.
struct ErrorsSpec
{
    QStringList patterns;        // regexes, each a headline of an error event
    bool defaultPatterns = true; // tracebacks, stack traces, ERROR/CRITICAL/FATAL/panic:
    QStringList files;           // globs relative to the service's cwd: "logs/*.log"
    friend bool operator==(const ErrorsSpec &, const ErrorsSpec &) = default;
};

struct ServiceSpec
{
    QString name;
    QStringList command; // argv; with shell = true, joined and run by /bin/sh -c
    bool shell = false;
    QString cwd; // absolute, "~" expanded; empty = state_dir
    QHash<QString, QString> env;
    bool autostart = true;
    QStringList dependsOn;
    QList<quint16> ports;
    RestartPolicy restart = RestartPolicy::OnFailure;
    Millis restartDelay{3'000};
    double backoffFactor = 2.0;
    Millis backoffMax{60'000};
    int maxRestarts = 10;
    Millis restartWindow{5 * 60'000};
    Millis stableAfter{5 * 60'000};
    std::optional<Millis> fatalRetry; // off by default
    int stopSignal = 15;              // SIGTERM; config takes "TERM", "INT", "SIGQUIT", ...
    Millis stopTimeout{10'000};
    qint64 memoryLimit = 0; // bytes, whole tree RSS; 0 = none
    // The unit memory_limit was written in ("MiB", "MB", ...), so messages
    // speak it back; empty when written in bytes.
    QString memoryLimitUnit;
    Millis memoryLimitFor{0};   // how long above memoryLimit before a restart; 0 = first sample
    double cpuLimit = 0;        // percent of one core, whole tree; 0 = none
    Millis cpuLimitFor{60'000}; // how long above cpuLimit before a restart
    HealthSpec health;
    LogSpec logs;
    RepairSpec repair;
    UpdateSpec update;
    ErrorsSpec errors;
    SourcePos pos; // of the [[service]] table

    // A stable digest of everything that decides how the process is started
    // (command, shell, cwd, env). Written into the pidfile so a Lifeline that
    // adopts a running process knows it is still the same service definition.
    QByteArray commandHash() const;
};

struct RecoverySpec
{
    QStringList clean; // globs relative to each service's cwd
    bool backupLogs = true;
    int keepBackups = 10;
    Millis verifyTimeout{60'000};
    bool repair = false; // run each service's repair steps while everything is stopped
};

struct Settings
{
    QString stateDir; // absolute, "~" expanded
    Millis sampleInterval{1'000};
    OnExit onExit = OnExit::Ask;
    // Below this much free space on state_dir's filesystem, rotated log backups are removed
    // oldest first (core/logs/loghousekeeper.h); 0: never.
    qint64 minFreeDisk = 500LL * 1000 * 1000;
};

// [metrics] listen: the Prometheus endpoint (core/metrics/metricsendpoint.h).
struct MetricsSpec
{
    QString host;     // an IP address: "127.0.0.1", "::1", "0.0.0.0"; empty when off
    quint16 port = 0; // 0: off (the default)
    SourcePos pos;    // of the listen value
    bool enabled() const { return port != 0; }
    // "127.0.0.1:9464", "[::1]:9464"
    QString address() const;
    friend bool operator==(const MetricsSpec &a, const MetricsSpec &b)
    {
        return a.host == b.host && a.port == b.port;
    }
};

struct Config
{
    QString path; // absolute path of the file it was loaded from
    Settings settings;
    QList<ServiceSpec> services; // in file order; with the active profile's overrides
    RecoverySpec recovery;
    MetricsSpec metrics;
    AlertsSpec alerts;
    // [profile.NAME.SERVICE] tables: the active profile ("" = none, the base),
    // the services as the file defines them without any profile, and every
    // profile's services with its overrides applied (validated by the loader).
    QString profile;
    QList<ServiceSpec> baseServices;
    QMap<QString, QList<ServiceSpec>> profileServices;

    const ServiceSpec *service(const QString &name) const;
    QStringList profileNames() const { return profileServices.keys(); }
    // Makes `name` the active profile ("" or "default": the base); false,
    // with nothing changed, when the file has no such profile.
    bool selectProfile(const QString &name);
    // "unknown profile \"x\" (profiles: dev, prod)"
    QString unknownProfileText(const QString &name) const;
    // Names in an order where each service comes after everything it depends on.
    QStringList startOrder() const;
};

QString restartPolicyName(RestartPolicy p);
QString onExitName(OnExit e); // "ask", "stop", "keep"

} // namespace lifeline
