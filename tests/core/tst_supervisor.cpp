// ServiceSupervisor with real child processes: the demo backend and small
// shell scripts. One test per state-machine edge, plus the tree rules.
#include "config/servicespec.h"
#include "platform/procfs.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <optional>

Q_DECLARE_METATYPE(lifeline::OomKillCounts)

#include <csignal>
#include <unistd.h>

using namespace lifeline;
using namespace std::chrono_literals;

namespace {

bool alive(pid_t pid)
{
    const auto p = ProcFs().process(pid);
    return p && !p->isZombie();
}

// Our lifeline-logger children that still run.
QList<pid_t> loggers()
{
    QList<pid_t> out;
    const QString logger = QFileInfo(QStringLiteral(LIFELINE_LOGGER)).canonicalFilePath();
    for (pid_t pid : ProcFs().taskChildren(::getpid()).value_or(QList<pid_t>())) {
        if (QFileInfo(QStringLiteral("/proc/%1/exe").arg(pid)).canonicalFilePath() == logger && alive(pid))
            out.append(pid);
    }
    return out;
}

// The one logger in `now` that is not in `before`; 0 when not exactly one.
pid_t newLogger(const QList<pid_t> &before, QList<pid_t> now)
{
    for (pid_t pid : before)
        now.removeAll(pid);
    return now.size() == 1 ? now.first() : 0;
}

} // namespace

