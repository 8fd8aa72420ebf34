#pragma once

#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace lifeline::demo {

using Duration = std::chrono::milliseconds;

/// Everything the command line can ask of the demo backend (design.md, "Demo backend").
struct DemoOptions
{
    quint16 port = 0; ///< --port, required
    QString name = QStringLiteral("demo-backend");
    std::optional<Duration> readyAfter;     ///< listen only after this long
    std::optional<Duration> crashAfter;     ///< exit with exitCode after this long
    int exitCode = 1;                       ///< --exit-code, used by --crash-after
    std::optional<Duration> hangAfter;      ///< stop answering after this long
    std::optional<Duration> unhealthyAfter; ///< /health answers 503 after this long
    double leakMbPerSecond = 0;             ///< grow RSS by this much per second
    int floodLinesPerSecond = 0;            ///< write this many lines per second to stdout
    bool ignoreTerm = false;                ///< SIGTERM is ignored
    bool spawnGrandchild = false;           ///< fork a setsid() child that keeps the port
    qint64 healthBodySize = 0;              ///< pad /health answers to about this many bytes
};

/// Parses "500ms", "3s", "1m", "1h", "1.5s" (a bare number means seconds).
std::optional<Duration> parseDuration(const QString &text);

/// Parses argv (without the program name). On failure returns nullopt and sets *error.
std::optional<DemoOptions> parseOptions(const QStringList &args, QString *error);

QString usageText();

} // namespace lifeline::demo
