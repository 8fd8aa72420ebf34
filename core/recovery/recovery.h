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
// marks the later ones skipped. The run leaves a report in
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
#include "recovery/recoveryfiles.h"
#include "recovery/recoverytypes.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
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
    bool isRunning() const { return m_running; }
    // Step 1 waits for the services to stop: by default the longest
    // stop_timeout plus 35 s, then it fails and marks the ones still stopping
    // fatal (ServiceSupervisor::abandonStop). Tests and benches shorten it.
    void setStopGiveUpAfter(qint64 ms) { m_stopGiveUpMs = ms; }
    // Step 3 measures free disk space on worker threads; a path that has not
    // answered after `deadline` (a hung mount) is reported unknown. Tests
    // inject a stat function that hangs.
    void setDiskStat(DiskProbe::StatFunction stat, std::chrono::milliseconds deadline)
    {
        m_diskStat = std::move(stat);
        m_diskDeadline = deadline;
    }

    // The steps of the current (or last) run, in order.
    QList<RecoveryStep> steps() const { return m_steps; }
    // The text report of the last run of this object; empty before one ended.
    QString lastReportPath() const;

    // The newest text report in stateDir/recovery (for `lifelinectl` and the
    // GUI after a restart); empty when there is none. *path gets its path.
    static QString readLastReport(const QString &stateDir, QString *path = nullptr);

signals:
    void started();
    // A step changed status, message or items.
    void stepChanged(int index, const lifeline::RecoveryStep &step);
    void finished(const lifeline::RecoveryReport &report);

private:
    struct Target
    {
        RecoveryItem item;
        quint64 startTime = 0;
        bool gone = false;
    };
    struct Discovery
    {
        QList<RecoveryItem> leftovers;   // ours: marker, pidfile, descendants
        QList<RecoveryItem> portHolders; // not ours (foreign or other users)
        QList<RecoveryItem> stalePidfiles;
        QList<RecoveryItem> orphans; // re-parented to us, no service proven
    };
    Discovery discover(const QList<pid_t> &exclude) const;
    QList<RecoveryItem> planLogs() const;
    QList<RecoveryItem> planClean() const;
    // The clean globs of every service resolved, one entry per path however
    // many patterns or services match it.
    struct CleanEntry
    {
        QString service;
        QString cwd;
        CleanMatch match;
        QStringList patterns;
    };
    QList<CleanEntry> cleanEntries() const;
    QList<ProtectedPath> protectedPaths() const;
    QString cwdOf(const ServiceSupervisor *s) const;

    void beginStep(int index);
    void finishStep(RecoveryStepStatus status, const QString &message);
    void stopListening(); // drops the current step's connections and timers
    void updateStep();
    void finishRun();

    void stepStop();
    void stepFindLeftovers();
    void pollTargets();
    void stepCheckResources();
    void finishCheckResources();
    void stepClean();
    void stepBackupLogs();
    void stepStart();
    void stepVerify();
    void checkVerify(bool final);
    // Runs `work` on the next event-loop pass (file work one item at a time).
    void later(std::function<void()> work);

    RecoveryStep &current() { return m_steps[m_index]; }

    QPointer<Fleet> m_fleet;
    RecoveryOptions m_options;
    bool m_running = false;
    qint64 m_stopGiveUpMs = 0; // 0: the default, see setStopGiveUpAfter()
    int m_index = -1;
    QList<RecoveryStep> m_steps;
    QElapsedTimer m_runTimer;
    QElapsedTimer m_stepTimer;
    QDateTime m_startedAt;
    std::optional<RecoveryReport> m_lastReport;
    std::unique_ptr<QLockFile> m_lock;
    QList<QMetaObject::Connection> m_connections; // dropped at the end of each step
    QTimer m_poll;                                // the current step's polling
    QTimer m_deadline;                            // the current step's limit

    // Step 2
    QList<Target> m_targets;
    qint64 m_termSentMs = 0;
    qint64 m_killSentMs = -1;
    int m_untouched = 0;
    // Step 4
    struct LogJob
    {
        QString service;
        QString path;
        bool live = false;
    };
    QList<LogJob> m_logJobs;
    qsizetype m_nextLogJob = 0;
    qint64 m_backedUpBytes = 0;
    int m_stepWarnings = 0;
    QString m_backupDir;
    DiskProbe::StatFunction m_diskStat = DiskProbe::statPath;
    std::chrono::milliseconds m_diskDeadline = std::chrono::seconds(2);
    DiskProbe *m_diskProbe = nullptr; // step 3's, kept until the next run's
    QStringList m_diskPaths;
    void backupNextLog();
    // Steps 6-7
    qint64 m_startDeadlineMs = 0; // m_runTimer time when verify_timeout ends
};

} // namespace lifeline
