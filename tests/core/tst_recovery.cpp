// Emergency recovery with real processes, ports, files and health checks:
// nothing is killed by name, foreign port holders need consent, other
// users' processes are never signalled, clean globs cannot escape the cwd,
// logs are copied byte for byte before they are emptied, a dry run changes
// nothing, and failures name the service.
#include "config/configloader.h"
#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "metrics/metricshistory.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "recovery/recoveryfiles.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDateTime>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <limits>
#include <memory>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool writeAll(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

bool alive(pid_t pid)
{
    const auto p = ProcFs().process(pid);
    return p && !p->isZombie();
}

const RecoveryStep &step(const RecoveryReport &r, RecoveryStep::Id id)
{
    return r.steps.at(int(id));
}

const RecoveryItem *findPid(const RecoveryStep &s, pid_t pid)
{
    for (const RecoveryItem &i : s.items) {
        if (i.kind == RecoveryItem::Kind::Process && i.pid == pid)
            return &i;
    }
    return nullptr;
}

const RecoveryItem *findPath(const QList<RecoveryItem> &items, const QString &suffix)
{
    for (const RecoveryItem &i : items) {
        if (i.path.endsWith(suffix))
            return &i;
    }
    return nullptr;
}

QString dumpSteps(const RecoveryReport &r)
{
    return r.toText();
}

} // namespace

