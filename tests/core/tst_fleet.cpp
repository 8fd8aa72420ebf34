// Fleet: dependency order on start, reverse order on stop, lifeline.log.
#include "config/configloader.h"
#include "logs/eventlog.h"
#include "platform/procfs.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QFile>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;

class TestFleet : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    Config load(const QByteArray &services)
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.path().toUtf8() + "/state\"\n" + services;
        const QString path = m_dir.filePath(QStringLiteral("lifeline.toml"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write config");
        f.write(toml);
        f.close();
        LoadResult r = ConfigLoader::loadFile(path);
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        return r.config.value_or(Config{});
    }

    static QByteArray service(const char *name, const QByteArray &extra = {})
    {
        return "[[service]]\nname = \"" + QByteArray(name) +
               "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
               QByteArray::number(freePort()) + "\"]\nstop_timeout = \"2s\"\n" + extra + "\n";
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ServiceState>();
    }

    void startsInDependencyOrderStopsInReverse()
    {
        // Declared in the "wrong" order on purpose.
        const Config cfg = load(service("web", "depends_on = [\"api\"]") +
                                service("api", "depends_on = [\"db\"]") + service("db"));
        QCOMPARE(cfg.services.size(), 3);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        QStringList runningOrder, stoppedOrder;
        connect(&fleet, &Fleet::serviceStateChanged, this,
                [&](const QString &name, ServiceState, ServiceState to) {
                    if (to == ServiceState::Running)
                        runningOrder.append(name);
                    if (to == ServiceState::Stopped)
                        stoppedOrder.append(name);
                });
        fleet.boot();
        QTRY_COMPARE(runningOrder.size(), 3);
        QCOMPARE(runningOrder,
                 (QStringList{QStringLiteral("db"), QStringLiteral("api"), QStringLiteral("web")}));
        // A dependent never starts before its dependency runs.
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        QVERIFY(stopped.wait(10000));
        QCOMPARE(stoppedOrder,
                 (QStringList{QStringLiteral("web"), QStringLiteral("api"), QStringLiteral("db")}));
        QVERIFY(fleet.isAllStopped());
    }

    void autostartFalseIsLeftAlone()
    {
        const Config cfg = load(service("one") + service("two", "autostart = false"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QTRY_COMPARE(fleet.service(QStringLiteral("one"))->state(), ServiceState::Running);
        QCOMPARE(fleet.service(QStringLiteral("two"))->state(), ServiceState::Stopped);
        QVERIFY(fleet.start(QStringLiteral("two")));
        QTRY_COMPARE(fleet.service(QStringLiteral("two"))->state(), ServiceState::Running);
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        QVERIFY(stopped.wait(10000));
    }

    void unknownNamesAreErrors()
    {
        const Config cfg = load(service("one", "autostart = false"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        QString error;
        QVERIFY(!fleet.start(QStringLiteral("nope"), &error));
        QCOMPARE(error, QStringLiteral("unknown service \"nope\""));
        QVERIFY(!fleet.stop(QStringLiteral("nope"), &error));
        QVERIFY(!fleet.restart(QStringLiteral("nope"), &error));
    }

    void startingADependentStartsItsDependency()
    {
        const Config cfg = load(service("api", "autostart = false") +
                                service("worker", "autostart = false\ndepends_on = [\"api\"]"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QVERIFY(fleet.start(QStringLiteral("worker")));
        QTRY_COMPARE(fleet.service(QStringLiteral("worker"))->state(), ServiceState::Running);
        QCOMPARE(fleet.service(QStringLiteral("api"))->state(), ServiceState::Running);
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        QVERIFY(stopped.wait(10000));
    }

    void restartWithDependents()
    {
        const Config cfg = load(service("api") + service("worker", "depends_on = [\"api\"]"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        auto *api = fleet.service(QStringLiteral("api"));
        auto *worker = fleet.service(QStringLiteral("worker"));
        QTRY_COMPARE(worker->state(), ServiceState::Running);
        const pid_t apiPid = api->pid(), workerPid = worker->pid();
        QCOMPARE(fleet.dependentsOf(QStringLiteral("api")), QStringList{QStringLiteral("worker")});
        QVERIFY(fleet.restartWithDependents(QStringLiteral("api")));
        QTRY_VERIFY(api->state() == ServiceState::Running && api->pid() != apiPid);
        QTRY_VERIFY(worker->state() == ServiceState::Running && worker->pid() != workerPid);
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        QVERIFY(stopped.wait(10000));
    }

    void severityFollowsWorstState()
    {
        const Config cfg = load(service("good") +
                                "[[service]]\nname = \"bad\"\ncommand = [\"/bin/sh\", \"-c\", \"exit 2\"]\n"
                                "restart_delay = \"0s\"\nmax_restarts = 1\n");
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QTRY_COMPARE(fleet.service(QStringLiteral("bad"))->state(), ServiceState::Fatal);
        QCOMPARE(fleet.severity(), 2);
        fleet.stop(QStringLiteral("bad"));
        QTRY_COMPARE(fleet.service(QStringLiteral("good"))->state(), ServiceState::Running);
        QCOMPARE(fleet.severity(), 0);
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        QVERIFY(stopped.wait(10000));
    }

    void eventLogRecordsStartsExitsAndReasons()
    {
        const Config cfg =
            load("[[service]]\nname = \"crashy\"\ncommand = [\"/bin/sh\", \"-c\", \"exit 4\"]\n"
                 "restart_delay = \"0s\"\nmax_restarts = 1\n");
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QTRY_COMPARE(fleet.service(QStringLiteral("crashy"))->state(), ServiceState::Fatal);
        const QStringList lines = tailLines(fleet.eventLog()->path(), 100);
        const QString all = lines.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("[crashy] started pid")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("exit code 4")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("restarting in 0ms")) ||
                     all.contains(QStringLiteral("restarting in 0s")),
                 qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("state running -> fatal")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("manual intervention required")), qPrintable(all));
    }

    void eventLogRotates()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("lifeline.log"));
        EventLog log(path, 1000, 2);
        for (int i = 0; i < 100; ++i)
            log.write(QStringLiteral("svc"),
                      QStringLiteral("line %1 with some padding to fill the file").arg(i));
        QVERIFY(QFile::exists(path + QStringLiteral(".1")));
        QVERIFY(QFile::exists(path + QStringLiteral(".2")));
        QVERIFY(!QFile::exists(path + QStringLiteral(".3")));
        QVERIFY(QFileInfo(path).size() <= 1000);
        QVERIFY(tailLines(path, 1).value(0).endsWith(
            QStringLiteral("line 99 with some padding to fill the file")));
    }

    void tailLinesReadsOnlyWhatItNeeds()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.log"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 200000; ++i)
            f.write("INFO request " + QByteArray::number(i) + (i % 1000 == 0 ? " ERROR boom\n" : "\n"));
        f.close();
        const QStringList last = tailLines(path, 3);
        QCOMPARE(last,
                 (QStringList{QStringLiteral("INFO request 199997"), QStringLiteral("INFO request 199998"),
                              QStringLiteral("INFO request 199999")}));
        const QStringList errors = tailLines(path, 2, true);
        QCOMPARE(errors, (QStringList{QStringLiteral("INFO request 198000 ERROR boom"),
                                      QStringLiteral("INFO request 199000 ERROR boom")}));
        QVERIFY(tailLines(dir.filePath(QStringLiteral("missing.log")), 5).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestFleet)
#include "tst_fleet.moc"
