// ServiceSupervisor's state machine, edge by edge (after supervisord's
// test_transition_*): every edge of the table in servicestate.cpp, driven
// through a fake ManagedProcess and a fake ProcessControl with a
// ManualClock. No service process is started; tst_supervisor does that.
// Plus PidFile and LoggerLauncher on real files.
#include "config/servicespec.h"
#include "platform/processcontrol.h"
#include "supervise/loggerlauncher.h"
#include "supervise/pidfile.h"
#include "supervise/servicesupervisor.h"
#include "util/clock.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QPointer>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace lifeline;
using namespace std::chrono_literals;
using S = ServiceState;

namespace {

// Fake pids above any possible pid_max (2^22), so they never name a real process.
constexpr pid_t kFirstPid = 4200000;
constexpr pid_t kLeftover = 4300000;

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

// A process directory in a fake proc root, started at clock tick 777, with `environ`.
bool makeProc(const QString &root, pid_t pid, const QByteArray &environ)
{
    const QString dir = root + QLatin1Char('/') + QString::number(pid);
    const QByteArray p = QByteArray::number(pid);
    return writeFile(dir + QStringLiteral("/stat"),
                     p + " (fake) S 1 " + p + ' ' + p +
                         " 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 1 0 777 1000 9 0 0\n") &&
           writeFile(dir + QStringLiteral("/status"), "Name:\tfake\nUid:\t1000\t1000\t0\t0\n") &&
           writeFile(dir + QStringLiteral("/cmdline"), QByteArrayLiteral("fake\0")) &&
           writeFile(dir + QStringLiteral("/environ"), environ);
}

// The processes of the service, as the supervisor can learn of them: what
// is alive is what the test says is alive.
class FakeControl final : public ProcessControl
{
public:
    explicit FakeControl(const QString &procRoot)
        : m_proc(procRoot)
    {}

    const ProcFs &proc() const override { return m_proc; }
    QList<pid_t> treePids(const QList<TreeQuery> &, const QByteArray &) const override
    {
        ++treeLookups;
        QList<pid_t> pids = alive.values();
        std::sort(pids.begin(), pids.end());
        return pids;
    }
    void signal(const QList<pid_t> &pids, int sig) override
    {
        for (const pid_t pid : pids)
            sent.append({pid, sig});
    }
    QObject *watchExit(pid_t pid, QObject *parent, std::function<void()> onExit) override
    {
        auto *watch = new QObject(parent);
        watches.insert(pid, {watch, std::move(onExit)});
        return watch;
    }

    bool sentTo(pid_t pid, int sig) const { return sent.contains({pid, sig}); }
    // The adopted process `pid` ends; true when somebody was watching.
    bool endWatched(pid_t pid)
    {
        alive.remove(pid);
        const Watch w = watches.take(pid);
        if (!w.watch)
            return false;
        w.onExit();
        return true;
    }

    QSet<pid_t> alive;
    QList<QPair<pid_t, int>> sent;
    mutable int treeLookups = 0;
    pid_t nextPid = kFirstPid;

private:
    struct Watch
    {
        QPointer<QObject> watch;
        std::function<void()> onExit;
    };
    ProcFs m_proc;
    QHash<pid_t, Watch> watches;
};

// One run, moved by the test: run(), exit(), die(), failToStart().
class FakeProcess final : public ManagedProcess
{
public:
    FakeProcess(FakeControl *control, QObject *parent)
        : ManagedProcess(parent)
        , m_control(control)
    {}

    void start(const ProcessLaunch &l) override
    {
        launch = l;
        m_pid = m_control->nextPid++;
        m_control->alive.insert(m_pid);
    }
    pid_t pid() const override { return m_pid; }
    bool isStarting() const override { return !m_running; }
    void kill() override { killed = true; }
    void detach() override { detached = true; }

    void run()
    {
        m_running = true;
        emit started(m_pid);
    }
    void exit(int code) { end({ProcessOutcome::Kind::Exited, code, {}}); }
    void die(int sig) { end({ProcessOutcome::Kind::Signaled, sig, {}}); }
    void failToStart()
    {
        end({ProcessOutcome::Kind::FailedToStart, 0, QStringLiteral("No such file or directory")});
    }

    ProcessLaunch launch;
    bool killed = false;
    bool detached = false;

private:
    void end(const ProcessOutcome &outcome)
    {
        m_control->alive.remove(m_pid);
        emit done(outcome);
    }

