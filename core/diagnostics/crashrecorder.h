// Writes a CrashRecord for every unexpected exit of a service: a crash, a
// death by signal, a kill by the OOM killer, and the restarts Lifeline's
// own checks order (unhealthy, memory or CPU limit). A stop or restart a
// person (or a reload, a recovery) asked for is not one, nor a clean exit.
//
// Runs on the engine's thread and never waits there. What the exit itself
// tells is taken at once (cause, exit, CPU/RSS from MetricsHistory's last
// hour in memory, ports, the oom_kill counter, the git commit read from the
// files of .git); the output is read outputDelay() later, when the logger
// has written the last lines of the dead process, with a LogTailer over the
// service's .log, .err.log and .order index: the last 200 lines merged in
// order, read backwards with a byte bound, never the whole file.
#pragma once

#include "diagnostics/crashrecord.h"
#include "platform/procfs.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace lifeline {

class CrashStore;
class MetricsHistory;
class ServiceSupervisor;
struct ExitStatus;

// The commit a working directory is on, read from .git without running git.
struct GitHead
{
    QString commit; // 40 hex digits; empty when none was found
    QString ref;    // "refs/heads/main"; empty when detached
};
GitHead readGitHead(const QString &dir);

class CrashRecorder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CrashRecorder)

public:
    static constexpr int kDefaultOutputDelayMs = 400;
    // What the output is read back from, at most, per file.
    static constexpr qint64 kMaxReadBytes = 1024 * 1024;

    // history and store must outlive the recorder.
    CrashRecorder(MetricsHistory *history, CrashStore *store, QObject *parent = nullptr);
    ~CrashRecorder() override; // records still waiting for their output are written now

    void setOutputDelay(int ms) { m_outputDelayMs = ms; }
    int outputDelay() const { return m_outputDelayMs; }

    // Follows the service until it is destroyed.
    void watch(ServiceSupervisor *service);
    // Records waiting for their output.
    int pendingCount() const { return int(m_pending.size()); }

signals:
    void recorded(const lifeline::CrashSummary &summary);

private:
    struct Run
    {
        OomKillCounts oomBefore;
        qint64 startedAtMs = 0;
        bool failure = false; // the stop under way is a failure restart
        QList<int> listening; // seen when that stop began, while the tree was whole
    };
    struct Pending
    {
        CrashRecord record;
        QString outPath;
        QString errPath;
    };

    void onStarted(ServiceSupervisor *s);
    void onStopping(ServiceSupervisor *s);
    void onExited(ServiceSupervisor *s, const ExitStatus &status);
    void finish(quint64 key);
    static QList<CrashRecord::OutputLine> lastLines(const QString &outPath, const QString &errPath);

    MetricsHistory *m_history;
    CrashStore *m_store;
    ProcFs m_proc;
    int m_outputDelayMs = kDefaultOutputDelayMs;
    QHash<QString, Run> m_runs;
    QHash<quint64, Pending> m_pending;
    quint64 m_nextKey = 1;
};

} // namespace lifeline
