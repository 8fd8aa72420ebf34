// TOML -> validated Config. Every problem is reported as a Diagnostic that
// points at FILE:LINE:COL and names the key and the service, so the message
// a person reads says what to change and where.
#pragma once

#include "servicespec.h"

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

// Strict unit parsing, shared with the UI's service editor.
// Durations: "500ms", "3s", "5m", "1h", "1d", combinations like "1m30s"; a bare "0" is 0.
std::optional<Millis> parseDuration(const QString &text, QString *error = nullptr);
// Sizes: "500MB", "10MiB", "1GB", "4096", "512KB" (KB/MB/GB decimal, KiB/MiB/GiB binary; B optional).
std::optional<qint64> parseSize(const QString &text, QString *error = nullptr);
// "TERM", "SIGTERM", "15" -> 15
std::optional<int> parseSignal(const QString &text, QString *error = nullptr);
QString formatDuration(Millis d); // 90000 -> "1m30s"
QString formatSize(qint64 bytes); // 500000000 -> "500 MB" (decimal, like parseSize)
// The unit a size was written in, spelled canonically: "100mib" -> "MiB",
// "2G" -> "GB"; empty for plain bytes ("4096", "4096B") or no size at all.
QString sizeUnit(const QString &text);
// bytes in `unit` (as sizeUnit() returns it): (157286400, "MiB") -> "150 MiB",
// (1572864, "MiB") -> "1.5 MiB"; an empty unit falls back to formatSize().
QString formatSizeIn(qint64 bytes, const QString &unit);
// "~/x" -> "$HOME/x"; relative paths resolved against baseDir.
QString expandPath(const QString &path, const QString &baseDir);
// Splits a command line the way a POSIX shell would split words: blanks
// separate, '...' is literal, "..." allows \" \\ \$ \`, a backslash outside
// quotes escapes the next character. No expansion of any kind.
// "python3 -m 'my app'" -> ["python3", "-m", "my app"]
std::optional<QStringList> splitCommandLine(const QString &text, QString *error = nullptr);

} // namespace lifeline
