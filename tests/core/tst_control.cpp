// The control socket and headless mode, end to end: a real `lifeline
// --headless` process supervising real demo backends, talked to over its
// real QLocalSocket.
#include "config/configloader.h"
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "control/controlserver.h"
#include "platform/procfs.h"
#include "supervise/fleet.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

#include <csignal>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

bool isAlive(pid_t pid)
{
    const auto info = ProcFs().process(pid);
    return info && !info->isZombie();
}

QByteArray demoService(const char *name, const QByteArray &extra = {})
{
    return "[[service]]\nname = \"" + QByteArray(name) +
           "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(freePort()) +
           "\", \"--name\", \"" + name + "\"]\nstop_timeout = \"3s\"\nrestart_delay = \"200ms\"\n" + extra +
           "\n";
}

using Headless = HeadlessProcess;

// Sends one raw line (or bytes) and reads one reply line; tests may block.
QJsonObject exchange(QLocalSocket &socket, const QByteArray &bytes)
{
    socket.write(bytes);
    socket.flush();
    QByteArray line;
    while (!line.endsWith('\n')) {
        if (!socket.bytesAvailable() && !socket.waitForReadyRead(5000))
            return {};
        line += socket.readLine();
    }
    return QJsonDocument::fromJson(line).object();
}

} // namespace