    FakeControl *m_control;
    pid_t m_pid = 0;
    bool m_running = false;
};

} // namespace

class TestSupervisorStates : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock;
    std::shared_ptr<FakeControl> m_control;
    QList<QPointer<FakeProcess>> m_procs;
    std::unique_ptr<ServiceSupervisor> m_sup;
    QList<QPair<S, S>> m_edges;
    QStringList m_events;

    QString procRoot() const { return m_dir->path() + QStringLiteral("/proc"); }

    ServiceSpec spec() const
    {
        ServiceSpec s;
        s.name = QStringLiteral("svc");
        s.command = {QStringLiteral("/nonexistent/never-run"), QStringLiteral("--flag")};
        s.cwd = m_dir->path();
        s.restartDelay = 1h; // a restart only where a test wants one
        s.backoffFactor = 1.0;
        s.maxRestarts = 3;
        s.stopTimeout = 5s;
        return s;
    }

    ServiceSupervisor &make(const ServiceSpec &spec)
    {
        SupervisorContext c;
        c.stateDir = m_dir->path();
        c.instanceId = QByteArrayLiteral("states");
        c.clock = &m_clock;
        c.pollInterval = 5ms;
        c.processControl = m_control;
        c.processFactory = [this](QObject *parent) {
            auto *p = new FakeProcess(m_control.get(), parent);
            m_procs.append(p);
            return p;
        };
        m_sup = std::make_unique<ServiceSupervisor>(spec, c);
        connect(m_sup.get(), &ServiceSupervisor::stateChanged, this, [this](S from, S to) {
            m_edges.append({from, to});
        });
        connect(m_sup.get(), &ServiceSupervisor::eventLogged, this,
                [this](const QString &text) { m_events.append(text); });
        return *m_sup;
    }

    FakeProcess *proc() const { return m_procs.isEmpty() ? nullptr : m_procs.last().data(); }
    QPair<S, S> lastEdge() const { return m_edges.isEmpty() ? QPair<S, S>{} : m_edges.last(); }

    // STOPPED -> STARTING -> RUNNING, checked.
    bool toRunning(ServiceSupervisor &s)
    {
        s.start();
        if (!proc())
            return false;
        proc()->run();
        return s.state() == S::Running;
    }

    // A leftover of the run (a worker) that outlives its main process.
    void addLeftover() { m_control->alive.insert(kLeftover); }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<ServiceState>();
        qRegisterMetaType<ExitStatus>();
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QVERIFY(QDir().mkpath(procRoot()));
        m_control = std::make_shared<FakeControl>(procRoot());
        // Every edge a test drives must be in the table.
        QTest::failOnWarning(QRegularExpression(QStringLiteral("not an allowed transition")));
    }

    void cleanup()
    {
        m_sup.reset();
        m_procs.clear();
        m_edges.clear();
        m_events.clear();
        m_control.reset();
        m_dir.reset();
    }

    void transition_stopped_to_starting()
    {
        ServiceSupervisor &s = make(spec());
        s.start();
        QCOMPARE(s.state(), S::Starting);
        QCOMPARE(m_edges, (QList<QPair<S, S>>{{S::Stopped, S::Starting}}));
        QVERIFY(proc());
        QCOMPARE(proc()->launch.program, QStringLiteral("/nonexistent/never-run"));
        QCOMPARE(proc()->launch.arguments, QStringList{QStringLiteral("--flag")});
        QCOMPARE(proc()->launch.environment.value(QString::fromLatin1(ServiceSupervisor::markerKey())),
                 QString::fromUtf8(s.markerValue()));
        // Its output goes to the log files (no logger given): real descriptors.
        QVERIFY(proc()->launch.stdoutFd >= 0);
        QVERIFY(proc()->launch.stderrFd >= 0);
        QCOMPARE(s.pid(), kFirstPid);
    }

    void transition_stopped_to_running_on_adopt()
    {
        ServiceSupervisor &s = make(spec());
        const pid_t pid = kFirstPid + 77;
        QVERIFY(makeProc(procRoot(), pid, ServiceSupervisor::markerKey() + '=' + s.markerValue() + '\0'));
        QDir().mkpath(QFileInfo(s.pidfilePath()).absolutePath());
        QString error;
        const PidFile pidfile{pid, 777, s.spec().commandHash(), s.markerValue(),
                              QDateTime::currentMSecsSinceEpoch()};
        QVERIFY(pidfile.write(s.pidfilePath(), &error));
        m_control->alive.insert(pid);
        QVERIFY(s.tryAdopt());
        QCOMPARE(s.state(), S::Running);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopped, S::Running}));
        QVERIFY(s.isAdopted());
        QCOMPARE(s.pid(), pid);
        QVERIFY(m_procs.isEmpty());
        // Its exit arrives through the watch; the code stays unknown.
        QVERIFY(m_control->endWatched(pid));
        QCOMPARE(s.state(), S::Backoff);
        QCOMPARE(s.lastExit().kind, ExitStatus::Kind::Unknown);
    }

    void transition_starting_to_running()
    {
        ServiceSupervisor &s = make(spec());
        QSignalSpy started(&s, &ServiceSupervisor::started);
        s.start();
        proc()->run();
        QCOMPARE(s.state(), S::Running);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Running}));
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.at(0).at(0).value<pid_t>(), kFirstPid);
        QCOMPARE(PidFile::read(s.pidfilePath()).value_or(PidFile{}).pid, kFirstPid);
    }

    void transition_starting_to_backoff_on_start_failure()
    {
        ServiceSupervisor &s = make(spec());
        s.start();
        proc()->failToStart();
        QCOMPARE(s.state(), S::Backoff);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Backoff}));
        QCOMPARE(s.lastError(),
                 QStringLiteral("cannot start /nonexistent/never-run: No such file or directory"));
        QCOMPARE(s.nextRestartInMs(), qint64(3'600'000));
        m_clock.advance(10min);
        QCOMPARE(s.nextRestartInMs(), qint64(3'000'000));
    }

    void transition_starting_to_fatal_after_startretries()
    {
        ServiceSpec sp = spec();
        sp.restartDelay = 1ms;
        sp.maxRestarts = 2;
        ServiceSupervisor &s = make(sp);
        s.start();
        for (int attempt = 1; attempt <= 2; ++attempt) {
            proc()->failToStart();
            QCOMPARE(s.state(), S::Backoff);
            QTRY_COMPARE(s.state(), S::Starting);
            QCOMPARE(m_procs.size(), attempt + 1);
        }
        proc()->failToStart();
        QCOMPARE(s.state(), S::Fatal);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Fatal}));
        QVERIFY2(s.lastError().contains(QStringLiteral("gave up after 2 attempts")),
                 qPrintable(s.lastError()));
        QCOMPARE(s.nextRestartInMs(), -1);
    }

    // A stop given up on (abandonStop), then start(): the old process is a
    // leftover to end first; when it ends by itself, the policy decides.
    void transition_starting_to_exited_when_abandoned_process_ends()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        FakeProcess *stuck = proc();
        s.stop();
        QVERIFY(s.abandonStop(QStringLiteral("stuck in D state")));
        s.start();
        QCOMPARE(s.state(), S::Starting);
        QCOMPARE(m_procs.size(), 1); // not launched next to the old one
        stuck->exit(0);
        QCOMPARE(s.state(), S::Exited);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Exited}));
    }

    void transition_starting_to_stopping()
    {
        ServiceSupervisor &s = make(spec());
        s.start();
        s.stop();
        QCOMPARE(s.state(), S::Stopping);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Stopping}));
        QVERIFY(proc()->killed); // not exec'd yet: nothing to be graceful with
        QVERIFY(m_control->sentTo(kFirstPid, SIGTERM));
        proc()->die(SIGKILL);
        QCOMPARE(s.state(), S::Stopped);
    }

    void transition_starting_to_stopped_when_shutting_down()
    {
        ServiceSupervisor &s = make(spec());
        addLeftover();
        s.start();
        QCOMPARE(s.state(), S::Starting);
        QVERIFY(m_control->sentTo(kLeftover, SIGTERM));
        s.beginShutdown();
        m_control->alive.remove(kLeftover);
        QTRY_COMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Starting, S::Stopped}));
        QVERIFY(m_procs.isEmpty());
    }

    void transition_running_to_backoff_on_crash()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        proc()->die(SIGSEGV);
        QCOMPARE(s.state(), S::Backoff);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Running, S::Backoff}));
        QCOMPARE(s.restartReason(), QStringLiteral("killed by SIGSEGV (11) — crashed"));
        QCOMPARE(s.restarts(), 1);
        QVERIFY(!QFile::exists(s.pidfilePath()));
    }

    void transition_running_to_fatal_in_crash_loop()
    {
        ServiceSpec sp = spec();
        sp.restartDelay = 1ms;
        sp.maxRestarts = 1;
        ServiceSupervisor &s = make(sp);
        QVERIFY(toRunning(s));
        proc()->exit(3);
        QCOMPARE(s.state(), S::Backoff);
        QTRY_COMPARE(s.state(), S::Starting);
        proc()->run();
        proc()->exit(3);
        QCOMPARE(s.state(), S::Fatal);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Running, S::Fatal}));
        QVERIFY2(s.lastError().contains(QStringLiteral("exit code 3")), qPrintable(s.lastError()));
    }

    void transition_running_to_exited_on_clean_exit()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        proc()->exit(0);
        QCOMPARE(s.state(), S::Exited);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Running, S::Exited}));
        QCOMPARE(s.nextRestartInMs(), -1);
    }

    void transition_running_to_stopping()
    {
        ServiceSpec sp = spec();
        sp.stopSignal = SIGINT;
        ServiceSupervisor &s = make(sp);
        QVERIFY(toRunning(s));
        s.stop();
        QCOMPARE(s.state(), S::Stopping);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Running, S::Stopping}));
        QVERIFY(m_control->sentTo(kFirstPid, SIGINT));
        QVERIFY(!proc()->killed);
    }

    void transition_backoff_to_starting_after_delay()
    {
        ServiceSpec sp = spec();
        sp.restartDelay = 30ms;
        ServiceSupervisor &s = make(sp);
        QVERIFY(toRunning(s));
        proc()->die(SIGABRT);
        QCOMPARE(s.state(), S::Backoff);
        QCOMPARE(s.nextRestartInMs(), qint64(30));
        QCOMPARE(m_procs.size(), 1);
        QTRY_COMPARE(s.state(), S::Starting);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Backoff, S::Starting}));
        QCOMPARE(m_procs.size(), 2);
    }

    void transition_backoff_to_stopping_while_leftovers_end()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        addLeftover();
        proc()->die(SIGSEGV);
        QCOMPARE(s.state(), S::Backoff);
        QVERIFY(m_control->sentTo(kLeftover, SIGTERM));
        s.stop();
        QCOMPARE(s.state(), S::Stopping);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Backoff, S::Stopping}));
        m_control->alive.remove(kLeftover);
        QTRY_COMPARE(s.state(), S::Stopped);
    }

    void transition_backoff_to_stopped()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        proc()->die(SIGSEGV);
        s.stop();
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Backoff, S::Stopped}));
        QCOMPARE(s.nextRestartInMs(), -1);
    }

    void transition_stopping_to_stopped_on_exit()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        QSignalSpy exited(&s, &ServiceSupervisor::exited);
        s.stop();
        proc()->exit(0);
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Stopped}));
        QCOMPARE(exited.size(), 1);
        QVERIFY(!QFile::exists(s.pidfilePath()));
        QCOMPARE(s.restarts(), 0);
    }

    // The stop waits for stop_timeout on the (manual) clock, then SIGKILLs
    // the tree on every poll until it is gone.
    void transition_stopping_kills_after_stop_timeout()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.stop();
        const int lookups = m_control->treeLookups;
        QTRY_VERIFY(m_control->treeLookups > lookups + 3); // polled a few times
        QVERIFY(!m_control->sentTo(kFirstPid, SIGKILL));
        m_clock.advance(4999ms);
        const int more = m_control->treeLookups;
        QTRY_VERIFY(m_control->treeLookups > more + 3);
        QVERIFY(!m_control->sentTo(kFirstPid, SIGKILL));
        m_clock.advance(1ms);
        QTRY_VERIFY(m_control->sentTo(kFirstPid, SIGKILL));
        QCOMPARE(s.state(), S::Stopping);
        proc()->die(SIGKILL);
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(s.lastExit().describe(), QStringLiteral("killed by Lifeline after stop_timeout (SIGKILL)"));
    }

    void transition_stopping_to_starting_on_restart()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.restart();
        QCOMPARE(s.state(), S::Stopping);
        proc()->exit(0);
        QCOMPARE(s.state(), S::Starting);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Starting}));
        QCOMPARE(m_procs.size(), 2);
        QCOMPARE(s.restarts(), 0); // a person's restart is not counted
    }

    void transition_stopping_to_backoff_on_restart_for_failure()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.restartForFailure(QStringLiteral("unhealthy: 503"));
        QCOMPARE(s.state(), S::Stopping);
        proc()->exit(0);
        QCOMPARE(s.state(), S::Backoff);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Backoff}));
        QCOMPARE(s.restartReason(), QStringLiteral("unhealthy: 503"));
        QCOMPARE(s.restarts(), 1);
    }

    void transition_stopping_to_fatal_on_restart_for_failure_in_crash_loop()
    {
        ServiceSpec sp = spec();
        sp.maxRestarts = 0;
        ServiceSupervisor &s = make(sp);
        QVERIFY(toRunning(s));
        s.restartForFailure(QStringLiteral("memory limit"));
        proc()->exit(0);
        QCOMPARE(s.state(), S::Fatal);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Fatal}));
        QVERIFY2(s.lastError().contains(QStringLiteral("memory limit")), qPrintable(s.lastError()));
    }

    void transition_stopping_to_fatal_on_abandon()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.stop();
        QVERIFY(s.abandonStop(QStringLiteral("stuck in D state")));
        QCOMPARE(s.state(), S::Fatal);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Fatal}));
        QCOMPARE(s.lastError(), QStringLiteral("stuck in D state"));
        // When it finally ends it stays fatal: a person's call.
        proc()->die(SIGKILL);
        QCOMPARE(s.state(), S::Fatal);
        QVERIFY(!s.abandonStop(QStringLiteral("again")));
    }

    void transition_stopping_to_stopped_not_restarted_when_shutting_down()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.restart();
        s.beginShutdown();
        proc()->exit(0);
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Stopping, S::Stopped}));
        QCOMPARE(m_procs.size(), 1);
    }

    void transition_exited_to_starting()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        proc()->exit(0);
        s.start();
        QCOMPARE(s.state(), S::Starting);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Exited, S::Starting}));
    }

    void transition_exited_to_stopping_while_leftovers_end()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        addLeftover();
        proc()->exit(0);
        QCOMPARE(s.state(), S::Exited);
        s.stop();
        QCOMPARE(s.state(), S::Stopping);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Exited, S::Stopping}));
        m_control->alive.remove(kLeftover);
        QTRY_COMPARE(s.state(), S::Stopped);
    }

    void transition_exited_to_stopped()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        proc()->exit(0);
        s.stop();
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Exited, S::Stopped}));
    }

    void transition_fatal_to_starting_on_start()
    {
        ServiceSpec sp = spec();
        sp.maxRestarts = 0;
        ServiceSupervisor &s = make(sp);
        s.start();
        proc()->failToStart();
        QCOMPARE(s.state(), S::Fatal);
        s.start();
        QCOMPARE(s.state(), S::Starting);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Fatal, S::Starting}));
    }

    void transition_fatal_to_starting_after_fatal_retry()
    {
        ServiceSpec sp = spec();
        sp.maxRestarts = 0;
        sp.fatalRetry = 20ms;
        ServiceSupervisor &s = make(sp);
        s.start();
        proc()->failToStart();
        QCOMPARE(s.state(), S::Fatal);
        QCOMPARE(s.nextRestartInMs(), qint64(20));
        QTRY_COMPARE(s.state(), S::Starting);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Fatal, S::Starting}));
        QVERIFY(m_events.contains(QStringLiteral("fatal_retry: trying again after 20ms")));
    }

    void transition_fatal_to_stopping_while_leftovers_end()
    {
        ServiceSpec sp = spec();
        sp.maxRestarts = 0;
        ServiceSupervisor &s = make(sp);
        QVERIFY(toRunning(s));
        addLeftover();
        proc()->die(SIGSEGV);
        QCOMPARE(s.state(), S::Fatal);
        s.stop();
        QCOMPARE(s.state(), S::Stopping);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Fatal, S::Stopping}));
        m_control->alive.remove(kLeftover);
        QTRY_COMPARE(s.state(), S::Stopped);
    }

    void transition_fatal_to_stopped()
    {
        ServiceSpec sp = spec();
        sp.maxRestarts = 0;
        ServiceSupervisor &s = make(sp);
        s.start();
        proc()->failToStart();
        s.stop();
        QCOMPARE(s.state(), S::Stopped);
        QCOMPARE(lastEdge(), (QPair<S, S>{S::Fatal, S::Stopped}));
    }

    // A process reporting it started twice asks for RUNNING -> RUNNING: not
    // an edge, so it is said (a warning and an event), not swallowed.
    void transition_from_wrong_state_is_a_soft_assert()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        const int edges = m_edges.size();
        QTest::ignoreMessage(QtWarningMsg,
                             "svc: internal error: state running -> running is not an allowed transition");
        proc()->run();
        QCOMPARE(s.state(), S::Running);
        QCOMPARE(m_edges.size(), edges);
        QVERIFY(m_events.contains(
            QStringLiteral("internal error: state running -> running is not an allowed transition")));
    }

    // Lifeline quits with on_exit = keep: the process is let go, not killed.
    void detach_lets_the_process_go()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        s.detach();
        QVERIFY(proc()->detached);
        m_sup.reset();
        QVERIFY(!m_control->sentTo(kFirstPid, SIGKILL));
    }

    // A supervisor destroyed with its service up ends the whole tree.
    void destruction_kills_the_tree()
    {
        ServiceSupervisor &s = make(spec());
        QVERIFY(toRunning(s));
        addLeftover();
        m_sup.reset();
        QVERIFY(m_control->sentTo(kFirstPid, SIGKILL));
        QVERIFY(m_control->sentTo(kLeftover, SIGKILL));
    }

    // ---- PidFile, on real files --------------------------------------------

    void pidfile_write_read()
    {
        const QString path = m_dir->path() + QStringLiteral("/a.pid");
        const PidFile written{4242, 987654321, "abc123", "inst/svc", 1'700'000'000'000};
        QString error;
        QVERIFY(written.write(path, &error));
        const std::optional<PidFile> read = PidFile::read(path);
        QVERIFY(read);
        QCOMPARE(read->pid, 4242);
        QCOMPARE(read->startTime, quint64(987654321));
        QCOMPARE(read->commandHash, QByteArray("abc123"));
        QCOMPARE(read->marker, QByteArray("inst/svc"));
        QCOMPARE(read->startedAtMs, qint64(1'700'000'000'000));
        QVERIFY(!PidFile::read(m_dir->path() + QStringLiteral("/missing.pid")));
        QVERIFY(!written.write(m_dir->path() + QStringLiteral("/no/such/dir/a.pid"), &error));
        QVERIFY(!error.isEmpty());
    }

    void pidfile_verify()
    {
        const ProcFs proc(procRoot());
        QVERIFY(makeProc(procRoot(), 4242, QByteArrayLiteral("PATH=/bin\0LIFELINE_SERVICE_ID=inst/svc\0")));
        const PidFile ours{4242, 777, "h", "inst/svc", 0};
        ProcInfo live;
        QCOMPARE(ours.verify(proc, "LIFELINE_SERVICE_ID", "inst/svc", &live), PidFile::Check::Ours);
        QCOMPARE(live.pid, 4242);
        QCOMPARE(live.pgid, 4242);
        // The pid was reused: another start time.
        PidFile reused = ours;
        reused.startTime = 778;
        QCOMPARE(reused.verify(proc, "LIFELINE_SERVICE_ID", "inst/svc"), PidFile::Check::Other);
        // Same process, but not carrying this service's marker.
        QCOMPARE(ours.verify(proc, "LIFELINE_SERVICE_ID", "inst/other"), PidFile::Check::Other);
    }

    void pidfile_stale_pid_is_gone()
    {
        const QString path = m_dir->path() + QStringLiteral("/stale.pid");
        QString error;
        QVERIFY((PidFile{kFirstPid + 99, 777, "h", "inst/svc", 0}.write(path, &error)));
        const std::optional<PidFile> read = PidFile::read(path);
        QVERIFY(read);
        QCOMPARE(read->verify(ProcFs(), "LIFELINE_SERVICE_ID", "inst/svc"), PidFile::Check::Gone);
    }

    // Our own process, through the real /proc: alive, but its start time
    // is not 1 and it carries no marker.
    void pidfile_verify_real_process_without_marker()
    {
        const std::optional<ProcInfo> self = ProcFs().process(pid_t(QCoreApplication::applicationPid()));
        QVERIFY(self);
        PidFile p{self->pid, self->startTime, "h", "inst/svc", 0};
        QCOMPARE(p.verify(ProcFs(), "LIFELINE_SERVICE_ID_NOT_SET", "inst/svc"), PidFile::Check::Other);
        p.startTime = 1;
        QCOMPARE(p.verify(ProcFs(), "LIFELINE_SERVICE_ID_NOT_SET", "inst/svc"), PidFile::Check::Other);
    }

    void pidfile_garbage_reads_as_gone()
    {
        const QString path = m_dir->path() + QStringLiteral("/garbage.pid");
        QVERIFY(writeFile(path, "\x01\x02 not json at all {{{"));
        const std::optional<PidFile> read = PidFile::read(path);
        QVERIFY(read);
        QCOMPARE(read->pid, 0);
        QCOMPARE(read->verify(ProcFs(), "LIFELINE_SERVICE_ID", "inst/svc"), PidFile::Check::Gone);
    }

    // A supervisor finding a stale pidfile removes it and stays stopped.
    void tryAdopt_ignores_a_stale_pidfile()
    {
        ServiceSupervisor &s = make(spec());
        QDir().mkpath(QFileInfo(s.pidfilePath()).absolutePath());
        QVERIFY(writeFile(s.pidfilePath(), "garbage"));
        QVERIFY(!s.tryAdopt());
        QCOMPARE(s.state(), S::Stopped);
        QVERIFY(!QFile::exists(s.pidfilePath()));
        QVERIFY(m_events.contains(
            QStringLiteral("stale pidfile %1 (pid 0 is gone) ignored").arg(s.pidfilePath())));
    }

    // ---- LoggerLauncher -----------------------------------------------------

    // No logger: the run appends to its files itself, and is told why its
    // logs will not rotate.
    void loggerLauncher_without_logger_appends_to_files()
    {
        const QString out = m_dir->path() + QStringLiteral("/out.log");
        const QString err = m_dir->path() + QStringLiteral("/err.log");
        QVERIFY(writeFile(out, "before\n"));
        LoggerLauncher::Outputs outputs;
        QString error;
        QVERIFY(LoggerLauncher(QString(), m_dir->path()).open(out, err, LogSpec{}, &outputs, &error));
        QVERIFY2(outputs.warning.contains(QStringLiteral("lifeline-logger not found")),
                 qPrintable(outputs.warning));
        QVERIFY(!outputs.status.isValid());
        QCOMPARE(outputs.targets,
                 (QStringList{QFileInfo(out).canonicalFilePath(), QFileInfo(err).canonicalFilePath()}));
        QFile f;
        QVERIFY(f.open(outputs.out.get(), QIODevice::WriteOnly, QFileDevice::DontCloseHandle));
        QVERIFY(f.write("after\n") == 6);
        f.close();
        QFile read(out);
        QVERIFY(read.open(QIODevice::ReadOnly));
        QCOMPARE(read.readAll(), QByteArray("before\nafter\n"));
    }

    // With the logger: pipes into it, and its status channel back.
    void loggerLauncher_with_logger_gives_pipes()
    {
        const QString out = m_dir->path() + QStringLiteral("/logs/out.log");
        const QString err = m_dir->path() + QStringLiteral("/logs/err.log");
        QVERIFY(QDir().mkpath(m_dir->path() + QStringLiteral("/logs")));
        {
            LoggerLauncher::Outputs outputs;
            QString error;
            QVERIFY2(LoggerLauncher(QStringLiteral(LIFELINE_LOGGER), m_dir->path())
                         .open(out, err, LogSpec{}, &outputs, &error),
                     qPrintable(error));
            QVERIFY2(outputs.warning.isEmpty(), qPrintable(outputs.warning));
            QVERIFY(outputs.status.isValid());
            QCOMPARE(outputs.targets.size(), 2);
            QVERIFY(outputs.targets.at(0).startsWith(QStringLiteral("pipe:[")));
            QVERIFY(outputs.targets.at(1).startsWith(QStringLiteral("pipe:[")));
            QVERIFY(outputs.targets.at(0) != outputs.targets.at(1));
            QFile f;
            QVERIFY(f.open(outputs.err.get(), QIODevice::WriteOnly, QFileDevice::DontCloseHandle));
            QVERIFY(f.write("to the logger\n") == 14);
        } // the last writers close: the logger writes what it has and ends
        QTRY_VERIFY([&] {
            QFile f(err);
            return f.open(QIODevice::ReadOnly) && f.readAll() == "to the logger\n";
        }());
    }
};

QTEST_GUILESS_MAIN(TestSupervisorStates)
#include "tst_supervisorstates.moc"
