// Emergency recovery (design.md, "Emergency recovery"): the "nuclear option"
// of hand-written scripts, done without ever killing by name.
//
//   1 stop every service (Fleet::stopAll(), waits for allStopped)
//   2 end what is left: processes carrying a service's LIFELINE_SERVICE_ID
//     marker, processes named by a verified pidfile, escapees re-parented to
//     Lifeline and attributed to a service (Fleet::orphans()), and holders
//     of a service's ports. An orphan no service is proven for is ended only
//     with the same consent as a foreign port holder. A port holder not proven ours is ended only with
//     RecoveryOptions::killForeignPortHolders; other users' processes never.
//     SIGTERM, then SIGKILL after termGraceMs; (pid, start time) is checked
//     before every signal so a reused pid is never hit.
//   3 check free disk (state_dir, each cwd) and available memory
//   4 back up every log (live and rotated) into state_dir/backups/<stamp>/,
//     verified byte for byte; only then empty the live logs; keep the newest
//     keep_backups folders
//   5 remove files matching [recovery] clean globs, strictly inside each cwd
//     and never Lifeline's own state (state_dir), a log or the configuration,
//     even when a service's cwd is state_dir; after the backup, so a glob
//     that slips past those rules still cannot cost the logs
//   6 start every service in dependency order (Fleet::startAll())
//   7 verify: every service Running and, with a health check, Healthy within
//     verify_timeout (counted from step 6)
//
// Nothing blocks: each step is driven by signals and timers. A failed step
// marks the later ones skipped. Each step is a class (recoverysteps.h) run
// by a recovery::StepRunner (steprunner.h); what to end is found by
// recovery::discover() (recoverydiscovery.h), through this object's one ProcFs. The run leaves a report in
// state_dir/recovery/<stamp>.json and .txt, a Recovery event in the metrics
// history and lines in lifeline.log.
//
// For the control server (`lifelinectl recover [--dry-run] [--yes]`):
//   --dry-run -> plan().toText() / plan().toJson()
//   otherwise -> start(RecoveryOptions{.killForeignPortHolders = yes}); reply
//                on finished(report) with report.toText() / toJson(),
//                exit code 0 when report.ok.
// The object outlives any window showing it: closing the dialog does not
// stop a run.
#pragma once

#include "metrics/diskprobe.h"
#include "platform/procfs.h"
#include "recovery/recoverysteps.h"
#include "recovery/recoverytypes.h"
#include "recovery/steprunner.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <memory>
#include <optional>

class QLockFile;

namespace lifeline {

class Fleet;
class ServiceSupervisor;

class Recovery final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Recovery)

public:
    explicit Recovery(Fleet *fleet, QObject *parent = nullptr);
    ~Recovery() override;

    // Dry run: the same discovery as a run (what would be stopped, what is
    // left over, who holds the services' ports, which files would be cleaned,
    // which logs backed up and how big) without changing anything.
    RecoveryPlan plan() const;

    // Starts a run. False + *error when one is already running (in this
    // process, or in another Lifeline using the same state_dir).
    bool start(const RecoveryOptions &options = {}, QString *error = nullptr);
    bool isRunning() const { return m_runner.isRunning(); }
    // Step 1 waits for the services to stop: by default the longest
    // stop_timeout plus 35 s, then it fails and marks the ones still stopping
    // fatal (ServiceSupervisor::abandonStop). Tests and benches shorten it.
    void setStopGiveUpAfter(qint64 ms) { m_context.stopGiveUpMs = ms; }
    // Step 3 measures free disk space on worker threads; a path that has not
    // answered after `deadline` (a hung mount) is reported unknown. Tests
    // inject a stat function that hangs.
    void setDiskStat(DiskProbe::StatFunction stat, std::chrono::milliseconds deadline)
    {
        m_context.diskStat = std::move(stat);
        m_context.diskDeadline = deadline;
    }

    // The steps of the current (or last) run, in order.
    QList<RecoveryStep> steps() const { return m_runner.records(); }
    // The text report of the last run of this object; empty before one ended.
    QString lastReportPath() const;

    // The newest text report in stateDir/recovery (for `lifelinectl` and the
    // GUI after a restart); empty when there is none. *path gets its path.
    // With maxBytes >= 0, at most that many bytes are read.
    static QString readLastReport(const QString &stateDir, QString *path = nullptr, qint64 maxBytes = -1);

signals:
    void started();
    // A step changed status, message or items.
    void stepChanged(int index, const lifeline::RecoveryStep &step);
    void finished(const lifeline::RecoveryReport &report);

private:
    void finishRun();

    QPointer<Fleet> m_fleet;
    // The one reader of /proc for plans and runs.
    const ProcFs m_proc;
    recovery::RunContext m_context;
    recovery::StepRunner m_runner;
    QElapsedTimer m_runTimer;
    QDateTime m_startedAt;
    std::optional<RecoveryReport> m_lastReport;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace lifeline
