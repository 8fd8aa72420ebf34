// Configuration files the way hostile machines and hurried people write them:
// a depends_on chain 50 000 services deep, a FIFO or a device where the file
// should be (check-config and live reload must never block on it), names
// that would become paths outside state_dir, and a recovery.clean glob that
// would delete Lifeline's own state. Real lifelinectl and lifeline processes.

#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "fixtures/config/chain.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

// lifelinectl check-config FILE, given `timeoutMs` to finish; a hang is
// reported (and the process killed), never waited out.
CtlRun checkConfig(const QString &file, int timeoutMs)
{
    return runLifelinectl({u"check-config"_s, file}, timeoutMs);
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

// A `lifeline --headless` child that keeps what it printed on stderr.
struct Headless : HeadlessProcess
{
    QString err; // everything it printed on stderr so far

    QString readErr()
    {
        err += QString::fromUtf8(process.readAllStandardError());
        return err;
    }
};

} // namespace

class TestHostileConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of this test and of every child it starts

    // A headless Lifeline supervising one real demo backend, with its config
    // in `dir`; returns once its control socket answers (check
    // QTest::currentTestFailed() after it).
    static void startHeadless(Headless &h, const QTemporaryDir &dir, QString *configPath)
    {
        *configPath = dir.filePath(u"lifeline.toml"_s);
        writeFile(*configPath, "[settings]\nstate_dir = \"" + dir.filePath(u"state"_s).toUtf8() +
                                   "\"\non_exit = \"stop\"\n[[service]]\nname = \"api\"\n"
                                   "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                   QByteArray::number(freePort()) + "\"]\nstop_timeout = \"3s\"\n");
        h.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, *configPath});
        QVERIFY(h.process.waitForStarted(5000));
        const QString socket = socketPathForConfig(*configPath);
        QTRY_VERIFY_WITH_TIMEOUT(ControlClient(socket, 1000).request({{u"cmd"_s, u"ping"_s}}).has_value(),
                                 15000);
    }

    // `status` over the control socket answers, and lists `api`.
    static bool answersStatus(const QString &configPath)
    {
        const auto reply =
            ControlClient(socketPathForConfig(configPath), 2000).request({{u"cmd"_s, u"status"_s}});
        if (!reply)
            return false;
        const QJsonArray services = reply->value(u"status"_s).toObject().value(u"services"_s).toArray();
        return services.size() == 1 && services.first().toObject().value(u"name"_s).toString() == u"api"_s;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_CTL)).isExecutable());
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_BIN)).isExecutable());
    }

    // A recursive dependency walk overflowed the stack (SIGSEGV at 30 000).
    void checkConfigDeepChain()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"deep.toml"_s);
        writeFile(path, dependencyChainToml(50'000, false));
        const CtlRun r = checkConfig(path, 60'000);
        QVERIFY2(r.finished, "check-config did not finish within 60 s");
        QVERIFY2(r.exitCode == 0, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(r.err.left(2000))));
        QVERIFY2(r.out.contains(u"ok (50000 services"_s), qPrintable(r.out));
    }

    void checkConfigDeepChainCycle()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"cycle.toml"_s);
        writeFile(path, dependencyChainToml(50'000, true));
        const CtlRun r = checkConfig(path, 60'000);
        QVERIFY2(r.finished, "check-config did not finish within 60 s");
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith(path +
                                  u":200000:15: error: service \"s49999\": depends_on: dependency cycle "
                                  u"s0 -> s1 -> "_s),
                 qPrintable(r.err.left(2000)));
        QVERIFY2(r.err.contains(u" -> s49999 -> s0"_s), qPrintable(r.err.left(2000)));
    }

    // open() of a FIFO waits for a writer: check-config hung forever.
    void checkConfigFifo()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"lifeline.toml"_s);
        QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        const CtlRun r = checkConfig(path, 15'000);
        QVERIFY2(r.finished, "check-config blocked on a FIFO");
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(path + u": error: cannot read configuration file \""_s + path +
                                u"\": not a regular file (a FIFO)"_s),
                 qPrintable(r.err));
    }

    // The engine itself, started on a FIFO: exit 2 with the message, at once.
    void headlessStartOnFifo()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"lifeline.toml"_s);
        QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        Headless h;
        h.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, path});
        QVERIFY2(h.process.waitForFinished(15000), "lifeline --headless blocked on a FIFO");
        QCOMPARE(h.process.exitCode(), 2);
        QVERIFY2(h.readErr().contains(u"not a regular file (a FIFO)"_s), qPrintable(h.err));
    }

    void checkConfigDevice()
    {
        const CtlRun r = checkConfig(u"/dev/zero"_s, 15'000);
        QVERIFY2(r.finished, "check-config read /dev/zero forever");
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(u"not a regular file (a character device)"_s), qPrintable(r.err));
    }

    // `lifelinectl import` reads a file someone hands it: a FIFO or a device
    // gets the same answer as a config, not a hang or an endless read.
    void importFromAFifoOrADevice_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<bool>("fifo");
        QTest::addColumn<QString>("kind");
        QTest::newRow("procfile fifo") << u"procfile"_s << true << u"a FIFO"_s;
        QTest::newRow("supervisord fifo") << u"supervisord"_s << true << u"a FIFO"_s;
        QTest::newRow("pm2 fifo") << u"pm2"_s << true << u"a FIFO"_s;
        QTest::newRow("procfile /dev/zero") << u"procfile"_s << false << u"a character device"_s;
    }

    void importFromAFifoOrADevice()
    {
        QFETCH(QString, format);
        QFETCH(bool, fifo);
        QFETCH(QString, kind);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString path = u"/dev/zero"_s;
        if (fifo) {
            path = dir.filePath(u"ecosystem.json"_s);
            QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        }
        const CtlRun r = runLifelinectl({u"import"_s, format, path}, 15'000);
        QVERIFY2(r.finished, "import blocked on its input");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"not a regular file ("_s + kind + u')'), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    // Names become file names: logs/NAME.log, run/NAME.pid.
    void checkConfigPathNames_data()
    {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("dot-dot") << QByteArray("..");
        QTest::newRow("climbing path") << QByteArray("a/../../b");
        QTest::newRow("hidden") << QByteArray(".api");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("65 characters") << QByteArray(65, 'a');
        QTest::newRow("unicode") << QByteArray("caf\xc3\xa9");
    }

    void checkConfigPathNames()
    {
        QFETCH(QByteArray, name);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"lifeline.toml"_s);
        writeFile(path, "[[service]]\nname = \"" + name + "\"\ncommand = \"x\"\n");
        const CtlRun r = checkConfig(path, 15'000);
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith(path + u":2:8: error: "_s), qPrintable(r.err));
        QVERIFY2(r.err.contains(name.isEmpty() ? u"name: must not be empty"_s
                                               : u"name: invalid name \""_s + QString::fromUtf8(name) + u'"'),
                 qPrintable(r.err));
    }

    void checkConfigNoServicesWarns()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"lifeline.toml"_s);
        writeFile(path, "[settings]\non_exit = \"stop\"\n");
        const CtlRun r = checkConfig(path, 15'000);
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains(path + u": warning: no services"_s), qPrintable(r.err));
        QVERIFY2(r.out.contains(u"ok (0 services, 1 warnings)"_s), qPrintable(r.out));
    }

    // clean = ["*"] with the default cwd (state_dir) deleted the history, the
    // lock and the logs: refused when the config loads.
    void checkConfigCleanOverStateDir()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString state = dir.filePath(u"state"_s);
        const QString path = dir.filePath(u"lifeline.toml"_s);
        writeFile(path,
                  "[settings]\nstate_dir = \"" + state.toUtf8() +
                      "\"\n[[service]]\nname = \"api\"\ncommand = \"x\"\n[recovery]\nclean = [\"*\"]\n");
        const CtlRun r = checkConfig(path, 15'000);
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith(path +
                                  u":7:10: error: recovery: clean[0]: \"*\" would delete Lifeline's own "
                                  u"state: in "_s +
                                  state + u", the cwd of service \"api\""_s),
                 qPrintable(r.err));
        for (const QString &what : {u"lifeline.lock"_s, u"lifeline.log"_s, u"logs/"_s, u"run/"_s,
                                    u"recovery/"_s, u"history.sqlite"_s})
            QVERIFY2(r.err.contains(what), qPrintable(r.err));
    }

    // What a running Lifeline is given in place of its config, renamed over
    // it: a FIFO froze it inside open(), where even SIGTERM did nothing; a
    // 50 000-deep chain crashed it and left its services unsupervised (the
    // chain here closes into a cycle, so that the reload is refused: 50 000
    // real services are not the point).
    void liveReloadKeepsRunning_data()
    {
        QTest::addColumn<bool>("fifo");
        QTest::addColumn<QString>("message");
        QTest::newRow("FIFO") << true << u"not a regular file (a FIFO)"_s;
        QTest::newRow("deep chain") << false << u"dependency cycle s0 -> s1 -> "_s;
    }

    void liveReloadKeepsRunning()
    {
        QFETCH(bool, fifo);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        Headless h;
        QString config;
        startHeadless(h, dir, &config);
        if (QTest::currentTestFailed())
            return;

        const QByteArray next = QFile::encodeName(dir.filePath(u"next.toml"_s));
        if (fifo)
            QVERIFY(::mkfifo(next.constData(), 0600) == 0);
        else
            writeFile(QFile::decodeName(next), "[settings]\nstate_dir = \"" +
                                                   dir.filePath(u"state"_s).toUtf8() + "\"\n" +
                                                   dependencyChainToml(50'000, true));
        QVERIFY(::rename(next.constData(), QFile::encodeName(config).constData()) == 0);

        QTRY_VERIFY_WITH_TIMEOUT(h.readErr().contains(message), 60000);
        QVERIFY2(h.err.contains(u"configuration not reloaded (the running one stays)"_s), qPrintable(h.err));
        QCOMPARE(h.process.state(), QProcess::Running);
        QVERIFY(answersStatus(config));

        // And it still ends when asked.
        h.process.terminate();
        QVERIFY2(h.process.waitForFinished(15000), "lifeline did not end on SIGTERM");
        QCOMPARE(h.process.exitStatus(), QProcess::NormalExit);
    }
};

QTEST_GUILESS_MAIN(TestHostileConfig)
#include "tst_hostile_config.moc"