class TestControl : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of this test and of every child it starts

    // Writes a config in a fresh folder of `dir`; state_dir below it unless given.
    static QString writeConfig(const QTemporaryDir &dir, const QByteArray &services,
                               const QByteArray &settings = "on_exit = \"stop\"\n",
                               const QString &stateDir = {}, const QString &fileName = u"lifeline.toml"_s)
    {
        const QString state = stateDir.isEmpty() ? dir.filePath(u"state"_s) : stateDir;
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + state.toUtf8() + "\"\n" + settings + "\n" + services;
        const QString path = dir.filePath(fileName);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        f.write(toml);
        return path;
    }

    static void start(Headless &h, const QString &configPath, const QStringList &extra = {})
    {
        h.process.start(QStringLiteral(LIFELINE_BIN),
                        QStringList{u"--headless"_s, u"--config"_s, configPath} + extra);
    }

    static std::optional<QJsonObject> call(const QString &socket, const QJsonObject &request)
    {
        ControlClient client(socket, 2000);
        return client.request(request);
    }

    static bool answers(const QString &socket)
    {
        const auto reply = call(socket, {{u"cmd"_s, u"ping"_s}});
        return reply && reply->value(u"ok"_s).toBool();
    }

    static QJsonObject serviceStatus(const QString &socket, const QString &name)
    {
        const auto reply = call(socket, {{u"cmd"_s, u"status"_s}});
        if (!reply)
            return {};
        const QJsonArray services = reply->value(u"status"_s).toObject().value(u"services"_s).toArray();
        for (const QJsonValue &v : services) {
            if (v.toObject().value(u"name"_s).toString() == name)
                return v.toObject();
        }
        return {};
    }

    static QString stateOf(const QString &socket, const QString &name)
    {
        return serviceStatus(socket, name).value(u"state"_s).toString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_BIN)).isExecutable());
        QVERIFY(QFileInfo(QStringLiteral(LIFELINE_DEMO_BACKEND)).isExecutable());
    }

    void socketPathIsDerivedAndShort()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socket = socketPathForConfig(config);
        QVERIFY(socket.startsWith(m_runtime.path() + u"/lifeline/"_s));
        QVERIFY(QRegularExpression(u"/[0-9a-f]{16}\\.sock$"_s).match(socket).hasMatch());
        QVERIFY(QFile::encodeName(socket).size() < 100);
        // The same file by another name (relative, with ..) gives the same socket.
        const QString relative = QDir::current().relativeFilePath(
            dir.path() + u"/./../"_s + QFileInfo(dir.path()).fileName() + u"/lifeline.toml"_s);
        QCOMPARE(socketPathForConfig(relative), socket);
        QCOMPARE(QFileInfo(m_runtime.path() + u"/lifeline"_s).permissions() & 0x0077,
                 QFileDevice::Permissions());

        // No usable XDG_RUNTIME_DIR: /tmp/lifeline-<uid>.
        const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
        qputenv("XDG_RUNTIME_DIR", "/nonexistent/runtime");
        const QString fallback = socketPathForConfig(config);
        qputenv("XDG_RUNTIME_DIR", saved);
        QCOMPARE(QFileInfo(fallback).path(), u"/tmp/lifeline-%1"_s.arg(::geteuid()));
        QCOMPARE(QFileInfo(fallback).fileName(), QFileInfo(socket).fileName());
    }

    void socketFolderOfAnotherUserIsRefused()
    {
        QTemporaryDir runtime;
        const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
        const auto restore = qScopeGuard([&saved] { qputenv("XDG_RUNTIME_DIR", saved); });
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
        const QString folder = runtime.filePath(u"lifeline"_s);

        // A symlink planted where our folder should be.
        QVERIFY(QFile::link(QDir::tempPath(), folder));
        QString error;
        QVERIFY(socketPathForConfig(u"/x/lifeline.toml"_s, &error).isEmpty());
        QVERIFY2(error.contains(folder + u" is not a folder"_s), qPrintable(error));
        QVERIFY(QFile::remove(folder));

        // A folder that belongs to someone else (needs root to arrange).
        QVERIFY(QDir().mkdir(folder));
        if (::geteuid() != 0)
            QSKIP("chown to another user needs root");
        QCOMPARE(::chown(QFile::encodeName(folder).constData(), 65534, 65534), 0);
        QVERIFY(socketPathForConfig(u"/x/lifeline.toml"_s, &error).isEmpty());
        QVERIFY2(error.contains(folder + u" belongs to another user (uid 65534)"_s), qPrintable(error));
    }

    void garbageGetsAnErrorAndTheServerGoesOn()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);

        QLocalSocket socket;
        socket.connectToServer(socketPath);
        QVERIFY(socket.waitForConnected(2000));
        const QList<QByteArray> garbage = {
            "this is not json\n",
            "[1, 2, 3]\n",
            "{}\n",
            "{\"cmd\": 42}\n",
            "{\"cmd\":\"frobnicate\"}\n",
            "{\"cmd\":\"start\"}\n",
            "{\"cmd\":\"logs\",\"name\":\"api\",\"lines\":\"many\"}\n",
            "{\"cmd\":\"logs\",\"name\":\"api\",\"errors\":\"yes\"}\n",
            "{\"cmd\":\"logs\",\"name\":\"api\",\"after\":{\"out\":\"x\"}}\n",
        };
        for (const QByteArray &g : garbage) {
            const QJsonObject reply = exchange(socket, g);
            QVERIFY2(reply.value(u"ok"_s) == QJsonValue(false), g.constData());
            QVERIFY2(reply.value(u"error"_s).toString().startsWith(u"bad request: "_s),
                     qPrintable(reply.value(u"error"_s).toString()));
        }
        // Same connection still served.
        const QJsonObject status = exchange(socket, "{\"cmd\":\"status\"}\n");
        QCOMPARE(status.value(u"ok"_s), QJsonValue(true));
        QCOMPARE(status.value(u"status"_s).toObject().value(u"services"_s).toArray().size(), 1);

        // Unknown names are a failed command (not a bad request) that says which name.
        for (const char *cmd : {"start", "stop", "restart", "logs", "health"}) {
            const QJsonObject reply =
                exchange(socket, "{\"cmd\":\"" + QByteArray(cmd) + "\",\"name\":\"apx\"}\n");
            QCOMPARE(reply.value(u"ok"_s), QJsonValue(false));
            QVERIFY2(reply.value(u"error"_s).toString().contains(u"unknown service \"apx\""_s),
                     qPrintable(reply.value(u"error"_s).toString()));
        }
        const QJsonObject recover = exchange(socket, "{\"cmd\":\"recover\",\"dry_run\":true}\n");
        QCOMPARE(recover.value(u"ok"_s), QJsonValue(true));
        QVERIFY(recover.value(u"plan"_s).isObject());
        QVERIFY(recover.value(u"text"_s).toString().contains(u"api"_s));
        const QJsonObject health = exchange(socket, "{\"cmd\":\"health\",\"name\":\"api\"}\n");
        QCOMPARE(health.value(u"ok"_s), QJsonValue(true));
        QVERIFY(health.value(u"results"_s).isArray());
        QVERIFY(health.value(u"health"_s).isString());
    }

    void twoClientsAtOnce()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);

        QLocalSocket a;
        QLocalSocket b;
        a.connectToServer(socketPath);
        b.connectToServer(socketPath);
        QVERIFY(a.waitForConnected(2000));
        QVERIFY(b.waitForConnected(2000));
        // A sends half a request; B must be served meanwhile.
        a.write("{\"cmd\":");
        a.flush();
        const QJsonObject fromB = exchange(b, "{\"cmd\":\"status\"}\n");
        QCOMPARE(fromB.value(u"ok"_s), QJsonValue(true));
        QVERIFY(a.bytesAvailable() == 0);
        const QJsonObject fromA = exchange(a, "\"ping\"}\n");
        QCOMPARE(fromA.value(u"ok"_s), QJsonValue(true));
        QCOMPARE(fromA.value(u"pid"_s).toInteger(), h.process.processId());

        // Two requests in one write: two replies, in order.
        b.write("{\"cmd\":\"ping\"}\n{\"cmd\":\"nope\"}\n");
        b.flush();
        QByteArray replies;
        QTRY_VERIFY((replies += b.readAll()).count('\n') == 2);
        const QList<QByteArray> lines = replies.trimmed().split('\n');
        QCOMPARE(QJsonDocument::fromJson(lines[0]).object().value(u"ok"_s), QJsonValue(true));
        QVERIFY(QJsonDocument::fromJson(lines[1]).object().value(u"error"_s).toString().contains(u"nope"_s));
    }

    void oversizedLineDisconnects()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);

        QLocalSocket big;
        big.connectToServer(socketPath);
        QVERIFY(big.waitForConnected(2000));
        big.write(QByteArray(ControlServer::kMaxLineBytes + 512 * 1024, 'x'));
        QTRY_COMPARE_WITH_TIMEOUT(big.state(), QLocalSocket::UnconnectedState, 10000);
        // The server is still there for everyone else.
        QVERIFY(answers(socketPath));
        QCOMPARE(h.process.state(), QProcess::Running);

        // Just below the limit is still a (bad) request, answered.
        QLocalSocket almost;
        almost.connectToServer(socketPath);
        QVERIFY(almost.waitForConnected(2000));
        const QJsonObject reply = exchange(almost, QByteArray(ControlServer::kMaxLineBytes - 1, 'y') + '\n');
        QVERIFY(reply.value(u"error"_s).toString().startsWith(u"bad request: "_s));
        QCOMPARE(almost.state(), QLocalSocket::ConnectedState);
    }

    void staleSocketFileIsReplaced()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socketPath = socketPathForConfig(config);
        // What a crashed Lifeline leaves: a socket file nobody listens on.
        {
            const QByteArray path = QFile::encodeName(socketPath);
            sockaddr_un addr = {};
            addr.sun_family = AF_UNIX;
            std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            QVERIFY(fd >= 0);
            QCOMPARE(::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)), 0);
            ::close(fd);
        }
        QVERIFY(QFileInfo::exists(socketPath));
        QVERIFY(!ControlServer::isServerAlive(socketPath));

        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QVERIFY(ControlServer::isServerAlive(socketPath));
    }

    void serverRefusesALiveSocketInProcess()
    {
        // The GUI uses ControlServer directly: it must refuse on its own too.
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const LoadResult loaded = ConfigLoader::loadFile(config);
        QVERIFY(loaded.ok());
        TestEngine engine(*loaded.config);
        Fleet &fleet = engine.fleet(); // never booted: nothing is started
        const QString socketPath = dir.filePath(u"c.sock"_s);
        ControlServer first(&fleet);
        QString error;
        QVERIFY2(first.listen(socketPath, &error), qPrintable(error));
        QVERIFY(first.isListening());

        ControlServer second(&fleet);
        QVERIFY(!second.listen(socketPath, &error));
        QCOMPARE(error, u"another Lifeline is already running for %1 (socket %2)"_s.arg(loaded.config->path,
                                                                                        socketPath));
        QVERIFY(!second.isListening());
        // The first one still owns the socket file.
        QVERIFY(ControlServer::isServerAlive(socketPath));

        first.close();
        QVERIFY(!QFileInfo::exists(socketPath));
        QVERIFY(!ControlServer::isServerAlive(socketPath));
        QVERIFY2(second.listen(socketPath, &error), qPrintable(error));
    }

    void secondInstanceForTheSameConfigIsRefused()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"));
        const QString socketPath = socketPathForConfig(config);
        Headless first;
        start(first, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
        const qint64 apiPid = serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger();

        Headless second;
        start(second, config);
        QVERIFY(second.process.waitForFinished(10000));
        QCOMPARE(second.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.process.exitCode(), 1);
        const QString err = QString::fromUtf8(second.process.readAllStandardError());
        QVERIFY2(err.contains(u"another Lifeline is already running for "_s + canonicalConfigPath(config)),
                 qPrintable(err));
        QVERIFY2(err.contains(socketPath), qPrintable(err));

        // The first one is untouched: same socket, same service process.
        QVERIFY(answers(socketPath));
        QCOMPARE(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger(), apiPid);
    }

    void sharedStateDirIsRefusedNamingTheHolder()
    {
        QTemporaryDir dir;
        const QString state = dir.filePath(u"shared-state"_s);
        const QString configA =
            writeConfig(dir, demoService("api"), "on_exit = \"stop\"\n", state, u"a.toml"_s);
        const QString configB =
            writeConfig(dir, demoService("web"), "on_exit = \"stop\"\n", state, u"b.toml"_s);
        Headless a;
        start(a, configA);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPathForConfig(configA)), 10000);

        Headless b;
        start(b, configB);
        QVERIFY(b.process.waitForFinished(10000));
        QCOMPARE(b.process.exitCode(), 1);
        const QString err = QString::fromUtf8(b.process.readAllStandardError());
        QVERIFY2(err.contains(u"state_dir %1 is in use by another Lifeline (pid %2"_s.arg(state).arg(
                     a.process.processId())),
                 qPrintable(err));
        QVERIFY(!answers(socketPathForConfig(configB)));
    }

    void configErrorsExit2WithPositions()
    {
        QTemporaryDir dir;
        const QString config =
            writeConfig(dir, "[[service]]\nname = \"api\"\ncommand = [\"true\"]\nrestart = \"sometimes\"\n");
        Headless h;
        start(h, config);
        QVERIFY(h.process.waitForFinished(10000));
        QCOMPARE(h.process.exitCode(), 2);
        const QString err = QString::fromUtf8(h.process.readAllStandardError());
        // Lines: [settings], state_dir, on_exit, blank, [[service]], name, command, restart.
        QVERIFY2(QRegularExpression(QRegularExpression::escape(QFileInfo(config).fileName()) + u":8:\\d+: "_s)
                     .match(err)
                     .hasMatch(),
                 qPrintable(err));
        QVERIFY2(err.contains(u"sometimes"_s), qPrintable(err));
        QVERIFY(!QFileInfo::exists(socketPathForConfig(config)));
    }

    void badCommandLineExits2()
    {
        QProcess p;
        p.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("usage"));
    }

    void sigtermStopsEveryServiceAndExits0()
    {
        QTemporaryDir dir;
        const QString config =
            writeConfig(dir, demoService("api") + demoService("web", "depends_on = [\"api\"]"));
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"web"_s), u"running"_s, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
        const auto apiPid = pid_t(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger());
        const auto webPid = pid_t(serviceStatus(socketPath, u"web"_s).value(u"pid"_s).toInteger());
        QVERIFY(apiPid > 0 && isAlive(apiPid));
        QVERIFY(webPid > 0 && isAlive(webPid));
        QString out;
        QTRY_VERIFY2((out += QString::fromUtf8(h.process.readAllStandardOutput()))
                         .contains(u"lifeline: supervising 2 services, control socket "_s + socketPath),
                     qPrintable(out));

        h.process.terminate(); // SIGTERM
        QVERIFY(h.process.waitForFinished(15000));
        QCOMPARE(h.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(h.process.exitCode(), 0);
        QTRY_VERIFY(!isAlive(apiPid));
        QTRY_VERIFY(!isAlive(webPid));
        QVERIFY(!QFileInfo::exists(socketPath));
        QVERIFY(h.process.readAllStandardError().contains("SIGTERM received; stopping 2 services"));
    }

    void sigintWithOnExitAskStopsToo()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"), "on_exit = \"ask\"\n");
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
        const auto apiPid = pid_t(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger());
        ::kill(pid_t(h.process.processId()), SIGINT);
        QVERIFY(h.process.waitForFinished(15000));
        QCOMPARE(h.process.exitCode(), 0);
        QTRY_VERIFY(!isAlive(apiPid));
    }

    void onExitKeepLeavesServicesRunningForTheNextLifeline()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir, demoService("api"), "on_exit = \"keep\"\n");
        const QString socketPath = socketPathForConfig(config);
        pid_t apiPid = 0;
        const auto cleanup = qScopeGuard([&] {
            if (apiPid > 0 && isAlive(apiPid))
                ::kill(-apiPid, SIGKILL); // its own process group (setsid)
        });
        {
            Headless h;
            start(h, config);
            QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
            apiPid = pid_t(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger());
            h.process.terminate();
            QVERIFY(h.process.waitForFinished(15000));
            QCOMPARE(h.process.exitCode(), 0);
            QVERIFY(h.process.readAllStandardError().contains("leaving 1 services running (on_exit = keep)"));
        }
        QVERIFY(isAlive(apiPid));

        // A new Lifeline for the same config adopts it instead of starting a duplicate.
        Headless again;
        start(again, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
        const QJsonObject api = serviceStatus(socketPath, u"api"_s);
        QCOMPARE(api.value(u"pid"_s).toInteger(), apiPid);
        QCOMPARE(api.value(u"adopted"_s), QJsonValue(true));
    }

    // Lifeline itself dies (SIGKILL, no chance to clean up): its service keeps
    // running, the next Lifeline adopts it (no duplicate) and notices its death.
    void lifelineKilledServiceAdoptedByTheNext()
    {
        QTemporaryDir dir;
        const quint16 port = freePort();
        const QByteArray svc = "[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                               "\", \"--port\", \"" +
                               QByteArray::number(port) + "\"]\nports = [" + QByteArray::number(port) +
                               "]\nrestart_delay = \"100ms\"\nstop_timeout = \"3s\"\n";
        const QString config = writeConfig(dir, svc);
        const QString socketPath = socketPathForConfig(config);
        pid_t apiPid = 0;
        {
            Headless h;
            start(h, config);
            QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
            apiPid = pid_t(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger());
            ::kill(pid_t(h.process.processId()), SIGKILL);
            QVERIFY(h.process.waitForFinished(5000));
        }
        QVERIFY(apiPid > 0);
        QVERIFY(isAlive(apiPid));
        const auto cleanup = qScopeGuard([&] {
            if (isAlive(apiPid))
                ::kill(-apiPid, SIGKILL);
        });

        Headless again;
        start(again, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000); // stale socket and lock did not stop it
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"api"_s), u"running"_s, 10000);
        QJsonObject api = serviceStatus(socketPath, u"api"_s);
        QCOMPARE(api.value(u"pid"_s).toInteger(), apiPid);
        QCOMPARE(api.value(u"adopted"_s), QJsonValue(true));
        // No duplicate: exactly one demo backend listens, and it is the adopted one.
        const auto holder = ProcFs().portHolder(port);
        QVERIFY(holder);
        QCOMPARE(holder->pid, apiPid);

        // Its later death is noticed at once and it is restarted under the new Lifeline.
        ::kill(apiPid, SIGKILL);
        QTRY_VERIFY_WITH_TIMEOUT(serviceStatus(socketPath, u"api"_s).value(u"pid"_s).toInteger() != apiPid &&
                                     stateOf(socketPath, u"api"_s) == u"running"_s,
                                 10000);
        api = serviceStatus(socketPath, u"api"_s);
        QCOMPARE(api.value(u"last_exit"_s).toString(), u"exit code unknown (adopted)"_s);
        QCOMPARE(api.value(u"adopted"_s), QJsonValue(false));
        QCOMPARE(api.value(u"restarts"_s).toInt(), 1);
    }

    // A child flooding its stdout never reaches Lifeline's event loop (the
    // logger owns the pipe): the control socket keeps answering, and the
    // files stay within max_size x (backups + 1).
    void floodingChildDoesNotStallTheSocket()
    {
        QTemporaryDir dir;
        const QByteArray svc =
            "[[service]]\nname = \"noisy\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(freePort()) +
            "\", \"--flood\", \"50000\"]\n[service.logs]\nmax_size = \"100KB\"\nbackups = 2\n";
        const QString config = writeConfig(dir, svc);
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(socketPath, u"noisy"_s), u"running"_s, 10000);
        const QString log = dir.filePath(u"state/logs/noisy.log"_s);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(log + u".2"_s), 10000); // rotated twice: it floods
        for (int i = 0; i < 20; ++i)
            QVERIFY2(answers(socketPath), "the control socket stopped answering under a flood");
        qint64 total = 0;
        for (const QString &suffix : {QString(), u".1"_s, u".2"_s})
            total += QFileInfo(log + suffix).size();
        QVERIFY(!QFile::exists(log + u".3"_s));
        QVERIFY2(total <= 3 * 100'000 + 200, qPrintable(QString::number(total)));
    }

    // The status document carries what the health monitor and sampler saw.
    void statusCarriesHealthAndUsage()
    {
        QTemporaryDir dir;
        const quint16 port = freePort();
        const QByteArray svc = "[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                               "\", \"--port\", \"" +
                               QByteArray::number(port) +
                               "\"]\n[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
                               "/health\"\ninterval = \"200ms\"\ntimeout = \"100ms\"\n";
        const QString config = writeConfig(dir, svc, "on_exit = \"stop\"\nsample_interval = \"200ms\"\n");
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(serviceStatus(socketPath, u"api"_s).value(u"health"_s).toString(),
                                  u"healthy"_s, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            serviceStatus(socketPath, u"api"_s).value(u"rss_bytes"_s).toInteger() > 1000000, 10000);
        const QJsonObject api = serviceStatus(socketPath, u"api"_s);
        QVERIFY(api.value(u"health_latency_ms"_s).isDouble());
        QVERIFY(api.value(u"health_reason"_s).isString());
        const auto reply = call(socketPath, {{u"cmd"_s, u"health"_s}, {u"name"_s, u"api"_s}});
        QVERIFY(reply);
        const QJsonArray results = reply->value(u"results"_s).toArray();
        QVERIFY(!results.isEmpty());
        QCOMPARE(results.last().toObject().value(u"ok"_s), QJsonValue(true));
        // The backend's newest report comes once, beside results without reports.
        QCOMPARE(reply->value(u"report"_s).toObject().value(u"status"_s).toString(), u"healthy"_s);
        QVERIFY(!results.last().toObject().contains(u"report"_s));
    }

    // Right after a rotation the live file holds a line or two; `logs -n N`
    // reads on through NAME.log.1, .2 ... until it has N lines; with
    // logs.compress through NAME.log.1.gz ..., and a damaged one is skipped
    // with a line that names it and the cause.
    void logsReadBackThroughRotatedFiles_data()
    {
        QTest::addColumn<bool>("compress");
        QTest::newRow("plain") << false;
        QTest::newRow("gzip") << true;
    }

    void logsReadBackThroughRotatedFiles()
    {
        QFETCH(bool, compress);
        QTemporaryDir dir;
        const QByteArray svc =
            "[[service]]\nname = \"rot\"\ncommand = [\"/bin/sh\", \"-c\", \"i=1; while [ $i -le 600 ]; do "
            "printf 'numbered-line-%05d\\\\n' $i; i=$((i+1)); done; exec sleep 600\"]\nstop_timeout = "
            "\"3s\"\n"
            "[service.logs]\nmax_size = \"2KB\"\nbackups = 10\n" +
            QByteArray(compress ? "compress = true\n" : "");
        const QString config = writeConfig(dir, svc);
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        start(h, config);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 10000);
        const QString log = dir.filePath(u"state/logs/rot.log"_s);
        const auto logs = [&](int n) {
            const auto reply =
                call(socketPath, {{u"cmd"_s, u"logs"_s}, {u"name"_s, u"rot"_s}, {u"lines"_s, n}});
            return reply ? reply->value(u"lines"_s).toArray() : QJsonArray();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!logs(1).isEmpty() && logs(1).last().toString() == u"numbered-line-00600"_s,
                                 10000);
        const QString third = log + (compress ? u".3.gz"_s : u".3"_s);
        // The compressor runs beside the logger: wait until no backup is left plain.
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(third) && (!compress || !QFile::exists(log + u".1"_s)), 10000);
        QVERIFY(QFile::exists(log + u".3"_s) != compress);
        QVERIFY2(QFileInfo(log).size() < 120 * 20, "the live file alone holds the lines asked for");

        const QJsonArray lines = logs(120);
        QCOMPARE(lines.size(), 120);
        for (int i = 0; i < 120; ++i)
            QCOMPARE(lines.at(i).toString(), u"numbered-line-%1"_s.arg(481 + i, 5, 10, QLatin1Char('0')));
        // Asking for more than there is gives everything, oldest first.
        const QJsonArray all = logs(100'000);
        QCOMPARE(all.size(), 600);
        QCOMPARE(all.first().toString(), u"numbered-line-00001"_s);
        if (!compress)
            return;

        // A damaged backup: its lines are gone, one line says why, the rest still shows.
        QFile damaged(log + u".2.gz"_s);
        QVERIFY(damaged.open(QIODevice::WriteOnly | QIODevice::Truncate));
        damaged.write("not gzip at all\n");
        damaged.close();
        const QJsonArray after = logs(100'000);
        QCOMPARE(after.first().toString(), u"numbered-line-00001"_s);
        QCOMPARE(after.last().toString(), u"numbered-line-00600"_s);
        const QString skipped =
            u"[lifeline: %1 skipped: corrupt gzip data (incorrect header check)]"_s.arg(damaged.fileName());
        QVERIFY2(after.contains(skipped), QJsonDocument(after).toJson().constData());
        QVERIFY(after.size() < 600);
    }

    // At most kMaxClients connections are served at once; one more hears why.
    void connectionsOverTheCapAreRefused()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"cap.sock"_s);
        ControlServer server(nullptr);
        QString error;
        QVERIFY2(server.listen(path, &error), qPrintable(error));
        QSignalSpy connected(&server, &ControlServer::clientConnected);
        std::vector<std::unique_ptr<QLocalSocket>> clients;
        for (int i = 0; i < ControlServer::kMaxClients; ++i) {
            clients.push_back(std::make_unique<QLocalSocket>());
            clients.back()->connectToServer(path);
        }
        QTRY_COMPARE_WITH_TIMEOUT(connected.size(), ControlServer::kMaxClients, 10000);

        QLocalSocket extra;
        extra.connectToServer(path);
        QTRY_VERIFY_WITH_TIMEOUT(extra.canReadLine(), 10000);
        const QJsonObject refusal = QJsonDocument::fromJson(extra.readLine()).object();
        QCOMPARE(refusal.value(u"ok"_s).toBool(true), false);
        QVERIFY2(refusal.value(u"error"_s).toString().contains(u"64 clients are connected already"_s),
                 qPrintable(refusal.value(u"error"_s).toString()));
        QTRY_COMPARE_WITH_TIMEOUT(extra.state(), QLocalSocket::UnconnectedState, 10000);
        QCOMPARE(connected.size(), ControlServer::kMaxClients);

        // One leaves: the next one is served again.
        clients.front()->disconnectFromServer();
        clients.erase(clients.begin());
        std::unique_ptr<QLocalSocket> next;
        QJsonObject answer;
        const auto served = [&] {
            if (next && next->canReadLine())
                answer = QJsonDocument::fromJson(next->readLine()).object();
            if (answer.value(u"ok"_s).toBool())
                return true;
            if (!next || next->state() == QLocalSocket::UnconnectedState || !answer.isEmpty()) {
                answer = {};
                next = std::make_unique<QLocalSocket>();
                next->connectToServer(path);
                next->write("{\"cmd\":\"ping\"}\n");
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(served(), 10000);
        QVERIFY(QFileInfo::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestControl)
#include "tst_control.moc"
