// The real desktop binary (`lifeline`, offscreen, no dialogs) told to quit by
// signals at awkward moments: after `lifelinectl stop all` left nothing
// running, and again while a first quit still waits for a slow stop. The
// promise: the process always ends in bounded time, and the event log never
// claims a dead pid was left running.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;

class TestHostileQuit : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_runs = 0;
    QString m_base; // the current run's files: BASE.toml, BASE.sock, BASE/state

    QString writeConfig(const QByteArray &services)
    {
        m_base = m_dir.filePath(u"run%1"_s.arg(++m_runs));
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_base.toUtf8() +
                                "/state\"\non_exit = \"ask\"\nsample_interval = \"250ms\"\n" + services;
        QFile f(m_base + u".toml"_s);
        if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
            return {};
        return f.fileName();
    }

    std::unique_ptr<QProcess> startLifeline(const QString &config)
    {
        auto p = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        env.insert(u"LIFELINE_NO_DIALOGS"_s, u"1"_s);
        env.insert(u"XDG_CONFIG_HOME"_s, m_dir.filePath(u"xdg-config"_s)); // the window's settings
        p->setProcessEnvironment(env);
        p->start(QStringLiteral(LIFELINE_BIN), {u"--config"_s, config, u"--socket"_s, m_base + u".sock"_s});
        return p;
    }

    // `lifelinectl status --json`: name -> service object; empty while the
    // app is not answering yet.
    QHash<QString, QJsonObject> status()
    {
        QProcess ctl;
        ctl.start(QStringLiteral(LIFELINE_CTL),
                  {u"--socket"_s, m_base + u".sock"_s, u"status"_s, u"--json"_s});
        if (!ctl.waitForFinished(10000) || ctl.exitCode() != 0)
            return {};
        QHash<QString, QJsonObject> out;
        const QJsonArray services =
            QJsonDocument::fromJson(ctl.readAllStandardOutput())[u"services"_s].toArray();
        for (const QJsonValue &v : services)
            out.insert(v[u"name"_s].toString(), v.toObject());
        return out;
    }

    bool allIn(const QString &state, int count)
    {
        const auto services = status();
        if (services.size() != count)
            return false;
        return std::all_of(services.cbegin(), services.cend(),
                           [&](const QJsonObject &s) { return s[u"state"_s].toString() == state; });
    }

    int ctl(const QStringList &args)
    {
        QProcess c;
        c.start(QStringLiteral(LIFELINE_CTL), QStringList{u"--socket"_s, m_base + u".sock"_s} + args);
        return c.waitForFinished(20000) ? c.exitCode() : -1;
    }

    QByteArray eventLog() const
    {
        QFile f(m_base + u"/state/lifeline.log"_s);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    static bool alive(qint64 pid) { return pid > 0 && ::kill(pid_t(pid), 0) == 0; }

    static QByteArray sleeper(const char *name)
    {
        return "[[service]]\nname = \"" + QByteArray(name) + "\"\ncommand = [\"sleep\", \"60\"]\n";
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void sigtermAfterStopAllEndsTheApp()
    {
        const QString config = writeConfig(sleeper("a") + sleeper("b"));
        QVERIFY(!config.isEmpty());
        auto app = startLifeline(config);
        QSignalSpy finished(app.get(), &QProcess::finished);
        QTRY_VERIFY_WITH_TIMEOUT(allIn(u"running"_s, 2), 20000);
        const qint64 pidA = status().value(u"a"_s)[u"pid"_s].toInteger();
        QCOMPARE(ctl({u"stop"_s, u"all"_s}), 0);
        QTRY_VERIFY_WITH_TIMEOUT(allIn(u"stopped"_s, 2), 20000);
        QVERIFY(!alive(pidA));

        ::kill(pid_t(app->processId()), SIGTERM);
        QVERIFY(finished.wait(20000));
        QCOMPARE(app->exitStatus(), QProcess::NormalExit);
        QCOMPARE(app->exitCode(), 0);
        QVERIFY2(!eventLog().contains("left running"), eventLog().constData());
        QVERIFY(!QFile::exists(m_base + u".sock"_s));
    }

    void aSecondSigtermWhileTheFirstWaitsStillEnds()
    {
        // Ignores SIGTERM: the stop waits out stop_timeout, then SIGKILL.
        const QString config =
            writeConfig("[[service]]\nname = \"stubborn\"\n"
                        "command = [\"/bin/sh\", \"-c\", \"trap '' TERM; while :; do sleep 0.2; done\"]\n"
                        "stop_timeout = \"2s\"\n");
        QVERIFY(!config.isEmpty());
        auto app = startLifeline(config);
        QSignalSpy finished(app.get(), &QProcess::finished);
        QTRY_VERIFY_WITH_TIMEOUT(allIn(u"running"_s, 1), 20000);
        const qint64 pid = status().value(u"stubborn"_s)[u"pid"_s].toInteger();
        QVERIFY(alive(pid));

        ::kill(pid_t(app->processId()), SIGTERM);
        QTRY_VERIFY_WITH_TIMEOUT(eventLog().contains("stopping"), 10000);
        ::kill(pid_t(app->processId()), SIGTERM);
        QVERIFY(finished.wait(30000));
        const QByteArray err = app->readAllStandardError();
        QCOMPARE(app->exitStatus(), QProcess::NormalExit);
        QCOMPARE(app->exitCode(), 0);
        QVERIFY2(err.contains("already quitting"), err.constData());
        QTRY_VERIFY(!alive(pid));
    }
};

QTEST_GUILESS_MAIN(TestHostileQuit)
#include "tst_hostile_quit.moc"
