#include "servicesupervisor.h"

#include "health/healthmonitor.h"
#include "logs/loggerchannel.h"
#include "supervise/pidfile.h"
#include "util/clock.h"
#include "util/units.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <csignal>

namespace lifeline {

ServiceSupervisor::ServiceSupervisor(const ServiceSpec &spec, const SupervisorContext &context,
                                     QObject *parent)
    : QObject(parent)
    , m_spec(spec)
    , m_ctx(context)
    , m_clock(context.clock ? context.clock : Clock::system())
    , m_control(context.processControl ? context.processControl : std::make_shared<SystemProcessControl>())
    , m_logger(context.loggerPath, context.stateDir)
    , m_tracker(m_spec)
{
    if (!m_ctx.processFactory)
        m_ctx.processFactory = [](QObject *owner) { return new QtManagedProcess(owner); };
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, [this] {
        if (m_state == ServiceState::Backoff || m_state == ServiceState::Fatal) {
            if (m_state == ServiceState::Fatal) {
                log(QStringLiteral("fatal_retry: trying again after %1")
                        .arg(formatDuration(*m_spec.fatalRetry)));
                m_tracker.reset();
            }
            launch(); // BACKOFF -> STARTING, FATAL -> STARTING (fatal_retry)
        }
    });
    m_pollTimer.setInterval(m_ctx.pollInterval);
    connect(&m_pollTimer, &QTimer::timeout, this, &ServiceSupervisor::pollStop);
    createHealthMonitor();
}

void ServiceSupervisor::createHealthMonitor()
{
    delete m_health;
    m_health = nullptr;
    if (!m_spec.health.enabled())
        return;
    if (m_spec.health.kind == HealthSpec::Kind::Http && !m_ctx.network)
        return;
    m_health = new HealthMonitor(m_spec.health, m_ctx.network, this);
    m_health->setServiceName(m_spec.name);
    m_health->setWorkingDirectory(m_spec.cwd.isEmpty() ? m_ctx.stateDir : m_spec.cwd);
    m_health->setClock(m_clock);
    if (!m_spec.ports.isEmpty()) {
        // "Is it really serving?": each port must be listened on by the
        // service's own tree, not by an orphan of an earlier run.
        m_health->setPortCheck([this]() -> std::optional<QString> {
            return HealthMonitor::foreignPortHolder(m_spec.ports, treePids(), m_control->proc());
        });
    }
    connect(m_health, &HealthMonitor::healthChanged, this, [this](Health h, const QString &reason) {
        emit healthChanged(h, reason);
        log(QStringLiteral("health %1%2")
                .arg(healthName(h), reason.isEmpty() ? QString() : QStringLiteral(": ") + reason));
    });
    connect(m_health, &HealthMonitor::unhealthy, this, [this](const QString &reason) {
        if (m_spec.health.restartOnUnhealthy)
            restartForFailure(QStringLiteral("unhealthy: ") + reason);
    });
}

ServiceSupervisor::~ServiceSupervisor()
{
    // A supervisor going away with its service still up (a test tearing down,
    // Lifeline crashing out of main) must not leave half a tree behind: the
    // QProcess destructor would only kill the main process.
    if (m_process || (m_adopted && !m_mainGone)) {
        signalTree(SIGKILL);
    }
    if (m_process) {
        m_process->disconnect(this);
        delete m_process; // kills (already dead) and reaps the main process
        m_process = nullptr;
    }
    delete m_exitWatch;
}

QByteArray ServiceSupervisor::markerValue() const
{
    return m_ctx.instanceId + '/' + m_spec.name.toUtf8();
}

void ServiceSupervisor::setSpec(const ServiceSpec &spec)
{
    m_spec = spec;
    m_runEnvironment.clear();
    m_tracker.setSpec(m_spec);
    const bool active = m_health && m_health->isActive();
    const Health before = m_health ? m_health->health() : Health::Unknown;
    createHealthMonitor();
    if (active && m_health)
        m_health->start();
    if (before != Health::Unknown)
        emit healthChanged(Health::Unknown, QStringLiteral("health check redefined"));
    emit healthMonitorReplaced();
}

qint64 ServiceSupervisor::now() const
{
    return m_clock->nowMs();
}

qint64 ServiceSupervisor::uptimeMs() const
{
    if (m_state != ServiceState::Running || m_startedAtMs == 0)
        return 0;
    return std::max<qint64>(0, now() - m_startedAtMs);
}

