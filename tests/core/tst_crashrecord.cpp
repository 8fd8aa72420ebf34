// Crash records end to end: a real demo backend crashes (or is restarted for
// its memory limit) under a real Engine, the record is read back from the
// real history database, and lifelinectl lists and prints it over the
// control socket.
#include "config/configloader.h"
#include "diagnostics/crashrecorder.h"
#include "diagnostics/crashstore.h"
#include "engine/enginehost.h"
#include "metrics/metricshistory.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

Config loadToml(const QByteArray &toml)
{
    const LoadResult r = ConfigLoader::loadString(toml, u"test.toml"_s);
    if (!r.ok()) {
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qUtf8Printable(d.toString()));
        return {};
    }
    return *r.config;
}

QString runGit(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(u"git"_s, QStringList{u"-c"_s, u"user.name=t"_s, u"-c"_s, u"user.email=t@t"_s} + args);
    p.waitForFinished(20000);
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

// A git repository with one commit, in `dir`.
QString makeRepo(const QString &dir)
{
    QDir().mkpath(dir);
    runGit(dir, {u"init"_s, u"-q"_s, u"-b"_s, u"main"_s});
    QFile f(dir + u"/README"_s);
    f.open(QIODevice::WriteOnly);
    f.write("hello\n");
    f.close();
    runGit(dir, {u"add"_s, u"README"_s});
    runGit(dir, {u"commit"_s, u"-q"_s, u"-m"_s, u"first"_s});
    return runGit(dir, {u"rev-parse"_s, u"HEAD"_s});
}

CrashRecord sampleRecord(const QString &service, qint64 timeMs)
{
    CrashRecord r;
    r.service = service;
    r.timeMs = timeMs;
    r.cause = u"crash"_s;
    r.exit = u"exit code 3"_s;
    r.exitCode = 3;
    r.setOutput({{false, u"hello"_s}, {true, u"boom"_s}});
    return r;
}

} // namespace

