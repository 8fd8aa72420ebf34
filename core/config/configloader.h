// TOML -> validated Config. Every problem is reported as a Diagnostic that
// points at FILE:LINE:COL and names the key and the service, so the message
// a person reads says what to change and where.
#pragma once

#include "servicespec.h"
#include "util/units.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace lifeline {

struct Diagnostic
{
    enum class Severity
    {
        Error,
        Warning
    };
    Severity severity = Severity::Error;
    QString file;
    int line = 0;
    int column = 0;
    // For an error about a key (checks that point at a value): the service it
    // is about (empty outside a named service), the key path inside its
    // table ("name", "ports[1]", "health.interval") and the message without
    // those prefixes, so a form can show it on the field that caused it.
    QString service;
    QString profile; // set for an error in [profile.NAME...] or in a service as a profile makes it
    QString key;
    QString reason;
    QString message; // e.g. "service \"api\": restart: expected one of always, on-failure, never, got
                     // \"sometimes\""

    // "FILE:LINE:COL: error: message" (warning: for warnings)
    QString toString() const;
};

struct LoadResult
{
    std::optional<Config> config; // set only when there are no errors
    QList<Diagnostic> errors;
    QList<Diagnostic> warnings; // unknown keys (with a "did you mean" when close), ...
    bool ok() const { return config.has_value(); }
};

class ConfigLoader
{
public:
    static LoadResult loadFile(const QString &path);
    // `path` is used in messages and to resolve relative paths (relative to
    // the file's folder).
    static LoadResult loadString(const QByteArray &toml, const QString &path);
};

// A configuration file is small; anything bigger is a mistake (or /dev/zero).
constexpr qint64 kMaxConfigBytes = 16 * 1024 * 1024;

// The bytes of a configuration file. Only a regular file of at most
// kMaxConfigBytes is read: a FIFO would block open() and read() forever, a
// device may never end. On failure: std::nullopt, and *error says why
// ("cannot read configuration file \"PATH\": not a regular file (a FIFO)").
// Every reader of a configuration (loader, watcher, writer) goes through here.
std::optional<QByteArray> readConfigFile(const QString &path, QString *error = nullptr);

// Service names become file names (logs/NAME.log, run/NAME.pid): 1-64
// characters from A-Z, a-z, 0-9, '_', '.', '-', not starting with a dot.
bool isValidServiceName(const QString &name);

// [metrics] listen: "HOST:PORT" where HOST is an IPv4 address, "[IPv6]" or
// "localhost" (no other names: which address a name resolves to must not
// decide who can read the endpoint), or a bare "PORT" / ":PORT", which means
// 127.0.0.1. Port 1-65535. On failure: nullopt and *error says why.
std::optional<MetricsSpec> parseMetricsListen(const QString &text, QString *error = nullptr);

// "~/x" -> "$HOME/x"; relative paths resolved against baseDir.
QString expandPath(const QString &path, const QString &baseDir);
// Splits a command line the way a POSIX shell would split words: blanks
// separate, '...' is literal, "..." allows \" \\ \$ \`, a backslash outside
// quotes escapes the next character. No expansion of any kind.
// "python3 -m 'my app'" -> ["python3", "-m", "my app"]
std::optional<QStringList> splitCommandLine(const QString &text, QString *error = nullptr);

} // namespace lifeline
