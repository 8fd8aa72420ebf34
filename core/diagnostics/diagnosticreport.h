// The diagnostic report: one Markdown document a person attaches to a bug
// report (`lifelinectl report`, Help → "Create diagnostic report…").
//
// Its sections always come in the order of sectionTitles(), each a "## "
// heading, whatever the data: a section with nothing to say says so in one
// line, so a reader (and a test) finds every heading. Times are local, in
// ISO 8601 with the zone. Logs, samples and the configuration are fenced
// code blocks. Secrets in the configuration are masked (configmask.h).
//
// Built two ways:
//   - of a running Lifeline, on the engine's thread (Engine::diagnosticReport):
//     live states, health and usage from the Fleet, figures from
//     MetricsHistory. Every read is bounded (events of the last day, the last
//     hour of 10 s buckets, the configuration and the recovery report up to a
//     size), so building it costs milliseconds, not a stall;
//   - without one (`lifelinectl report` when nothing runs): from the
//     configuration and state_dir alone; history.sqlite is opened read-only,
//     and the report says at its top that Lifeline is not running.
//
// Three sections come from other parts (error signatures, crash records,
// alerts): ReportProviders. A provider that is not set, or that returns
// nothing, gives "None recorded."
#pragma once

#include "config/servicespec.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace lifeline {

class Fleet;

// Each returns the body of its section in Markdown (no "## " heading; "### "
// sub-headings are fine), or an empty string when there is nothing.
// `text` in a fenced code block whose fence is longer than any run of
// backticks inside, so nothing in it closes the block early.
QString markdownFenced(const QString &text, const QString &language = QString());

struct ReportProviders
{
    std::function<QString()> errorSignatures; // "Top error signatures": signature, count, last seen, sample
    std::function<QString()> crashRecords;    // "Latest crash records"
    std::function<QString()> alerts;          // "Alerts"
};

class DiagnosticReport
{
public:
    // Parts larger than these are cut (the configuration and the recovery
    // report at the end, a provider's section too), saying so.
    static constexpr qint64 kMaxConfigBytes = 1024 * 1024;
    static constexpr qint64 kMaxRecoveryReportBytes = 256 * 1024;
    static constexpr qint64 kMaxProvidedBytes = 256 * 1024;
    // Events shown per service in the restart history, and health failures.
    static constexpr int kMaxEventsPerService = 20;
    static constexpr int kMaxHealthFailures = 20;
    static constexpr qint64 kEventWindowMs = 24LL * 3'600'000;
    static constexpr qint64 kTrendWindowMs = 3'600'000;

    // The "## " headings, in the order the report has them.
    static QStringList sectionTitles();

    // Of a running Lifeline (the engine's thread).
    static QString build(const Fleet &fleet, const ReportProviders &providers = {});
    // Without a running Lifeline: `config` loaded from its file.
    static QString buildOffline(const Config &config, const ReportProviders &providers = {});
};

// Writes `text` to `path` atomically: a temporary file beside it, renamed
// over `path` only once every byte is on disk. On failure (a full disk, a
// folder we may not write) `path` is left as it was and *error names the
// path and the cause.
bool writeReportFile(const QString &path, const QString &text, QString *error);

// Where the desktop app saves a report when it asks no one:
// state_dir/reports/lifeline-report-<yyyyMMdd-HHmmss>.md.
QString defaultReportPath(const QString &stateDir);

} // namespace lifeline
