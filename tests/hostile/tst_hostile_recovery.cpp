// Hostile: `[recovery] clean = ["*"]` with a service whose cwd is the
// default, state_dir. Recovery must keep Lifeline's own state (the lock the
// running Lifeline holds, history, lifeline.log, logs/, run/, recovery/),
// back the logs up before anything is cleaned, remove a file matched by two
// patterns once without calling the second match a failure, and keep
// symlinks into state_dir and the configuration file. The config loader may
// refuse such globs; the runtime must be safe regardless, so the Config is
// changed after loading.
#include "config/configloader.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

bool writeAll(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestHostileRecovery : public QObject
{
    Q_OBJECT

private slots:
    void cleanStarOverStateDirKeepsLifelineState()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString state = dir.filePath(u"state"_s);
        const QString app = dir.filePath(u"app"_s);
        const QString configPath = app + u"/lifeline.toml"_s; // inside a cleaned cwd too
        const quint16 port = freePort();
        QVERIFY(port != 0);
        QVERIFY(QDir().mkpath(state));
        QVERIFY(writeAll(app + u"/junk.tmp"_s, "junk"));
        QVERIFY(writeAll(app + u"/old/cache.bin"_s, "cache"));

        const QByteArray toml = "[settings]\nstate_dir = \"" + state.toUtf8() +
                                "\"\n"
                                "[[service]]\nname = \"api\"\n"
                                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                QByteArray::number(port) +
                                "\"]\nstop_timeout = \"2s\"\n"
                                "[[service]]\nname = \"worker\"\ncwd = \"" +
                                app.toUtf8() +
                                "\"\ncommand = [\"/bin/sleep\", \"1000\"]\nstop_timeout = \"2s\"\n"
                                "[recovery]\nclean = [\"tmp/*.lock\"]\nverify_timeout = \"15s\"\n";
        QVERIFY(writeAll(configPath, toml));
        LoadResult loaded = ConfigLoader::loadFile(configPath);
        QVERIFY2(loaded.config, loaded.errors.isEmpty() ? "" : qPrintable(loaded.errors.first().toString()));
        Config cfg = *loaded.config;
        // "*" everywhere; "*.tmp" matches junk.tmp a second time.
        cfg.recovery.clean = {u"*"_s, u"*.tmp"_s};

        // What a running Lifeline holds in state_dir.
        QLockFile lock(state + u"/lifeline.lock"_s);
        QVERIFY(lock.tryLock(0));

        TestEngine engine(cfg);

        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        QVERIFY(api);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"worker"_s)->state(), ServiceState::Running, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(api->logPath()).size() > 0, 10000);
        const QByteArray apiLog = readAll(api->logPath());
        // Symlinks in a cleaned cwd that lead into state_dir.
        QVERIFY(QFile::link(state + u"/lifeline.log"_s, app + u"/state-log"_s));
        QVERIFY(QFile::link(state + u"/logs"_s, app + u"/logs-link"_s));

        Recovery rec(&fleet);
        rec.setStopGiveUpAfter(20000);
        const RecoveryPlan plan = rec.plan();
        for (const RecoveryItem &i : plan.clean) {
            if (i.path.startsWith(state) || i.path == configPath || i.path.contains(u"-link"_s) ||
                i.path.endsWith(u"state-log"_s))
                QVERIFY2(i.action.startsWith(u"refused"_s), qPrintable(i.describe()));
        }

        QSignalSpy finished(&rec, &Recovery::finished);
        QString error;
        QVERIFY2(rec.start({}, &error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        const RecoveryReport report = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(report.toText()));

        // Logs are backed up before anything is cleaned.
        qsizetype backupAt = -1, cleanAt = -1;
        for (qsizetype i = 0; i < report.steps.size(); ++i) {
            if (report.steps.at(i).id == RecoveryStep::Id::BackupLogs)
                backupAt = i;
            if (report.steps.at(i).id == RecoveryStep::Id::Clean)
                cleanAt = i;
        }
        QVERIFY(backupAt >= 0 && cleanAt > backupAt);

        // Lifeline's state survived, and the lock is still the running one's.
        for (const char *rel : {"lifeline.lock", "lifeline.log", "history.sqlite", "logs", "run", "recovery"})
            QVERIFY2(QFileInfo::exists(state + u'/' + QLatin1String(rel)), rel);
        QVERIFY(QDir(state + u"/recovery"_s).entryList({u"*.txt"_s}, QDir::Files).size() == 1);
        QLockFile second(state + u"/lifeline.lock"_s);
        QVERIFY2(!second.tryLock(0), "a second Lifeline could take the lock");
        QVERIFY(QFileInfo::exists(configPath));
        QVERIFY(QFileInfo(app + u"/state-log"_s).isSymLink());
        QVERIFY(QFileInfo(app + u"/logs-link"_s).isSymLink());

        // The backup holds the logs as they were.
        const QStringList backups =
            QDir(state + u"/backups"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QCOMPARE(backups.size(), 1);
        const QByteArray saved = readAll(state + u"/backups/"_s + backups.at(0) + u"/api.log"_s);
        QVERIFY(!apiLog.isEmpty());
        QVERIFY(saved.startsWith(apiLog));

        // What the globs may clean is cleaned: junk.tmp once, its second
        // match no failure.
        QVERIFY(!QFileInfo::exists(app + u"/junk.tmp"_s));
        QVERIFY(!QFileInfo::exists(app + u"/old"_s));
        const RecoveryStep &clean = report.steps.at(cleanAt);
        int junk = 0;
        for (const RecoveryItem &i : clean.items) {
            QVERIFY2(!i.action.startsWith(u"not removed"_s), qPrintable(i.describe()));
            if (i.path == app + u"/junk.tmp"_s) {
                ++junk;
                QCOMPARE(i.action, u"removed"_s);
                QVERIFY2(i.why.contains(u"\"*\""_s) && i.why.contains(u"\"*.tmp\""_s), qPrintable(i.why));
            }
        }
        QCOMPARE(junk, 1);
        QVERIFY2(!clean.message.contains(u"could not be removed"_s), qPrintable(clean.message));
        QVERIFY(stopFleet(fleet));
    }
};

QTEST_GUILESS_MAIN(TestHostileRecovery)
#include "tst_hostile_recovery.moc"
