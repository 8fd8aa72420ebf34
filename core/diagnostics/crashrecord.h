// What Lifeline knew about one unexpected exit of a service, taken at the
// moment it happened (CrashRecorder) and kept in the history database
// (CrashStore): why it ended, what it printed last, what it used, which
// ports it had and which commit it ran. Plain data; toMarkdown() is what a
// person pastes into a bug report, toJson() what tools read.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QPointF>
#include <QString>
#include <QStringList>

namespace lifeline {

struct CrashRecord
{
    // Bounds of the output kept: a service that printed a 50 MB line or
    // binary garbage still gives a record a person can read and SQLite keeps.
    static constexpr int kMaxLines = 200;
    static constexpr int kMaxLineChars = 2000;
    static constexpr qsizetype kMaxOutputChars = 64 * 1024;

    struct OutputLine
    {
        bool err = false; // from stderr
        QString text;
        friend bool operator==(const OutputLine &, const OutputLine &) = default;
    };

    qint64 id = 0; // 0 until stored
    QString service;
    qint64 timeMs = 0; // wall clock of the exit
    // "crash", "memory limit", "cpu limit", "unhealthy", "killed by OOM".
    QString cause;
    QString reason;    // the supervisor's lastReason(): "memory 152 MB > limit 150 MB"
    QString exit;      // ExitStatus::describe(): "exit code 3", "killed by SIGSEGV (11) — crashed"
    int exitCode = -1; // as a shell reports it (128 + signal); -1 unknown
    int signal = 0;    // the signal that ended it; 0 none
    qint64 pid = 0;
    qint64 uptimeMs = -1; // how long the run lasted; -1 unknown
    // The kernel's oom_kill counter over the run: which one was read
    // ("cgroup memory.events" or "/proc/vmstat"), and by how much it rose
    // (-1: none could be read).
    QString oomCounter;
    qint64 oomKills = -1;
    QList<OutputLine> output; // oldest first, stdout and stderr in the order written
    bool outputCut = false;   // lines were shortened or dropped to stay within the bounds
    QString outputNote;       // why there is no output, when there is none
    // The tree's CPU % and RSS bytes over the 5 minutes before the exit.
    QList<QPointF> cpu;
    QList<QPointF> rss;
    QList<int> ports;          // configured
    QList<int> listeningPorts; // seen listening by its tree when it ended
    QString cwd;
    QString gitCommit; // empty: cwd is not a git repository (or unreadable)
    QString gitRef;    // "refs/heads/main"; empty when detached

    // Adds lines, shortening each and dropping the oldest as needed to stay
    // within kMaxLines / kMaxLineChars / kMaxOutputChars; control characters
    // other than tab become U+FFFD.
    void setOutput(const QList<OutputLine> &lines);

    QString toMarkdown() const;
    QJsonObject toJson() const;
    static CrashRecord fromJson(const QJsonObject &json);
    friend bool operator==(const CrashRecord &, const CrashRecord &) = default;
};

// One line of a list of records.
struct CrashSummary
{
    qint64 id = 0;
    QString service;
    qint64 timeMs = 0;
    QString cause;
    QString exit;
    int exitCode = -1;

    static CrashSummary of(const CrashRecord &record);
    QJsonObject toJson() const;
    friend bool operator==(const CrashSummary &, const CrashSummary &) = default;
};

// What a cause of a failure restart (ServiceSupervisor::restartForFailure's
// reason) is called in a record.
QString crashCauseOfFailure(const QString &reason);

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::CrashRecord)
Q_DECLARE_METATYPE(lifeline::CrashSummary)
