// What the error tracker keeps per recurring error: its signature (the
// headline with the parts that vary between occurrences normalised away),
// how often and when it was seen, one whole sample, and per-minute counts for
// a trend.
#pragma once

#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QStringView>

namespace lifeline {

// One error as it was written: a single line or a whole multi-line trace.
struct ErrorEvent
{
    enum class Kind
    {
        Line,   // ERROR/CRITICAL/FATAL or a custom pattern
        Python, // "Traceback (most recent call last):" .. "XxxError: msg"
        Stack,  // Java/Node.js: "XxxException: msg" / "Error: msg" and its "at" frames
        Go,     // "panic:" / "fatal error:" and the goroutine dump
    };
    Kind kind = Kind::Line;
    QStringList lines;
    qsizetype bytes = 0;   // of `lines`
    int droppedLines = 0;  // beyond the sample cap
    qint64 lastLineMs = 0; // monotonic, when its last line arrived
};

struct ErrorSignature
{
    QString id;   // stable digest of kind + text
    QString text; // the normalised headline, what groups occurrences
    qint64 count = 0;
    qint64 firstSeenMs = 0; // wall clock, ms since the epoch
    qint64 lastSeenMs = 0;
    QString sample; // the latest occurrence, whole (capped)
    QString source; // "stderr", "stdout" or the file it came from
    // Occurrences per minute (key: ms since the epoch / 60000) over the last day.
    QMap<qint64, int> perMinute;

    // Occurrences since `fromMs` (wall clock), to the minute.
    qint64 countSince(qint64 fromMs) const;
    // `buckets` counts of equal spans ending at `nowMs` and covering `spanMs`.
    QList<int> trend(qint64 nowMs, qint64 spanMs, int buckets) const;
};

// Numbers, hex, UUIDs, timestamps, quoted strings and paths replaced by
// <n>, <hex>, <uuid>, <time>, <str> and <path>; whitespace collapsed.
QString normalizeErrorText(QStringView text);

struct SignatureKey
{
    QString id;
    QString text;
};
SignatureKey signatureOf(const ErrorEvent &event);

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::ErrorSignature)