int ServiceSupervisor::restartsInWindow() const
{
    return m_tracker.restartsInWindow(now());
}

qint64 ServiceSupervisor::nextRestartInMs() const
{
    if (!m_restartTimer.isActive())
        return -1;
    return std::max<qint64>(0, m_restartAtMs - now());
}

QString ServiceSupervisor::logPathIn(const QString &stateDir, const QString &service)
{
    return stateDir + QStringLiteral("/logs/") + service + QStringLiteral(".log");
}

QString ServiceSupervisor::errLogPathIn(const QString &stateDir, const QString &service)
{
    return stateDir + QStringLiteral("/logs/") + service + QStringLiteral(".err.log");
}

QString ServiceSupervisor::logPath() const
{
    return logPathIn(m_ctx.stateDir, m_spec.name);
}

QString ServiceSupervisor::errLogPath() const
{
    return errLogPathIn(m_ctx.stateDir, m_spec.name);
}

QString ServiceSupervisor::pidfilePath() const
{
    return m_ctx.stateDir + QStringLiteral("/run/") + m_spec.name + QStringLiteral(".pid");
}

TreeQuery ServiceSupervisor::treeQuery() const
{
    return TreeQuery{m_spec.name, m_mainGone ? 0 : m_pid, m_pgid, markerValue()};
}

QList<pid_t> ServiceSupervisor::treePids() const
{
    const TreeQuery q = treeQuery();
    QList<TreeQuery> queries{q};
    if (m_ctx.escapees) {
        for (TreeQuery root : m_ctx.escapees(m_spec.name)) {
            root.name = q.name + QLatin1Char('/') + QString::number(root.mainPid);
            root.markerValue = q.markerValue;
            queries.append(root);
        }
    }
    // An adopted service's orphans go to init, outside what an incremental
    // read covers: the full pass for those.
    if (m_ctx.treesNow && !m_adopted) {
        if (std::optional<QList<pid_t>> pids = m_ctx.treesNow(queries))
            return *pids;
    }
    return m_control->treePids(queries, markerKey());
}

bool ServiceSupervisor::ownsOutput(const QString &fdTarget) const
{
    return m_outputs.contains(fdTarget);
}

void ServiceSupervisor::log(const QString &text)
{
    emit eventLogged(text);
}

void ServiceSupervisor::setState(ServiceState to)
{
    const ServiceState from = m_state;
    if (!isAllowedTransition(from, to)) {
        // A bug, not a condition of the world: said loudly, and still made,
        // so a missed edge cannot leave a service stuck in a state.
        const QString text = QStringLiteral("internal error: state %1 -> %2 is not an allowed transition")
                                 .arg(stateName(from), stateName(to));
        qWarning("%s: %s", qUtf8Printable(m_spec.name), qUtf8Printable(text));
        log(text);
    }
    if (to == from)
        return;
    if (to == ServiceState::Stopped || to == ServiceState::Exited || to == ServiceState::Fatal)
        releaseLogger(); // down for good, or for a while: let the logger go
    m_state = to;
    // Health is only probed while the service runs; otherwise it is unknown.
    if (m_health) {
        if (to == ServiceState::Running)
            m_health->start();
        else if (from == ServiceState::Running)
            m_health->stop();
    }
    log(QStringLiteral("state %1 -> %2").arg(stateName(from), stateName(to)));
    emit stateChanged(from, to);
}

// ---- person's requests ---------------------------------------------------

void ServiceSupervisor::start()
{
    switch (m_state) {
    case ServiceState::Starting:
    case ServiceState::Running:
        return;
    case ServiceState::Stopping:
        m_afterStop = AfterStop::Start; // STOPPING -> STARTING once the tree is gone
        return;
    case ServiceState::Backoff:
    case ServiceState::Fatal:
    case ServiceState::Stopped:
    case ServiceState::Exited:
        break;
    }
    m_restartTimer.stop();
    m_tracker.reset();
    m_restartReason.clear();
    m_stopAbandoned = false;
    launch();
}