class TestCrashRecord : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_n = 0;

    QString base() { return m_dir.filePath(u"t%1"_s.arg(++m_n)); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (QStandardPaths::findExecutable(u"git"_s).isEmpty())
            QSKIP("git is needed to make the test repository");
    }

    void recordOfAScriptedCrash()
    {
        const QString dir = base();
        const QString repo = dir + u"/app"_s;
        const QString commit = makeRepo(repo);
        QCOMPARE(commit.size(), 40);
        const quint16 port = freePort();
        // Health checks log a stdout line each; at 600 ms the backend turns
        // unhealthy (a stderr line between them), at 1.5 s it crashes (a
        // last stderr line).
        const Config config = loadToml(
            "[settings]\nstate_dir = \"" + dir.toUtf8() +
            "/state\"\nsample_interval = \"200ms\"\n"
            "[[service]]\nname = \"api\"\ncwd = \"" +
            repo.toUtf8() +
            "\"\nrestart = \"never\"\n"
            "ports = [" +
            QByteArray::number(port) +
            "]\n"
            "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(port) +
            "\", \"--unhealthy-after\", \"600ms\", \"--crash-after\", \"1500ms\", \"--exit-code\", \"3\"]\n"
            "[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"100ms\"\nfailures = 1000\nrestart_on_unhealthy = false\n");
        QVERIFY(!config.services.isEmpty());
        TestEngine engine(config);
        // Sampled every 200 ms, as while the window shows it (unwatched: a
        // tenth of that, and the backend lives 1.5 s).
        engine.engine().setWindowShown(true);
        QSignalSpy recorded(&engine.engine(), &Engine::crashRecorded);
        engine.fleet().start(u"api"_s);
        QVERIFY(recorded.wait(15000));
        const auto summary = recorded.at(0).at(0).value<CrashSummary>();
        QCOMPARE(summary.service, u"api"_s);
        QCOMPARE(summary.cause, u"crash"_s);
        QCOMPARE(summary.exitCode, 3);
        QVERIFY(summary.id > 0);

        const std::optional<CrashRecord> r = engine.engine().crashes()->record(u"api"_s, summary.id);
        QVERIFY(r);
        QCOMPARE(r->exit, u"exit code 3"_s);
        QCOMPARE(r->reason, u"crashed: exit code 3"_s);
        QCOMPARE(r->ports, QList<int>{port});
        QCOMPARE(r->gitCommit, commit);
        QCOMPARE(r->gitRef, u"refs/heads/main"_s);
        QCOMPARE(r->cwd, repo);
        QVERIFY(!r->oomCounter.isEmpty());
        QCOMPARE(r->oomKills, 0);
        QVERIFY(r->uptimeMs >= 1000);
        QVERIFY2(!r->cpu.isEmpty() && !r->rss.isEmpty(), "the tree was sampled while it ran");
        QVERIFY(r->rss.last().y() > 0);

        // stdout and stderr in the order written: GET lines, the unhealthy
        // stderr line among them, and the crash line last.
        QVERIFY(r->output.size() >= 5);
        QVERIFY(r->output.last().err);
        QVERIFY(r->output.last().text.endsWith(u"ERROR: crashing as asked (exit code 3)"_s));
        qsizetype unhealthy = -1;
        for (qsizetype i = 0; i < r->output.size(); ++i) {
            if (r->output.at(i).text.contains(u"health checks failing as asked"_s))
                unhealthy = i;
        }
        QVERIFY(unhealthy > 0);
        QVERIFY(r->output.at(unhealthy).err);
        QVERIFY(!r->output.at(unhealthy - 1).err);
        QVERIFY(r->output.at(unhealthy - 1).text.contains(u"/health"_s));
        QVERIFY(!r->output.at(unhealthy + 1).err);
        QVERIFY(r->output.at(unhealthy + 1).text.contains(u"503"_s));

        const QString md = r->toMarkdown();
        QVERIFY(md.contains(u"**Cause:** crash"_s));
        QVERIFY(md.contains(commit));
        QVERIFY(md.contains(u"err| "_s) && md.contains(u"out| "_s));
        QVERIFY(md.contains(u"ERROR: crashing as asked"_s));
        QCOMPARE(CrashRecord::fromJson(r->toJson()), *r);

        // A person's stop is no crash.
        engine.fleet().start(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(engine.fleet().service(u"api"_s)->state(), ServiceState::Running, 10000);
        QVERIFY(stopFleet(engine.fleet()));
        // A record would be waiting for its output from the exit on.
        QCOMPARE(engine.engine().crashRecorder()->pendingCount(), 0);
        QCOMPARE(recorded.size(), 1);
    }

    void memoryLimitRecord()
    {
        const QString dir = base();
        const quint16 port = freePort();
        const Config config =
            loadToml("[settings]\nstate_dir = \"" + dir.toUtf8() +
                     "/state\"\nsample_interval = \"200ms\"\n"
                     "[[service]]\nname = \"leaky\"\nrestart = \"never\"\nmemory_limit = \"80MB\"\n"
                     "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                     QByteArray::number(port) + "\", \"--leak\", \"100\"]\n");
        TestEngine engine(config);
        QSignalSpy recorded(&engine.engine(), &Engine::crashRecorded);
        engine.fleet().start(u"leaky"_s);
        QVERIFY(recorded.wait(20000));
        const auto summary = recorded.at(0).at(0).value<CrashSummary>();
        QCOMPARE(summary.cause, u"memory limit"_s);
        const auto r = engine.engine().crashes()->record(u"leaky"_s, summary.id);
        QVERIFY(r);
        QVERIFY2(r->reason.startsWith(u"memory "_s) && r->reason.contains(u"> limit 80 MB"_s),
                 qPrintable(r->reason));
        QVERIFY(!r->rss.isEmpty());
        // (The last samples may be of the tree on its way out, its memory freed.)
        const double peak =
            std::max_element(r->rss.begin(), r->rss.end(), [](const QPointF &a, const QPointF &b) {
                return a.y() < b.y();
            })->y();
        QVERIFY2(peak > 50e6, qPrintable(QString::number(peak)));
        QVERIFY(r->toMarkdown().contains(u"**Cause:** memory limit"_s));
    }

    void cappedPerServiceAndKeptAcrossRestarts()
    {
        const QString dir = base();
        QList<qint64> ids;
        {
            MetricsHistory history(dir);
            QVERIFY(history.isPersistent());
            CrashStore store(&history);
            store.setMaxPerService(5);
            for (int i = 0; i < 8; ++i)
                ids.append(store.add(sampleRecord(u"api"_s, 1000 + i)));
            store.add(sampleRecord(u"web"_s, 5000));
            QCOMPARE(store.counts().value(u"api"_s), 5);
            QCOMPARE(store.counts().value(u"web"_s), 1);
            QCOMPARE(store.addedSinceStart().value(u"api"_s), 8);
        }
        // A new Lifeline on the same state_dir: the records are still there,
        // the newest five, newest first.
        MetricsHistory history(dir);
        CrashStore store(&history);
        const QList<CrashSummary> list = store.list(u"api"_s);
        QCOMPARE(list.size(), 5);
        QCOMPARE(list.first().id, ids.last());
        QCOMPARE(list.last().id, ids.at(3));
        QVERIFY(!store.record(u"api"_s, ids.first()));
        const auto r = store.record(u"api"_s, ids.last());
        QVERIFY(r);
        QCOMPARE(r->output.size(), 2);
        QCOMPARE(r->output.at(1), (CrashRecord::OutputLine{true, u"boom"_s}));
        QVERIFY(!store.record(u"web"_s, ids.last())); // another service's id
    }

    void memoryOnlyWithoutADatabase()
    {
        MetricsHistory history{QString()};
        CrashStore store(&history);
        store.setMaxPerService(2);
        for (int i = 0; i < 3; ++i)
            store.add(sampleRecord(u"api"_s, i));
        QCOMPARE(store.list(u"api"_s).size(), 2);
        QCOMPARE(store.list(u"api"_s).first().timeMs, 2);
    }

    void outputIsBounded()
    {
        CrashRecord r;
        QList<CrashRecord::OutputLine> lines;
        lines.append({false, QString(100'000, u'x')});
        lines.append({false, u"bell\x07 and nul"_s + QChar(0) + u"```"_s});
        for (int i = 0; i < 300; ++i)
            lines.append({i % 2 == 1, u"line %1 "_s.arg(i) + QString(500, u'y')});
        r.setOutput(lines);
        QVERIFY(r.outputCut);
        QVERIFY(r.output.size() <= CrashRecord::kMaxLines);
        qsizetype total = 0;
        for (const auto &l : r.output) {
            QVERIFY(l.text.size() <= CrashRecord::kMaxLineChars + 40);
            total += l.text.size();
        }
        QVERIFY(total <= CrashRecord::kMaxOutputChars);
        QVERIFY(r.output.last().text.startsWith(u"line 299 "_s)); // the newest are kept

        CrashRecord small;
        small.setOutput({{false, u"bell\x07 ```"_s}});
        QCOMPARE(small.output.first().text, u"bell\uFFFD ```"_s);
        // The fence is longer than any backtick run inside.
        QVERIFY(small.toMarkdown().contains(u"\n````\nout| bell"_s));
    }

    void gitHeadFromPackedRefsAndWorktrees()
    {
        const QString repo = base();
        const QString commit = makeRepo(repo);
        runGit(repo, {u"pack-refs"_s, u"--all"_s});
        QVERIFY(!QFile::exists(repo + u"/.git/refs/heads/main"_s));
        QCOMPARE(readGitHead(repo + u"/"_s).commit, commit);
        QDir().mkpath(repo + u"/sub/dir"_s);
        QCOMPARE(readGitHead(repo + u"/sub/dir"_s).commit, commit); // found from below
        const QString wt = base();
        runGit(repo, {u"worktree"_s, u"add"_s, u"-q"_s, u"-b"_s, u"side"_s, wt});
        const GitHead head = readGitHead(wt);
        QCOMPARE(head.commit, commit);
        QCOMPARE(head.ref, u"refs/heads/side"_s);
        runGit(repo, {u"checkout"_s, u"-q"_s, u"--detach"_s});
        QCOMPARE(readGitHead(repo).ref, QString());
        QCOMPARE(readGitHead(repo).commit, commit);
        QCOMPARE(readGitHead(QDir::rootPath()).commit, QString());
    }

    void lifelinectlListsAndPrints()
    {
        const QString dir = base();
        const quint16 port = freePort();
        const Config config = loadToml("[settings]\nstate_dir = \"" + dir.toUtf8() +
                                       "/state\"\n"
                                       "[[service]]\nname = \"api\"\nrestart = \"never\"\n"
                                       "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                       QByteArray::number(port) +
                                       "\", \"--crash-after\", \"300ms\", \"--exit-code\", \"5\"]\n");
        const QString socket = dir + u"/ctl.sock"_s;
        lifeline::EngineHost host(config, EngineHost::Threading::CallerThread, {.liveReload = false});
        host.initialize(socket);
        QSignalSpy recorded(host.engine(), &Engine::crashRecorded);
        host.engine()->fleet()->start(u"api"_s);
        QVERIFY(recorded.wait(15000));
        const qint64 id = recorded.at(0).at(0).value<CrashSummary>().id;

        // The engine answers on this thread: lifelinectl runs while the loop does.
        const auto ctl = [&socket](const QStringList &args) {
            auto p = std::make_unique<QProcess>();
            p->start(QStringLiteral(LIFELINE_CTL), QStringList{u"--socket"_s, socket} + args);
            QSignalSpy done(p.get(), &QProcess::finished);
            done.wait(15000);
            return std::pair<int, QString>(p->exitCode(), QString::fromUtf8(p->readAllStandardOutput()) +
                                                              QString::fromUtf8(p->readAllStandardError()));
        };
        auto [rc, out] = ctl({u"crashes"_s, u"api"_s});
        QCOMPARE(rc, 0);
        QVERIFY2(out.contains(u"crash"_s) && out.contains(u"exit code 5"_s) &&
                     out.contains(QString::number(id)),
                 qPrintable(out));
        std::tie(rc, out) = ctl({u"crashes"_s, u"api"_s, u"--json"_s});
        QCOMPARE(rc, 0);
        const QJsonArray list = QJsonDocument::fromJson(out.toUtf8()).array();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.at(0).toObject().value(u"id"_s).toInteger(), id);
        QCOMPARE(list.at(0).toObject().value(u"cause"_s).toString(), u"crash"_s);
        QCOMPARE(list.at(0).toObject().value(u"exit_code"_s).toInt(), 5);

        std::tie(rc, out) = ctl({u"crash"_s, u"api"_s, QString::number(id)});
        QCOMPARE(rc, 0);
        QVERIFY2(out.startsWith(u"## Crash of api at "_s), qPrintable(out));
        QVERIFY(out.contains(u"ERROR: crashing as asked (exit code 5)"_s));
        std::tie(rc, out) = ctl({u"crash"_s, u"api"_s, QString::number(id), u"--json"_s});
        QCOMPARE(rc, 0);
        QCOMPARE(QJsonDocument::fromJson(out.toUtf8()).object().value(u"exit"_s).toString(),
                 u"exit code 5"_s);

        std::tie(rc, out) = ctl({u"crash"_s, u"api"_s, u"999"_s});
        QCOMPARE(rc, 1);
        QVERIFY2(out.contains(u"api has no crash record 999"_s), qPrintable(out));
        std::tie(rc, out) = ctl({u"crashes"_s, u"nope"_s});
        QCOMPARE(rc, 1);
        QVERIFY2(out.contains(u"nope"_s), qPrintable(out));
        std::tie(rc, out) = ctl({u"crash"_s, u"api"_s});
        QCOMPARE(rc, 2);
        QVERIFY(stopFleet(*host.engine()->fleet()));
    }

    void lifelinectlWithNothingRunning()
    {
        const CtlRun r = runLifelinectl({u"--socket"_s, base() + u"/none.sock"_s, u"crashes"_s, u"api"_s});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains(u"no Lifeline is running"_s));
    }
};

QTEST_GUILESS_MAIN(TestCrashRecord)
#include "tst_crashrecord.moc"
