// A Lifeline [[service]] -> a systemd unit file, for a person who outgrows
// one desktop and moves a service to a server (issue 13, "graduating to
// systemd"). Pure: no file system, no environment; lifelinectl's
// `export systemd` feeds it the loaded Config and writes what it returns.
//
// Naming: the unit for service NAME is "lifeline-NAME.service"; a service
// name is already a valid unit name part ([A-Za-z0-9_.-], see
// isValidServiceName), and the prefix keeps the units together and apart
// from a distribution's own units of the same name. depends_on becomes
// After=/Requires= on the other services' lifeline-*.service units.
//
// What carries over: command (systemd's own quoting: a word with blanks,
// quotes or backslashes is double-quoted, "%" -> "%%" and "$" -> "$$", so
// systemd neither expands specifiers nor variables Lifeline would not have
// expanded either), shell = true as /bin/sh -c, cwd (WorkingDirectory=,
// state_dir when none), env (Environment=), restart (Restart=),
// restart_delay (RestartSec=), max_restarts/restart_window
// (StartLimitBurst=/StartLimitIntervalSec= in [Unit]; the burst counts the
// first start too, so it is max_restarts + 1), stop_signal (KillSignal=),
// stop_timeout (TimeoutStopSec=), memory_limit (MemoryMax=). Every setting
// without a systemd equivalent that differs from its default (health checks,
// restart_on_unhealthy, backoff, cpu_limit, ports, ...) becomes a "# " line
// saying what systemd does instead.
#pragma once

#include "servicespec.h"

#include <QString>

namespace lifeline {

struct SystemdExportOptions
{
    // A user unit (systemctl --user): WantedBy=default.target. Otherwise a
    // system unit: WantedBy=multi-user.target, and User= when runAs is set.
    bool user = false;
    QString runAs; // the account a system unit runs the service as
};

QString systemdUnitName(const QString &serviceName); // "api" -> "lifeline-api.service"

// One complete unit file for `spec`, a service of `config`; ends in a newline.
QString systemdUnit(const Config &config, const ServiceSpec &spec, const SystemdExportOptions &options);

// One ExecStart=/command word in systemd's quoting: `a b` -> `"a b"`,
// `50%` -> `50%%`, `$HOME` -> `$$HOME`.
QString systemdQuoteWord(const QString &word);

} // namespace lifeline