void ServiceSupervisor::stop(const QString &cause)
{
    switch (m_state) {
    case ServiceState::Starting:
    case ServiceState::Running:
        beginStop(AfterStop::Nothing, cause); // RUNNING -> STOPPING
        return;
    case ServiceState::Stopping:
        m_afterStop = AfterStop::Nothing;
        m_stopCause = cause;
        return;
    case ServiceState::Backoff:
    case ServiceState::Fatal:
    case ServiceState::Exited:
        m_restartTimer.stop();
        if (m_pollTimer.isActive()) {
            // Leftovers of the last run are still being ended: report stopping until they are.
            m_afterStop = AfterStop::Nothing;
            setState(ServiceState::Stopping); // BACKOFF -> STOPPING
            return;
        }
        setState(ServiceState::Stopped); // BACKOFF/FATAL/EXITED -> STOPPED
        return;
    case ServiceState::Stopped:
        return;
    }
}

void ServiceSupervisor::restart(const QString &cause)
{
    if (m_state == ServiceState::Running || m_state == ServiceState::Starting) {
        m_tracker.reset();
        m_restartReason = cause;
        log(QStringLiteral("restart requested: %1").arg(cause));
        beginStop(AfterStop::Start, cause); // RUNNING -> STOPPING -> STARTING
        return;
    }
    start();
}

void ServiceSupervisor::restartForFailure(const QString &reason)
{
    if (m_state != ServiceState::Running || m_shuttingDown)
        return;
    log(QStringLiteral("restarting: %1").arg(reason));
    beginStop(AfterStop::CountedRestart, reason); // RUNNING -> STOPPING -> BACKOFF/FATAL
}

bool ServiceSupervisor::abandonStop(const QString &reason)
{
    if (m_state != ServiceState::Stopping)
        return false;
    m_stopAbandoned = true;
    m_afterStop = AfterStop::Nothing;
    m_lastError = reason;
    log(reason);
    setState(ServiceState::Fatal); // STOPPING -> FATAL (the poll goes on sending SIGKILL)
    return true;
}

// ---- starting ---------------------------------------------------------------

void ServiceSupervisor::launch()
{
    m_restartTimer.stop();
    // Every way to a start (request, backoff timer, fatal_retry, restart after
    // a stop, leftovers gone) passes here: the one place the latch is needed.
    if (m_shuttingDown) {
        log(QStringLiteral("not started: Lifeline is shutting down"));
        if (m_state == ServiceState::Starting || m_state == ServiceState::Stopping ||
            m_state == ServiceState::Backoff)
            setState(ServiceState::Stopped); // -> STOPPED
        return;
    }
    if (m_state != ServiceState::Starting) // STARTING again: its leftovers are gone
        setState(ServiceState::Starting);  // * -> STARTING
    // Never start a second copy next to what is left of an earlier one (a
    // worker still holding the port, an escaped grandchild): end it first.
    const QList<pid_t> leftovers = std::exchange(m_treeGoneSinceExit, false) ? QList<pid_t>() : treePids();
    if (!leftovers.isEmpty()) {
        log(QStringLiteral("ending %1 leftover process(es) of an earlier run before starting")
                .arg(leftovers.size()));
        m_stopDeadlineMs = now() + m_spec.stopTimeout.count();
        m_killed = false;
        signalTree(m_spec.stopSignal);
        m_pollTimer.start();
        return; // pollStop() calls launch() again once the tree is gone
    }
    if (!preflightPorts())
        return;

    const QString cwd = m_spec.cwd.isEmpty() ? m_ctx.stateDir : m_spec.cwd;
    if (!QFileInfo(cwd).isDir()) {
        onStartFailed(QStringLiteral("working directory %1 does not exist").arg(cwd));
        return;
    }
    QString error;
    if (!openLogger(&error)) {
        onStartFailed(error);
        return;
    }

    ProcessLaunch run;
    if (m_spec.shell) {
        run.program = QStringLiteral("/bin/sh");
        run.arguments = {QStringLiteral("-c"), m_spec.command.join(QLatin1Char(' '))};
    } else {
        run.program = m_spec.command.first();
        run.arguments = m_spec.command.mid(1);
    }
    if (m_runEnvironment.isEmpty()) { // once per spec: Lifeline's own environment does not change
        m_runEnvironment = QProcessEnvironment::systemEnvironment();
        for (auto it = m_spec.env.cbegin(); it != m_spec.env.cend(); ++it)
            m_runEnvironment.insert(it.key(), it.value());
        m_runEnvironment.insert(QString::fromLatin1(markerKey()), QString::fromUtf8(markerValue()));
    }
    run.environment = m_runEnvironment;
    run.workingDirectory = cwd;
    run.stdoutFd = m_logOutputs.out.get();
    run.stderrFd = m_logOutputs.err.get();

    ManagedProcess *process = m_ctx.processFactory(this);
    m_process = process;
    connect(process, &ManagedProcess::started, this, &ServiceSupervisor::onProcessStarted);
    connect(process, &ManagedProcess::done, this, &ServiceSupervisor::onProcessDone);

    m_mainGone = false;
    m_adopted = false;
    m_pgid = 0;
    m_pid = 0;
    m_killed = false; // a SIGKILL of an earlier stop is not this process's
    process->start(run);
    if (m_process == process && process->pid() > 0) {
        m_pid = process->pid();
        m_pgid = m_pid; // its own session made it the leader of its own group
    }
    // Read after the start, not before: off the path from a crash to the
    // next start. A kill in the microseconds between is not counted; a
    // reading as old as tick()'s serves (a crash loop reads no file here).
    m_oomBefore = m_oomLatest = m_control->proc().oomKillCounts(OomBaselineMs);
    if (m_loggerChannel.isNull())
        releaseLogger(); // no logger to keep (files appended to): reopened next run
}

