// ConfigWatcher on a real file: edits in place, replacement by rename (as
// editors and QSaveFile do), a broken edit that keeps the running config,
// and the diff applied to a live Fleet (changed services restart, unchanged
// ones keep their process).
#include "config/configloader.h"
#include "config/configwatcher.h"
#include "config/configwriter.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

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
        QCOMPARE(d.servicesToRestart(), QStringList{u"old"_s});
        QVERIFY(d.removed.isEmpty());
        QVERIFY(!d.settingsChanged);
        QCOMPARE(d.summary(), u"changed: old (restarting); added: new (restart Lifeline to add or remove "
                              u"services); 2 unchanged"_s);
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
        Fleet fleet(config);
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

        const QStringList restarted = applyChangedServices(fleet, watcher.config(), d);
        QCOMPARE(restarted, QStringList{u"api"_s}); // idle was stopped and stays so
        QTRY_VERIFY_WITH_TIMEOUT(api->state() == ServiceState::Running && api->pid() != apiPid, 10000);
        QVERIFY(api->spec().command.contains(u"api-v2"_s));
        QCOMPARE(fleet.service(u"idle"_s)->state(), ServiceState::Stopped);
        QVERIFY(fleet.service(u"idle"_s)->spec().command.contains(u"1"_s));
        QCOMPARE(keep->pid(), keepPid);
        QCOMPARE(keep->state(), ServiceState::Running);

        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        if (!fleet.isAllStopped())
            QVERIFY(stopped.wait(15000));
    }
};

QTEST_GUILESS_MAIN(TestConfigWatcher)
#include "tst_configwatcher.moc"