class TestSupervisor : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_seq = 0;

    SupervisorContext context()
    {
        SupervisorContext c;
        c.stateDir = m_dir.path();
        c.instanceId = QByteArrayLiteral("test") + QByteArray::number(getpid());
        c.loggerPath = QStringLiteral(LIFELINE_LOGGER);
        return c;
    }

    ServiceSpec demo(const QStringList &extra = {}, quint16 port = 0)
    {
        ServiceSpec s;
        s.name = QStringLiteral("svc%1").arg(++m_seq);
        if (port == 0)
            port = freePort();
        s.command = QStringList{QStringLiteral(LIFELINE_DEMO_BACKEND), QStringLiteral("--port"),
                                QString::number(port), QStringLiteral("--name"), s.name} +
                    extra;
        s.restartDelay = 50ms;
        s.backoffFactor = 1.0;
        s.stopTimeout = 2s;
        s.cwd = m_dir.path();
        return s;
    }

    ServiceSpec shell(const QString &script)
    {
        ServiceSpec s;
        s.name = QStringLiteral("sh%1").arg(++m_seq);
        s.command = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), script};
        s.restartDelay = 50ms;
        s.backoffFactor = 1.0;
        s.stopTimeout = 2s;
        s.cwd = m_dir.path();
        return s;
    }

    static QList<ServiceState> states(const QSignalSpy &spy)
    {
        QList<ServiceState> out;
        for (const auto &args : spy)
            out.append(args.at(1).value<ServiceState>());
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ServiceState>();
        qRegisterMetaType<ExitStatus>();
        QVERIFY(becomeSubreaper());
    }

    // STOPPED -> STARTING -> RUNNING, then RUNNING -> STOPPING -> STOPPED
    void startAndStop()
    {
        ServiceSupervisor s(demo(), context());
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QVERIFY(s.pid() > 0);
        QVERIFY(alive(s.pid()));
        // Its own session and group.
        const auto info = ProcFs().process(s.pid());
        QVERIFY(info);
        QCOMPARE(info->sid, s.pid());
        QCOMPARE(info->pgid, s.pid());
        QVERIFY(QFile::exists(s.pidfilePath()));
        // Once it listens it has its SIGTERM handler (exits 0 on TERM).
        QTRY_VERIFY([&] {
            QFile f(s.logPath());
            return f.open(QIODevice::ReadOnly) && f.readAll().contains("listening on");
        }());
        const pid_t pid = s.pid();
        s.stop();
        QCOMPARE(s.state(), ServiceState::Stopping);
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
        QVERIFY(!alive(pid));
        QVERIFY(!QFile::exists(s.pidfilePath()));
        QCOMPARE(states(spy), (QList<ServiceState>{ServiceState::Starting, ServiceState::Running,
                                                   ServiceState::Stopping, ServiceState::Stopped}));
        QCOMPARE(s.lastExit().describe(), QStringLiteral("exited cleanly (0)")); // demo exits 0 on SIGTERM
    }

    // The child writes into the log files itself (through lifeline-logger), not into Lifeline.
    void logsGoToFiles()
    {
        ServiceSupervisor s(demo(), context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_VERIFY(QFile(s.logPath()).size() > 0);
        QFile f(s.logPath());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("listening on 127.0.0.1"));
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // A crash loop restarts the service, not its logger: the pipes stay, so
    // a restart is one fork. The logger goes once the service is stopped.
    void restartKeepsTheLogger()
    {
        const QList<pid_t> before = loggers();
        ServiceSpec spec = demo({QStringLiteral("--crash-after"), QStringLiteral("300ms"),
                                 QStringLiteral("--exit-code"), QStringLiteral("3")});
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        pid_t logger = 0;
        QTRY_VERIFY((logger = newLogger(before, loggers())) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(s.restarts() >= 2 && s.state() == ServiceState::Running, 20000);
        // Still that one logger, and it has the output of every run.
        QCOMPARE(newLogger(before, loggers()), logger);
        QTRY_VERIFY([&] {
            QFile f(s.logPath());
            return f.open(QIODevice::ReadOnly) && f.readAll().count("listening on") >= 3;
        }());
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
        QTRY_VERIFY(!alive(logger)); // our ends closed with the stop: EOF, it exits
    }

    // A kept logger that died (killed, crashed) is not handed to the next
    // run: that run gets a logger of its own, and its output is in the file.
    void deadLoggerIsReplaced()
    {
        ServiceSpec spec = demo({QStringLiteral("--crash-after"), QStringLiteral("300ms"),
                                 QStringLiteral("--exit-code"), QStringLiteral("3")});
        spec.restartDelay = 1s;
        const QList<pid_t> before = loggers();
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        pid_t first = 0;
        QTRY_VERIFY((first = newLogger(before, loggers())) > 0);
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        QCOMPARE(::kill(first, SIGKILL), 0);
        QTRY_VERIFY(!alive(first));
        QTRY_COMPARE_WITH_TIMEOUT(s.restarts(), 1, 10000);
        QTRY_COMPARE(s.state(), ServiceState::Running);
        pid_t second = 0;
        QTRY_VERIFY((second = newLogger(before, loggers())) > 0);
        QVERIFY(second != first);
        QTRY_VERIFY([&] {
            QFile f(s.logPath());
            return f.open(QIODevice::ReadOnly) && f.readAll().count("listening on") >= 2;
        }());
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // A change of log settings between runs gets a logger that follows them.
    void newLogSettingsNewLogger()
    {
        ServiceSpec spec = demo({QStringLiteral("--crash-after"), QStringLiteral("300ms"),
                                 QStringLiteral("--exit-code"), QStringLiteral("3")});
        spec.restartDelay = 2s;
        const QList<pid_t> before = loggers();
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        pid_t first = 0;
        QTRY_VERIFY((first = newLogger(before, loggers())) > 0);
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        spec.logs.backups = spec.logs.backups + 1;
        s.setSpec(spec);
        s.start(); // from backoff: now
        QTRY_COMPARE(s.state(), ServiceState::Running);
        // A new logger took over; the old one saw EOF and went.
        QTRY_VERIFY(!alive(first));
        pid_t second = 0;
        QTRY_VERIFY((second = newLogger(before, loggers())) > 0);
        QVERIFY(second != first);
        QTRY_VERIFY([&] {
            QFile f(s.logPath());
            return f.open(QIODevice::ReadOnly) && f.readAll().count("listening on") >= 2;
        }());
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // RUNNING -> BACKOFF -> STARTING -> RUNNING
    void crashRestartsWithBackoff()
    {
        ServiceSpec spec = demo({QStringLiteral("--crash-after"), QStringLiteral("200ms"),
                                 QStringLiteral("--exit-code"), QStringLiteral("3")});
        spec.restartDelay = 300ms;
        ServiceSupervisor s(spec, context());
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        const pid_t first = s.pid();
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        QVERIFY(s.nextRestartInMs() > 0);
        QVERIFY(s.nextRestartInMs() <= 300);
        QCOMPARE(s.lastExit().describe(), QStringLiteral("exit code 3"));
        QCOMPARE(s.restartReason(), QStringLiteral("exit code 3"));
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QVERIFY(s.pid() != first);
        QCOMPARE(s.restarts(), 1);
        QVERIFY(states(spy).mid(0, 5) ==
                (QList<ServiceState>{ServiceState::Starting, ServiceState::Running, ServiceState::Backoff,
                                     ServiceState::Starting, ServiceState::Running}));
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // RUNNING -> FATAL after max_restarts within restart_window, exit code kept
    void crashLoopGoesFatal()
    {
        ServiceSpec spec = shell(QStringLiteral("exit 7"));
        spec.restartDelay = 0ms;
        spec.maxRestarts = 3;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Fatal, 10000);
        QCOMPARE(s.restarts(), 3);
        QCOMPARE(s.lastExit().shellCode(), 7);
        QVERIFY2(s.lastError().contains(QStringLiteral("manual intervention required")),
                 qPrintable(s.lastError()));
        QVERIFY2(s.lastError().contains(QStringLiteral("exit code 7")), qPrintable(s.lastError()));
        QCOMPARE(s.nextRestartInMs(), -1); // no fatal_retry: waits for a person
        // FATAL -> STARTING: a person starts it again, history forgotten
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        s.start();
        QCOMPARE(states(spy).value(0), ServiceState::Starting);
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Fatal, 10000);
    }

    // FATAL -> STARTING by fatal_retry
    void fatalRetryTriesAgain()
    {
        ServiceSpec spec = shell(QStringLiteral("exit 1"));
        spec.restartDelay = 0ms;
        spec.maxRestarts = 1;
        spec.fatalRetry = 300ms;
        ServiceSupervisor s(spec, context());
        QSignalSpy starts(&s, &ServiceSupervisor::started);
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Fatal);
        QVERIFY(s.nextRestartInMs() >= 0);
        const int before = int(starts.size());
        QTRY_VERIFY(starts.size() > before);
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // RUNNING -> EXITED: a clean exit under on-failure stays down; never never restarts
    void cleanExitStaysDown_data()
    {
        QTest::addColumn<int>("policy");
        QTest::addColumn<QString>("script");
        QTest::newRow("on-failure, exit 0") << int(RestartPolicy::OnFailure) << QStringLiteral("exit 0");
        QTest::newRow("never, exit 1") << int(RestartPolicy::Never) << QStringLiteral("exit 1");
    }
    void cleanExitStaysDown()
    {
        QFETCH(int, policy);
        QFETCH(QString, script);
        ServiceSpec spec = shell(script);
        spec.restart = RestartPolicy(policy);
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Exited);
        QCOMPARE(s.restarts(), 0);
        QVERIFY(s.hasExited());
    }

    // RUNNING -> BACKOFF for always + clean exit
    void alwaysRestartsCleanExit()
    {
        ServiceSpec spec = shell(QStringLiteral("exit 0"));
        spec.restart = RestartPolicy::Always;
        spec.maxRestarts = 2;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Fatal);
        QCOMPARE(s.restarts(), 2);
    }

    // STARTING -> BACKOFF: the program does not exist
    void startFailureBacksOff()
    {
        ServiceSpec spec = shell(QString());
        spec.command = {QStringLiteral("/nonexistent/program")};
        spec.restartDelay = 10s;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        QVERIFY2(s.lastError().contains(QStringLiteral("/nonexistent/program")), qPrintable(s.lastError()));
        // BACKOFF -> STOPPED: a person's stop cancels the retry
        s.stop();
        QCOMPARE(s.state(), ServiceState::Stopped);
        QCOMPARE(s.nextRestartInMs(), -1);
    }

    // A stop that lands while the process is still being launched wins over
    // the launch, whatever the launch's outcome.
    void stopDuringLaunch()
    {
        ServiceSpec spec = shell(QStringLiteral("exit 1"));
        spec.restartDelay = 0ms;
        spec.maxRestarts = 1000;
        ServiceSupervisor s(spec, context());
        for (int i = 0; i < 20; ++i) {
            s.start();
            QCOMPARE(s.state(), ServiceState::Starting);
            s.stop();
            QTRY_COMPARE(s.state(), ServiceState::Stopped);
        }
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        QVERIFY(!spy.wait(200));
    }

    void missingWorkingDirectory()
    {
        ServiceSpec spec = demo();
        spec.cwd = m_dir.path() + QStringLiteral("/does-not-exist");
        spec.restartDelay = 10s;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        QVERIFY2(s.lastError().contains(QStringLiteral("does-not-exist")), qPrintable(s.lastError()));
        s.stop();
    }

    // A person's stop never triggers a restart, even with restart = always.
    void personStopDoesNotRestart()
    {
        ServiceSpec spec = demo();
        spec.restart = RestartPolicy::Always;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        QVERIFY(!spy.wait(500)); // a restart would show up well within this
        QCOMPARE(s.restarts(), 0);
    }

    // RUNNING -> STOPPING -> STARTING -> RUNNING
    void restartGivesNewPid()
    {
        ServiceSupervisor s(demo(), context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        const pid_t first = s.pid();
        QSignalSpy spy(&s, &ServiceSupervisor::stateChanged);
        s.restart();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QVERIFY(s.pid() != first);
        QVERIFY(!alive(first));
        QCOMPARE(states(spy), (QList<ServiceState>{ServiceState::Stopping, ServiceState::Starting,
                                                   ServiceState::Running}));
        QCOMPARE(s.restarts(), 0); // a person's restart is not a crash
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // A TERM-ignoring main process and a setsid() grandchild: nothing may remain.
    void stopEndsWholeTree()
    {
        ServiceSpec spec = demo({QStringLiteral("--ignore-term"), QStringLiteral("--spawn-grandchild")});
        spec.stopTimeout = 500ms;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_COMPARE(s.treePids().size(), 2); // main + escaped grandchild
        const QList<pid_t> tree = s.treePids();
        const pid_t grandchild = tree.at(0) == s.pid() ? tree.at(1) : tree.at(0);
        QVERIFY(ProcFs().process(grandchild)->sid != s.pid()); // it really escaped the session
        s.stop();
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Stopped, 5000);
        for (pid_t p : tree)
            QVERIFY2(!alive(p), qPrintable(QStringLiteral("pid %1 survived the stop").arg(p)));
        QCOMPARE(s.lastExit().describe(), QStringLiteral("killed by Lifeline after stop_timeout (SIGKILL)"));
    }

    // Who sent a SIGKILL, from what Lifeline did and the kernel's OOM counters.
    void sigkillCause_data()
    {
        QTest::addColumn<int>("sig");
        QTest::addColumn<bool>("ours");
        QTest::addColumn<OomKillCounts>("before");
        QTest::addColumn<OomKillCounts>("atExit");
        QTest::addColumn<QString>("text");
        const OomKillCounts none;
        const OomKillCounts sys5{5, std::nullopt}, sys6{6, std::nullopt};
        const OomKillCounts both{5, 2}, cgRose{5, 3};
        const QString oom = QStringLiteral("killed by SIGKILL (9) — out of memory (the kernel's OOM killer)");
        const QString plain = QStringLiteral("killed by SIGKILL (9)");
        const QString ours = QStringLiteral("killed by Lifeline after stop_timeout (SIGKILL)");
        QTest::newRow("kill -9 by a person") << SIGKILL << false << sys5 << sys5 << plain;
        QTest::newRow("vmstat oom_kill rose") << SIGKILL << false << sys5 << sys6 << oom;
        QTest::newRow("cgroup oom_kill rose") << SIGKILL << false << both << cgRose << oom;
        QTest::newRow("ours after stop_timeout") << SIGKILL << true << sys5 << sys5 << ours;
        QTest::newRow("ours, though oom_kill rose") << SIGKILL << true << sys5 << sys6 << ours;
        QTest::newRow("counters unreadable") << SIGKILL << false << none << none << plain;
        QTest::newRow("readable only at exit") << SIGKILL << false << none << sys6 << plain;
        QTest::newRow("SIGSEGV is a crash")
            << SIGSEGV << false << sys5 << sys6 << QStringLiteral("killed by SIGSEGV (11) — crashed");
    }
    void sigkillCause()
    {
        QFETCH(int, sig);
        QFETCH(bool, ours);
        QFETCH(OomKillCounts, before);
        QFETCH(OomKillCounts, atExit);
        QFETCH(QString, text);
        const ExitStatus st = ExitStatus::signaled(sig, ours, before, atExit);
        QCOMPARE(st.describe(), text);
        QCOMPARE(st.shellCode(), 128 + sig);
    }

    // A person's kill -9 is not called out of memory, nor Lifeline's doing;
    // the next stop's SIGKILL after stop_timeout is Lifeline's.
    void sigkillByPersonAndByLifeline()
    {
        ServiceSpec spec = demo({QStringLiteral("--ignore-term")});
        spec.restart = RestartPolicy::Always;
        spec.stopTimeout = 300ms;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        const OomKillCounts before = ProcFs().oomKillCounts();
        QVERIFY(::kill(s.pid(), SIGKILL) == 0);
        QTRY_VERIFY(s.hasExited());
        if (before.roseBy(ProcFs().oomKillCounts()))
            QSKIP("the kernel's OOM killer ended a process meanwhile; the verdict would be right to say so");
        QCOMPARE(s.lastExit().describe(), QStringLiteral("killed by SIGKILL (9)"));
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Running, 5000); // restarted
        // Running comes with the exec; a TERM sent before the backend set up
        // its handlers would end it, and there would be no SIGKILL to judge.
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(spec.command.at(2).toUShort()), 10000);
        s.stop();
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Stopped, 5000);
        QCOMPARE(s.lastExit().describe(), QStringLiteral("killed by Lifeline after stop_timeout (SIGKILL)"));
        QCOMPARE(s.lastExit().shellCode(), 137);
    }

    // The main process alone is SIGKILLed: the grandchild still holds the port;
    // it is ended before the restart, and the new instance gets the port.
    void leftoversEndedBeforeRestart()
    {
        const quint16 port = freePort();
        ServiceSpec spec = demo({QStringLiteral("--spawn-grandchild")}, port);
        spec.ports = {port};
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_COMPARE(s.treePids().size(), 2);
        const pid_t first = s.pid();
        const QList<pid_t> tree = s.treePids();
        ::kill(first, SIGKILL);
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        QTRY_VERIFY_WITH_TIMEOUT(s.state() == ServiceState::Running && s.pid() != first, 10000);
        for (pid_t p : tree)
            QVERIFY(!alive(p));
        // The new instance is the one answering on the port.
        QTRY_VERIFY([&] {
            const auto holder = ProcFs().portHolder(port);
            return holder && holder->pid != 0 && s.treePids().contains(holder->pid);
        }());
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    // A port held by a process that is not the service's: refused, holder named.
    void heldPortRefused()
    {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        ServiceSpec spec = demo({}, squatter.serverPort());
        spec.ports = {squatter.serverPort()};
        spec.restartDelay = 10s;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Backoff);
        const QString err = s.lastError();
        QVERIFY2(err.contains(QStringLiteral("port %1 is already in use").arg(squatter.serverPort())),
                 qPrintable(err));
        QVERIFY2(err.contains(QString::number(getpid())), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("tst_supervisor")), qPrintable(err));
        s.stop();
    }

    // Lifeline lets go (dies or quits with on_exit = keep); the next one adopts.
    void adoptAfterDetach()
    {
        const ServiceSpec spec = demo();
        pid_t pid = 0;
        {
            ServiceSupervisor first(spec, context());
            first.start();
            QTRY_COMPARE(first.state(), ServiceState::Running);
            pid = first.pid();
            first.detach();
        } // destroyed: the service must survive
        QVERIFY(alive(pid));

        ServiceSupervisor second(spec, context());
        QVERIFY(second.tryAdopt());
        QCOMPARE(second.state(), ServiceState::Running);
        QVERIFY(second.isAdopted());
        QCOMPARE(second.pid(), pid);
        // Its death is noticed at once (pidfd), exit code unknown, and it is restarted.
        QSignalSpy exits(&second, &ServiceSupervisor::exited);
        ::kill(pid, SIGKILL);
        QVERIFY(exits.wait(2000));
        QCOMPARE(exits.at(0).at(0).value<ExitStatus>().describe(),
                 QStringLiteral("exit code unknown (adopted)"));
        QTRY_VERIFY(second.state() == ServiceState::Running && second.pid() != pid);
        QVERIFY(!second.isAdopted());
        second.stop();
        QTRY_COMPARE(second.state(), ServiceState::Stopped);
    }

    void adoptedServiceCanBeStopped()
    {
        const ServiceSpec spec = demo({QStringLiteral("--spawn-grandchild")});
        QList<pid_t> tree;
        {
            ServiceSupervisor first(spec, context());
            first.start();
            QTRY_COMPARE(first.state(), ServiceState::Running);
            QTRY_COMPARE(first.treePids().size(), 2);
            tree = first.treePids();
            first.detach();
        }
        ServiceSupervisor second(spec, context());
        QVERIFY(second.tryAdopt());
        QCOMPARE(second.treePids().size(), 2);
        second.stop();
        QTRY_COMPARE(second.state(), ServiceState::Stopped);
        for (pid_t p : tree)
            QVERIFY(!alive(p));
    }

    // A pidfile whose pid now belongs to another program is stale: ignored and removed.
    void stalePidfileIgnored()
    {
        const ServiceSpec spec = demo();
        ServiceSupervisor s(spec, context());
        QDir().mkpath(m_dir.path() + QStringLiteral("/run"));
        QProcess other; // a live process of ours that is not the service
        other.start(QStringLiteral("sleep"), {QStringLiteral("30")});
        QVERIFY(other.waitForStarted());
        const auto info = ProcFs().process(pid_t(other.processId()));
        QVERIFY(info);
        QJsonObject o;
        o[QStringLiteral("pid")] = qint64(other.processId());
        o[QStringLiteral("start_time")] = QString::number(info->startTime);
        o[QStringLiteral("command_hash")] = QString::fromLatin1(spec.commandHash());
        QFile f(s.pidfilePath());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(o).toJson());
        f.close();
        QSignalSpy events(&s, &ServiceSupervisor::eventLogged);
        QVERIFY(!s.tryAdopt()); // same pid and start time, but no marker: not ours
        QVERIFY(!QFile::exists(s.pidfilePath()));
        QVERIFY(events.size() >= 1);
        QVERIFY(events.at(0).at(0).toString().contains(QStringLiteral("stale pidfile")));
        QVERIFY(alive(pid_t(other.processId()))); // and never signalled
        other.kill();
        other.waitForFinished();

        // A pidfile of a pid that is gone.
        QVERIFY(f.open(QIODevice::WriteOnly));
        o[QStringLiteral("pid")] = 999999;
        f.write(QJsonDocument(o).toJson());
        f.close();
        QVERIFY(!s.tryAdopt());
        QVERIFY(!QFile::exists(s.pidfilePath()));
    }

    // A health/memory restart goes through the policy: counted, with its reason.
    void restartForFailureIsCounted()
    {
        ServiceSpec spec = demo();
        spec.maxRestarts = 1;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        const pid_t first = s.pid();
        s.restartForFailure(QStringLiteral("unhealthy: HTTP 503"));
        QTRY_VERIFY(s.state() == ServiceState::Running && s.pid() != first);
        QCOMPARE(s.restarts(), 1);
        QCOMPARE(s.restartReason(), QStringLiteral("unhealthy: HTTP 503"));
        s.restartForFailure(QStringLiteral("unhealthy: HTTP 503"));
        QTRY_COMPARE(s.state(), ServiceState::Fatal);
        QVERIFY(s.lastError().contains(QStringLiteral("unhealthy: HTTP 503")));
    }

    // A flooding child: the files stay bounded and Lifeline's loop stays free.
    void floodedLogsStayBounded()
    {
        ServiceSpec spec = demo({QStringLiteral("--flood"), QStringLiteral("50000")});
        spec.logs.maxSize = 200 * 1000;
        spec.logs.backups = 2;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(s.logPath() + QStringLiteral(".2")), 10000);
        // The event loop is not involved in the flood: a timer fires on time.
        QElapsedTimer t;
        t.start();
        QTimer probe;
        probe.setSingleShot(true);
        QSignalSpy fired(&probe, &QTimer::timeout);
        probe.start(20);
        QVERIFY(fired.wait(1000));
        QVERIFY2(t.elapsed() < 500, qPrintable(QString::number(t.elapsed())));
        qint64 total = 0;
        for (const QString &suffix :
             {QString(), QStringLiteral(".1"), QStringLiteral(".2"), QStringLiteral(".3")})
            total += QFileInfo(s.logPath() + suffix).size();
        QVERIFY(!QFile::exists(s.logPath() + QStringLiteral(".3")));
        QVERIFY2(total <= spec.logs.maxSize * (spec.logs.backups + 1), qPrintable(QString::number(total)));
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
    }

    void markerIsInheritedAndChecked()
    {
        ServiceSpec spec = shell(QStringLiteral("sleep 30 & sleep 30 & wait"));
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_COMPARE(s.treePids().size(), 3);
        for (pid_t p : s.treePids())
            QVERIFY(ProcFs().hasEnv(p, ServiceSupervisor::markerKey(), s.markerValue()));
        s.stop();
        QTRY_COMPARE(s.state(), ServiceState::Stopped);
        QCOMPARE(s.treePids().size(), 0);
    }

    // lastReason(): why a run ended. A stop Lifeline made is told by its
    // cause, even when the service answered it with a clean exit; an exit
    // nobody asked for is told as a crash or a signal.
    void lastReasonIsTheCauseOfTheEnd()
    {
        ServiceSupervisor crash(shell(QStringLiteral("exit 3")), context());
        QVERIFY(crash.lastReason().isEmpty());
        crash.start();
        QTRY_VERIFY(crash.hasExited());
        QCOMPARE(crash.lastReason(), QStringLiteral("crashed: exit code 3"));
        crash.stop();

        ServiceSpec cleanSpec = shell(QStringLiteral("exit 0"));
        cleanSpec.restart = RestartPolicy::OnFailure;
        ServiceSupervisor clean(cleanSpec, context());
        clean.start();
        QTRY_COMPARE(clean.state(), ServiceState::Exited);
        QCOMPARE(clean.lastReason(), QStringLiteral("exited cleanly (0)"));

        // A check's restart: the demo exits 0 on the TERM, the cause is the check's.
        ServiceSpec limited = demo();
        limited.restartDelay = 1min;
        ServiceSupervisor s(limited, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(limited.command.at(2).toUShort()), 10000);
        s.restartForFailure(QStringLiteral("memory 152 MB > limit 150 MB"));
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Backoff, 5000);
        QCOMPARE(s.lastExit().describe(), QStringLiteral("exited cleanly (0)"));
        QCOMPARE(s.lastReason(), QStringLiteral("memory 152 MB > limit 150 MB"));
        QCOMPARE(s.restartReason(), QStringLiteral("memory 152 MB > limit 150 MB"));
        // A start forgets the crash history, not why the last run ended.
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QCOMPARE(s.lastReason(), QStringLiteral("memory 152 MB > limit 150 MB"));
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(limited.command.at(2).toUShort()), 10000);
        s.stop(QStringLiteral("stopped by emergency recovery"));
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Stopped, 5000);
        QCOMPARE(s.lastReason(), QStringLiteral("stopped by emergency recovery"));
    }

    // The cause stays the person's when the stop needed a SIGKILL.
    void lastReasonOfAStopThatNeededSigkill()
    {
        ServiceSpec spec = demo({QStringLiteral("--ignore-term")});
        spec.stopTimeout = 300ms;
        ServiceSupervisor s(spec, context());
        s.start();
        QTRY_COMPARE(s.state(), ServiceState::Running);
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(spec.command.at(2).toUShort()), 10000);
        s.stop();
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), ServiceState::Stopped, 5000);
        QCOMPARE(s.lastReason(), QStringLiteral("stopped by you (killed after stop_timeout)"));
    }

    void cleanupTestCase()
    {
        // Every service of every test was stopped: none of our marked processes remain.
        const QByteArray prefix = context().instanceId + '/';
        for (const ProcInfo &p : ProcFs().allProcesses()) {
            if (p.isZombie() || p.uid != getuid())
                continue;
            for (int i = 1; i <= m_seq; ++i) {
                for (const char *kind : {"svc", "sh"}) {
                    const QByteArray marker = prefix + kind + QByteArray::number(i);
                    QVERIFY2(!ProcFs().hasEnv(p.pid, ServiceSupervisor::markerKey(), marker),
                             qPrintable(QStringLiteral("pid %1 of %2 is still running")
                                            .arg(p.pid)
                                            .arg(QString::fromLatin1(marker))));
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestSupervisor)
#include "tst_supervisor.moc"
