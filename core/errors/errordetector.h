// Turns one stream of log lines into error events. Most lines are not
// errors, so each line first goes through a literal scan for the default
// triggers that allocates nothing; only the custom patterns are regexes.
//
// A multi-line trace (Python traceback, Java/Node.js stack, Go panic) is one
// event: it stays open while its continuation lines come, across reads, and
// is handed out when a line that does not belong to it arrives, when it grows
// past the cap, or by closeIfQuiet() once nothing came for a while (the
// process died mid-trace, or the writer pauses).
#pragma once

#include "errors/errorsignature.h"

#include <QList>
#include <QRegularExpression>
#include <QString>

#include <optional>

namespace lifeline {

class ErrorDetector
{
public:
    static constexpr int kMaxEventLines = 200;
    static constexpr qsizetype kMaxEventBytes = 16 * 1024;
    // An event this long is handed out even though it goes on.
    static constexpr int kMaxOpenLines = 1000;

    ErrorDetector(const QList<QRegularExpression> &patterns, bool defaultPatterns);

    // Completed events are appended to `out`.
    void feed(const QString &line, qint64 nowMs, QList<ErrorEvent> &out);
    void closeIfQuiet(qint64 nowMs, qint64 quietMs, QList<ErrorEvent> &out);
    void close(QList<ErrorEvent> &out);
    bool hasOpenEvent() const { return m_open.has_value(); }

    // The default trigger of a line, without allocating; nullopt: none.
    static std::optional<ErrorEvent::Kind> defaultTrigger(QStringView line);

private:
    bool continues(const QString &line);
    void append(const QString &line, qint64 nowMs);
    void open(ErrorEvent::Kind kind, const QString &line, qint64 nowMs);

    QList<QRegularExpression> m_patterns;
    bool m_defaults;
    std::optional<ErrorEvent> m_open;
    int m_openLines = 0;
    bool m_pythonEnded = false; // the exception line came; a chained traceback may follow
};

} // namespace lifeline
