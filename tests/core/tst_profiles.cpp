// [profile.NAME.SERVICE]: the loader (overrides, env merged over the base,
// errors naming the profile with FILE:LINE:COL), live reload keeping the
// active profile, and switching a running stack of real demo backends,
// where only the services whose definition changes restart.
#include "config/configloader.h"
#include "config/configwatcher.h"
#include "control/controlserver.h"
#include "control/statusjson.h"
#include "engine/engine.h"
#include "engine/livereload.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QSaveFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

QHash<QString, QString> environOf(qint64 pid)
{
    QFile f(u"/proc/%1/environ"_s.arg(pid));
    QHash<QString, QString> env;
    if (!f.open(QIODevice::ReadOnly))
        return env;
    for (const QByteArray &entry : f.readAll().split('\0')) {
        const qsizetype eq = entry.indexOf('=');
        if (eq > 0)
            env.insert(QString::fromUtf8(entry.left(eq)), QString::fromUtf8(entry.mid(eq + 1)));
    }
    return env;
}

} // namespace

class TestProfiles : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QByteArray &toml, const QString &name = u"lifeline.toml"_s)
    {
        const QString path = m_dir.filePath(name);
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        f.write(toml);
        if (!f.commit())
            qFatal("cannot commit %s", qPrintable(path));
        return path;
    }

    QByteArray settings() const
    {
        return "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
               "\"\non_exit = \"stop\"\n";
    }

    static QString errorsOf(const LoadResult &r)
    {
        QStringList lines;
        for (const Diagnostic &d : r.errors)
            lines << d.toString();
        return lines.join(u'\n');
    }

    // api (listed first) depends on db; worker is on its own. Profile prod
    // changes api alone; profile both changes db and api.
    QByteArray stack(quint16 dbPort, quint16 apiPort, quint16 workerPort, const QByteArray &workerExtra = {})
    {
        const auto backend = [](quint16 port, const char *name) -> QByteArray {
            return "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(port) +
                   "\", \"--name\", \"" + name + "\"]\nstop_timeout = \"3s\"\n";
        };
        return settings() +
               "\n[[service]]\nname = \"api\"\ndepends_on = [\"db\"]\nenv = { MODE = \"dev\", KEEP = \"1\" "
               "}\n" +
               backend(apiPort, "api") + "\n[[service]]\nname = \"db\"\n" + backend(dbPort, "db") +
               "\n[[service]]\nname = \"worker\"\n" + backend(workerPort, "worker") + workerExtra +
               "\n[profile.prod.api]\nenv = { MODE = \"prod\", EXTRA = \"x\" }\n"
               "\n[profile.both.api]\nenv = { MODE = \"both\" }\n"
               "[profile.both.db]\nenv = { DB = \"both\" }\n";
    }

    static bool allRunning(Fleet &fleet)
    {
        const auto list = fleet.services();
        return std::all_of(list.begin(), list.end(), [](const ServiceSupervisor *s) {
            return s->state() == ServiceState::Running && s->pid() > 0;
        });
    }

    static QHash<QString, qint64> pids(Fleet &fleet)
    {
        QHash<QString, qint64> out;
        for (const ServiceSupervisor *s : fleet.services())
            out.insert(s->name(), s->pid());
        return out;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void overridesAnyKeyAndMergesEnvOverTheBase()
    {
        const QString path = write(settings() + "\n"
                                                "[[service]]\n"
                                                "name = \"api\"\n"
                                                "command = [\"python3\", \"main.py\", \"--reload\"]\n"
                                                "env = { PORT = \"8000\", MODE = \"dev\" }\n"
                                                "ports = [8000]\n"
                                                "memory_limit = \"500MB\"\n"
                                                "[service.health]\n"
                                                "url = \"http://127.0.0.1:8000/health\"\n"
                                                "interval = \"30s\"\n"
                                                "failures = 3\n"
                                                "\n"
                                                "[[service]]\n"
                                                "name = \"worker\"\n"
                                                "command = \"python3 worker.py\"\n"
                                                "\n"
                                                "[profile.prod.api]\n"
                                                "command = [\"python3\", \"main.py\", \"--workers\", \"4\"]\n"
                                                "env = { MODE = \"prod\", LOG = \"warn\" }\n"
                                                "ports = [9000]\n"
                                                "memory_limit = \"2GB\"\n"
                                                "[profile.prod.api.health]\n"
                                                "tcp = \"127.0.0.1:9000\"\n"
                                                "failures = 5\n");
        LoadResult r = ConfigLoader::loadFile(path);
        QVERIFY2(r.ok(), qPrintable(errorsOf(r)));
        Config config = *r.config;
        QCOMPARE(config.profile, QString());
        QCOMPARE(config.profileNames(), QStringList{u"prod"_s});
        QCOMPARE(config.service(u"api"_s)->env.value(u"MODE"_s), u"dev"_s);

        QVERIFY(config.selectProfile(u"prod"_s));
        QCOMPARE(config.profile, u"prod"_s);
        const ServiceSpec &api = *config.service(u"api"_s);
        QCOMPARE(api.command, (QStringList{u"python3"_s, u"main.py"_s, u"--workers"_s, u"4"_s}));
        const QHash<QString, QString> env{
            {u"PORT"_s, u"8000"_s}, {u"MODE"_s, u"prod"_s}, {u"LOG"_s, u"warn"_s}};
        QCOMPARE(api.env, env);
        QCOMPARE(api.ports, QList<quint16>{9000});
        QCOMPARE(api.memoryLimit, 2'000'000'000LL);
        // A probe in the profile replaces the base's; the other health keys merge.
        QCOMPARE(api.health.kind, HealthSpec::Kind::Tcp);
        QCOMPARE(api.health.tcpPort, quint16(9000));
        QVERIFY(api.health.url.isEmpty());
        QCOMPARE(api.health.failures, 5);
        QCOMPARE(api.health.interval, Millis(30'000));
        // A service the profile does not name is the base's.
        QCOMPARE(config.service(u"worker"_s)->command, (QStringList{u"python3"_s, u"worker.py"_s}));

        QVERIFY(config.selectProfile(u"default"_s));
        QCOMPARE(config.profile, QString());
        QCOMPARE(config.service(u"api"_s)->ports, QList<quint16>{8000});

        QVERIFY(!config.selectProfile(u"staging"_s));
        QCOMPARE(config.unknownProfileText(u"staging"_s), u"unknown profile \"staging\" (profiles: prod)"_s);
        QCOMPARE(config.profile, QString());
    }

    void invalidProfileIsRejectedWithItsLocation_data()
    {
        QTest::addColumn<QByteArray>("profile");
        QTest::addColumn<QString>("expected"); // after "FILE:"

        // The base: lines 4-12 (settings take lines 1-3); the profile starts at line 13.
        QTest::newRow("unknown key")
            << QByteArray("[profile.prod.api]\ncomand = [\"x\"]\n")
            << u"14:1: error: profile \"prod\", service \"api\": unknown key \"comand\" "
               u"(did you mean \"command\"?)"_s;
        QTest::newRow("unknown health key")
            << QByteArray("[profile.prod.api.health]\ntcp = \"127.0.0.1:1\"\nintervl = \"1s\"\n")
            << u"15:1: error: profile \"prod\", service \"api\": unknown key "
               u"\"health.intervl\" (did you mean "
               u"\"health.interval\"?)"_s;
        QTest::newRow("unknown service")
            << QByteArray("[profile.prod.apii]\nenv = { A = \"1\" }\n")
            << u"13:15: error: profile \"prod\": unknown service \"apii\" (services: api, worker)"_s;
        QTest::newRow("wrong type")
            << QByteArray("[profile.prod.api]\nports = \"8000\"\n")
            << u"14:9: error: profile \"prod\", service \"api\": ports: expected an array "
               u"of integers, got a string"_s;
        QTest::newRow("bad duration") << QByteArray("[profile.prod.api]\nrestart_delay = \"soon\"\n")
                                      << u"14:17: error: profile \"prod\", service \"api\": restart_delay:"_s;
        QTest::newRow("env value")
            << QByteArray("[profile.prod.api]\nenv = { MODE = 1 }\n")
            << u"14:16: error: profile \"prod\", service \"api\": env.MODE: expected a string, got an integer"_s;
        QTest::newRow("rename")
            << QByteArray("[profile.prod.api]\nname = \"x\"\n")
            << u"14:8: error: profile \"prod\", service \"api\": name: a profile cannot rename "
               u"a service"_s;
        QTest::newRow("reserved name")
            << QByteArray("[profile.default.api]\nenv = { A = \"1\" }\n")
            << u"13:10: error: profile \"default\": the name \"default\" is reserved"_s;
        QTest::newRow("not a table")
            << QByteArray("[profile]\nprod = 3\n")
            << u"14:8: error: profile \"prod\": expected a table of [profile.prod.SERVICE] "
               u"tables, got an integer"_s;
        QTest::newRow("port taken in the profile") << QByteArray("[profile.prod.worker]\nports = [8000]\n")
                                                   << u"14:10: error: profile \"prod\", service \"worker\": "
                                                      u"ports: port 8000 is already used by service "
                                                      u"\"api\""_s;
        QTest::newRow("cycle in the profile")
            << QByteArray(
                   "[profile.prod.api]\ndepends_on = [\"worker\"]\n[profile.prod.worker]\ndepends_on = "
                   "[\"api\"]\n")
            << u"error: profile \"prod\", service \"worker\": depends_on: dependency cycle"_s;
    }

    void invalidProfileIsRejectedWithItsLocation()
    {
        QFETCH(QByteArray, profile);
        QFETCH(QString, expected);
        const QString path = write(settings() +
                                       "[[service]]\nname = \"api\"\ncommand = \"a\"\nports = [8000]\n"
                                       "\n[[service]]\nname = \"worker\"\ncommand = \"w\"\n\n" +
                                       profile,
                                   u"bad.toml"_s);
        const LoadResult r = ConfigLoader::loadFile(path);
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 1);
        const QString text = r.errors.constFirst().toString();
        QVERIFY2(text.startsWith(path + u':'), qPrintable(text));
        QVERIFY2(text.contains(expected), qPrintable(text + u"\nexpected: "_s + expected));
        QVERIFY(!r.errors.constFirst().profile.isEmpty());
    }

    void aBaseErrorIsReportedOnceNotPerProfile()
    {
        const QString path =
            write(settings() + "[[service]]\nname = \"api\"\ncommand = \"a\"\nrestart = \"sometimes\"\n"
                               "[profile.prod.api]\nenv = { A = \"1\" }\n"
                               "[profile.dev.api]\nenv = { A = \"2\" }\n",
                  u"base.toml"_s);
        const LoadResult r = ConfigLoader::loadFile(path);
        QCOMPARE(r.errors.size(), 1);
        QVERIFY(r.errors.constFirst().profile.isEmpty());
        QVERIFY(r.errors.constFirst().message.startsWith(u"service \"api\": restart:"_s));
    }

    void reloadKeepsTheActiveProfile()
    {
        const QByteArray base = settings() +
                                "[[service]]\nname = \"api\"\ncommand = \"a\"\nenv = { MODE = \"dev\" }\n"
                                "[profile.prod.api]\nenv = { MODE = \"prod\" }\n";
        const QString path = write(base, u"watched.toml"_s);
        LoadResult r = ConfigLoader::loadFile(path);
        QVERIFY(r.ok());
        QVERIFY(r.config->selectProfile(u"prod"_s));
        ConfigWatcher watcher(*r.config);
        watcher.setDebounceInterval(0);
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);
        QSignalSpy failed(&watcher, &ConfigWatcher::reloadFailed);

        write(base + "[profile.prod.api.health]\ntcp = \"127.0.0.1:1\"\n", u"watched.toml"_s);
        watcher.reloadNow();
        QCOMPARE(reloaded.size(), 1);
        QCOMPARE(watcher.config().profile, u"prod"_s);
        QCOMPARE(watcher.config().service(u"api"_s)->env.value(u"MODE"_s), u"prod"_s);
        QCOMPARE(watcher.config().service(u"api"_s)->health.kind, HealthSpec::Kind::Tcp);

        // An edit that drops the active profile is refused, naming it.
        write(settings() + "[[service]]\nname = \"api\"\ncommand = \"a\"\n", u"watched.toml"_s);
        watcher.reloadNow();
        QCOMPARE(failed.size(), 1);
        QVERIFY2(failed.constFirst().constFirst().toString().contains(
                     u"the active profile \"prod\" is no longer defined"_s),
                 qPrintable(failed.constFirst().constFirst().toString()));
        QCOMPARE(watcher.config().profile, u"prod"_s);
    }

    void switchingRestartsOnlyTheChangedServicesInDependencyOrder()
    {
        const QString path = write(stack(freePort(), freePort(), freePort()), u"stack.toml"_s);
        const LoadResult r = ConfigLoader::loadFile(path);
        QVERIFY2(r.ok(), qPrintable(errorsOf(r)));
        TestEngine engine(*r.config, {.liveReload = true});
        Fleet &fleet = engine.fleet();
        engine.engine().boot();
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(fleet), 15000);
        const QHash<QString, qint64> before = pids(fleet);
        QCOMPARE(environOf(before[u"api"_s]).value(u"MODE"_s), u"dev"_s);

        // prod: api alone changes.
        QSignalSpy applied(&engine.engine(), &Engine::reloadApplied);
        QString error;
        QVERIFY(engine.engine().switchProfile(u"prod"_s, &error));
        QCOMPARE(applied.size(), 1);
        QVERIFY2(applied.constFirst().constFirst().toString().startsWith(
                     u"profile prod; changed: api (restarting)"_s),
                 qPrintable(applied.constFirst().constFirst().toString()));
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(fleet) && pids(fleet)[u"api"_s] != before[u"api"_s], 15000);
        const QHash<QString, qint64> prod = pids(fleet);
        QCOMPARE(prod[u"db"_s], before[u"db"_s]);
        QCOMPARE(prod[u"worker"_s], before[u"worker"_s]);
        const QHash<QString, QString> env = environOf(prod[u"api"_s]);
        QCOMPARE(env.value(u"MODE"_s), u"prod"_s);
        QCOMPARE(env.value(u"KEEP"_s), u"1"_s); // merged over the base
        QCOMPARE(env.value(u"EXTRA"_s), u"x"_s);
        QCOMPARE(fleet.config().profile, u"prod"_s);
        QCOMPARE(statusJson(fleet).value(u"profile"_s).toString(), u"prod"_s);

        // both: db and api change; db, which api depends on, goes first
        // although api comes first in the file. worker stays.
        QSignalSpy states(&fleet, &Fleet::serviceStateChanged);
        QVERIFY(engine.engine().switchProfile(u"both"_s, &error));
        QVERIFY(!states.isEmpty());
        QCOMPARE(states.constFirst().constFirst().toString(), u"db"_s);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(fleet) && pids(fleet)[u"db"_s] != prod[u"db"_s] &&
                                     pids(fleet)[u"api"_s] != prod[u"api"_s],
                                 15000);
        QCOMPARE(pids(fleet)[u"worker"_s], before[u"worker"_s]);
        QCOMPARE(environOf(pids(fleet)[u"db"_s]).value(u"DB"_s), u"both"_s);

        // An unknown profile is refused with the list; nothing moves.
        const QHash<QString, qint64> now = pids(fleet);
        QVERIFY(!engine.engine().switchProfile(u"staging"_s, &error));
        QCOMPARE(error, u"unknown profile \"staging\" (profiles: both, prod)"_s);
        QCOMPARE(fleet.config().profile, u"both"_s);
        QCOMPARE(pids(fleet), now);

        // An edit of the file applies under the active profile: worker's
        // base changes, api and db keep profile both's env and their processes.
        QFile in(path);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray edited = in.readAll();
        in.close();
        edited.replace("name = \"worker\"\n", "name = \"worker\"\nenv = { EDITED = \"1\" }\n");
        QSignalSpy reloaded(&engine.engine(), &Engine::reloadApplied);
        write(edited, u"stack.toml"_s);
        engine.engine().reload()->watcher()->reloadNow();
        QCOMPARE(reloaded.size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(fleet) && pids(fleet)[u"worker"_s] != now[u"worker"_s], 15000);
        QCOMPARE(pids(fleet)[u"api"_s], now[u"api"_s]);
        QCOMPARE(pids(fleet)[u"db"_s], now[u"db"_s]);
        QCOMPARE(fleet.config().profile, u"both"_s);
        QCOMPARE(environOf(pids(fleet)[u"worker"_s]).value(u"EDITED"_s), u"1"_s);

        // Back to the base: api and db restart with their base env.
        QVERIFY(engine.engine().switchProfile(u"default"_s, &error));
        QTRY_VERIFY_WITH_TIMEOUT(allRunning(fleet) && pids(fleet)[u"api"_s] != now[u"api"_s], 15000);
        QCOMPARE(environOf(pids(fleet)[u"api"_s]).value(u"MODE"_s), u"dev"_s);
        QVERIFY(statusJson(fleet).value(u"profile"_s).isNull());
        QVERIFY(stopFleet(fleet));
    }

    void controlCommandListsAndSwitches()
    {
        const QString path = write(stack(freePort(), freePort(), freePort()), u"control.toml"_s);
        const LoadResult r = ConfigLoader::loadFile(path);
        QVERIFY(r.ok());
        TestEngine engine(*r.config, {.liveReload = true});
        ControlServer &control = *engine.engine().control();

        QJsonObject reply = control.handle({{u"cmd"_s, u"profile"_s}});
        QCOMPARE(reply.value(u"ok"_s).toBool(), true);
        QVERIFY(reply.value(u"profile"_s).isNull());
        QCOMPARE(reply.value(u"profiles"_s).toArray(), (QJsonArray{u"both"_s, u"prod"_s}));

        reply = control.handle({{u"cmd"_s, u"profile"_s}, {u"name"_s, u"prod"_s}});
        QCOMPARE(reply.value(u"profile"_s).toString(), u"prod"_s);
        QCOMPARE(engine.fleet().config().profile, u"prod"_s);

        reply = control.handle({{u"cmd"_s, u"profile"_s}, {u"name"_s, u"nope"_s}});
        QCOMPARE(reply.value(u"ok"_s).toBool(), false);
        QCOMPARE(reply.value(u"error"_s).toString(), u"unknown profile \"nope\" (profiles: both, prod)"_s);
        reply = control.handle({{u"cmd"_s, u"profile"_s}, {u"name"_s, 3}});
        QCOMPARE(reply.value(u"ok"_s).toBool(), false);
        QCOMPARE(engine.fleet().config().profile, u"prod"_s);
    }
};

QTEST_GUILESS_MAIN(TestProfiles)
#include "tst_profiles.moc"
