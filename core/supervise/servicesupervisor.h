// One supervised service: its process (through a ManagedProcess), its state machine,
// its restart policy, and the proof of which processes are its own.
//
// Every transition goes through setState(), which emits stateChanged() once.
// Nothing here blocks: stopping is a signal, a timer and polling of /proc;
// restarting is a timer.
#pragma once

#include "config/servicespec.h"
#include "health/healthresult.h"
#include "platform/processcontrol.h"
#include "supervise/exitstatus.h"
#include "supervise/loggerlauncher.h"
#include "supervise/managedprocess.h"
#include "supervise/restartpolicy.h"
#include "supervise/servicestate.h"

#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace lifeline {

class Clock;
class HealthMonitor;

// What a supervisor needs from the world around it; the Fleet fills it in,
// tests may replace the clock, the paths, the processes and the system.
struct SupervisorContext
{
    QString stateDir;        // logs/, run/ live below it
    QByteArray instanceId;   // stable per configuration file; part of the env marker
    QString loggerPath;      // lifeline-logger; empty or missing -> the child appends to its files directly
    Clock *clock = nullptr;  // nullptr -> Clock::system()
    Millis pollInterval{50}; // how often /proc is looked at while a tree is being stopped
    QNetworkAccessManager *network = nullptr; // shared by all HTTP health probes; nullptr -> no HTTP probes
    // Processes re-parented to Lifeline that are proven to come from this
    // service's tree (Fleet's orphan scan), as tree roots (mainPid, pgid):
    // part of treePids(), so a stop ends them. Empty function -> none.
    std::function<QList<TreeQuery>(const QString &service)> escapees;
    // The trees of these roots without a full pass over /proc (Fleet:
    // TreeTracker::treesNow), for the processes this Lifeline started;
    // nullopt or an empty function -> processControl's full pass.
    std::function<std::optional<QList<pid_t>>(const QList<TreeQuery> &roots)> treesNow;
    // Makes the process of each run. Empty function -> a QtManagedProcess.
    ManagedProcessFactory processFactory;
    // Trees, signals, exits of adopted processes. nullptr -> a
    // SystemProcessControl of the supervisor's own.
    std::shared_ptr<ProcessControl> processControl;
};

class ServiceSupervisor final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceSupervisor)

public:
    ServiceSupervisor(const ServiceSpec &spec, const SupervisorContext &context, QObject *parent = nullptr);
    ~ServiceSupervisor() override;

    // The environment variable every process of the service inherits; it is
    // what proves that an escaped descendant is ours before we signal it.
    static QByteArray markerKey() { return QByteArrayLiteral("LIFELINE_SERVICE_ID"); }
    // How old a reading of the OOM killer's counters may be to serve as the
    // baseline of a run: /proc/vmstat is the costliest file a tick or a
    // start would read, and the baseline only has to predate the exit (a
    // SIGKILL death reads the counters fresh).
    static constexpr qint64 OomBaselineMs = 5000;
    QByteArray markerValue() const;

    const ServiceSpec &spec() const { return m_spec; }
    // A new definition (config reload); applies at the next start.
    void setSpec(const ServiceSpec &spec);
    QString name() const { return m_spec.name; }

    ServiceState state() const { return m_state; }
    pid_t pid() const { return m_pid; }
    bool isAdopted() const { return m_adopted; }
    qint64 uptimeMs() const; // 0 unless running
    int restarts() const { return m_tracker.totalRestarts(); }
    int restartsInWindow() const;
    qint64 nextRestartInMs() const; // -1 unless a restart is scheduled
    ExitStatus lastExit() const { return m_lastExit; }
    bool hasExited() const { return m_hasExited; }
    QString lastError() const { return m_lastError; } // why it is not running, for display
    QString restartReason() const { return m_restartReason; }
    // Why the last run ended, in a person's words: the cause Lifeline had
    // when it stopped the run ("memory 152 MB > limit 150 MB", "config
    // changed", "restarted by you"), else what the exit says ("crashed: exit
    // code 3", "killed by SIGKILL (9)"). Empty until a run has ended.
    QString lastReason() const { return m_lastReason; }
    // Log lines the service wrote that its logger could not (a full disk),
    // since Lifeline started; the service itself kept running.
    qint64 logsDropped() const { return m_logsDropped; }
    // The stop under way was asked for by a check (restartForFailure: health,
    // a memory or CPU limit), not by a person: its exit is a failure.
    bool isStoppingForFailure() const
    {
        return m_state == ServiceState::Stopping && m_afterStop == AfterStop::CountedRestart;
    }
    static QString logPathIn(const QString &stateDir, const QString &service);
    static QString errLogPathIn(const QString &stateDir, const QString &service);
    QString logPath() const;     // state_dir/logs/<name>.log
    QString errLogPath() const;  // state_dir/logs/<name>.err.log
    QString pidfilePath() const; // state_dir/run/<name>.pid
    // The service's health check, or nullptr when it has none.
    HealthMonitor *health() const { return m_health; }
    // Every live process of the service (main, its group, descendants, marker holders).
    QList<pid_t> treePids() const;
    // What was left of the tree when the main process last exited, read once
    // for everyone that asks during the exit (the exited() handlers, the
    // restart that follows).
    QList<pid_t> exitLeftovers() const { return m_exitLeftovers; }
    // What identifies the tree, for ProcFs::serviceTrees() over many services.
    TreeQuery treeQuery() const;
    // True when `fdTarget` (ProcFs::fdTarget) is the write end of one of the
    // log pipes (or, without the logger, a log file) this service's runs were
    // given: a process holding it as stdout/stderr inherited it from the tree.
    bool ownsOutput(const QString &fdTarget) const;

    // Requests (a person's, a reload's, a recovery's); `cause` becomes
    // lastReason() when they end the run.
    void start(); // from stopped/exited/fatal/backoff: starts now, forgets the crash history
    void stop(const QString &cause = QStringLiteral("stopped by you")); // never followed by a restart
    // Stop (if running) then start, forgets the crash history.
    void restart(const QString &cause = QStringLiteral("restarted by you"));
    // A restart asked for by a check (health, memory limit): goes through the
    // restart policy and crash-loop guard like a crash does.
    void restartForFailure(const QString &reason);
    // A stop that cannot complete (a process that survives SIGKILL: stuck in
    // uninterruptible sleep on a hung disk or network filesystem): STOPPING ->
    // FATAL with `reason` as the last error, so nothing shows "stopping"
    // forever and nothing restarts it by itself. SIGKILL keeps being sent;
    // when the process finally ends, the service stays fatal until a person
    // starts it. False when the service was not stopping.
    bool abandonStop(const QString &reason);

    // At Lifeline's start: adopt a still-running instance from a verified
    // pidfile. Returns true when adopted (state Running, isAdopted()).
    bool tryAdopt();
    // Lifeline is quitting and this service must keep running (on_exit = keep):
    // let go of the process without killing it (QProcess's destructor would).
    void detach();

    // Lifeline is quitting (Fleet::beginShutdown): never launches again, not
    // on a request, a scheduled restart, a restart after a stop, nor a check.
    void beginShutdown();

    // Advances time-based rules (stable_after); called by the fleet's tick.
    void tick();

