// Git updates ([service.update], core/update): local bare repositories made
// here, no network. The service runs run.sh from its checkout, which execs
// the demo backend with the flags committed in the repository, so what a
// commit changes is what runs.
#include "config/configloader.h"
#include "control/controlserver.h"
#include "engine/engine.h"
#include "health/healthmonitor.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"
#include "update/updater.h"

#include "gitfixture.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

struct Options
{
    QByteArray mode = "notify";
    QByteArray dirty = "refuse";
    QByteArray interval = "1h";
    bool autostart = true;
};

QString cmdlineOf(pid_t pid)
{
    QFile f(u"/proc/%1/cmdline"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll().replace('\0', ' '));
}

bool isHealthy(Fleet &fleet)
{
    const ServiceSupervisor *s = fleet.service(u"api"_s);
    return s && s->state() == ServiceState::Running && s->health() &&
           s->health()->health() == Health::Healthy;
}

} // namespace

class TestUpdate : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_n = 0;
    GitFixture m_git;
    QString m_base;

    Config makeConfig(const Options &o)
    {
        m_base = m_dir.filePath(u"t%1"_s.arg(++m_n));
        QDir().mkpath(m_base);
        if (!m_git.create(m_base))
            return {};
        const quint16 port = freePort();
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_base.toUtf8() + "/state\"\n\n" +
            "[[service]]\nname = \"api\"\ncommand = [\"/bin/sh\", \"run.sh\"]\ncwd = \"" +
            m_git.app.toUtf8() + "\"\nautostart = " + (o.autostart ? "true" : "false") +
            "\nstop_timeout = \"2s\"\nrestart_delay = \"100ms\"\n"
            "env = { DEMO = \"" LIFELINE_DEMO_BACKEND "\", PORT = \"" +
            QByteArray::number(port) +
            "\" }\n"
            "[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"200ms\"\ntimeout = \"200ms\"\nfailures = 1\nstart_period = \"0s\"\n"
            "[service.update]\nmode = \"" +
            o.mode + "\"\ndirty = \"" + o.dirty + "\"\ninterval = \"" + o.interval +
            "\"\nbuild = [\"/bin/sh\", \"build.sh\"]\nverify_timeout = \"15s\"\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_base + u"/lifeline.toml"_s);
        if (!r.ok()) {
            for (const Diagnostic &d : r.errors)
                qWarning("%s", qPrintable(d.toString()));
            return {};
        }
        return *r.config;
    }

    // Waits for the check under way (or the first one) and one more asked now.
    static bool checkNow(Updater *u)
    {
        const auto idle = [u] { return !u->status(u"api"_s).isBusy(); };
        if (!QTest::qWaitFor([&] { return idle() && u->status(u"api"_s).checkedAtMs > 0; }, 20'000))
            return false;
        const qint64 before = u->status(u"api"_s).checkedAtMs;
        return u->check(u"api"_s) &&
               QTest::qWaitFor([&] { return idle() && u->status(u"api"_s).checkedAtMs != before; }, 60'000);
    }

    static bool waitHealthy(Fleet &fleet)
    {
        return QTest::qWaitFor([&fleet] { return isHealthy(fleet); }, 20'000);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void configKeysAreValidated()
    {
        const QByteArray toml = "[[service]]\nname = \"api\"\ncommand = [\"true\"]\n"
                                "[service.update]\nmode = \"sometimes\"\nbranch = \"-x\"\n";
        const LoadResult r = ConfigLoader::loadString(toml, u"/tmp/x.toml"_s);
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 2);
        QStringList messages;
        for (const Diagnostic &d : r.errors)
            messages << d.toString();
        messages.sort();
        QVERIFY2(messages[0].startsWith(u"/tmp/x.toml:5:"_s) && messages[0].contains(u"update.mode"_s),
                 qPrintable(messages[0]));
        QVERIFY2(messages[1].startsWith(u"/tmp/x.toml:6:"_s) && messages[1].contains(u"update.branch"_s),
                 qPrintable(messages[1]));

        const LoadResult good = ConfigLoader::loadString(
            "[[service]]\nname = \"api\"\ncommand = [\"true\"]\ncwd = \"/tmp\"\n[service.update]\n",
            u"/tmp/y.toml"_s);
        QVERIFY(good.ok());
        const UpdateSpec &u = good.config->services[0].update;
        QVERIFY(u.enabled);
        QCOMPARE(u.remote, u"origin"_s);
        QCOMPARE(u.interval, Millis(600'000));
        QCOMPARE(u.verifyTimeout, Millis(60'000));
        QCOMPARE(u.mode, UpdateSpec::Mode::Notify);
        QCOMPARE(u.dirty, UpdateSpec::Dirty::Refuse);
    }

    void behindByNWithSubjects()
    {
        const Config config = makeConfig({.autostart = false});
        QVERIFY(!config.services.isEmpty());
        TestEngine t(config);
        Updater *u = t.engine().updater();
        QSignalSpy available(u, &Updater::updateAvailable);
        QVERIFY(m_git.push(u"one"_s));
        QVERIFY(m_git.push(u"two"_s));
        QVERIFY(m_git.push(u"three"_s));
        QVERIFY(checkNow(u));
        const UpdateStatus s = u->status(u"api"_s);
        QCOMPARE(s.checkError, QString());
        QCOMPARE(s.behind, 3);
        QCOMPARE(s.ahead, 0);
        QCOMPARE(s.upstream, u"origin/main"_s);
        QCOMPARE(s.subjects.size(), 3);
        QVERIFY(s.subjects[0].endsWith(u" three"_s));
        QVERIFY(s.subjects[2].endsWith(u" one"_s));
        QCOMPARE(s.target, m_git.originHead());
        QCOMPARE(s.badge(), u"↓3"_s);
        // Announced once per upstream commit, not every check.
        QCOMPARE(available.size(), 1);
        QVERIFY(checkNow(u));
        QCOMPARE(available.size(), 1);
    }

    void notifyChangesNothingUntilAsked()
    {
        const Config config = makeConfig({});
        TestEngine t(config);
        t.engine().boot();
        QVERIFY(waitHealthy(t.fleet()));
        const pid_t pid = t.fleet().service(u"api"_s)->pid();
        const QString before = m_git.head(m_git.app);
        Updater *u = t.engine().updater();
        QSignalSpy available(u, &Updater::updateAvailable);
        QSignalSpy finished(u, &Updater::finished);

        QVERIFY(m_git.push(u"v2"_s, {{u"flags"_s, "--name v2\n"}}));
        QVERIFY(checkNow(u));
        QCOMPARE(u->status(u"api"_s).behind, 1);
        QTRY_COMPARE(available.size(), 1);
        QVERIFY(available[0][1].toString().contains(u"v2"_s));
        QCOMPARE(m_git.head(m_git.app), before);
        QCOMPARE(t.fleet().service(u"api"_s)->pid(), pid);
        QVERIFY(finished.isEmpty());

        QVERIFY(u->apply(u"api"_s));
        QVERIFY(finished.wait(30'000));
        QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
        QCOMPARE(m_git.head(m_git.app), m_git.originHead());
        QVERIFY(isHealthy(t.fleet()));
        QVERIFY(cmdlineOf(t.fleet().service(u"api"_s)->pid()).contains(u"--name v2"_s));
        QCOMPARE(u->status(u"api"_s).behind, 0);
        QVERIFY(QFileInfo::exists(finished[0][3].toString()));
        QVERIFY(stopFleet(t.fleet()));
    }

    void autoAppliesAGoodCommit()
    {
        const Config config = makeConfig({.mode = "auto"});
        TestEngine t(config);
        t.engine().boot();
        QVERIFY(waitHealthy(t.fleet()));
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QVERIFY(m_git.push(u"v2"_s, {{u"flags"_s, "--name v2\n"}}));
        QVERIFY(checkNow(u));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 40'000);
        QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
        QCOMPARE(m_git.head(m_git.app), m_git.originHead());
        QVERIFY(isHealthy(t.fleet()));
        QVERIFY(cmdlineOf(t.fleet().service(u"api"_s)->pid()).contains(u"--name v2"_s));
        QVERIFY(stopFleet(t.fleet()));
    }

    void failedBuildIsRolledBackAndNotRetried()
    {
        const Config config = makeConfig({.mode = "auto"});
        TestEngine t(config);
        t.engine().boot();
        QVERIFY(waitHealthy(t.fleet()));
        const QString before = m_git.head(m_git.app);
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QSignalSpy alerts(&t.engine(), &Engine::updateAlert);
        QVERIFY(
            m_git.push(u"broken build"_s, {{u"flags"_s, "--name v2\n"},
                                           {u"build.sh"_s, "#!/bin/sh\necho compile error >&2\nexit 3\n"}}));
        const QString bad = m_git.originHead();
        QVERIFY(checkNow(u));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 30'000);
        QVERIFY(!finished[0][1].toBool());
        QCOMPARE(alerts.size(), 1);
        const QString text = alerts[0][3].toString();
        QVERIFY2(text.startsWith(u"update to %1 rolled back: build"_s.arg(bad.left(7))), qPrintable(text));
        QVERIFY(text.contains(u"exit 3"_s));
        QCOMPARE(m_git.head(m_git.app), before);
        QVERIFY(waitHealthy(t.fleet()));
        QVERIFY(cmdlineOf(t.fleet().service(u"api"_s)->pid()).contains(u"--name v1"_s));
        // The report says every step, with the build's output.
        QFile report(finished[0][3].toString());
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray r = report.readAll();
        QVERIFY(r.contains("compile error"));
        QVERIFY(r.contains("rollback"));
        // Never again by itself, also after a restart of Lifeline (the state file).
        QVERIFY(u->status(u"api"_s).targetRefused());
        QVERIFY(checkNow(u));
        QVERIFY(checkNow(u));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(m_git.head(m_git.app), before);
        QFile state(m_base + u"/state/update/api.state.json"_s);
        QVERIFY(state.open(QIODevice::ReadOnly));
        QVERIFY(state.readAll().contains(bad.toUtf8()));
        QVERIFY(stopFleet(t.fleet()));
    }

    void unhealthyCommitIsRolledBack()
    {
        const Config config = makeConfig({.mode = "auto"});
        TestEngine t(config);
        t.engine().boot();
        QVERIFY(waitHealthy(t.fleet()));
        const QString before = m_git.head(m_git.app);
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QSignalSpy alerts(u, &Updater::alertRaised);
        QVERIFY(m_git.push(u"sick"_s, {{u"flags"_s, "--name v2 --unhealthy-after 0s\n"}}));
        QVERIFY(checkNow(u));
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 40'000);
        QVERIFY(!finished[0][1].toBool());
        QCOMPARE(alerts.size(), 1);
        QVERIFY2(alerts[0][3].toString().startsWith(
                     u"update to %1 rolled back: "_s.arg(m_git.originHead().left(7))),
                 qPrintable(alerts[0][3].toString()));
        QCOMPARE(alerts[0][1].toInt(), 1); // the old code came back: a warning, not critical
        QCOMPARE(m_git.head(m_git.app), before);
        QVERIFY(isHealthy(t.fleet()));
        QVERIFY(cmdlineOf(t.fleet().service(u"api"_s)->pid()).contains(u"--name v1"_s));
        QVERIFY(stopFleet(t.fleet()));
    }

    void dirtyTreeIsRefused()
    {
        const Config config = makeConfig({.autostart = false});
        TestEngine t(config);
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QVERIFY(GitFixture::write(m_git.app + u"/notes.txt"_s, "my local edit\n"));
        const QString before = m_git.head(m_git.app);
        QVERIFY(m_git.push(u"v2"_s, {{u"flags"_s, "--name v2\n"}}));
        QVERIFY(u->apply(u"api"_s));
        QVERIFY(finished.wait(20'000));
        QVERIFY(!finished[0][1].toBool());
        QVERIFY2(finished[0][2].toString().contains(u"local changes"_s),
                 qPrintable(finished[0][2].toString()));
        QCOMPARE(m_git.head(m_git.app), before);
        QFile notes(m_git.app + u"/notes.txt"_s);
        QVERIFY(notes.open(QIODevice::ReadOnly));
        QCOMPARE(notes.readAll(), QByteArray("my local edit\n"));
    }

    void dirtyTreeIsStashedWhenAsked()
    {
        const Config config = makeConfig({.dirty = "stash", .autostart = false});
        TestEngine t(config);
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QVERIFY(GitFixture::write(m_git.app + u"/notes.txt"_s, "my local edit\n"));
        QVERIFY(m_git.push(u"v2"_s, {{u"flags"_s, "--name v2\n"}}));
        QVERIFY(u->apply(u"api"_s));
        QVERIFY(finished.wait(20'000));
        QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
        QCOMPARE(m_git.head(m_git.app), m_git.originHead());
        const QString stash = GitFixture::git(m_git.app, {u"stash"_s, u"list"_s});
        QVERIFY2(stash.contains(u"lifeline: local changes"_s), qPrintable(stash));
        GitFixture::git(m_git.app, {u"stash"_s, u"pop"_s});
        QFile notes(m_git.app + u"/notes.txt"_s);
        QVERIFY(notes.open(QIODevice::ReadOnly));
        QCOMPARE(notes.readAll(), QByteArray("my local edit\n"));
    }

    void divergedHistoryIsRefused()
    {
        const Config config = makeConfig({.autostart = false});
        TestEngine t(config);
        Updater *u = t.engine().updater();
        QSignalSpy finished(u, &Updater::finished);
        QVERIFY(GitFixture::write(m_git.app + u"/local.txt"_s, "mine\n"));
        GitFixture::git(m_git.app, {u"add"_s, u"local.txt"_s});
        bool ok = false;
        GitFixture::git(m_git.app, {u"commit"_s, u"-q"_s, u"-m"_s, u"local work"_s}, &ok);
        QVERIFY(ok);
        const QString before = m_git.head(m_git.app);
        QVERIFY(m_git.push(u"v2"_s, {{u"flags"_s, "--name v2\n"}}));
        QVERIFY(checkNow(u));
        QCOMPARE(u->status(u"api"_s).ahead, 1);
        QCOMPARE(u->status(u"api"_s).behind, 1);
        QVERIFY(!u->status(u"api"_s).canApply());
        QVERIFY(u->apply(u"api"_s));
        QVERIFY(finished.wait(20'000));
        QVERIFY(!finished[0][1].toBool());
        QVERIFY2(finished[0][2].toString().contains(u"diverged"_s), qPrintable(finished[0][2].toString()));
        QCOMPARE(m_git.head(m_git.app), before);
    }

    // A remote that never answers: the fetch is killed (its whole process
    // group) at its bound, and the engine answers the control socket meanwhile.
    void hangingFetchTimesOut()
    {
        const Config config = makeConfig({.interval = "10s", .autostart = false});
        GitFixture::git(m_git.app, {u"config"_s, u"remote.origin.uploadpack"_s, u"sleep 987; exit 1; "_s});
        Engine engine(config, {.liveReload = false});
        const QString socket = m_base + u"/ctl.sock"_s;
        QVERIFY(engine.initialize(socket));
        Updater *u = engine.updater();
        QTRY_COMPARE_WITH_TIMEOUT(u->status(u"api"_s).phase, u"checking"_s, 10'000);

        // While git hangs, status (with the update key) is answered.
        QLocalSocket client;
        client.connectToServer(socket);
        QVERIFY(client.waitForConnected(5'000));
        client.write("{\"cmd\":\"status\"}\n");
        QSignalSpy ready(&client, &QLocalSocket::readyRead);
        QVERIFY(ready.wait(5'000));
        const QJsonObject reply = QJsonDocument::fromJson(client.readLine()).object();
        QVERIFY(reply.value(u"ok"_s).toBool());
        const QJsonObject update = reply.value(u"status"_s)
                                       .toObject()
                                       .value(u"services"_s)
                                       .toArray()[0]
                                       .toObject()
                                       .value(u"update"_s)
                                       .toObject();
        QCOMPARE(update.value(u"phase"_s).toString(), u"checking"_s);

        QTRY_VERIFY_WITH_TIMEOUT(u->status(u"api"_s).checkError.contains(u"timed out"_s), 15'000);
        QVERIFY(u->status(u"api"_s).checkError.contains(u"git fetch origin main"_s));
        // Nothing of it is left: the sleep in the upload-pack was in the fetch's group.
        QTRY_VERIFY_WITH_TIMEOUT(!sleepAlive(), 10'000);
    }

private:
    static bool sleepAlive()
    {
        QDirIterator it(u"/proc"_s, QDir::Dirs | QDir::NoDotAndDotDot);
        while (it.hasNext()) {
            it.next();
            bool isPid = false;
            const int pid = it.fileName().toInt(&isPid);
            if (isPid && cmdlineOf(pid).trimmed() == u"sleep 987"_s)
                return true;
        }
        return false;
    }
};

QTEST_GUILESS_MAIN(TestUpdate)
#include "tst_update.moc"
