// Signals at the worst moment, sent to a real `lifeline --headless` that
// supervises real demo backends: a closed terminal (SIGHUP), Ctrl+\ (SIGQUIT),
// a reader that went away (SIGPIPE), and an edit of the configuration that
// lands while a SIGTERM is stopping everything (issue 10, items 10 and 11).
#include "control/controlclient.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// Alive and not a zombie waiting for its parent.
bool isAlive(pid_t pid)
{
    if (pid <= 0 || ::kill(pid, 0) != 0)
        return false;
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype paren = text.lastIndexOf(')');
    return paren < 0 || text.mid(paren + 2, 1) != "Z";
}

} // namespace

class TestHostileSignals : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_lifeline;
    QByteArray m_stderr;
    QList<pid_t> m_servicePids; // ended by the test, by pid, if a failure left them running

    QString stateDir() const { return m_dir->filePath(u"state"_s); }
    QString configPath() const { return m_dir->filePath(u"lifeline.toml"_s); }
    QString socketPath() const { return m_dir->filePath(u"ctl.sock"_s); }
    QString pidfile(const QString &name) const { return stateDir() + u"/run/"_s + name + u".pid"_s; }

    static QByteArray demoService(const QString &name, const QByteArray &extra = {})
    {
        return "\n[[service]]\nname = \"" + name.toUtf8() +
               "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
               QByteArray::number(freePort()) + "\", \"--name\", \"" + name.toUtf8() + "\"" + extra +
               "]\nstop_timeout = \"3s\"\n";
    }

    void writeConfig(const QByteArray &toml)
    {
        QFile f(configPath());
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(toml), toml.size());
    }

    QByteArray settings(const char *onExit) const
    {
        return "[settings]\nstate_dir = \"" + stateDir().toUtf8() + "\"\non_exit = \"" + onExit + "\"\n";
    }

    // Starts Lifeline and waits until every named demo backend is running and
    // has installed its signal handlers (it logs "listening" after that): a
    // TERM sent earlier would end even one started with --ignore-term.
    void startLifeline(const QStringList &services)
    {
        m_lifeline = std::make_unique<QProcess>();
        connect(m_lifeline.get(), &QProcess::readyReadStandardError, this,
                [this] { m_stderr += m_lifeline->readAllStandardError(); });
        m_lifeline->start(QStringLiteral(LIFELINE_BIN),
                          {u"--headless"_s, u"--config"_s, configPath(), u"--socket"_s, socketPath()});
        QVERIFY(m_lifeline->waitForStarted(10000));
        for (const QString &name : services) {
            QTRY_VERIFY_WITH_TIMEOUT(pidOf(name) > 0, 20000);
            QTRY_VERIFY_WITH_TIMEOUT(logOf(name).contains(" listening on "), 20000);
            m_servicePids << pidOf(name);
        }
        QVERIFY(QFileInfo::exists(socketPath()));
    }

    pid_t pidOf(const QString &name) const
    {
        QFile f(pidfile(name));
        if (!f.open(QIODevice::ReadOnly))
            return 0;
        return pid_t(QJsonDocument::fromJson(f.readAll()).object().value(u"pid"_s).toInteger());
    }

    QByteArray logOf(const QString &name) const
    {
        QFile f(stateDir() + u"/logs/"_s + name + u".log"_s);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    bool stderrContains(const QByteArray &text)
    {
        m_stderr += m_lifeline->readAllStandardError();
        return m_stderr.contains(text);
    }

    // Lifeline ended the way a clean shutdown ends: exit 0, not killed by a signal.
    void verifyCleanExit(int timeoutMs)
    {
        QVERIFY2(m_lifeline->waitForFinished(timeoutMs), m_stderr.constData());
        m_stderr += m_lifeline->readAllStandardError();
        QVERIFY2(m_lifeline->exitStatus() == QProcess::NormalExit, m_stderr.constData());
        QCOMPARE(m_lifeline->exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(socketPath()), "the control socket file was left behind");
    }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_stderr.clear();
    }

    void cleanup()
    {
        if (m_lifeline && m_lifeline->state() != QProcess::NotRunning) {
            m_lifeline->kill();
            m_lifeline->waitForFinished(10000);
        }
        m_lifeline.reset();
        for (pid_t pid : std::as_const(m_servicePids)) {
            if (isAlive(pid))
                ::kill(pid, SIGKILL);
        }
        m_servicePids.clear();
        m_dir.reset();
    }

    void closedTerminalStopsServices_data()
    {
        QTest::addColumn<int>("sig");
        QTest::newRow("SIGHUP") << int(SIGHUP);
        QTest::newRow("SIGQUIT") << int(SIGQUIT);
    }

    // A closed terminal (SIGHUP) or Ctrl+\ (SIGQUIT) with on_exit = "stop":
    // every service stopped, pidfiles and the socket file gone, exit 0.
    void closedTerminalStopsServices()
    {
        QFETCH(int, sig);
        writeConfig(settings("stop") + demoService(u"api"_s) + demoService(u"worker"_s));
        startLifeline({u"api"_s, u"worker"_s});
        const pid_t api = pidOf(u"api"_s);
        const pid_t worker = pidOf(u"worker"_s);

        QCOMPARE(::kill(pid_t(m_lifeline->processId()), sig), 0);
        verifyCleanExit(30000);
        QTRY_VERIFY_WITH_TIMEOUT(!isAlive(api), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!isAlive(worker), 10000);
        QVERIFY(!QFileInfo::exists(pidfile(u"api"_s)));
        QVERIFY(!QFileInfo::exists(pidfile(u"worker"_s)));
        QVERIFY2(m_stderr.contains("received; stopping 2 services"), m_stderr.constData());
    }

    // on_exit = "keep": the services outlive Lifeline (a later one adopts
    // them through their pidfiles), but Lifeline still exits cleanly.
    void closedTerminalKeepsServicesWhenAsked()
    {
        writeConfig(settings("keep") + demoService(u"api"_s));
        startLifeline({u"api"_s});
        const pid_t api = pidOf(u"api"_s);

        QCOMPARE(::kill(pid_t(m_lifeline->processId()), SIGHUP), 0);
        verifyCleanExit(30000);
        QVERIFY(isAlive(api));
        QCOMPARE(pidOf(u"api"_s), api); // kept for the next Lifeline to adopt
        QVERIFY2(m_stderr.contains("SIGHUP received; leaving 1 services running"), m_stderr.constData());
    }

    // A reader that went away must never kill the supervisor.
    void brokenPipeIsHarmless()
    {
        writeConfig(settings("stop") + demoService(u"api"_s));
        startLifeline({u"api"_s});
        QCOMPARE(::kill(pid_t(m_lifeline->processId()), SIGPIPE), 0);
        // Still answering on its socket after the signal was delivered.
        QTRY_VERIFY_WITH_TIMEOUT(
            ControlClient(socketPath(), 2000).request({{u"cmd"_s, u"ping"_s}}).has_value(), 10000);
        QCOMPARE(m_lifeline->state(), QProcess::Running);
        m_lifeline->terminate();
        verifyCleanExit(30000);
    }

    // A service appended to the file 0.5 s after SIGTERM, while a service
    // that ignores TERM holds the shutdown inside its stop_timeout: the
    // reload must not start it, and Lifeline must still exit.
    void reloadAfterSigtermDoesNotCancelShutdown()
    {
        const QString marker = m_dir->filePath(u"late-started"_s);
        const QByteArray base = settings("stop") + demoService(u"stubborn"_s, ", \"--ignore-term\"");
        writeConfig(base);
        startLifeline({u"stubborn"_s});
        const pid_t stubborn = pidOf(u"stubborn"_s);

        m_lifeline->terminate();
        QTRY_VERIFY_WITH_TIMEOUT(stderrContains("SIGTERM received; stopping 1 services"), 10000);
        QTest::qWait(500); // the repro's timing: the edit comes 0.5 s into the 3 s stop_timeout
        writeConfig(base + "\n[[service]]\nname = \"late\"\ncommand = [\"/bin/sh\", \"-c\", \"touch '" +
                    marker.toUtf8() + "'; exec sleep 600\"]\n");

        verifyCleanExit(30000);
        QVERIFY2(!QFileInfo::exists(marker), "the reload started a service during the shutdown");
        QVERIFY(!isAlive(stubborn));
        QVERIFY(!m_stderr.contains("configuration reloaded"));
    }

    // An edit still inside the 300 ms debounce when SIGTERM arrives: the
    // pending reload is dropped, Lifeline exits, nothing is left running.
    void editWithinDebounceBeforeSigterm()
    {
        const QString pidOut = m_dir->filePath(u"late.pid"_s);
        const QByteArray base = settings("stop") + demoService(u"stubborn"_s, ", \"--ignore-term\"");
        writeConfig(base);
        startLifeline({u"stubborn"_s});

        writeConfig(base + "\n[[service]]\nname = \"late\"\ncommand = [\"/bin/sh\", \"-c\", \"echo $$ > '" +
                    pidOut.toUtf8() + "'; exec sleep 600\"]\n");
        m_lifeline->terminate();

        verifyCleanExit(30000);
        // Had the reload won the race, its service was stopped with the rest.
        QFile late(pidOut);
        if (late.open(QIODevice::ReadOnly))
            QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid_t(late.readAll().trimmed().toInt())), 10000);
    }

    // Once the shutdown has begun, a person's start is refused, with the reason.
    void startRefusedWhileShuttingDown()
    {
        writeConfig(settings("stop") + demoService(u"stubborn"_s, ", \"--ignore-term\"") +
                    "\n[[service]]\nname = \"idle\"\nautostart = false\n"
                    "command = [\"/bin/sh\", \"-c\", \"exec sleep 600\"]\n");
        startLifeline({u"stubborn"_s});

        m_lifeline->terminate();
        QTRY_VERIFY_WITH_TIMEOUT(stderrContains("SIGTERM received; stopping 2 services"), 10000);
        ControlClient client(socketPath(), 5000);
        const auto reply = client.request({{u"cmd"_s, u"start"_s}, {u"name"_s, u"idle"_s}});
        QVERIFY2(reply.has_value(), qPrintable(client.errorString()));
        QCOMPARE(reply->value(u"ok"_s).toBool(), false);
        QVERIFY2(reply->value(u"error"_s).toString().contains(u"shutting down"_s),
                 QJsonDocument(*reply).toJson().constData());
        const auto all = client.request({{u"cmd"_s, u"restart"_s}, {u"name"_s, u"all"_s}});
        QVERIFY2(all.has_value(), qPrintable(client.errorString()));
        QCOMPARE(all->value(u"ok"_s).toBool(), false);
        QVERIFY2(all->value(u"error"_s).toString().contains(u"shutting down"_s),
                 QJsonDocument(*all).toJson().constData());
        verifyCleanExit(30000);
        QVERIFY(pidOf(u"idle"_s) == 0);
    }
};

QTEST_GUILESS_MAIN(TestHostileSignals)
#include "tst_hostile_signals.moc"