bool ServiceSupervisor::openLogger(QString *error)
{
    const QString key = QStringLiteral("%1\n%2\n%3 %4 %5")
                            .arg(logPath(), errLogPath())
                            .arg(m_spec.logs.maxSize)
                            .arg(m_spec.logs.backups)
                            .arg(m_spec.logs.compress);
    if (m_logOutputs.out.isValid() && !m_loggerChannel.isNull() && m_logOutputsFor == key)
        return true; // the logger of the previous run is still there
    releaseLogger();
    // Here, not on every start: a kept logger means both exist already (and
    // a pidfile that cannot be written is said so, not fatal).
    QDir().mkpath(m_ctx.stateDir + QStringLiteral("/logs"));
    QDir().mkpath(m_ctx.stateDir + QStringLiteral("/run"));
    if (!m_logger.open(logPath(), errLogPath(), m_spec.logs, &m_logOutputs, error))
        return false;
    m_logOutputsFor = key;
    if (!m_logOutputs.warning.isEmpty())
        log(QStringLiteral("warning: %1; logs will not rotate").arg(m_logOutputs.warning));
    if (m_logOutputs.status.isValid())
        m_loggerChannel = listenToLogger(m_logOutputs.status.release());
    rememberOutputs(m_logOutputs.targets);
    return true;
}

void ServiceSupervisor::releaseLogger()
{
    m_logOutputs.out.reset();
    m_logOutputs.err.reset();
    m_logOutputsFor.clear();
    m_loggerChannel = nullptr; // it lives on until the logger has drained and gone
}

bool ServiceSupervisor::preflightPorts()
{
    for (quint16 port : std::as_const(m_spec.ports)) {
        if (const auto holder = m_control->proc().portHolder(port)) {
            onStartFailed(
                QStringLiteral("port %1 is already in use by %2").arg(port).arg(holder->describe()));
            return false;
        }
    }
    return true;
}

QObject *ServiceSupervisor::listenToLogger(int statusReadFd)
{
    // One channel per logger, alive until that logger exits: a logger still
    // draining the last run's output may report after the next run started.
    // A service adopted from an earlier Lifeline has none (loggerchannel.h).
    auto *channel = new LoggerChannel(statusReadFd, this);
    connect(
        channel, &LoggerChannel::dropped, this,
        [this](const QString &stream, qint64 lines, const QString &reason) {
            m_logsDropped += lines;
            const QString file = stream == QLatin1String("err") ? errLogPath() : logPath();
            if (m_droppingFiles.contains(file))
                return;
            m_droppingFiles.insert(file);
            log(QStringLiteral("logs: cannot write %1 (%2); dropping its lines, the service keeps running")
                    .arg(file, reason));
            emit logsDropping(file, reason);
        });
    connect(channel, &LoggerChannel::resumed, this, [this](const QString &stream, qint64 total) {
        const QString file = stream == QLatin1String("err") ? errLogPath() : logPath();
        m_droppingFiles.remove(file);
        log(QStringLiteral("logs: writing %1 again; %2 lines were dropped").arg(file).arg(total));
        emit logsResumed(file, total);
    });
    return channel;
}