signals:
    void stateChanged(lifeline::ServiceState from, lifeline::ServiceState to);
    void started(pid_t pid);
    void exited(const lifeline::ExitStatus &status);
    // One line for lifeline.log: starts, exits, restarts with reasons, stale pidfiles...
    void eventLogged(const QString &text);
    // The health check's verdict changed (relayed from health(), which a new
    // definition may replace: connect here, not to the monitor).
    void healthChanged(lifeline::Health health, const QString &reason);
    void healthMonitorReplaced();
    // The logger began dropping the lines of `file` (once per episode), and
    // writes it again after `lines` dropped lines.
    void logsDropping(const QString &file, const QString &reason);
    void logsResumed(const QString &file, qint64 lines);

private:
    enum class AfterStop
    {
        Nothing,
        Start,
        CountedRestart
    };

    // The one place m_state changes; checks the edge (isAllowedTransition).
    void setState(ServiceState to);
    void launch();
    bool preflightPorts();
    QObject *listenToLogger(int statusReadFd); // the channel, until the logger exits
    void rememberOutputs(const QStringList &targets);
    void onProcessStarted();
    void onProcessDone(const ProcessOutcome &outcome);
    void onProcessFinished(const ExitStatus &status);
    void onStartFailed(const QString &error);
    void handleExit(const ExitStatus &status, bool forced);
    void beginStop(AfterStop after, const QString &cause);
    void signalTree(int sig);
    void pollStop();
    void finishStop();
    void scheduleRestart(Millis delay);
    void writePidfile();
    void removePidfile();
    void watchAdopted();
    void releaseProcess();
    void log(const QString &text);
    qint64 now() const;
    void createHealthMonitor();
    bool openLogger(QString *error);
    void releaseLogger();

    ServiceSpec m_spec;
    SupervisorContext m_ctx;
    Clock *m_clock;
    std::shared_ptr<ProcessControl> m_control;
    LoggerLauncher m_logger;
    RestartTracker m_tracker;

    ServiceState m_state = ServiceState::Stopped;
    ManagedProcess *m_process = nullptr;
    QObject *m_exitWatch = nullptr; // an adopted process's (ProcessControl::watchExit)
    HealthMonitor *m_health = nullptr;
    pid_t m_pid = 0;
    pid_t m_pgid = 0;
    bool m_adopted = false;
    qint64 m_startedAtMs = 0;
    bool m_hasExited = false;
    ExitStatus m_lastExit;
    QString m_lastError;
    QString m_restartReason;
    QString m_lastReason;
    QString m_stopCause; // why the stop under way was asked for
    AfterStop m_afterStop = AfterStop::Nothing;
    bool m_mainGone = true; // the main process has exited (or there is none)
    QList<pid_t> m_exitLeftovers;
    // The exit found no leftovers and nothing of the service has run since:
    // the start that follows need not look again.
    bool m_treeGoneSinceExit = false;
    qint64 m_stopDeadlineMs = 0;
    bool m_killed = false; // this stop sent SIGKILL: a SIGKILL death is ours
    // The OOM killer's counters while the process runs (exitstatus.h).
    OomKillCounts m_oomBefore;
    OomKillCounts m_oomLatest;
    bool m_stopAbandoned = false; // abandonStop(): the old process may still end
    bool m_shuttingDown = false;
    qint64 m_logsDropped = 0;
    QSet<QString> m_droppingFiles; // files whose logger drops lines right now
    qint64 m_restartAtMs = 0;
    QTimer m_restartTimer;
    QTimer m_pollTimer;
    QStringList m_outputs; // the fd targets of the recent runs' stdout/stderr (ownsOutput)
    // The pipes to this service's lifeline-logger, kept from one run to the
    // next while the service restarts, so a restart starts no logger. Our
    // write ends close when the service stops for good: the logger sees EOF
    // once the last run's processes are gone too, and exits.
    LoggerLauncher::Outputs m_logOutputs;
    QString m_logOutputsFor;              // the paths and settings they were opened for
    QProcessEnvironment m_runEnvironment; // of every run of this spec; empty: to be made
    QPointer<QObject> m_loggerChannel;    // alive while the logger runs
};

} // namespace lifeline
