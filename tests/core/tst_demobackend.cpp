// Tests of lifeline-demo-backend, the misbehaving backend the demo stack and the supervisor tests
// rely on: each test starts the real executable and talks HTTP to it on 127.0.0.1.

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <vector>

#include <signal.h>
#include <sys/types.h>

using namespace Qt::StringLiterals;

namespace {

quint16 freePort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

struct HttpResult
{
    int status = 0; ///< 0: no complete answer
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

HttpResult httpRequest(quint16 port, const QByteArray &method, const QByteArray &path, int timeoutMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray data;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && !timer.hasExpired(timeoutMs)) {
        socket.waitForReadyRead(static_cast<int>(timeoutMs - timer.elapsed()));
        data += socket.readAll();
    }
    data += socket.readAll();
    const qsizetype headerEnd = data.indexOf("\r\n\r\n");
    if (!data.startsWith("HTTP/1.1 ") || headerEnd < 0)
        return {};
    HttpResult result;
    result.status = data.mid(9, 3).toInt();
    result.body = data.mid(headerEnd + 4);
    return result;
}

HttpResult httpGet(quint16 port, const QByteArray &path)
{
    return httpRequest(port, "GET", path);
}

QAbstractSocket::SocketError connectResult(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (socket.waitForConnected(2000))
        return QAbstractSocket::UnknownSocketError; // "no error": connected
    return socket.error();
}

bool canConnect(quint16 port)
{
    return connectResult(port) == QAbstractSocket::UnknownSocketError;
}

/// Fields of /proc/PID/stat after the command name; index 0 is field 3 (state).
QList<QByteArray> procStat(qint64 pid)
{
    QFile file(u"/proc/%1/stat"_s.arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray stat = file.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return {};
    return stat.mid(close + 2).trimmed().split(' ');
}

qint64 sessionOf(qint64 pid)
{
    const QList<QByteArray> fields = procStat(pid);
    return fields.size() > 3 ? fields.at(3).toLongLong() : -1; // field 6
}

qint64 parentOf(qint64 pid)
{
    const QList<QByteArray> fields = procStat(pid);
    return fields.size() > 1 ? fields.at(1).toLongLong() : -1; // field 4
}

/// Alive and not a zombie (an orphan's zombie may linger until its new parent reaps it).
bool isAlive(qint64 pid)
{
    const QList<QByteArray> fields = procStat(pid);
    return !fields.isEmpty() && fields.at(0) != "Z" && fields.at(0) != "X";
}

qint64 vmRssKb(qint64 pid)
{
    QFile file(u"/proc/%1/status"_s.arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

struct Backend
{
    QProcess process;
    QByteArray out; ///< everything written to stdout so far
    QByteArray err;
    quint16 port = 0;
    qint64 pid() const { return process.processId(); }
    QByteArray listeningLine() const
    {
        return "listening on 127.0.0.1:" + QByteArray::number(port) + " pid " + QByteArray::number(pid());
    }
};

} // namespace

class TestDemoBackend : public QObject
{
    Q_OBJECT

private slots:
    void cleanup();

    void healthAnswersJson();
    void otherPaths();
    void keepsHttp11Connections();
    void detailedHasSystemAndChecks();
    void unhealthyAfterAnswers503();
    void crashAfterExitsWithCode_data();
    void crashAfterExitsWithCode();
    void stopSignalExitsZero_data();
    void stopSignalExitsZero();
    void ignoreTermSurvivesTermButNotKill();
    void hangAfterAcceptsButNeverAnswers();
    void readyAfterDelaysListening();
    void spawnGrandchildKeepsPortInOwnSession();
    void portTakenExitsTwo();
    void usageErrors_data();
    void usageErrors();
    void leakGrowsRss();
    void floodWritesManyLines();

private:
    Backend *start(const QStringList &extraArgs, quint16 port = 0);

    std::vector<std::unique_ptr<Backend>> m_backends;
    QList<qint64> m_grandchildren;
};

Backend *TestDemoBackend::start(const QStringList &extraArgs, quint16 port)
{
    auto backend = std::make_unique<Backend>();
    Backend *raw = backend.get();
    raw->port = port ? port : freePort();
    connect(&raw->process, &QProcess::readyReadStandardOutput, this,
            [raw] { raw->out += raw->process.readAllStandardOutput(); });
    connect(&raw->process, &QProcess::readyReadStandardError, this,
            [raw] { raw->err += raw->process.readAllStandardError(); });
    raw->process.setProgram(QStringLiteral(LIFELINE_DEMO_BACKEND));
    raw->process.setArguments(QStringList{u"--port"_s, QString::number(raw->port)} + extraArgs);
    raw->process.start();
    m_backends.push_back(std::move(backend));
    if (!raw->process.waitForStarted(5000))
        qWarning("cannot start %s: %s", LIFELINE_DEMO_BACKEND, qPrintable(raw->process.errorString()));
    return raw;
}

void TestDemoBackend::cleanup()
{
    for (const auto &backend : m_backends) {
        if (backend->process.state() != QProcess::NotRunning) {
            backend->process.kill();
            backend->process.waitForFinished(5000);
        }
    }
    m_backends.clear();
    for (qint64 pid : std::as_const(m_grandchildren))
        ::kill(static_cast<pid_t>(pid), SIGKILL);
    for (qint64 pid : std::as_const(m_grandchildren))
        QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid), 5000);
    m_grandchildren.clear();
}

void TestDemoBackend::healthAnswersJson()
{
    Backend *backend = start({u"--name"_s, u"api"_s});
    QTRY_VERIFY_WITH_TIMEOUT(backend->out.contains(QByteArray("api " + backend->listeningLine())), 10000);

    const HttpResult result = httpGet(backend->port, "/health");
    QCOMPARE(result.status, 200);
    const QJsonObject json = result.json();
    QCOMPARE(json.value("status"_L1).toString(), u"healthy"_s);
    QCOMPARE(json.value("name"_L1).toString(), u"api"_s);
    QCOMPARE(json.value("pid"_L1).toInteger(), backend->pid());
    QVERIFY(json.value("uptime_s"_L1).isDouble());
    QVERIFY(json.value("uptime_s"_L1).toDouble() >= 0);

    // One log line per request on stdout, nothing on stderr.
    QTRY_VERIFY(backend->out.contains(" GET /health 200 "));
    QVERIFY2(backend->err.isEmpty(), backend->err.constData());
}

// HTTP/1.1 requests share a connection, two sent at once included; one
// saying "Connection: close" ends it.
void TestDemoBackend::keepsHttp11Connections()
{
    Backend *backend = start({});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, backend->port);
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    socket.write(get + get);
    QByteArray data;
    QElapsedTimer timer;
    timer.start();
    while (data.count("HTTP/1.1 200") < 2 && !timer.hasExpired(5000)) {
        socket.waitForReadyRead(100);
        data += socket.readAll();
    }
    QCOMPARE(data.count("HTTP/1.1 200"), 2);
    QCOMPARE(data.count("Connection: keep-alive"), 2);
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);

    socket.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    while (socket.state() == QAbstractSocket::ConnectedState && !timer.hasExpired(10000)) {
        socket.waitForReadyRead(100);
        data += socket.readAll();
    }
    data += socket.readAll();
    QCOMPARE(data.count("HTTP/1.1 200"), 3);
    QVERIFY(data.contains("Connection: close"));
    QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState); // the server closed it
    QTRY_COMPARE(backend->out.count(" GET /health 200 "), 2);
}