void ServiceSupervisor::rememberOutputs(const QStringList &targets)
{
    // A pipe's inode names it for as long as anyone holds it; an escapee
    // holding the write end keeps it alive. Kept for the last few runs: an
    // escapee of an earlier run is still this service's.
    constexpr qsizetype kKeep = 32;
    for (const QString &target : targets) {
        m_outputs.removeAll(target);
        m_outputs.append(target);
    }
    if (m_outputs.size() > kKeep)
        m_outputs.remove(0, m_outputs.size() - kKeep);
}

void ServiceSupervisor::onProcessStarted()
{
    if (!m_process)
        return;
    m_pid = m_process->pid();
    m_pgid = m_pid;
    m_startedAtMs = now();
    if (m_state == ServiceState::Stopping) {
        // A stop came while it was being launched: it goes down at once.
        signalTree(m_spec.stopSignal);
        return;
    }
    m_lastError.clear();
    writePidfile();
    log(QStringLiteral("started pid %1: %2").arg(m_pid).arg(m_spec.command.join(QLatin1Char(' '))));
    setState(ServiceState::Running); // STARTING -> RUNNING
    emit started(m_pid);
}

void ServiceSupervisor::onStartFailed(const QString &error)
{
    m_lastError = error;
    log(QStringLiteral("start failed: %1").arg(error));
    releaseProcess();
    m_mainGone = true;
    m_pid = 0;
    if (m_state == ServiceState::Stopping) {
        // Stopped while it was being launched: the stop wins.
        pollStop();
        return;
    }
    // A failed start counts like a crash: retried with backoff, fatal in a loop.
    const RestartTracker::Verdict v = m_tracker.onExit(ExitStatus::unknown(), true, now());
    if (v == RestartTracker::Verdict::Fatal) {
        m_lastError = QStringLiteral("%1 — gave up after %2 attempts in %3; manual intervention required")
                          .arg(error)
                          .arg(m_spec.maxRestarts)
                          .arg(formatDuration(m_spec.restartWindow));
        setState(ServiceState::Fatal); // STARTING -> FATAL
        if (m_spec.fatalRetry)
            scheduleRestart(*m_spec.fatalRetry);
        return;
    }
    m_restartReason = error;
    setState(ServiceState::Backoff); // STARTING -> BACKOFF
    scheduleRestart(m_tracker.delay());
}

void ServiceSupervisor::releaseProcess()
{
    if (!m_process)
        return;
    ManagedProcess *p = m_process;
    m_process = nullptr;
    p->disconnect(this);
    p->deleteLater(); // never inside its own signal
}

// ---- exits ------------------------------------------------------------------

void ServiceSupervisor::onProcessDone(const ProcessOutcome &outcome)
{
    switch (outcome.kind) {
    case ProcessOutcome::Kind::FailedToStart:
        onStartFailed(QStringLiteral("cannot start %1: %2").arg(m_spec.command.first(), outcome.error));
        return;
    case ProcessOutcome::Kind::Exited:
        onProcessFinished(ExitStatus::exited(outcome.code));
        return;
    case ProcessOutcome::Kind::Signaled:
        onProcessFinished(
            ExitStatus::signaled(outcome.code, m_killed, m_oomBefore, m_control->proc().oomKillCounts()));
        return;
    }
}

static QString exitReason(const ExitStatus &status)
{
    if (status.kind == ExitStatus::Kind::Exited && status.code != 0)
        return QStringLiteral("crashed: ") + status.describe();
    return status.describe();
}

void ServiceSupervisor::onProcessFinished(const ExitStatus &status)
{
    m_mainGone = true;
    m_lastExit = status;
    m_hasExited = true;
    // A run Lifeline ended ends cleanly on the stop signal: the cause is
    // why it was stopped, not the "exited cleanly (0)" it answered with.
    const bool asked = m_state == ServiceState::Stopping || m_stopAbandoned;
    if (asked && !m_stopCause.isEmpty()) {
        m_lastReason = m_stopCause;
        if (status.cause == ExitStatus::Cause::StopTimeout)
            m_lastReason += QStringLiteral(" (killed after stop_timeout)");
    } else {
        m_lastReason = exitReason(status);
    }
    releaseProcess();
    if (m_exitWatch) {
        m_exitWatch->deleteLater(); // never inside its own callback
        m_exitWatch = nullptr;
    }
    log(QStringLiteral("pid %1 %2").arg(m_pid).arg(status.describe()));
    m_exitLeftovers = treePids();
    emit exited(status);

    if (m_state == ServiceState::Stopping) {
        pollStop();
        return;
    }
    if (m_stopAbandoned) {
        // The stop a recovery gave up on has completed after all: still a
        // person's call whether it starts again.
        m_stopAbandoned = false;
        log(QStringLiteral("the process that would not stop has ended; start the service when ready"));
        pollStop();
        return;
    }
    handleExit(status, false);
}

