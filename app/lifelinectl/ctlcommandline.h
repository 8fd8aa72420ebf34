// The command line of lifelinectl (design.md "Public contracts"):
//   lifelinectl [--socket PATH | --config FILE] COMMAND [ARGS]
// Global options may come before or after the command. Usage errors exit 2
// with the message and the usage on stderr.
#pragma once

#include <QString>
#include <QStringList>

namespace lifeline {

struct CtlCommandLine
{
    enum class Action
    {
        Run,
        Help,       // text goes to stdout, exit 0
        Version,    // text goes to stdout, exit 0
        UsageError, // text goes to stderr, exit 2
    };
    Action action = Action::Run;
    QString text; // what Help, Version and UsageError print, ending in a newline
    int exitCode = 0;

    QString socketPath; // at most one of socketPath and configPath
    QString configPath;
    // status, start, stop, restart, health, logs, recover, check-config,
    // export, import, repair, errors, ...
    QString command;
    // start/stop/restart: NAME or all; health, logs, repair, crashes, errors: NAME; check-config: FILE;
    // profile: NAME or empty;
    // export: NAME or all; import: FILE
    QString argument;
    QString format;      // export: systemd; import: procfile, supervisord or pm2
    QString outPath;     // export, import, report --out; empty = stdout
    bool user = false;   // export --user
    bool json = false;   // status, health, crashes, crash, errors
    int lines = 20;      // logs -n
    bool errors = false; // logs --errors
    bool follow = false; // logs --follow
    bool dryRun = false; // recover --dry-run
    bool yes = false;    // recover --yes
    qint64 id = 0;       // crash NAME ID
    // maintenance NAME DURATION; 0 = off
    qint64 durationMs = 0;
};

// args as argv holds them, the program first.
CtlCommandLine parseCtlCommandLine(const QStringList &args);

} // namespace lifeline