void TestDemoBackend::otherPaths()
{
    Backend *backend = start({});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);

    const HttpResult live = httpGet(backend->port, "/health/live");
    QCOMPARE(live.status, 200);
    QCOMPARE(live.json().value("status"_L1).toString(), u"alive"_s);
    const HttpResult ready = httpGet(backend->port, "/health/ready");
    QCOMPARE(ready.status, 200);
    QCOMPARE(ready.json().value("status"_L1).toString(), u"ready"_s);
    // Any other path under /health/ answers like /health (benches poll many paths).
    const HttpResult other = httpGet(backend->port, "/health/any/thing?x=1");
    QCOMPARE(other.status, 200);
    QCOMPARE(other.json().value("status"_L1).toString(), u"healthy"_s);

    QCOMPARE(httpGet(backend->port, "/").status, 404);
    QCOMPARE(httpGet(backend->port, "/healthz").status, 404);
    QCOMPARE(httpRequest(backend->port, "POST", "/health").status, 405);
    QCOMPARE(httpRequest(backend->port, "GET", "/health HTTP/1.1 extra").status, 400);
    QTRY_VERIFY(backend->out.contains(" GET / 404 "));
    QTRY_VERIFY(backend->out.contains(" POST /health 405 "));
}

void TestDemoBackend::detailedHasSystemAndChecks()
{
    Backend *backend = start({});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);

    const HttpResult result = httpGet(backend->port, "/health/detailed");
    QCOMPARE(result.status, 200);
    const QJsonObject json = result.json();
    QCOMPARE(json.value("status"_L1).toString(), u"healthy"_s);
    QCOMPARE(json.value("pid"_L1).toInteger(), backend->pid());
    const QJsonObject system = json.value("system"_L1).toObject();
    for (const char *key : {"cpu_percent", "memory_percent", "disk_percent"}) {
        const QJsonValue value = system.value(QLatin1String(key));
        QVERIFY2(value.isDouble(), key);
        QVERIFY2(value.toDouble() >= 0 && value.toDouble() <= 100, key);
    }
    // A machine with a running test process uses some memory and some disk.
    QVERIFY(system.value("memory_percent"_L1).toDouble() > 0);
    QVERIFY(system.value("disk_percent"_L1).toDouble() > 0);
    const QJsonObject checks = json.value("health_checks"_L1).toObject();
    QCOMPARE(checks.value("database"_L1).toString(), u"ok"_s);
    QCOMPARE(checks.value("disk"_L1).toString(), u"ok"_s);
}