void ServiceSupervisor::handleExit(const ExitStatus &status, bool forced)
{
    // Whatever is left of the tree (a worker holding the port, the node under
    // `sh -c "npm start"`) is ended now; a restart waits until it is gone.
    m_treeGoneSinceExit = !forced && m_exitLeftovers.isEmpty();
    if (!(forced ? treePids() : m_exitLeftovers).isEmpty()) {
        m_stopDeadlineMs = now() + m_spec.stopTimeout.count();
        m_killed = false;
        signalTree(m_spec.stopSignal);
        m_pollTimer.start();
    }
    const QString why = forced ? m_stopCause : status.describe();
    const RestartTracker::Verdict v = m_tracker.onExit(status, forced, now());
    switch (v) {
    case RestartTracker::Verdict::LeaveDown:
        removePidfile();
        setState(ServiceState::Exited); // RUNNING -> EXITED
        return;
    case RestartTracker::Verdict::Fatal:
        m_lastError = QStringLiteral("restarted %1 times within %2, last: %3 — manual intervention required")
                          .arg(m_spec.maxRestarts)
                          .arg(formatDuration(m_spec.restartWindow), why);
        log(m_lastError);
        removePidfile();
        setState(ServiceState::Fatal); // RUNNING -> FATAL
        if (m_spec.fatalRetry)
            scheduleRestart(*m_spec.fatalRetry);
        return;
    case RestartTracker::Verdict::Restart:
        // An immediate restart overwrites the pidfile; until then it names
        // a process that is gone, which adoption tells (PidFile::verify).
        if (m_tracker.delay().count() > 0)
            removePidfile();
        m_restartReason = why;
        log(QStringLiteral("restarting in %1 (%2 of %3 within %4): %5")
                .arg(formatDuration(m_tracker.delay()))
                .arg(m_tracker.restartsInWindow(now()))
                .arg(m_spec.maxRestarts)
                .arg(formatDuration(m_spec.restartWindow), why));
        setState(ServiceState::Backoff); // RUNNING -> BACKOFF
        scheduleRestart(m_tracker.delay());
        return;
    }
}

void ServiceSupervisor::scheduleRestart(Millis delay)
{
    m_restartAtMs = now() + delay.count();
    m_restartTimer.start(int(std::min<qint64>(delay.count(), std::numeric_limits<int>::max())));
}

// ---- stopping ---------------------------------------------------------------

void ServiceSupervisor::beginStop(AfterStop after, const QString &cause)
{
    m_afterStop = after;
    m_stopCause = cause;
    m_restartTimer.stop();
    setState(ServiceState::Stopping);
    m_stopDeadlineMs = now() + m_spec.stopTimeout.count();
    m_killed = false;
    if (m_process && m_process->isStarting()) {
        // Not exec'd yet: nothing to be graceful with.
        m_process->kill();
    }
    signalTree(m_spec.stopSignal);
    m_pollTimer.start();
}

void ServiceSupervisor::signalTree(int sig)
{
    // Only processes that provably belong to the service (main pid, its
    // group, descendants, or carrying our marker, and always our own uid:
    // ProcFs::serviceTree) are signalled; never by name.
    QList<pid_t> pids = treePids();
    if (!m_mainGone && m_pid > 0 && !pids.contains(m_pid))
        pids.append(m_pid);
    m_control->signal(pids, sig);
}

void ServiceSupervisor::pollStop()
{
    const QList<pid_t> pids = treePids();
    if (!pids.isEmpty() || !m_mainGone) {
        if (now() >= m_stopDeadlineMs) {
            if (!m_killed) {
                log(QStringLiteral("still running after stop_timeout %1: sending SIGKILL to %2 process(es)")
                        .arg(formatDuration(m_spec.stopTimeout))
                        .arg(pids.size()));
                m_killed = true;
            }
            signalTree(SIGKILL); // repeated each poll: catches a fork racing the kill
        }
        return;
    }
    m_pollTimer.stop();
    if (m_state == ServiceState::Stopping) {
        finishStop();
    } else if (m_state == ServiceState::Starting) {
        launch(); // leftovers gone: go on starting
    }
    // BACKOFF: the restart timer starts the service; launch() re-checks the tree.
}

