// The Engine on a thread of its own, as the desktop app runs it, seen only
// through its EngineClient: snapshots arrive before the events they announce,
// requests are answered by signals, nothing of the engine runs on the
// client's thread, and the one startup path refuses what it must.
#include "config/configloader.h"
#include "control/statedir.h"
#include "engine/enginehost.h"
#include "engine/startup.h"
#include "metrics/metricshistory.h"
#include "supervise/fleet.h"
#include "testsupport.h"

#include <QFile>
#include <QLockFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestEngine_ : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_configs = 0;

    // A demo backend with an HTTP check, and a service that is never started.
    QString writeConfig(const QByteArray &extra = {})
    {
        const quint16 port = freePort();
        const QString base = m_dir.filePath(u"c%1"_s.arg(++m_configs));
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + base.toUtf8() +
            "/state\"\nsample_interval = \"200ms\"\n\n"
            "[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(port) +
            "\"]\nstop_timeout = \"2s\"\n"
            "[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"200ms\"\n\n"
            "[[service]]\nname = \"idle\"\ncommand = [\"sleep\", \"60\"]\nautostart = false\n" +
            extra;
        QFile f(base + u".toml"_s);
        if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
            return {};
        return f.fileName();
    }

    static Config load(const QString &path)
    {
        LoadResult r = ConfigLoader::loadFile(path);
        return r.ok() ? *r.config : Config{};
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void clientFollowsAnEngineOnItsOwnThread()
    {
        const Config config = load(writeConfig());
        EngineHost host(config, EngineHost::Threading::OwnThread);
        EngineClient *client = host.client();
        QVERIFY(host.engine()->thread() != QThread::currentThread());
        // The rows are there before the engine says anything, stopped.
        QCOMPARE(client->services().size(), 2);
        QCOMPARE(client->service(u"api"_s)->state(), ServiceState::Stopped);
        QVERIFY(client->service(u"api"_s)->logPath().endsWith(u"/logs/api.log"_s));

        QSignalSpy ready(client, &EngineClient::initialized);
        host.initialize();
        QVERIFY(ready.wait(10000));
        QCOMPARE(ready.first().at(0).toBool(), true);
        client->boot();
        ServiceView *api = client->service(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        QVERIFY(api->pid() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(api->health() && api->health()->health() == Health::Healthy, 15000);
        QVERIFY(!api->health()->history().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(client->usage(u"api"_s).has_value(), 5000);
        QVERIFY(client->usage(u"api"_s)->rssBytes > 0);

        // A restart asked through the client gives a new process.
        const pid_t before = api->pid();
        QVERIFY(client->restart(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(api->state() == ServiceState::Running && api->pid() != before, 15000);
        QVERIFY(::kill(before, 0) != 0);
        QVERIFY(stopFleet(*client));
        QCOMPARE(api->state(), ServiceState::Stopped);
    }

    // What the tray and the banner rely on: when a change is announced, the
    // client's snapshot already shows it.
    void announcementsComeAfterTheSnapshotThatShowsThem()
    {
        const Config config = load(writeConfig());
        EngineHost host(config, EngineHost::Threading::OwnThread);
        EngineClient *client = host.client();
        QStringList mismatches;
        int announced = 0;
        connect(client, &EngineClient::serviceStateChanged, this,
                [&](const QString &name, ServiceState, ServiceState to) {
                    ++announced;
                    // A later change may already be in; an earlier state never.
                    const ServiceState now = client->service(name)->state();
                    if (now != to && to == ServiceState::Running)
                        mismatches << u"%1: told %2, shows %3"_s.arg(name, stateName(to), stateName(now));
                });
        connect(client, &EngineClient::allStopped, this, [&] {
            if (!client->isAllStopped())
                mismatches << u"allStopped while the fleet snapshot says otherwise"_s;
            for (const ServiceView *s : client->services()) {
                if (isRunningState(s->state()))
                    mismatches << u"allStopped while %1 shows %2"_s.arg(s->name(), stateName(s->state()));
            }
        });
        host.initialize();
        client->boot();
        for (int i = 0; i < 3; ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(client->service(u"api"_s)->state(), ServiceState::Running, 15000);
            QVERIFY(stopFleet(*client));
            client->start(u"api"_s);
        }
        QTRY_COMPARE_WITH_TIMEOUT(client->service(u"api"_s)->state(), ServiceState::Running, 15000);
        QVERIFY(stopFleet(*client));
        QVERIFY(announced >= 12);
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join(u'\n')));
    }

    void requestsBeforeInitializeAreAnsweredAfterIt()
    {
        const Config config = load(writeConfig());
        EngineHost host(config, EngineHost::Threading::OwnThread);
        EngineClient *client = host.client();
        QSignalSpy answered(client, &EngineClient::historyAnswered);
        HistoryQuery query;
        query.series.append({QString(), u"cpu"_s});
        query.toMs = QDateTime::currentMSecsSinceEpoch();
        query.fromMs = query.toMs - 60'000;
        query.eventService = QString();
        const quint64 id = client->queryHistory(query);
        QCOMPARE(client->pendingQueries(), 1);
        host.initialize();
        QVERIFY(answered.wait(10000));
        const auto answer = answered.first().at(0).value<HistoryAnswer>();
        QCOMPARE(answer.id, id);
        QCOMPARE(answer.series.size(), 1);
        QCOMPARE(client->pendingQueries(), 0);
    }

    void refusedRequestsSayWhy()
    {
        const Config config = load(writeConfig());
        EngineHost host(config, EngineHost::Threading::OwnThread);
        EngineClient *client = host.client();
        host.initialize();
        QString error;
        QVERIFY(!client->start(u"nope"_s, &error));
        QCOMPARE(error, u"no service named \"nope\""_s);

        // Once quitting, nothing starts, and the client hears why.
        QSignalSpy failed(client, &EngineClient::commandFailed);
        client->beginShutdown();
        QVERIFY(client->isShuttingDown());
        QVERIFY(client->start(u"idle"_s));
        QVERIFY(failed.wait(10000));
        QVERIFY2(failed.first().at(0).toString().contains(u"shutting down"_s),
                 qPrintable(failed.first().at(0).toString()));
        QCOMPARE(client->service(u"idle"_s)->state(), ServiceState::Stopped);
    }

    // The engine's thread does the history's SQLite work: a query is answered
    // from there, never by the asking thread.
    void historyIsReadOnTheEnginesThread()
    {
        const Config config = load(writeConfig());
        EngineHost host(config, EngineHost::Threading::OwnThread);
        EngineClient *client = host.client();
        host.initialize();
        QTRY_VERIFY(host.engine()->history() != nullptr);
        QCOMPARE(host.engine()->history()->thread(), host.engine()->thread());
        QVERIFY(host.engine()->history()->thread() != QThread::currentThread());
        QSignalSpy answered(client, &EngineClient::historyAnswered);
        HistoryQuery query;
        query.series.append({QString(), u"memory"_s});
        query.toMs = QDateTime::currentMSecsSinceEpoch();
        query.fromMs = query.toMs - 7LL * 24 * 3'600'000;
        const quint64 id = client->queryHistory(query);
        QVERIFY(answered.wait(10000));
        QCOMPARE(answered.first().at(0).value<HistoryAnswer>().id, id);
    }

    // Destroying the host ends the engine's thread and, with it, the
    // services' trees (the Fleet's own destructor), as quitting with
    // on_exit = stop would.
    void hostTakesTheEngineAndItsThreadWithIt()
    {
        const Config config = load(writeConfig());
        pid_t pid = 0;
        QPointer<QThread> thread;
        {
            EngineHost host(config, EngineHost::Threading::OwnThread);
            thread = host.engine()->thread();
            host.initialize();
            host.client()->boot();
            QTRY_COMPARE_WITH_TIMEOUT(host.client()->service(u"api"_s)->state(), ServiceState::Running,
                                      15000);
            pid = host.client()->service(u"api"_s)->pid();
            QVERIFY(pid > 0);
        }
        QVERIFY(thread.isNull());
        QTRY_VERIFY_WITH_TIMEOUT(::kill(pid, 0) != 0, 10000);
    }

    void startupRefusesWhatItMust()
    {
        // A typo: exit 2, with the file, line and cause.
        const QString bad = m_dir.filePath(u"bad.toml"_s);
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nstop_timeout = \"soon\"\n");
        f.close();
        Startup s = prepareStartup(bad);
        QCOMPARE(s.exitCode, 2);
        QVERIFY2(s.error.contains(bad + u":4"_s) && s.error.contains(u"stop_timeout"_s), qPrintable(s.error));
        QVERIFY(!s.config);

        // A state_dir another Lifeline holds: exit 1, naming it.
        const QString path = writeConfig();
        const Config config = load(path);
        QString error;
        const auto held = takeStateDirLock(config.settings.stateDir, &error);
        QVERIFY2(held, qPrintable(error));
        s = prepareStartup(path, m_dir.filePath(u"x.sock"_s));
        QCOMPARE(s.exitCode, 1);
        QVERIFY2(s.error.contains(u"in use by another Lifeline"_s), qPrintable(s.error));

        // Free: the config, the lock and the socket path.
        held->unlock();
        s = prepareStartup(path, m_dir.filePath(u"x.sock"_s));
        QVERIFY2(s.ok(), qPrintable(s.error));
        QVERIFY(s.config && s.lock && s.lock->isLocked());
        QCOMPARE(s.socketPath, m_dir.filePath(u"x.sock"_s));
    }
};

QTEST_GUILESS_MAIN(TestEngine_)
#include "tst_engine.moc"