void TestDemoBackend::unhealthyAfterAnswers503()
{
    Backend *backend = start({u"--unhealthy-after"_s, u"2s"_s});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    QCOMPARE(httpGet(backend->port, "/health").status, 200);

    QTRY_COMPARE_WITH_TIMEOUT(httpGet(backend->port, "/health").status, 503, 10000);
    QCOMPARE(httpGet(backend->port, "/health").json().value("status"_L1).toString(), u"unhealthy"_s);
    const HttpResult detailed = httpGet(backend->port, "/health/detailed");
    QCOMPARE(detailed.status, 503);
    QCOMPARE(detailed.json().value("health_checks"_L1).toObject().value("database"_L1).toString(),
             u"timeout"_s);
    // Still alive: only the health answer changed.
    QCOMPARE(httpGet(backend->port, "/health/live").status, 200);
    QTRY_VERIFY(backend->err.contains("ERROR: "));
    QTRY_VERIFY(backend->out.contains(" GET /health 503 "));
}

void TestDemoBackend::crashAfterExitsWithCode_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::newRow("default exit code") << QStringList{u"--crash-after"_s, u"300ms"_s} << 1;
    QTest::newRow("exit code 3") << QStringList{u"--crash-after"_s, u"300ms"_s, u"--exit-code"_s, u"3"_s}
                                 << 3;
}

void TestDemoBackend::crashAfterExitsWithCode()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    Backend *backend = start(args);
    QVERIFY(backend->process.waitForFinished(10000));
    QCOMPARE(backend->process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(backend->process.exitCode(), exitCode);
    QVERIFY2(backend->err.contains(
                 QByteArray("ERROR: crashing as asked (exit code " + QByteArray::number(exitCode) + ")")),
             backend->err.constData());
}