void ServiceSupervisor::finishStop()
{
    removePidfile();
    const AfterStop after = m_afterStop;
    m_afterStop = AfterStop::Nothing;
    switch (after) {
    case AfterStop::Nothing:
        log(QStringLiteral("stopped"));
        setState(ServiceState::Stopped); // STOPPING -> STOPPED
        return;
    case AfterStop::Start:
        launch(); // STOPPING -> STARTING
        return;
    case AfterStop::CountedRestart:
        handleExit(m_lastExit, true); // STOPPING -> BACKOFF / FATAL
        return;
    }
}

// ---- pidfile and adoption ---------------------------------------------------

void ServiceSupervisor::writePidfile()
{
    const auto info = m_control->proc().process(m_pid);
    const PidFile pidfile{m_pid, info ? info->startTime : 0, m_spec.commandHash(), markerValue(),
                          QDateTime::currentMSecsSinceEpoch()};
    QString error;
    if (!pidfile.write(pidfilePath(), &error))
        log(QStringLiteral("warning: cannot write pidfile %1: %2").arg(pidfilePath(), error));
}

void ServiceSupervisor::removePidfile()
{
    QFile::remove(pidfilePath());
}

bool ServiceSupervisor::tryAdopt()
{
    if (m_state != ServiceState::Stopped)
        return false;
    const std::optional<PidFile> pidfile = PidFile::read(pidfilePath());
    if (!pidfile)
        return false;
    ProcInfo info;
    const PidFile::Check check = pidfile->verify(m_control->proc(), markerKey(), markerValue(), &info);
    if (check != PidFile::Check::Ours) {
        log(QStringLiteral("stale pidfile %1 (pid %2 is %3) ignored")
                .arg(pidfilePath())
                .arg(pidfile->pid)
                .arg(check == PidFile::Check::Other ? QStringLiteral("another program now")
                                                    : QStringLiteral("gone")));
        removePidfile();
        return false;
    }
    const pid_t pid = pidfile->pid;
    if (pidfile->commandHash != m_spec.commandHash())
        log(QStringLiteral(
            "note: the running process was started from an older definition; restart to apply the new one"));

    m_pid = pid;
    m_pgid = info.pgid;
    m_adopted = true;
    m_treeGoneSinceExit = false;
    m_mainGone = false;
    const qint64 startedWall = pidfile->startedAtMs;
    const qint64 age = startedWall > 0 ? QDateTime::currentMSecsSinceEpoch() - startedWall : 0;
    m_startedAtMs = now() - std::max<qint64>(0, age);
    watchAdopted();
    log(QStringLiteral("adopted running pid %1 (left running by an earlier Lifeline)").arg(pid));
    setState(ServiceState::Running); // STOPPED -> RUNNING (adopted)
    emit started(pid);
    return true;
}

void ServiceSupervisor::watchAdopted()
{
    // Not our child: no SIGCHLD, no exit status; the exit code stays unknown.
    m_exitWatch = m_control->watchExit(m_pid, this, [this] { onProcessFinished(ExitStatus::unknown()); });
}

void ServiceSupervisor::detach()
{
    const bool alive = !m_mainGone && m_pid > 0; // m_pid outlives its process, for display
    m_restartTimer.stop();
    m_pollTimer.stop();
    if (m_process) {
        m_process->disconnect(this);
        m_process->detach(); // a service that must outlive Lifeline
        m_process = nullptr;
    }
    delete m_exitWatch;
    m_exitWatch = nullptr;
    m_mainGone = true; // as far as this object is concerned: nothing to kill on destruction
    m_pgid = 0;
    if (alive)
        log(QStringLiteral("left running (pid %1) as on_exit asks").arg(m_pid));
}

void ServiceSupervisor::beginShutdown()
{
    m_shuttingDown = true;
    m_restartTimer.stop();
    if (m_afterStop == AfterStop::Start)
        m_afterStop = AfterStop::Nothing;
}

void ServiceSupervisor::tick()
{
    if (m_state == ServiceState::Running)
        m_tracker.noteRunning(m_startedAtMs, now());
    if (m_process) {
        // The baseline one tick old: a tick that runs between an OOM kill and
        // the exit it causes must not hide the counter's rise.
        m_oomBefore = m_oomLatest;
        m_oomLatest = m_control->proc().oomKillCounts(OomBaselineMs);
    }
}

} // namespace lifeline
