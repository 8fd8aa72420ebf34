// ConfigWatcher on a real file: edits in place, replacement by rename (as
// editors and QSaveFile do), a broken edit that keeps the running config,
// and the diff applied to a live Fleet (changed services restart, unchanged
// ones keep their process).
#include "config/configloader.h"
#include "config/configwatcher.h"
#include "config/configwriter.h"
#include "engine/livereload.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QFile>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdio>
#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

QByteArray service(const QByteArray &name, const QByteArray &command, const QByteArray &extra = {})
{
    return "[[service]]\nname = \"" + name + "\"\ncommand = " + command + "\n" + extra + "\n";
}

const QByteArray kSettings = "[settings]\nstate_dir = \"state\"\n\n";

void writeInPlace(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

void replaceByRename(const QString &path, const QByteArray &bytes)
{
    const QString tmp = path + u".new"_s;
    writeInPlace(tmp, bytes);
    QCOMPARE(std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()), 0);
}

/// Alive and not a zombie: an orphan re-parented to us lingers as a zombie
/// until the fleet's next reaping tick.
bool isAlive(pid_t pid)
{
    const auto p = ProcFs().processStat(pid);
    return p && !p->isZombie();
}

QByteArray demo(const QByteArray &port, const QByteArray &name, const QByteArray &more = {})
{
    return "[\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + port + "\", \"--name\", \"" + name + "\"" +
           more + "]";
}

QStringList namesOf(const Fleet &fleet)
{
    QStringList names;
    for (const ServiceSupervisor *s : fleet.services())
        names << s->name();
    return names;
}

Config loadOk(const QString &path)
{
    const LoadResult r = ConfigLoader::loadFile(path);
    for (const Diagnostic &d : r.errors)
        qWarning("%s", qPrintable(d.toString()));
    return r.config.value_or(Config{});
}

} // namespace