void TestDemoBackend::stopSignalExitsZero_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TestDemoBackend::stopSignalExitsZero()
{
    QFETCH(int, signalNumber);
    Backend *backend = start({});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    QCOMPARE(::kill(static_cast<pid_t>(backend->pid()), signalNumber), 0);
    QVERIFY(backend->process.waitForFinished(5000));
    QCOMPARE(backend->process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(backend->process.exitCode(), 0);
}

void TestDemoBackend::ignoreTermSurvivesTermButNotKill()
{
    Backend *backend = start({u"--ignore-term"_s});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    QCOMPARE(::kill(static_cast<pid_t>(backend->pid()), SIGTERM), 0);
    // Had the signal been fatal, the process would be gone before it could answer this.
    QCOMPARE(httpGet(backend->port, "/health").status, 200);
    QCOMPARE(backend->process.state(), QProcess::Running);

    QCOMPARE(::kill(static_cast<pid_t>(backend->pid()), SIGKILL), 0);
    QVERIFY(backend->process.waitForFinished(5000));
    QCOMPARE(backend->process.exitStatus(), QProcess::CrashExit);
}

void TestDemoBackend::hangAfterAcceptsButNeverAnswers()
{
    Backend *backend = start({u"--hang-after"_s, u"500ms"_s});
    QTRY_VERIFY_WITH_TIMEOUT(backend->out.contains(backend->listeningLine()), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(backend->err.contains("ERROR: hanging as asked"), 10000);

    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, backend->port);
    QVERIFY(socket.waitForConnected(2000)); // accepted...
    socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QVERIFY(!socket.waitForReadyRead(1000)); // ...but never answered
    QCOMPARE(socket.state(), QAbstractSocket::ConnectedState);
    QVERIFY(!backend->out.contains("GET /health"));

    // A stop signal still works while hung.
    QCOMPARE(::kill(static_cast<pid_t>(backend->pid()), SIGTERM), 0);
    QVERIFY(backend->process.waitForFinished(5000));
    QCOMPARE(backend->process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(backend->process.exitCode(), 0);
}

void TestDemoBackend::readyAfterDelaysListening()
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    Backend *backend = start({u"--ready-after"_s, u"1500ms"_s});
    QCOMPARE(connectResult(backend->port), QAbstractSocket::ConnectionRefusedError);

    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    QVERIFY2(sinceStart.elapsed() >= 1400, QByteArray::number(sinceStart.elapsed()).constData());
    QCOMPARE(httpGet(backend->port, "/health/ready").status, 200);
    // The line was written before the port opened; its read may still be queued.
    QTRY_VERIFY_WITH_TIMEOUT(backend->out.contains(backend->listeningLine()), 5000);
}

void TestDemoBackend::spawnGrandchildKeepsPortInOwnSession()
{
    Backend *backend = start({u"--spawn-grandchild"_s});
    static const QRegularExpression grandchildLine(u"grandchild PID (\\d+)\n"_s);
    QTRY_VERIFY_WITH_TIMEOUT(grandchildLine.match(QString::fromUtf8(backend->out)).hasMatch(), 10000);
    const qint64 grandchild = grandchildLine.match(QString::fromUtf8(backend->out)).captured(1).toLongLong();
    QVERIFY(grandchild > 0);
    m_grandchildren.append(grandchild); // killed in cleanup() whatever happens here

    QCOMPARE(parentOf(grandchild), backend->pid());
    QCOMPARE(sessionOf(grandchild), grandchild); // setsid(): leader of its own session
    // The backend's own session id may read 0: when the test runs in a PID namespace (a CI
    // container) whose session leader lives outside it, /proc reports the session as 0. Whatever
    // it reads, the grandchild is no longer in it.
    QVERIFY(sessionOf(backend->pid()) >= 0);
    QVERIFY(sessionOf(grandchild) != sessionOf(backend->pid()));

    QCOMPARE(::kill(static_cast<pid_t>(backend->pid()), SIGKILL), 0);
    QVERIFY(backend->process.waitForFinished(5000));
    QVERIFY(isAlive(grandchild));
    // The orphan still holds the inherited listening socket: connections are still accepted by the
    // kernel, and nobody else can bind the port.
    QVERIFY(canConnect(backend->port));
    QTcpServer other;
    QVERIFY(!other.listen(QHostAddress::LocalHost, backend->port));
}

void TestDemoBackend::portTakenExitsTwo()
{
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
    Backend *backend = start({}, holder.serverPort());
    QVERIFY(backend->process.waitForFinished(10000));
    QCOMPARE(backend->process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(backend->process.exitCode(), 2);
    const QByteArray expected =
        QByteArray("ERROR: cannot listen on 127.0.0.1:" + QByteArray::number(holder.serverPort()) + ": ");
    QVERIFY2(backend->err.contains(expected), backend->err.constData());
}

void TestDemoBackend::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("no arguments") << QStringList{} << QByteArray("--port is required");
    QTest::newRow("no port") << QStringList{u"--name"_s, u"x"_s} << QByteArray("--port is required");
    QTest::newRow("unknown flag") << QStringList{u"--port"_s, u"8000"_s, u"--bogus"_s}
                                  << QByteArray("unknown option: --bogus");
    QTest::newRow("missing value") << QStringList{u"--port"_s} << QByteArray("missing value for --port");
    QTest::newRow("port zero") << QStringList{u"--port"_s, u"0"_s} << QByteArray("invalid value for --port");
    QTest::newRow("port too big") << QStringList{u"--port"_s, u"70000"_s}
                                  << QByteArray("invalid value for --port");
    QTest::newRow("bad duration") << QStringList{u"--port"_s, u"8000"_s, u"--crash-after"_s, u"soon"_s}
                                  << QByteArray("invalid value for --crash-after: 'soon'");
    QTest::newRow("negative duration") << QStringList{u"--port"_s, u"8000"_s, u"--hang-after"_s, u"-1s"_s}
                                       << QByteArray("invalid value for --hang-after");
    QTest::newRow("bad exit code") << QStringList{u"--port"_s, u"8000"_s, u"--exit-code"_s, u"300"_s}
                                   << QByteArray("invalid value for --exit-code");
    QTest::newRow("bad flood") << QStringList{u"--port"_s, u"8000"_s, u"--flood"_s, u"lots"_s}
                               << QByteArray("invalid value for --flood");
}

void TestDemoBackend::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, message);
    QProcess process;
    process.start(QStringLiteral(LIFELINE_DEMO_BACKEND), args);
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 64);
    const QByteArray err = process.readAllStandardError();
    QVERIFY2(err.contains(message), err.constData());
    QVERIFY(err.contains("usage: lifeline-demo-backend --port P"));
}