class TestRecovery : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QList<QProcess *> m_external;

    QString path(const QString &rel) const { return m_dir->filePath(rel); }
    QString stateDir() const { return path(u"state"_s); }

    Config load(const QByteArray &body)
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + stateDir().toUtf8() + "\"\nsample_interval = \"1s\"\n" + body;
        const QString file = path(u"lifeline.toml"_s);
        if (!writeAll(file, toml))
            qFatal("cannot write config");
        LoadResult r = ConfigLoader::loadFile(file);
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        return r.config.value_or(Config{});
    }

    static QByteArray service(const char *name, quint16 port, const QByteArray &flags = {},
                              const QByteArray &extra = {})
    {
        return "[[service]]\nname = \"" + QByteArray(name) +
               "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(port) +
               "\", \"--name\", \"" + name + "\"" + flags + "]\nports = [" + QByteArray::number(port) +
               "]\nstop_timeout = \"2s\"\nrestart_delay = \"300ms\"\n" + extra + "\n";
    }

    static QByteArray health(quint16 port)
    {
        return "[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
               "/health\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\n";
    }

    // A process started by the test, outside Lifeline; ended in cleanup().
    QProcess *external(const QString &program, const QStringList &args, const QProcessEnvironment &env = {})
    {
        auto *p = new QProcess(this);
        if (!env.isEmpty())
            p->setProcessEnvironment(env);
        p->setProcessChannelMode(QProcess::MergedChannels);
        p->start(program, args);
        m_external.append(p);
        return p;
    }

    static bool listening(quint16 port, pid_t pid)
    {
        const auto h = ProcFs().portHolder(port);
        return h && (pid == 0 || h->pid == pid);
    }

    static void stopFleet(Fleet &fleet)
    {
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        if (!fleet.isAllStopped())
            QVERIFY(stopped.wait(10000));
    }

    // A failed step is followed only by skipped ones.
    static void checkSkippedAfterFailure(const RecoveryReport &r)
    {
        bool failed = false;
        for (const RecoveryStep &s : r.steps) {
            if (failed)
                QCOMPARE(s.status, RecoveryStepStatus::Skipped);
            failed = failed || s.status == RecoveryStepStatus::Failed;
            QVERIFY(s.status != RecoveryStepStatus::Pending && s.status != RecoveryStepStatus::Running);
        }
        QCOMPARE(r.ok, !failed);
    }

    static RecoveryReport run(Recovery &rec, const RecoveryOptions &options, int timeoutMs = 30000)
    {
        QSignalSpy finished(&rec, &Recovery::finished);
        QString error;
        if (!rec.start(options, &error)) {
            qWarning("start failed: %s", qPrintable(error));
            return {};
        }
        if (!finished.wait(timeoutMs))
            return {};
        return finished.at(0).at(0).value<RecoveryReport>();
    }

    // Marker-carrying processes of our uid for every service, and a listing
    // of the files (with sizes, except logs and history that grow on their own).
    static QStringList snapshot(const Fleet &fleet, const QString &root)
    {
        QStringList out;
        const ProcFs proc;
        for (const ServiceSupervisor *s : fleet.services()) {
            for (pid_t pid : proc.serviceTree(0, 0, ServiceSupervisor::markerKey(), s->markerValue()))
                out.append(u"pid %1 %2"_s.arg(s->name()).arg(pid));
        }
        QDirIterator it(root, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString p = it.next();
            const QFileInfo fi = it.fileInfo();
            if (fi.fileName().contains(u"history"_s))
                continue; // SQLite journals come and go
            const bool grows = fi.fileName().contains(u".log"_s);
            out.append(p + (fi.isSymLink() ? u" -> "_s + fi.symLinkTarget() : QString()) +
                       (grows || fi.isDir() ? QString() : u" "_s + QString::number(fi.size())));
        }
        out.sort();
        return out;
    }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<ServiceState>();
        qRegisterMetaType<Health>();
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void cleanup()
    {
        for (QProcess *p : std::as_const(m_external)) {
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(5000);
            }
            delete p;
        }
        m_external.clear();
        m_dir.reset();
    }

    // ---- file rules on their own -------------------------------------------------

    void cleanGlobsStayInsideCwd()
    {
        const QString cwd = path(u"app"_s);
        QVERIFY(writeAll(cwd + u"/tmp/a.lock"_s, "a"));
        QVERIFY(writeAll(cwd + u"/tmp/.hidden.lock"_s, "h"));
        QVERIFY(writeAll(cwd + u"/tmp/keep.txt"_s, "k"));
        QVERIFY(writeAll(path(u"outside/secret.lock"_s), "secret"));
        QVERIFY(QFile::link(path(u"outside"_s), cwd + u"/linkdir"_s));
        QVERIFY(QFile::link(path(u"outside/secret.lock"_s), cwd + u"/tmp/evil.lock"_s));

        const QList<CleanMatch> m =
            resolveCleanGlobs(cwd, {u"tmp/*.lock"_s, u"linkdir/*.lock"_s, u"tmp/../../outside/*.lock"_s,
                                    u"/etc/passwd"_s, u"."_s});
        QHash<QString, CleanMatch> byPath;
        for (const CleanMatch &c : m)
            byPath.insert(c.path, c);
        QVERIFY(byPath.contains(cwd + u"/tmp/a.lock"_s));
        QVERIFY(!byPath.value(cwd + u"/tmp/a.lock"_s).refused);
        QCOMPARE(byPath.value(cwd + u"/tmp/a.lock"_s).bytes, 1);
        QVERIFY(!byPath.contains(cwd + u"/tmp/.hidden.lock"_s)); // '*' does not match dot files
        QVERIFY(!byPath.contains(cwd + u"/tmp/keep.txt"_s));
        QVERIFY(byPath.value(cwd + u"/tmp/evil.lock"_s).refused);
        QVERIFY2(byPath.value(cwd + u"/tmp/evil.lock"_s).reason.contains(u"outside"_s),
                 qPrintable(byPath.value(cwd + u"/tmp/evil.lock"_s).reason));
        QVERIFY(byPath.value(cwd + u"/linkdir/secret.lock"_s).refused);
        QVERIFY(byPath.value(u"tmp/../../outside/*.lock"_s).refused);
        QVERIFY(byPath.value(u"tmp/../../outside/*.lock"_s).reason.contains(u".."_s));
        QVERIFY(byPath.value(u"/etc/passwd"_s).refused);
        QVERIFY(byPath.value(u"."_s).refused);
        for (const CleanMatch &c : m) {
            QString error;
            if (c.refused)
                QVERIFY(!removeCleanMatch(c, &error));
            else
                QVERIFY2(removeCleanMatch(c, &error), qPrintable(error));
        }
        QVERIFY(!QFileInfo::exists(cwd + u"/tmp/a.lock"_s));
        QCOMPARE(readAll(path(u"outside/secret.lock"_s)), QByteArray("secret"));
        QVERIFY(QFileInfo(cwd + u"/tmp/evil.lock"_s).isSymLink());

        // Hidden files only for a pattern that asks for them.
        const QList<CleanMatch> hidden = resolveCleanGlobs(cwd, {u"tmp/.*.lock"_s});
        QCOMPARE(hidden.size(), 1);
        QCOMPARE(hidden.at(0).path, cwd + u"/tmp/.hidden.lock"_s);
    }

    // Lifeline's own state, the logs and the configuration are never
    // cleaned: not as a match, not through a folder that holds them, not
    // through a symlink into them.
    void cleanGlobsNeverTouchProtectedPaths()
    {
        const QString state = path(u"state"_s);
        QVERIFY(writeAll(state + u"/lifeline.lock"_s, "lock"));
        QVERIFY(writeAll(state + u"/logs/api.log"_s, "log"));
        QVERIFY(writeAll(state + u"/junk.tmp"_s, "junk"));
        const QString app = path(u"app"_s);
        QVERIFY(writeAll(app + u"/lifeline.toml"_s, "[settings]"));
        QVERIFY(writeAll(app + u"/junk.tmp"_s, "junk"));
        QVERIFY(QFile::link(state + u"/lifeline.lock"_s, app + u"/lock-link"_s));
        QVERIFY(QDir().mkpath(app + u"/nest"_s));
        const QList<ProtectedPath> protect{{state + u"/logs"_s, u"the services' logs"_s},
                                           {app + u"/lifeline.toml"_s, u"Lifeline's configuration"_s},
                                           {state, u"Lifeline's state folder (state_dir)"_s}};

        QHash<QString, CleanMatch> byPath;
        for (const CleanMatch &c : resolveCleanGlobs(state, {u"*"_s, u"logs/*"_s}, protect))
            byPath.insert(c.path, c);
        for (const CleanMatch &c : resolveCleanGlobs(app, {u"*"_s}, protect))
            byPath.insert(c.path, c);
        // With the cwd the state folder itself, everything in it is Lifeline's.
        for (const char *rel : {"/lifeline.lock", "/junk.tmp", "/logs", "/logs/api.log"}) {
            const CleanMatch m = byPath.value(state + QLatin1String(rel));
            QVERIFY2(m.refused && m.reason.contains(u"never cleaned"_s), rel);
        }
        QVERIFY(byPath.value(state + u"/logs"_s).reason.contains(u"logs"_s));
        QVERIFY(byPath.value(app + u"/lifeline.toml"_s).refused);
        QVERIFY2(byPath.value(app + u"/lock-link"_s).reason.contains(u"points into"_s),
                 qPrintable(byPath.value(app + u"/lock-link"_s).reason));
        QVERIFY(!byPath.value(app + u"/junk.tmp"_s).refused);
        QVERIFY(!byPath.value(app + u"/nest"_s).refused);

        // A folder that holds the state folder is refused as a whole.
        const QList<CleanMatch> parent = resolveCleanGlobs(m_dir->path(), {u"st*"_s}, protect);
        QCOMPARE(parent.size(), 1);
        QVERIFY2(parent.at(0).refused && parent.at(0).reason.startsWith(u"is Lifeline's state"_s),
                 qPrintable(parent.at(0).reason));
        const QList<CleanMatch> holder =
            resolveCleanGlobs(m_dir->path(), {u"*"_s}, {{state + u"/logs"_s, u"the services' logs"_s}});
        const auto it = std::find_if(holder.cbegin(), holder.cend(),
                                     [&](const CleanMatch &c) { return c.path == state; });
        QVERIFY(it != holder.cend());
        QVERIFY2(it->refused && it->reason.startsWith(u"holds the services' logs"_s), qPrintable(it->reason));
    }

    // The dry run is numbered as a person reads it: 1., 2., 3., ... over
    // the sections shown, whichever are.
    void planIsNumberedAsRead()
    {
        for (const bool backup : {true, false}) {
            RecoveryPlan plan;
            plan.backupLogs = backup;
            plan.services = {u"api"_s};
            int expected = 0;
            for (const QString &line : plan.toText().split(u'\n')) {
                if (line.isEmpty() || !line.at(0).isDigit())
                    continue;
                QCOMPARE(line.section(u'.', 0, 0).toInt(), ++expected);
            }
            QVERIFY(expected >= 6);
        }
    }

    void logCopyIsVerifiedBeforeTruncation()
    {
        const QString live = path(u"logs/api.log"_s);
        QByteArray content;
        for (int i = 0; i < 3000; ++i)
            content += "line " + QByteArray::number(i) + " \x01\xff\n";
        QVERIFY(writeAll(live, content));
        const QString dst = path(u"backup/api.log"_s);
        QDir().mkpath(path(u"backup"_s));
        QString error;
        QCOMPARE(copyVerified(live, dst, &error), qint64(content.size()));
        // A late write after the copy is caught up before the live file is emptied.
        {
            QFile f(live);
            QVERIFY(f.open(QIODevice::Append));
            f.write("late line\n");
        }
        QCOMPARE(truncateAfterVerifiedCopy(live, dst, &error), qint64(content.size() + 10));
        QCOMPARE(readAll(dst), content + "late line\n");
        QCOMPARE(QFileInfo(live).size(), 0);

        // A copy that differs from the live file: the live file is not touched.
        QVERIFY(writeAll(live, "original"));
        QVERIFY(writeAll(dst, "origXnal"));
        QCOMPARE(truncateAfterVerifiedCopy(live, dst, &error), -1);
        QVERIFY2(error.contains(u"differs"_s), qPrintable(error));
        QCOMPARE(readAll(live), QByteArray("original"));

        // Pruning keeps the newest folders and never touches foreign entries.
        const QString backups = path(u"backups"_s);
        for (const char *name :
             {"20240101-000000", "20240101-000000-2", "20240102-000000", "20240103-000000", "mine"})
            QVERIFY(QDir().mkpath(backups + u'/' + QLatin1String(name)));
        const QStringList removed = pruneBackupFolders(backups, 2);
        QCOMPARE(removed.size(), 2);
        QVERIFY(!QFileInfo::exists(backups + u"/20240101-000000"_s));
        QVERIFY(!QFileInfo::exists(backups + u"/20240101-000000-2"_s));
        QVERIFY(QFileInfo::exists(backups + u"/20240102-000000"_s));
        QVERIFY(QFileInfo::exists(backups + u"/20240103-000000"_s));
        QVERIFY(QFileInfo::exists(backups + u"/mine"_s));
    }

    // ---- whole runs ----------------------------------------------------------------

    void recoversStackToHealthyWithNewPids()
    {
        const quint16 apiPort = freePort(), workerPort = freePort(), decoyPort = freePort();
        const QString cwd = path(u"app"_s);
        QVERIFY(writeAll(cwd + u"/tmp/a.lock"_s, "stale lock"));
        QVERIFY(writeAll(cwd + u"/tmp/keep.txt"_s, "keep"));
        QVERIFY(writeAll(path(u"outside/secret.lock"_s), "must survive"));
        QVERIFY(QFile::link(path(u"outside/secret.lock"_s), cwd + u"/tmp/evil.lock"_s));

        const QByteArray cwdLine = "cwd = \"" + cwd.toUtf8() + "\"\n";
        Config cfg = load(service("api", apiPort, ", \"--spawn-grandchild\"", cwdLine + health(apiPort)) +
                          service("worker", workerPort, {}, cwdLine + "depends_on = [\"api\"]\n") +
                          "[recovery]\nclean = [\"tmp/*.lock\", \"../outside/*.lock\"]\nkeep_backups = 2\n"
                          "verify_timeout = \"15s\"\n");
        QCOMPARE(cfg.services.size(), 2);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        ServiceSupervisor *worker = fleet.service(u"worker"_s);
        QTRY_COMPARE_WITH_TIMEOUT(worker->state(), ServiceState::Running, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(api->health()->health(), Health::Healthy, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(api->treePids().size() >= 2, 5000); // main + grandchild
        const pid_t oldApi = api->pid(), oldWorker = worker->pid();
        const QList<pid_t> oldApiTree = api->treePids();

        // A decoy with the service's program and flags (only its port differs)
        // and its own escaped grandchild: not ours, so it must survive.
        QProcess *decoy =
            external(QStringLiteral(LIFELINE_DEMO_BACKEND), {u"--port"_s, QString::number(decoyPort),
                                                             u"--name"_s, u"api"_s, u"--spawn-grandchild"_s});
        QVERIFY(decoy->waitForStarted(5000));
        QByteArray decoyOut;
        QTRY_VERIFY_WITH_TIMEOUT((decoyOut += decoy->readAll()).contains("grandchild PID "), 5000);
        const pid_t decoyGrandchild =
            pid_t(decoyOut.mid(decoyOut.indexOf("grandchild PID ") + 15).split('\n').at(0).toInt());
        QVERIFY(decoyGrandchild > 0);
        QTRY_VERIFY_WITH_TIMEOUT(listening(decoyPort, 0), 5000);

        // Logs to back up: the live ones (with content by now) and a rotated one.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(api->logPath()).size() > 0, 5000);
        QByteArray rotated("rotated \x00\x01\x02 bytes\n", 20);
        QVERIFY(writeAll(api->logPath() + u".1"_s, rotated));
        // An old backup folder that keep_backups = 2 keeps, and two that go.
        for (const char *name : {"20200101-000000", "20200102-000000", "20200103-000000"})
            QVERIFY(QDir().mkpath(stateDir() + u"/backups/"_s + QLatin1String(name)));

        Recovery rec(&fleet);

        // Dry run: lists everything and changes nothing.
        const QStringList before = snapshot(fleet, m_dir->path());
        const RecoveryPlan plan = rec.plan();
        const QStringList after = snapshot(fleet, m_dir->path());
        QCOMPARE(after, before);
        QVERIFY(alive(oldApi) && alive(oldWorker));
        QVERIFY(std::any_of(plan.toStop.cbegin(), plan.toStop.cend(),
                            [&](const RecoveryItem &i) { return i.pid == oldApi; }));
        QVERIFY(std::any_of(plan.toStop.cbegin(), plan.toStop.cend(),
                            [&](const RecoveryItem &i) { return i.pid == oldWorker; }));
        for (pid_t pid : oldApiTree)
            QVERIFY(std::any_of(plan.toStop.cbegin(), plan.toStop.cend(),
                                [&](const RecoveryItem &i) { return i.pid == pid; }));
        QVERIFY(plan.leftovers.isEmpty());
        QVERIFY(plan.portHolders.isEmpty()); // the services hold their own ports
        QVERIFY(!plan.hasForeignPortHolders());
        QVERIFY(findPath(plan.clean, u"/tmp/a.lock"_s));
        QVERIFY(findPath(plan.clean, u"/tmp/a.lock"_s)->action.startsWith(u"will be removed"_s));
        QVERIFY(findPath(plan.clean, u"/tmp/evil.lock"_s));
        QVERIFY(findPath(plan.clean, u"/tmp/evil.lock"_s)->action.startsWith(u"refused"_s));
        QVERIFY(findPath(plan.clean, u"../outside/*.lock"_s));
        QVERIFY(findPath(plan.clean, u"../outside/*.lock"_s)->action.startsWith(u"refused"_s));
        QVERIFY(findPath(plan.logs, u"/api.log.1"_s));
        QCOMPARE(findPath(plan.logs, u"/api.log.1"_s)->bytes, qint64(rotated.size()));
        QVERIFY(plan.toText().contains(QString::number(oldApi)));
        QCOMPARE(plan.services, (QStringList{u"api"_s, u"worker"_s}));

        const QByteArray oldLog = readAll(api->logPath());
        QVERIFY(!oldLog.isEmpty());

        QSignalSpy finished(&rec, &Recovery::finished);
        QSignalSpy steps(&rec, &Recovery::stepChanged);
        QString error;
        QVERIFY2(rec.start({}, &error), qPrintable(error));
        QVERIFY(rec.isRunning());
        // Refuses to run twice: in this object, and from another one on the same state_dir.
        QVERIFY(!rec.start({}, &error));
        QVERIFY2(error.contains(u"already running"_s), qPrintable(error));
        Recovery other(&fleet);
        QVERIFY(!other.start({}, &error));
        QVERIFY2(error.contains(u"already running"_s) && error.contains(u".lock"_s), qPrintable(error));

        QVERIFY(finished.wait(30000));
        const RecoveryReport report = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(dumpSteps(report)));
        checkSkippedAfterFailure(report);
        QVERIFY(!rec.isRunning());
        QCOMPARE(report.steps.size(), RecoveryStep::Count);
        QCOMPARE(step(report, RecoveryStep::Id::Stop).status, RecoveryStepStatus::Ok);
        QVERIFY(findPid(step(report, RecoveryStep::Id::Stop), oldApi));
        QCOMPARE(step(report, RecoveryStep::Id::FindLeftovers).status, RecoveryStepStatus::Ok);
        QCOMPARE(step(report, RecoveryStep::Id::Clean).status, RecoveryStepStatus::Warning); // two refusals
        QCOMPARE(step(report, RecoveryStep::Id::BackupLogs).status, RecoveryStepStatus::Ok);
        QCOMPARE(step(report, RecoveryStep::Id::Start).status, RecoveryStepStatus::Ok);
        QCOMPARE(step(report, RecoveryStep::Id::Verify).status, RecoveryStepStatus::Ok);
        // Live progress: every step went through running to its end status.
        QVERIFY(steps.size() >= 2 * RecoveryStep::Count);

        // New processes, healthy; nothing of the old trees left.
        QCOMPARE(api->state(), ServiceState::Running);
        QCOMPARE(worker->state(), ServiceState::Running);
        QCOMPARE(api->health()->health(), Health::Healthy);
        QVERIFY(api->pid() != oldApi);
        QVERIFY(worker->pid() != oldWorker);
        // The table says why the old runs ended: not the clean exit they answered the stop with.
        QCOMPARE(api->lastReason(), QStringLiteral("stopped by emergency recovery"));
        QCOMPARE(worker->lastReason(), QStringLiteral("stopped by emergency recovery"));
        for (pid_t pid : oldApiTree)
            QVERIFY2(!alive(pid) || api->treePids().contains(pid), qPrintable(QString::number(pid)));
        // The decoy and its grandchild survived: no name matching.
        QCOMPARE(decoy->state(), QProcess::Running);
        QVERIFY(alive(decoyGrandchild));
        ::kill(decoyGrandchild, SIGKILL);

        // Cleaning stayed inside the cwd.
        QVERIFY(!QFileInfo::exists(cwd + u"/tmp/a.lock"_s));
        QCOMPARE(readAll(cwd + u"/tmp/keep.txt"_s), QByteArray("keep"));
        QCOMPARE(readAll(path(u"outside/secret.lock"_s)), QByteArray("must survive"));
        QVERIFY(QFileInfo(cwd + u"/tmp/evil.lock"_s).isSymLink());

        // Logs: copied byte for byte, then the live ones emptied; old backups pruned.
        const QStringList backups =
            QDir(stateDir() + u"/backups"_s).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QCOMPARE(backups.size(), 2);
        QCOMPARE(backups.at(0), u"20200103-000000"_s);
        const QString backup = stateDir() + u"/backups/"_s + backups.at(1);
        QCOMPARE(readAll(backup + u"/api.log.1"_s), rotated);
        const QByteArray savedLog = readAll(backup + u"/api.log"_s);
        QVERIFY(savedLog.startsWith(oldLog));
        QVERIFY(!readAll(api->logPath()).startsWith(oldLog.left(40))); // emptied, then written by the new run
        const RecoveryItem *apiLog =
            findPath(step(report, RecoveryStep::Id::BackupLogs).items, u"/logs/api.log"_s);
        QVERIFY(apiLog);
        QCOMPARE(apiLog->bytes, qint64(savedLog.size()));
        QVERIFY2(apiLog->action.contains(u"emptied"_s), qPrintable(apiLog->action));

        // Report files, history event, lifeline.log line.
        QVERIFY(QFileInfo::exists(report.jsonPath));
        QCOMPARE(rec.lastReportPath(), report.textPath);
        QString readPath;
        const QString text = Recovery::readLastReport(stateDir(), &readPath);
        QCOMPARE(readPath, report.textPath);
        QVERIFY(text.contains(u"Summary: recovery succeeded"_s));
        QVERIFY(text.contains(QString::number(oldApi)));
        const QJsonObject json = QJsonDocument::fromJson(readAll(report.jsonPath)).object();
        QCOMPARE(json.value(u"ok"_s).toBool(), true);
        QCOMPARE(json.value(u"steps"_s).toArray().size(), RecoveryStep::Count);
        QCOMPARE(json.value(u"services"_s).toArray().size(), 2);
        const QList<HistoryEvent> events =
            fleet.history()->events(QString(), 0, QDateTime::currentMSecsSinceEpoch() + 1000);
        QVERIFY(std::any_of(events.cbegin(), events.cend(), [](const HistoryEvent &e) {
            return e.kind == HistoryEventKind::Recovery && e.text.contains(u"succeeded"_s);
        }));
        QVERIFY(readAll(fleet.eventLog()->path()).contains("emergency recovery: recovery succeeded"));

        // Once finished, a new run is accepted again (the lock was released).
        QVERIFY(!other.isRunning());
        stopFleet(fleet);
    }

    void leftoversWithOurMarkerAreEnded()
    {
        const quint16 apiPort = freePort();
        Config cfg =
            load(service("api", apiPort, {}, health(apiPort)) + "[recovery]\nverify_timeout = \"10s\"\n");
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet(); // not booted: the leftover is of an earlier Lifeline
        ServiceSupervisor *api = fleet.service(u"api"_s);

        // A process of an earlier run: carries api's marker and holds its port.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QString::fromLatin1(ServiceSupervisor::markerKey()),
                   QString::fromUtf8(api->markerValue()));
        QProcess *leftover =
            external(QStringLiteral(LIFELINE_DEMO_BACKEND), {u"--port"_s, QString::number(apiPort)}, env);
        QVERIFY(leftover->waitForStarted(5000));
        const pid_t leftoverPid = pid_t(leftover->processId());
        QTRY_VERIFY_WITH_TIMEOUT(listening(apiPort, leftoverPid), 5000);
        // And a stale pidfile naming a process that is gone.
        QVERIFY(writeAll(api->pidfilePath(), R"({"pid": 999999999, "start_time": "1", "marker": "x"})"));

        Recovery rec(&fleet);
        const RecoveryPlan plan = rec.plan();
        QVERIFY(plan.toStop.isEmpty());
        const auto it = std::find_if(plan.leftovers.cbegin(), plan.leftovers.cend(),
                                     [&](const RecoveryItem &i) { return i.pid == leftoverPid; });
        QVERIFY(it != plan.leftovers.cend());
        QVERIFY2(it->why.contains(u"carries LIFELINE_SERVICE_ID of api"_s), qPrintable(it->why));
        QVERIFY2(it->why.contains(u"listens on port %1 which api needs"_s.arg(apiPort)), qPrintable(it->why));
        QVERIFY(findPath(plan.leftovers, u"/run/api.pid"_s));
        QVERIFY(plan.portHolders.isEmpty()); // proven ours: no consent needed
        QVERIFY(alive(leftoverPid));

        const RecoveryReport report = run(rec, {});
        QVERIFY2(report.ok, qPrintable(dumpSteps(report)));
        const RecoveryStep &found = step(report, RecoveryStep::Id::FindLeftovers);
        QCOMPARE(found.status, RecoveryStepStatus::Ok);
        const RecoveryItem *item = findPid(found, leftoverPid);
        QVERIFY(item);
        QVERIFY2(item->action.startsWith(u"ended"_s), qPrintable(item->action));
        QVERIFY(!item->cmdline.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(leftover->state(), QProcess::NotRunning, 5000);
        QVERIFY(findPath(found.items, u"/run/api.pid"_s));
        QCOMPARE(api->state(), ServiceState::Running);
        QVERIFY(api->pid() != leftoverPid);
        QCOMPARE(api->health()->health(), Health::Healthy);
        stopFleet(fleet);
    }

    void foreignPortHolderIsEndedOnlyWithConsent()
    {
        const quint16 apiPort = freePort();
        Config cfg =
            load(service("api", apiPort, {}, health(apiPort)) + "[recovery]\nverify_timeout = \"2s\"\n");
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        // The demo backend itself, started outside Lifeline on api's port.
        QProcess *holder =
            external(QStringLiteral(LIFELINE_DEMO_BACKEND), {u"--port"_s, QString::number(apiPort)});
        QVERIFY(holder->waitForStarted(5000));
        const pid_t holderPid = pid_t(holder->processId());
        QTRY_VERIFY_WITH_TIMEOUT(listening(apiPort, holderPid), 5000);
        // A live log that cannot be backed up (backups/ is a file): it must stay as it is.
        QVERIFY(writeAll(api->logPath(), "precious log\n"));
        QVERIFY(writeAll(stateDir() + u"/backups"_s, "not a folder"));

        Recovery rec(&fleet);
        const RecoveryPlan plan = rec.plan();
        QVERIFY(plan.hasForeignPortHolders());
        QCOMPARE(plan.portHolders.size(), 1);
        QCOMPARE(plan.portHolders.at(0).pid, holderPid);
        QCOMPARE(plan.portHolders.at(0).port, apiPort);
        QVERIFY(plan.portHolders.at(0).why.contains(u"not started by Lifeline"_s));

        // Without consent: named, not ended; the run fails naming api.
        RecoveryOptions options;
        options.minFreeDiskBytes = std::numeric_limits<qint64>::max(); // force the low-disk warning
        const RecoveryReport first = run(rec, options);
        QVERIFY(!first.steps.isEmpty());
        checkSkippedAfterFailure(first);
        QVERIFY(!first.ok);
        const RecoveryStep &found = step(first, RecoveryStep::Id::FindLeftovers);
        QCOMPARE(found.status, RecoveryStepStatus::Warning);
        const RecoveryItem *item = findPid(found, holderPid);
        QVERIFY(item);
        QVERIFY2(item->action.startsWith(u"not ended"_s), qPrintable(item->action));
        QVERIFY(found.message.contains(u"NOT touched"_s));
        QCOMPARE(holder->state(), QProcess::Running);
        QVERIFY(alive(holderPid));

        const RecoveryStep &resources = step(first, RecoveryStep::Id::CheckResources);
        QCOMPARE(resources.status, RecoveryStepStatus::Warning);
        QVERIFY2(resources.message.contains(u"free for"_s), qPrintable(resources.message));

        const RecoveryStep &logs = step(first, RecoveryStep::Id::BackupLogs);
        QCOMPARE(logs.status, RecoveryStepStatus::Warning);
        QVERIFY2(logs.message.contains(u"no log was emptied"_s), qPrintable(logs.message));
        QCOMPARE(readAll(api->logPath()), QByteArray("precious log\n"));

        const RecoveryStep *failed = first.failedStep();
        QVERIFY(failed);
        QVERIFY2(failed->message.contains(u"api"_s), qPrintable(failed->message));
        QVERIFY2(failed->message.contains(QString::number(holderPid)) ||
                     failed->message.contains(u"verify_timeout"_s),
                 qPrintable(failed->message));
        const QString text = QString::fromUtf8(readAll(first.textPath));
        QVERIFY(text.section(u'\n', 1, 1)
                    .startsWith(u"Summary: recovery FAILED at step %1"_s.arg(int(failed->id) + 1)));
        QVERIFY(text.contains(u"Failed step:"_s));
        QCOMPARE(QJsonDocument::fromJson(readAll(first.jsonPath)).object().value(u"ok"_s).toBool(true),
                 false);

        // With consent: ended, and api comes up healthy.
        QFile::remove(stateDir() + u"/backups"_s);
        RecoveryOptions consent;
        consent.killForeignPortHolders = true;
        QSignalSpy finished(&rec, &Recovery::finished);
        // verify_timeout of 2s counts from the start step: enough for one demo backend.
        QVERIFY(rec.start(consent));
        QVERIFY(finished.wait(30000));
        const RecoveryReport second = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(second.ok, qPrintable(dumpSteps(second)));
        const RecoveryItem *ended = findPid(step(second, RecoveryStep::Id::FindLeftovers), holderPid);
        QVERIFY(ended);
        QVERIFY2(ended->action.startsWith(u"ended"_s), qPrintable(ended->action));
        QVERIFY(ended->why.contains(u"consent"_s));
        QTRY_COMPARE_WITH_TIMEOUT(holder->state(), QProcess::NotRunning, 5000);
        QCOMPARE(api->state(), ServiceState::Running);
        QCOMPARE(api->health()->health(), Health::Healthy);
        stopFleet(fleet);
    }

    void otherUsersProcessIsNeverSignalled()
    {
        if (::getuid() != 0)
            QSKIP("needs root to start a process of another user (setpriv)");
        if (QStandardPaths::findExecutable(u"setpriv"_s).isEmpty())
            QSKIP("setpriv not installed");
        const quint16 apiPort = freePort();
        Config cfg =
            load(service("api", apiPort) + "[recovery]\nverify_timeout = \"1s\"\nbackup_logs = false\n");
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        QProcess *holder = external(u"setpriv"_s, {u"--reuid=65534"_s, u"--regid=65534"_s,
                                                   u"--clear-groups"_s, QStringLiteral(LIFELINE_DEMO_BACKEND),
                                                   u"--port"_s, QString::number(apiPort)});
        QVERIFY(holder->waitForStarted(5000));
        const pid_t holderPid = pid_t(holder->processId()); // setpriv execs the program: same pid
        QTRY_VERIFY_WITH_TIMEOUT(listening(apiPort, holderPid), 5000);
        QCOMPARE(ProcFs().process(holderPid)->uid, uid_t(65534));

        Recovery rec(&fleet);
        QVERIFY(!rec.plan().hasForeignPortHolders()); // nothing to consent to: it is never touched
        RecoveryOptions consent;
        consent.killForeignPortHolders = true; // even with consent
        const RecoveryReport report = run(rec, consent);
        QVERIFY(!report.steps.isEmpty());
        checkSkippedAfterFailure(report);
        const RecoveryStep &found = step(report, RecoveryStep::Id::FindLeftovers);
        QCOMPARE(found.status, RecoveryStepStatus::Warning);
        const RecoveryItem *item = findPid(found, holderPid);
        QVERIFY(item);
        QVERIFY2(item->action.contains(u"belongs to user"_s) && item->action.contains(u"not touched"_s),
                 qPrintable(item->action));
        QCOMPARE(holder->state(), QProcess::Running);
        QVERIFY(alive(holderPid));
        QVERIFY(!report.ok); // api cannot get its port
        QVERIFY(report.failedStep()->message.contains(u"api"_s));
        stopFleet(fleet);
    }

    void serviceThatNeverGetsHealthyFailsVerify()
    {
        const quint16 apiPort = freePort();
        Config cfg = load(service("api", apiPort, ", \"--unhealthy-after\", \"0s\"", health(apiPort)) +
                          "[recovery]\nverify_timeout = \"2s\"\n");
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        Recovery rec(&fleet);
        QSignalSpy stepSpy(&rec, &Recovery::stepChanged);
        const RecoveryReport report = run(rec, {});
        QVERIFY(!report.steps.isEmpty());
        checkSkippedAfterFailure(report);
        QVERIFY(!report.ok);
        const RecoveryStep &verify = step(report, RecoveryStep::Id::Verify);
        QCOMPARE(verify.status, RecoveryStepStatus::Failed);
        QVERIFY2(verify.message.contains(u"api is running"_s), qPrintable(verify.message));
        QVERIFY2(verify.message.contains(u"503"_s), qPrintable(verify.message));
        QCOMPARE(report.failedStep(), &verify);
        QVERIFY(report.summary().startsWith(u"recovery FAILED at step 7"_s));
        QCOMPARE(report.endState.size(), 1);
        QCOMPARE(report.endState.at(0).state, u"running"_s);
        QVERIFY(!report.endState.at(0).problem.isEmpty());
        QVERIFY(readAll(fleet.eventLog()->path()).contains("emergency recovery: recovery FAILED at step 7"));
        // The last stepChanged is verify's failure.
        const auto last = stepSpy.constLast();
        QCOMPARE(last.at(0).toInt(), int(RecoveryStep::Id::Verify));
        stopFleet(fleet);
    }

    // A service that does not stop in time (here it ignores SIGTERM and its
    // stop_timeout is far away; in real life a process stuck in state D
    // survives even SIGKILL): step 1 fails, and the service is left fatal
    // with who is still alive — not "stopping" forever — and is not
    // restarted when its process ends at last.
    void serviceThatWillNotStopIsLeftFatalNotStopping()
    {
        const quint16 port = freePort();
        QByteArray svc = service("stuck", port, ", \"--ignore-term\"");
        svc.replace("stop_timeout = \"2s\"", "stop_timeout = \"60s\"");
        const Config cfg = load(svc);
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *stuck = fleet.service(u"stuck"_s);
        fleet.boot();
        QTRY_COMPARE_WITH_TIMEOUT(stuck->state(), ServiceState::Running, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(listening(port, stuck->pid()), 10000);
        const pid_t pid = stuck->pid();

        Recovery rec(&fleet);
        rec.setStopGiveUpAfter(800);
        const RecoveryReport report = run(rec, {});
        // Nothing of the run may go on after its report: no step after the
        // failed one starts (the rest of this test spins the event loop).
        QSignalSpy lateSteps(&rec, &Recovery::stepChanged);
        checkSkippedAfterFailure(report);
        QVERIFY(!report.ok);
        const RecoveryStep &stop = step(report, RecoveryStep::Id::Stop);
        QCOMPARE(stop.status, RecoveryStepStatus::Failed);
        QVERIFY2(stop.message.contains(u"marked fatal: stuck"_s), qPrintable(stop.message));
        QCOMPARE(stuck->state(), ServiceState::Fatal);
        QVERIFY2(stuck->lastError().contains(u"did not stop within"_s), qPrintable(stuck->lastError()));
        QVERIFY2(stuck->lastError().contains(u"still alive: pid %1"_s.arg(pid)),
                 qPrintable(stuck->lastError()));
        QCOMPARE(report.endState.size(), 1);
        QCOMPARE(report.endState.at(0).state, u"fatal"_s);
        QVERIFY(::kill(pid, 0) == 0); // nothing pretended it was gone

        // It ends at last: the service stays fatal, nothing restarts it.
        QSignalSpy exited(stuck, &ServiceSupervisor::exited);
        QSignalSpy started(stuck, &ServiceSupervisor::started);
        QCOMPARE(::kill(pid, SIGKILL), 0);
        QVERIFY(exited.wait(5000));
        QCOMPARE(stuck->state(), ServiceState::Fatal);
        QTRY_VERIFY(!listening(port, 0));
        QCOMPARE(stuck->nextRestartInMs(), -1); // no restart scheduled
        QVERIFY(started.isEmpty());

        // A person starts it: it runs again.
        QVERIFY(fleet.start(u"stuck"_s));
        QTRY_COMPARE_WITH_TIMEOUT(stuck->state(), ServiceState::Running, 10000);
        QVERIFY(stuck->pid() != pid);
        QVERIFY(!stuck->abandonStop(u"not stopping: no effect"_s));
        QCOMPARE(stuck->state(), ServiceState::Running);
        // It ignores SIGTERM and stop_timeout is 60 s: end it ourselves.
        QVERIFY(fleet.stop(u"stuck"_s));
        QCOMPARE(stuck->state(), ServiceState::Stopping);
        QCOMPARE(::kill(stuck->pid(), SIGKILL), 0);
        QTRY_COMPARE_WITH_TIMEOUT(stuck->state(), ServiceState::Stopped, 5000);
        QVERIFY2(lateSteps.isEmpty(),
                 qPrintable(u"step %1 changed after the report: %2"_s.arg(lateSteps.value(0).value(0).toInt())
                                .arg(lateSteps.value(0).value(1).value<RecoveryStep>().message)));
        stopFleet(fleet);
    }
};

QTEST_GUILESS_MAIN(TestRecovery)
#include "tst_recovery.moc"