class TestConfigWatcher : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    QByteArray m_v1;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ConfigDiff>();
        qRegisterMetaType<ServiceState>();
    }

    void init()
    {
        m_path = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u".toml"_s);
        m_v1 = kSettings + service("api", "[\"api\", \"--port\", \"8000\"]", "ports = [8000]") +
               service("same", "[\"same\"]") + service("old", "[\"old\"]");
        writeInPlace(m_path, m_v1);
    }

    void diffCompare()
    {
        const Config a = *ConfigLoader::loadString(m_v1, m_path).config;
        // Moving a service down (its position changes) is not a change.
        const QByteArray moved = kSettings + "# a comment\n\n" + service("same", "[\"same\"]") +
                                 service("api", "[\"api\", \"--port\", \"8000\"]", "ports = [8000]") +
                                 service("new", "[\"new\"]") +
                                 service("old", "[\"old\"]", "[service.logs]\nbackups = 1");
        const Config b = *ConfigLoader::loadString(moved, m_path).config;
        const ConfigDiff d = ConfigDiff::compute(a, b);
        QCOMPARE(d.unchanged, (QStringList{u"same"_s, u"api"_s}));
        QCOMPARE(d.added, QStringList{u"new"_s});
        QCOMPARE(d.changed, QStringList{u"old"_s});
        QVERIFY(d.removed.isEmpty());
        QVERIFY(!d.settingsChanged);
        QCOMPARE(d.summary(), u"changed: old (restarting); added: new; 2 unchanged"_s);
        QVERIFY(ConfigDiff::compute(a, a).isEmpty());
        QCOMPARE(ConfigDiff::compute(a, a).summary(), u"3 unchanged"_s);
    }

    void editInPlaceEmitsTheDiff()
    {
        ConfigWatcher watcher(loadOk(m_path));
        QCOMPARE(watcher.debounceInterval(), 300);
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);
        QSignalSpy failed(&watcher, &ConfigWatcher::reloadFailed);

        const QByteArray v2 = "[settings]\nstate_dir = \"state\"\non_exit = \"keep\"\n\n" +
                              service("api", "[\"api\", \"--port\", \"8001\"]", "ports = [8001]") +
                              service("same", "[\"same\"]") + service("web", "[\"web\"]");
        writeInPlace(m_path, v2);
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.size(), 1);
        const ConfigDiff d = reloaded.at(0).at(0).value<ConfigDiff>();
        QCOMPARE(d.changed, QStringList{u"api"_s});
        QCOMPARE(d.unchanged, QStringList{u"same"_s});
        QCOMPARE(d.added, QStringList{u"web"_s});
        QCOMPARE(d.removed, QStringList{u"old"_s});
        QVERIFY(d.settingsChanged);
        QCOMPARE(watcher.config().settings.onExit, OnExit::Keep);
        QCOMPARE(watcher.config().service(u"api"_s)->ports, QList<quint16>{8001});
        QCOMPARE(failed.size(), 0);

        // Three writes in quick succession are read once, when complete.
        writeInPlace(m_path, m_v1);
        writeInPlace(m_path, m_v1 + "\n# one more\n");
        writeInPlace(m_path, m_v1 + "\n# and another\n");
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.size(), 2);
        QVERIFY(!reloaded.wait(800)); // nothing else follows
        const ConfigDiff back = reloaded.at(1).at(0).value<ConfigDiff>();
        QCOMPARE(back.added, QStringList{u"old"_s});
        QCOMPARE(back.removed, QStringList{u"web"_s});
        QCOMPARE(back.changed, QStringList{u"api"_s});

        // Saving the same bytes again (a touch) is not a reload.
        writeInPlace(m_path, m_v1 + "\n# and another\n");
        QVERIFY(!reloaded.wait(800));
    }

    void replaceByRenameIsFollowed()
    {
        ConfigWatcher watcher(loadOk(m_path));
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);

        const QByteArray v2 = m_v1 + service("web", "[\"web\"]");
        replaceByRename(m_path, v2);
        QVERIFY(reloaded.wait(5000));
        ConfigDiff d = reloaded.takeFirst().at(0).value<ConfigDiff>();
        QCOMPARE(d.added, QStringList{u"web"_s});
        QCOMPARE(d.unchanged, (QStringList{u"api"_s, u"same"_s, u"old"_s}));
        QVERIFY(d.changed.isEmpty() && d.removed.isEmpty());

        // The new file is watched: an in-place edit after the rename is seen.
        writeInPlace(m_path, kSettings + service("api", "[\"api\", \"--port\", \"8000\"]", "ports = [8000]") +
                                 service("same", "[\"same\", \"-v\"]"));
        QVERIFY(reloaded.wait(5000));
        d = reloaded.takeFirst().at(0).value<ConfigDiff>();
        QCOMPARE(d.changed, QStringList{u"same"_s});
        QCOMPARE(d.removed, (QStringList{u"old"_s, u"web"_s}));
        QCOMPARE(d.unchanged, QStringList{u"api"_s});

        // And an edit by the config writer (QSaveFile: a rename too).
        QString error;
        QVERIFY2(ConfigWriter::removeService(m_path, u"same"_s, &error), qPrintable(error));
        QVERIFY(reloaded.wait(5000));
        d = reloaded.takeFirst().at(0).value<ConfigDiff>();
        QCOMPARE(d.removed, QStringList{u"same"_s});
        QCOMPARE(watcher.config().services.size(), 1);
    }

    void brokenEditKeepsTheRunningConfig()
    {
        ConfigWatcher watcher(loadOk(m_path));
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);
        QSignalSpy failed(&watcher, &ConfigWatcher::reloadFailed);

        QByteArray broken = m_v1;
        broken.replace("ports = [8000]", "ports = [70000]");
        replaceByRename(m_path, broken);
        QVERIFY(failed.wait(5000));
        const QString text = failed.at(0).at(0).toString();
        const QRegularExpression where(u"^"_s + QRegularExpression::escape(m_path) +
                                       u":7:10: error: service \"api\": ports\\[0\\]: must be between 1 and "
                                       u"65535, got 70000$"_s);
        QVERIFY2(where.match(text).hasMatch(), qPrintable(text));
        QCOMPARE(reloaded.size(), 0);
        QCOMPARE(watcher.config().service(u"api"_s)->ports, QList<quint16>{8000});
        QCOMPARE(watcher.config().services.size(), 3);

        // A syntax error: every error, one per line, each with its position.
        writeInPlace(m_path, m_v1 + "[[service]\nname = 1\n");
        QVERIFY(failed.wait(5000));
        QVERIFY2(failed.at(1).at(0).toString().startsWith(m_path + u":16:11: error: "_s),
                 qPrintable(failed.at(1).at(0).toString()));
        QVERIFY(failed.at(1).at(0).toString().contains(u"syntax error"_s));

        // Fixed: the diff is against the last good configuration.
        QByteArray fixed = m_v1;
        fixed.replace("ports = [8000]", "ports = [8002]");
        writeInPlace(m_path, fixed);
        QVERIFY(reloaded.wait(5000));
        const ConfigDiff d = reloaded.at(0).at(0).value<ConfigDiff>();
        QCOMPARE(d.changed, QStringList{u"api"_s});
        QCOMPARE(d.unchanged, (QStringList{u"same"_s, u"old"_s}));
        QCOMPARE(failed.size(), 2);
    }

    void deletedFileIsReportedOnce()
    {
        ConfigWatcher watcher(loadOk(m_path));
        QSignalSpy failed(&watcher, &ConfigWatcher::reloadFailed);
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);
        QVERIFY(QFile::remove(m_path));
        QVERIFY(failed.wait(5000));
        QVERIFY2(failed.at(0).at(0).toString().contains(u"no such file"_s),
                 qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(watcher.config().services.size(), 3);
        // Back again (with a change): watched and reloaded.
        writeInPlace(m_path, m_v1 + service("web", "[\"web\"]"));
        QVERIFY(reloaded.wait(5000));
        QCOMPARE(reloaded.at(0).at(0).value<ConfigDiff>().added, QStringList{u"web"_s});
        QCOMPARE(failed.size(), 1);
    }

    void changedServicesRestartUnchangedKeepRunning()
    {
        const QByteArray state =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"fleet-state"_s).toUtf8() + "\"\n\n";
        const QByteArray apiPort = QByteArray::number(freePort());
        const QByteArray keepPort = QByteArray::number(freePort());
        auto demo = [](const QByteArray &port, const QByteArray &name) -> QByteArray {
            return "[\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + port + "\", \"--name\", \"" + name +
                   "\"]";
        };
        const QByteArray v1 = state + service("api", demo(apiPort, "api"), "stop_timeout = \"2s\"") +
                              service("keep", demo(keepPort, "keep"), "stop_timeout = \"2s\"") +
                              service("idle", "[\"" LIFELINE_DEMO_BACKEND "\"]", "autostart = false");
        writeInPlace(m_path, v1);
        const Config config = loadOk(m_path);
        QCOMPARE(config.services.size(), 3);
        TestEngine engine(config);
        Fleet &fleet = engine.fleet();
        ConfigWatcher watcher(config);
        QSignalSpy reloaded(&watcher, &ConfigWatcher::reloaded);
        fleet.boot();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        ServiceSupervisor *keep = fleet.service(u"keep"_s);
        QTRY_VERIFY_WITH_TIMEOUT(
            api->state() == ServiceState::Running && keep->state() == ServiceState::Running, 10000);
        const pid_t apiPid = api->pid();
        const pid_t keepPid = keep->pid();

        // api gets a new name argument, idle (stopped) a new command, keep nothing.
        QByteArray v2 = v1;
        v2.replace("\"--name\", \"api\"", "\"--name\", \"api-v2\"");
        v2.replace("[\"" LIFELINE_DEMO_BACKEND "\"]", "[\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"1\"]");
        writeInPlace(m_path, v2);
        QVERIFY(reloaded.wait(5000));
        const ConfigDiff d = reloaded.at(0).at(0).value<ConfigDiff>();
        QCOMPARE(d.changed, (QStringList{u"api"_s, u"idle"_s}));
        QCOMPARE(d.unchanged, QStringList{u"keep"_s});

        const QStringList restarted = fleet.applyConfig(watcher.config(), d);
        QCOMPARE(restarted, QStringList{u"api"_s}); // idle was stopped and stays so
        QTRY_VERIFY_WITH_TIMEOUT(api->state() == ServiceState::Running && api->pid() != apiPid, 10000);
        QVERIFY(api->spec().command.contains(u"api-v2"_s));
        QCOMPARE(fleet.service(u"idle"_s)->state(), ServiceState::Stopped);
        QVERIFY(fleet.service(u"idle"_s)->spec().command.contains(u"1"_s));
        QCOMPARE(keep->pid(), keepPid);
        QCOMPARE(keep->state(), ServiceState::Running);

        QVERIFY(stopFleet(fleet));
    }

    // The whole path a person takes with the service editor or a text
    // editor: the file changes, LiveReload applies it to the running fleet.
    void addedServicesStartRemovedOnesStopWholeTreeAndGo()
    {
        const QByteArray state =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"live-state"_s).toUtf8() + "\"\n\n";
        const quint16 gonePort = freePort();
        const QByteArray keepService =
            service("keep", demo(QByteArray::number(freePort()), "keep"), "stop_timeout = \"2s\"");
        const QByteArray v1 =
            state + keepService +
            service("gone", demo(QByteArray::number(gonePort), "gone", ", \"--spawn-grandchild\""),
                    "stop_timeout = \"2s\"\nports = [" + QByteArray::number(gonePort) + "]");
        writeInPlace(m_path, v1);
        TestEngine engine(loadOk(m_path));
        Fleet &fleet = engine.fleet();
        LiveReload reload(&fleet, nullptr);
        reload.watcher()->setDebounceInterval(20);
        QSignalSpy applied(&reload, &LiveReload::applied);
        QSignalSpy aboutToAdd(&fleet, &Fleet::serviceAboutToBeAdded);
        QSignalSpy added(&fleet, &Fleet::serviceAdded);
        QSignalSpy aboutToRemove(&fleet, &Fleet::serviceAboutToBeRemoved);
        QSignalSpy removed(&fleet, &Fleet::serviceRemoved);
        fleet.boot();
        ServiceSupervisor *keep = fleet.service(u"keep"_s);
        QPointer<ServiceSupervisor> gone = fleet.service(u"gone"_s);
        QTRY_VERIFY_WITH_TIMEOUT(
            keep->state() == ServiceState::Running && gone->state() == ServiceState::Running, 10000);
        const pid_t keepPid = keep->pid();
        // gone's tree: the backend and its setsid grandchild.
        QList<pid_t> goneTree;
        QTRY_VERIFY_WITH_TIMEOUT(
            (goneTree =
                 ProcFs().serviceTrees({gone->treeQuery()}, ServiceSupervisor::markerKey()).value(u"gone"_s))
                    .size() >= 2,
            10000);

        const quint16 freshPort = freePort();
        const QByteArray v2 =
            state + keepService +
            service("fresh", demo(QByteArray::number(freshPort), "fresh"), "stop_timeout = \"2s\"");
        replaceByRename(m_path, v2);
        QVERIFY(applied.wait(5000));
        QCOMPARE(applied.at(0).at(0).toString(), u"added: fresh, removed: gone (stopping); 1 unchanged"_s);

        // Added: a row appears at the end and the service starts.
        QCOMPARE(aboutToAdd.size(), 1);
        QCOMPARE(aboutToAdd.at(0).at(0).toInt(), 2);
        QCOMPARE(added.size(), 1);
        ServiceSupervisor *fresh = fleet.service(u"fresh"_s);
        QVERIFY(fresh);
        QTRY_COMPARE_WITH_TIMEOUT(fresh->state(), ServiceState::Running, 10000);

        // Removed: stopped, whole tree (the grandchild too), then dropped.
        QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 1, 15000);
        QCOMPARE(aboutToRemove.at(0).at(0).toInt(), 1);
        QCOMPARE(removed.at(0).at(0).toString(), u"gone"_s);
        QVERIFY(!fleet.service(u"gone"_s));
        QCOMPARE(namesOf(fleet), (QStringList{u"keep"_s, u"fresh"_s}));
        for (pid_t pid : std::as_const(goneTree))
            QTRY_VERIFY2_WITH_TIMEOUT(!isAlive(pid), qPrintable(u"pid %1 of gone"_s.arg(pid)), 5000);
        QTcpServer portBack;
        QVERIFY(portBack.listen(QHostAddress::LocalHost, gonePort));
        QTRY_VERIFY(gone.isNull()); // the supervisor itself is deleted

        // Unchanged: never touched.
        QCOMPARE(keep->pid(), keepPid);
        QCOMPARE(keep->state(), ServiceState::Running);
        QCOMPARE(fleet.config().services.size(), 2);

        QVERIFY(stopFleet(fleet));
    }

    // Removed and added again before its stop has finished: the service is
    // kept (with the new definition), not dropped.
    void removedThenAddedBackIsKept()
    {
        const QByteArray state =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"back-state"_s).toUtf8() + "\"\n\n";
        const QByteArray stubborn =
            service("stubborn", demo(QByteArray::number(freePort()), "stubborn", ", \"--ignore-term\""),
                    "stop_timeout = \"3s\"");
        const QByteArray other = service("other", demo(QByteArray::number(freePort()), "other"));
        writeInPlace(m_path, state + stubborn + other);
        TestEngine engine(loadOk(m_path));
        Fleet &fleet = engine.fleet();
        QSignalSpy removed(&fleet, &Fleet::serviceRemoved);
        fleet.boot();
        ServiceSupervisor *s = fleet.service(u"stubborn"_s);
        QTRY_COMPARE_WITH_TIMEOUT(s->state(), ServiceState::Running, 10000);

        const Config running = fleet.config();
        writeInPlace(m_path, state + other);
        const Config without = loadOk(m_path);
        fleet.applyConfig(without, ConfigDiff::compute(running, without));
        // It ignores SIGTERM: still stopping for up to stop_timeout.
        QCOMPARE(s->state(), ServiceState::Stopping);
        QVERIFY(fleet.isBeingRemoved(u"stubborn"_s));

        writeInPlace(m_path, state + stubborn + other);
        const Config with = loadOk(m_path);
        fleet.applyConfig(with, ConfigDiff::compute(without, with));
        QVERIFY(!fleet.isBeingRemoved(u"stubborn"_s));
        QCOMPARE(fleet.service(u"stubborn"_s), s);
        // Its stop completes (SIGKILL after stop_timeout), then it starts again: autostart.
        QTRY_VERIFY_WITH_TIMEOUT(s->state() == ServiceState::Running && s->uptimeMs() > 0, 15000);
        QCOMPARE(removed.size(), 0);
        QCOMPARE(namesOf(fleet), (QStringList{u"stubborn"_s, u"other"_s}));

        QVERIFY(stopFleet(fleet));
    }

    // An edit during an emergency recovery waits for it: the recovery walks
    // the services and must not see them change under it.
    void reloadDuringRecoveryWaitsForIt()
    {
        const QByteArray state =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"rec-state"_s).toUtf8() + "\"\n\n";
        // Slow to become ready, so that the recovery's start step takes a while.
        const QByteArray onePort = QByteArray::number(freePort());
        const QByteArray one = service("one", demo(onePort, "one", ", \"--ready-after\", \"1500ms\""),
                                       "[service.health]\nurl = \"http://127.0.0.1:" + onePort + "/health\"");
        writeInPlace(m_path, state + one);
        TestEngine engine(loadOk(m_path));
        Fleet &fleet = engine.fleet();
        Recovery recovery(&fleet);
        LiveReload reload(&fleet, &recovery);
        reload.watcher()->setDebounceInterval(20);
        QSignalSpy applied(&reload, &LiveReload::applied);
        QSignalSpy deferred(&reload, &LiveReload::deferred);
        QSignalSpy finished(&recovery, &Recovery::finished);
        fleet.boot();
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"one"_s)->state(), ServiceState::Running, 10000);

        QString error;
        QVERIFY2(recovery.start({}, &error), qPrintable(error));
        replaceByRename(m_path, state + one + service("two", demo(QByteArray::number(freePort()), "two")));
        QVERIFY(deferred.wait(5000));
        QVERIFY(recovery.isRunning());
        QVERIFY(applied.isEmpty());
        QVERIFY(!fleet.service(u"two"_s));
        QVERIFY(reload.isPending());

        QVERIFY(finished.wait(30000));
        QCOMPARE(applied.size(), 1); // applied as the recovery finished
        QCOMPARE(applied.at(0).at(0).toString(), u"added: two; 1 unchanged"_s);
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"two"_s)->state(), ServiceState::Running, 10000);

        QVERIFY(stopFleet(fleet));
    }
};

QTEST_GUILESS_MAIN(TestConfigWatcher)
#include "tst_configwatcher.moc"