void TestDemoBackend::leakGrowsRss()
{
    Backend *backend = start({u"--leak"_s, u"50"_s});
    QTRY_VERIFY_WITH_TIMEOUT(canConnect(backend->port), 10000);
    const qint64 before = vmRssKb(backend->pid());
    QVERIFY(before > 0);
    QTRY_VERIFY_WITH_TIMEOUT(vmRssKb(backend->pid()) >= before + 40 * 1024, 10000);
}

void TestDemoBackend::floodWritesManyLines()
{
    Backend *backend = start({u"--flood"_s, u"20000"_s});
    QTRY_VERIFY_WITH_TIMEOUT(backend->out.contains(backend->listeningLine()), 10000);
    // That it floods, not how fast: the rate is bench/'s (a busy CI machine
    // shares two cores); 10 000 lines are asked for in half a second.
    QElapsedTimer timer;
    timer.start();
    QTRY_VERIFY_WITH_TIMEOUT(backend->out.count("flood line ") >= 10000, 20000);
    qInfo("%lld flood lines after %lld ms", static_cast<long long>(backend->out.count("flood line ")),
          static_cast<long long>(timer.elapsed()));
    // Numbered from 1.
    QVERIFY(backend->out.contains(" flood line 1 lorem"));
    QVERIFY(backend->out.contains(" flood line 10000 lorem"));
}

QTEST_GUILESS_MAIN(TestDemoBackend)
#include "tst_demobackend.moc"
