// Health probes and HealthMonitor against real HTTP servers on 127.0.0.1
// (small QTcpServer stubs below and lifeline-demo-backend), real TCP ports
// and real child processes.
#include "health/healthmonitor.h"
#include "health/healthparser.h"
#include "health/healthprobe.h"
#include "platform/procfs.h"
#include "util/clock.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPointer>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// A tiny HTTP/1.1 server: one answer per path (or the default answer), with
// an optional delay, or no answer at all. Counts requests, concurrent
// requests, and clients that went away before being answered.
class StubServer final : public QObject
{
    Q_OBJECT

public:
    struct Answer
    {
        int status = 200;
        QByteArray body = R"({"status":"healthy"})";
        int delayMs = 0;
        bool hang = false;         // accept, read the request, never answer
        QByteArray location;       // Location header (redirects)
        bool contentLength = true; // false: body ends when the connection closes
        QByteArray raw;            // when set: sent as it is instead of a built answer
    };

    StubServer() { connect(&m_server, &QTcpServer::newConnection, this, &StubServer::onNewConnection); }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    bool listenOn(quint16 port) { return m_server.listen(QHostAddress::LocalHost, port); }
    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path = u"/health"_s) const
    {
        return u"http://127.0.0.1:"_s + QString::number(port()) + path;
    }

    Answer defaultAnswer;
    QHash<QByteArray, Answer> routes;

    int requests = 0;
    int active = 0;
    int maxActive = 0;
    int abandoned = 0;
    QList<QByteArray> paths;
    QList<QByteArray> heads; // each request's line and headers, as received

signals:
    void requestReceived(const QByteArray &path);
    void clientGone();

private:
    void onNewConnection()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                if (socket->property("seen").toBool())
                    return;
                *buffer += socket->readAll();
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                socket->setProperty("seen", true);
                heads << buffer->left(end);
                const QList<QByteArray> requestLine = buffer->left(buffer->indexOf("\r\n")).split(' ');
                const QByteArray path = requestLine.value(1);
                onRequest(socket, path);
            });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                if (socket->property("seen").toBool() && !socket->property("answered").toBool()) {
                    --active;
                    ++abandoned;
                    socket->setProperty("answered", true);
                    emit clientGone();
                }
                socket->deleteLater();
            });
        }
    }

    void onRequest(QTcpSocket *socket, const QByteArray &path)
    {
        ++requests;
        ++active;
        maxActive = std::max(maxActive, active);
        paths << path;
        const Answer answer = routes.value(path, defaultAnswer);
        emit requestReceived(path);
        if (answer.hang)
            return;
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(answer.delayMs, this, [this, guard, answer] {
            if (!guard || guard->property("answered").toBool())
                return;
            guard->setProperty("answered", true);
            --active;
            if (!answer.raw.isEmpty()) {
                guard->write(answer.raw);
                guard->disconnectFromHost();
                return;
            }
            QByteArray head = "HTTP/1.1 " + QByteArray::number(answer.status) +
                              " Stub\r\n"
                              "Content-Type: application/json\r\nConnection: close\r\n";
            if (answer.contentLength)
                head += "Content-Length: " + QByteArray::number(answer.body.size()) + "\r\n";
            if (!answer.location.isEmpty())
                head += "Location: " + answer.location + "\r\n";
            guard->write(head + "\r\n" + answer.body);
            guard->disconnectFromHost();
        });
    }

    QTcpServer m_server;
};

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

// Each connection to SERVER gets ANSWER at once, before any request is read,
// and is closed; CONNECTIONS counts them.
void answerEveryConnection(QTcpServer &server, const QByteArray &answer, int *connections = nullptr)
{
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server, answer, connections] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            if (connections)
                ++*connections;
            s->write(answer);
            s->disconnectFromHost();
            QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        }
    });
}

HealthSpec httpSpec(const QString &url, std::chrono::milliseconds timeout = 3s)
{
    HealthSpec spec;
    spec.kind = HealthSpec::Kind::Http;
    spec.url = url;
    spec.timeout = timeout;
    return spec;
}

HealthSpec execSpec(const QStringList &argv, std::chrono::milliseconds timeout = 5s)
{
    HealthSpec spec;
    spec.kind = HealthSpec::Kind::Exec;
    spec.exec = argv;
    spec.timeout = timeout;
    return spec;
}

HealthSpec tcpSpec(quint16 port)
{
    HealthSpec spec;
    spec.kind = HealthSpec::Kind::Tcp;
    spec.tcpHost = u"127.0.0.1"_s;
    spec.tcpPort = port;
    spec.timeout = 2s;
    return spec;
}

// Gone from /proc, or a zombie nobody reaped yet (it runs no code any more).
bool processGone(qint64 pid)
{
    QFile stat(u"/proc/"_s + QString::number(pid) + u"/stat"_s);
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close < 0 || text.mid(close + 2, 1) == "Z";
}

QStringList g_processWarnings;
QtMessageHandler g_previousHandler = nullptr;

void messageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (message.contains("Destroyed while process"_L1))
        g_processWarnings << message;
    g_previousHandler(type, context, message);
}

} // namespace

class TestHealth : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    // HealthProbe, HTTP
    void httpHealthy();
    void httpBadStatus();
    void httpConnectionRefused();
    void httpHangTimesOut();
    void httpSlowUnderTimeout();
    void httpSlowOverTimeout();
    void httpBodyTooLarge_data();
    void httpBodyTooLarge();
    void httpInvalidJsonIsHealthyWithNote();
    void httpReportedUnhealthy();
    void httpReportedDegraded();
    void httpRedirectToOtherHostRefused();
    void httpRedirectSameHostFollowed();
    void httpRedirectLoopEnds();
    void httpRedirectToHttpsGoesThroughTls();
    void httpRequestNamesHostAndAsksForJson();
    void httpChunkedAnswerIsRead();
    void httpBrokenAnswers_data();
    void httpBrokenAnswers();
    void httpTlsError();
    void httpTlsSelfSignedCertificate();
    void httpInvalidUrl();

    // HealthProbe, TCP and exec
    void tcpOpenAndClosed();
    void execExitZero();
    void execNonZeroExitKeepsFirstLine();
    void execTimeoutKillsProcess();
    void execTimeoutKillsWholeGroup();
    void execCannotStart();

    // HealthMonitor
    void monitorUnhealthyAfterFailuresThenRecovers();
    void monitorHangBecomesUnhealthy();
    void monitorStartPeriodIgnoresFailures();
    void monitorSuccessDuringStartPeriodIsHealthy();
    void monitorFirstVerdictDoesNotWaitForTheInterval();
    void monitorAtMostOneProbeInFlight();
    void monitorStopReturnsUnknownAndDropsProbe();
    void monitorStopKillsRunningExecProbe();
    void monitorPortCheckTurnsSuccessIntoFailure();
    void monitorHistoryIsBounded();
    void monitorKeepsOnlyTheLatestReportCapped();
    void monitorWithDemoBackend();

    // Port ownership
    void foreignPortHolder();

private:
    std::optional<HealthResult> runProbe(const HealthSpec &spec, int waitMs = 15'000);
    QNetworkAccessManager m_nam;
};

void TestHealth::initTestCase()
{
    qRegisterMetaType<HealthResult>();
    qRegisterMetaType<Health>();
    // Health checks go to local ports; a proxy from the environment must not matter.
    m_nam.setProxy(QNetworkProxy::NoProxy);
    g_previousHandler = qInstallMessageHandler(messageHandler);
}

void TestHealth::cleanupTestCase()
{
    qInstallMessageHandler(g_previousHandler);
    QVERIFY2(g_processWarnings.isEmpty(), qPrintable(g_processWarnings.join(u'\n')));
}

std::optional<HealthResult> TestHealth::runProbe(const HealthSpec &spec, int waitMs)
{
    HealthProbe probe(spec, &m_nam);
    QSignalSpy spy(&probe, &HealthProbe::finished);
    probe.start();
    if (!spy.wait(waitMs) || spy.count() != 1) {
        qWarning("probe did not finish exactly once (%d results)", int(spy.count()));
        return std::nullopt;
    }
    if (probe.isRunning())
        return std::nullopt;
    return spy.at(0).at(0).value<HealthResult>();
}

// ---------------------------------------------------------------- HTTP probes

void TestHealth::httpHealthy()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.body = R"({"status":"healthy","database":"connected"})";
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY2(r->ok, qPrintable(r->reason));
    QCOMPARE(r->error, ProbeError::None);
    QCOMPARE(r->httpStatus, 200);
    QCOMPARE(r->reason, u"HTTP 200"_s);
    QCOMPARE(r->report.value("database"_L1).toString(), u"connected"_s);
    QVERIFY(r->timeMs >= before);
    QVERIFY(r->latencyMs >= 0);
    QCOMPARE(stub.paths, QList<QByteArray>{"/health"});
}

void TestHealth::httpBadStatus()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.status = 503;
    stub.defaultAnswer.body = R"({"status":"unhealthy","database":"timeout"})";
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::BadStatus);
    QCOMPARE(r->httpStatus, 503);
    QCOMPARE(r->reason, u"HTTP 503"_s);
    QCOMPARE(r->report.value("database"_L1).toString(), u"timeout"_s);
}

void TestHealth::httpConnectionRefused()
{
    const quint16 port = freePort();
    QVERIFY(port);
    const auto r = runProbe(httpSpec(u"http://127.0.0.1:"_s + QString::number(port) + u"/health"_s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Refused);
    QCOMPARE(r->reason, u"connection refused"_s);
    QCOMPARE(r->httpStatus, 0);
}

void TestHealth::httpHangTimesOut()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.hang = true;
    QSignalSpy gone(&stub, &StubServer::clientGone);
    const auto r = runProbe(httpSpec(stub.url(), 300ms));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Timeout);
    QCOMPARE(r->reason, u"timed out after 300ms"_s);
    QVERIFY2(r->latencyMs >= 250, qPrintable(QString::number(r->latencyMs)));
    QCOMPARE(stub.requests, 1);
    // The connection was really closed, not left hanging on the backend.
    QVERIFY(gone.count() == 1 || gone.wait(5000));
}

void TestHealth::httpSlowUnderTimeout()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.delayMs = 200;
    const auto r = runProbe(httpSpec(stub.url(), 5s));
    QVERIFY(r);
    QVERIFY2(r->ok, qPrintable(r->reason));
    QVERIFY2(r->latencyMs >= 190, qPrintable(QString::number(r->latencyMs)));
}

void TestHealth::httpSlowOverTimeout()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.delayMs = 3000;
    const auto r = runProbe(httpSpec(stub.url(), 1s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Timeout);
    QCOMPARE(r->reason, u"timed out after 1s"_s);
    QVERIFY(r->latencyMs < 2900);
}

void TestHealth::httpBodyTooLarge_data()
{
    QTest::addColumn<bool>("contentLength");
    QTest::newRow("Content-Length: 2 MiB") << true;
    QTest::newRow("streamed until close") << false;
}

void TestHealth::httpBodyTooLarge()
{
    QFETCH(bool, contentLength);
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.body = QByteArray(2 * 1024 * 1024, 'x');
    stub.defaultAnswer.contentLength = contentLength;
    const auto r = runProbe(httpSpec(stub.url(), 10s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::TooLarge);
    QCOMPARE(r->reason, u"body larger than 1 MiB"_s);

    // Just under the cap is read whole.
    stub.defaultAnswer.body = QByteArray(HealthProbe::MaxBodyBytes, ' ');
    const auto under = runProbe(httpSpec(stub.url(), 10s));
    QVERIFY(under);
    QVERIFY2(under->ok, qPrintable(under->reason));
}

void TestHealth::httpInvalidJsonIsHealthyWithNote()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.body = "OK";
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY(r->ok);
    QCOMPARE(r->error, ProbeError::None);
    QCOMPARE(r->reason, u"HTTP 200, body is not JSON"_s);
}

void TestHealth::httpReportedUnhealthy()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.body = R"({"status":"unhealthy","message":"redis unreachable"})";
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->httpStatus, 200);
    QCOMPARE(r->error, ProbeError::ReportedUnhealthy);
    QCOMPARE(r->reason, u"backend reports \"unhealthy\": redis unreachable"_s);
}

void TestHealth::httpReportedDegraded()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.body = R"({"status":"degraded"})";
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::ReportedDegraded);
    QCOMPARE(r->reason, u"backend reports \"degraded\""_s);
}

void TestHealth::httpRedirectToOtherHostRefused()
{
    StubServer stub;
    QVERIFY(stub.listen());
    const QByteArray target = "http://127.0.0.2:" + QByteArray::number(stub.port()) + "/health";
    stub.routes.insert("/old", {302, {}, 0, false, target, true, {}});
    const auto r = runProbe(httpSpec(stub.url(u"/old"_s)));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Other);
    QCOMPARE(r->reason, u"redirect to another host refused: "_s + QString::fromLatin1(target));
    QCOMPARE(stub.paths, QList<QByteArray>{"/old"});
}

void TestHealth::httpRedirectSameHostFollowed()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.routes.insert("/old", {301, "moved", 0, false, "/health", true, {}});
    const auto r = runProbe(httpSpec(stub.url(u"/old"_s)));
    QVERIFY(r);
    QVERIFY2(r->ok, qPrintable(r->reason));
    QCOMPARE(r->httpStatus, 200);
    QCOMPARE(r->reason, u"HTTP 200"_s); // the 301's body is not mixed in
    QCOMPARE(stub.paths, (QList<QByteArray>{"/old", "/health"}));
}

void TestHealth::httpRedirectLoopEnds()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.routes.insert("/loop", {302, {}, 0, false, "/loop", true, {}});
    const auto r = runProbe(httpSpec(stub.url(u"/loop"_s)));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Other);
    QCOMPARE(r->reason, u"more than 5 redirects"_s);
    QCOMPARE(r->httpStatus, 302);
    QCOMPARE(stub.requests, 1 + HealthProbe::MaxRedirects);
}

void TestHealth::httpRedirectToHttpsGoesThroughTls()
{
    // Same host and port, upgraded to https://: the probe goes on with TLS.
    // Every connection gets the same plain-text redirect at once, so the TLS
    // handshake of the second one fails, and says so.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const QByteArray target = "https://127.0.0.1:" + QByteArray::number(server.serverPort()) + "/health";
    int connections = 0;
    answerEveryConnection(
        server, "HTTP/1.1 301 Moved\r\nLocation: " + target + "\r\nContent-Length: 0\r\n\r\n", &connections);
    const auto r =
        runProbe(httpSpec(u"http://127.0.0.1:"_s + QString::number(server.serverPort()) + u"/old"_s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Tls);
    QVERIFY2(r->reason.startsWith(u"TLS error: "_s), qPrintable(r->reason));
    QCOMPARE(connections, 2);
}

void TestHealth::httpRequestNamesHostAndAsksForJson()
{
    StubServer stub;
    QVERIFY(stub.listen());
    const auto r = runProbe(httpSpec(stub.url(u"/health/ready?verbose=1&x=%20"_s)));
    QVERIFY(r);
    QVERIFY2(r->ok, qPrintable(r->reason));
    QCOMPARE(stub.heads.size(), 1);
    const QList<QByteArray> lines = stub.heads.at(0).split('\n');
    QCOMPARE(lines.value(0), "GET /health/ready?verbose=1&x=%20 HTTP/1.1\r"_ba);
    QVERIFY2(lines.contains("Host: 127.0.0.1:" + QByteArray::number(stub.port()) + '\r'), stub.heads.at(0));
    QVERIFY2(lines.contains("Accept: application/json, */*;q=0.5\r"), stub.heads.at(0));
    QVERIFY2(lines.contains("User-Agent: Lifeline/" LIFELINE_VERSION " health-check\r"), stub.heads.at(0));
}

void TestHealth::httpChunkedAnswerIsRead()
{
    // Many frameworks stream JSON with chunked transfer coding.
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.raw =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "10\r\n{\"status\":\"unhea\r\n"
        "1c\r\nlthy\",\"message\":\"disk full\"}\r\n0\r\n\r\n";
    const auto r = runProbe(httpSpec(stub.url()));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->httpStatus, 200);
    QCOMPARE(r->error, ProbeError::ReportedUnhealthy);
    QCOMPARE(r->reason, u"backend reports \"unhealthy\": disk full"_s);
}

void TestHealth::httpBrokenAnswers_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not HTTP at all") << "SSH-2.0-OpenSSH_9.2\r\n"_ba << int(ProbeError::Other)
                                     << u"bad HTTP answer: not an HTTP response: \"SSH-2.0-OpenSSH_9.2\""_s;
    QTest::newRow("closed in the middle of the body")
        << "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\""_ba << int(ProbeError::Other)
        << u"bad HTTP answer: connection closed in the middle of the answer"_s;
    QTest::newRow("closed without a word")
        << "\r\n"_ba << int(ProbeError::Other) << u"bad HTTP answer: connection closed without an answer"_s;
    QTest::newRow("chunk over the cap")
        << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n"_ba << int(ProbeError::TooLarge)
        << u"body larger than 1 MiB"_s;
    QTest::newRow("bad Content-Length")
        << "HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n"_ba << int(ProbeError::Other)
        << u"bad HTTP answer: bad Content-Length: \"lots\""_s;
}

void TestHealth::httpBrokenAnswers()
{
    // A malformed answer is an ordinary failed check with a clear reason,
    // never a hang until the timeout and never a crash.
    QFETCH(QByteArray, raw);
    QFETCH(int, error);
    QFETCH(QString, reason);
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.raw = raw;
    QElapsedTimer timer;
    timer.start();
    const auto r = runProbe(httpSpec(stub.url(), 10s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(int(r->error), error);
    QCOMPARE(r->reason, reason);
    QVERIFY2(timer.elapsed() < 5000, "waited for the timeout instead of reading the answer");
}

void TestHealth::httpTlsError()
{
    // https:// to a plain HTTP server: the handshake fails, and says so.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    answerEveryConnection(server,
                          "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    const auto r =
        runProbe(httpSpec(u"https://127.0.0.1:"_s + QString::number(server.serverPort()) + u"/health"_s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Tls);
    QVERIFY2(r->reason.startsWith(u"TLS error: "_s) && r->reason.size() > 12, qPrintable(r->reason));
}

void TestHealth::httpTlsSelfSignedCertificate()
{
    // A real TLS server with a certificate nobody trusts: the certificate
    // errors themselves become the reason.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess openssl;
    openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-days"_s,
                                 u"2"_s, u"-subj"_s, u"/CN=lifeline-test"_s, u"-keyout"_s,
                                 dir.filePath(u"key.pem"_s), u"-out"_s, dir.filePath(u"cert.pem"_s)});
    if (!openssl.waitForStarted())
        QSKIP("the openssl command is not installed; it makes the test certificate");
    QVERIFY(openssl.waitForFinished(30'000));
    QCOMPARE(openssl.exitCode(), 0);

    QFile certFile(dir.filePath(u"cert.pem"_s));
    QFile keyFile(dir.filePath(u"key.pem"_s));
    QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificate(QSslCertificate(certFile.readAll()));
    config.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Rsa));
    QSslServer server;
    server.setSslConfiguration(config);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    const auto r =
        runProbe(httpSpec(u"https://127.0.0.1:"_s + QString::number(server.serverPort()) + u"/health"_s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Tls);
    QVERIFY2(r->reason.startsWith(u"TLS error: "_s), qPrintable(r->reason));
    QVERIFY2(r->reason.contains(u"self-signed"_s, Qt::CaseInsensitive), qPrintable(r->reason));
}

void TestHealth::httpInvalidUrl()
{
    const auto r = runProbe(httpSpec(u"ftp://127.0.0.1/health"_s));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Other);
    QCOMPARE(r->reason, u"invalid health URL \"ftp://127.0.0.1/health\" (expected http:// or https://)"_s);
}

// ---------------------------------------------------------- TCP and exec

void TestHealth::tcpOpenAndClosed()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const auto open = runProbe(tcpSpec(server.serverPort()));
    QVERIFY(open);
    QVERIFY2(open->ok, qPrintable(open->reason));
    QCOMPARE(open->reason, u"connected to 127.0.0.1:"_s + QString::number(server.serverPort()));

    const quint16 port = freePort();
    const auto closed = runProbe(tcpSpec(port));
    QVERIFY(closed);
    QVERIFY(!closed->ok);
    QCOMPARE(closed->error, ProbeError::Refused);
    QCOMPARE(closed->reason, u"connection refused"_s);
}

void TestHealth::execExitZero()
{
    const auto r = runProbe(execSpec({u"sh"_s, u"-c"_s, u"exit 0"_s}));
    QVERIFY(r);
    QVERIFY2(r->ok, qPrintable(r->reason));
    QCOMPARE(r->error, ProbeError::None);
}

void TestHealth::execNonZeroExitKeepsFirstLine()
{
    const auto r =
        runProbe(execSpec({u"sh"_s, u"-c"_s, u"echo 'queue depth 5000' >&2; echo second; exit 3"_s}));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Exec);
    QCOMPARE(r->reason, u"exit 3: queue depth 5000"_s);

    const auto silent = runProbe(execSpec({u"sh"_s, u"-c"_s, u"exit 3"_s}));
    QVERIFY(silent);
    QCOMPARE(silent->reason, u"exit 3"_s);
}

void TestHealth::execTimeoutKillsProcess()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pidFile = dir.filePath(u"pid"_s);
    // `exec` makes the sleep the probe's own process.
    const auto r =
        runProbe(execSpec({u"sh"_s, u"-c"_s, u"echo $$ > \"$0\"; exec sleep 10"_s, pidFile}, 500ms));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Timeout);
    QCOMPARE(r->reason, u"timed out after 500ms, killed"_s);
    QVERIFY(r->latencyMs < 5000);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const qint64 pid = f.readAll().trimmed().toLongLong();
    QVERIFY(pid > 0);
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 5000);
}

void TestHealth::execTimeoutKillsWholeGroup()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pidFile = dir.filePath(u"pid"_s);
    // The sleep is a grandchild: killing only the shell would leave it behind.
    const auto r =
        runProbe(execSpec({u"sh"_s, u"-c"_s, u"sleep 10 & echo $! > \"$0\"; wait"_s, pidFile}, 500ms));
    QVERIFY(r);
    QCOMPARE(r->error, ProbeError::Timeout);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const qint64 pid = f.readAll().trimmed().toLongLong();
    QVERIFY(pid > 0);
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 5000);
}

void TestHealth::execCannotStart()
{
    const auto r = runProbe(execSpec({u"/nonexistent/check-health"_s}));
    QVERIFY(r);
    QVERIFY(!r->ok);
    QCOMPARE(r->error, ProbeError::Exec);
    QVERIFY2(r->reason.startsWith(u"cannot start /nonexistent/check-health: "_s), qPrintable(r->reason));
}

// ---------------------------------------------------------- HealthMonitor

void TestHealth::monitorUnhealthyAfterFailuresThenRecovers()
{
    StubServer stub;
    QVERIFY(stub.listen());
    HealthSpec spec = httpSpec(stub.url(), 2s);
    spec.interval = 50ms;
    spec.startPeriod = 0ms;
    spec.failures = 3;
    spec.successes = 2;
    HealthMonitor monitor(spec, &m_nam);
    monitor.setServiceName(u"api"_s);

    struct Change
    {
        Health health;
        QString reason;
        qsizetype historySize;
    };
    QList<Change> changes;
    connect(&monitor, &HealthMonitor::healthChanged, this, [&](Health h, const QString &reason) {
        changes.append({h, reason, monitor.history().size()});
    });
    QSignalSpy unhealthy(&monitor, &HealthMonitor::unhealthy);

    monitor.start();
    QCOMPARE(monitor.health(), Health::Unknown);
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, 5000);
    QCOMPARE(changes.first().health, Health::Healthy);
    QCOMPARE(changes.first().historySize, 1); // one success is enough from Unknown
    QVERIFY(monitor.lastResult() && monitor.lastResult()->ok);

    // 503: unhealthy after exactly 3 consecutive failures.
    const qsizetype okResults = monitor.history().size();
    stub.defaultAnswer.status = 503;
    QVERIFY(unhealthy.wait(5000));
    QCOMPARE(monitor.health(), Health::Unhealthy);
    QCOMPARE(changes.last().health, Health::Unhealthy);
    QCOMPARE(changes.last().reason, u"failed 3 checks in a row, last: HTTP 503"_s);
    QCOMPARE(unhealthy.at(0).at(0).toString(), changes.last().reason);
    const qsizetype atUnhealthy = changes.last().historySize;
    QVERIFY2(atUnhealthy >= okResults + 3, qPrintable(QString::number(atUnhealthy)));
    const QList<HealthResult> h = monitor.history();
    for (qsizetype i = atUnhealthy - 3; i < atUnhealthy; ++i)
        QCOMPARE(h.at(i).error, ProbeError::BadStatus);
    QVERIFY(h.at(atUnhealthy - 4).ok); // the 3 failures were the first ones
    QVERIFY(monitor.consecutiveFailures() >= 3);

    // Further failures do not announce it again.
    const qsizetype more = monitor.history().size() + 3;
    QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= more, 5000);
    QCOMPARE(unhealthy.count(), 1);

    // Recovery takes 2 consecutive successes.
    stub.defaultAnswer.status = 200;
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, 5000);
    const qsizetype atHealthy = changes.last().historySize;
    const QList<HealthResult> h2 = monitor.history();
    QVERIFY(h2.at(atHealthy - 1).ok);
    QVERIFY(h2.at(atHealthy - 2).ok);
    QVERIFY(!h2.at(atHealthy - 3).ok);
    QCOMPARE(monitor.consecutiveFailures(), 0);
    QCOMPARE(unhealthy.count(), 1);
    monitor.stop();
}

void TestHealth::monitorHangBecomesUnhealthy()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.hang = true;
    HealthSpec spec = httpSpec(stub.url(), 200ms);
    spec.interval = 50ms;
    spec.startPeriod = 0ms;
    spec.failures = 2;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy unhealthy(&monitor, &HealthMonitor::unhealthy);
    monitor.start();
    QVERIFY(unhealthy.wait(5000));
    QCOMPARE(unhealthy.at(0).at(0).toString(), u"failed 2 checks in a row, last: timed out after 200ms"_s);
    QCOMPARE(monitor.lastResult()->error, ProbeError::Timeout);
}

void TestHealth::monitorStartPeriodIgnoresFailures()
{
    StubServer stub;
    QVERIFY(stub.listen());
    stub.defaultAnswer.status = 503;
    ManualClock clock;
    HealthSpec spec = httpSpec(stub.url(), 2s);
    spec.interval = 30ms;
    spec.startPeriod = 10s;
    spec.failures = 1;
    HealthMonitor monitor(spec, &m_nam);
    monitor.setClock(&clock);
    QSignalSpy results(&monitor, &HealthMonitor::resultAdded);
    QSignalSpy changed(&monitor, &HealthMonitor::healthChanged);
    int failuresAtChange = -1;
    connect(&monitor, &HealthMonitor::healthChanged, this,
            [&] { failuresAtChange = monitor.consecutiveFailures(); });

    monitor.start();
    QVERIFY(monitor.inStartPeriod());
    QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 4, 5000);
    // Failures are recorded, but do not count while the service starts up.
    QCOMPARE(monitor.health(), Health::Unknown);
    QCOMPARE(monitor.consecutiveFailures(), 0);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(monitor.history().last().reason, u"HTTP 503"_s);

    clock.advance(10s);
    QVERIFY(!monitor.inStartPeriod());
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Unhealthy, 5000);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(1).toString(), u"HTTP 503"_s);
    QCOMPARE(failuresAtChange, 1); // failures = 1: the first one that counts

    // A restart of the service starts a new start period.
    monitor.start();
    QCOMPARE(monitor.health(), Health::Unknown);
    QVERIFY(monitor.inStartPeriod());
    const qsizetype n = results.count();
    QTRY_VERIFY_WITH_TIMEOUT(results.count() >= n + 3, 5000);
    QCOMPARE(monitor.health(), Health::Unknown);
}

void TestHealth::monitorSuccessDuringStartPeriodIsHealthy()
{
    StubServer stub;
    QVERIFY(stub.listen());
    ManualClock clock;
    HealthSpec spec = httpSpec(stub.url(), 2s);
    spec.interval = 50ms;
    spec.startPeriod = 60s;
    spec.failures = 1;
    HealthMonitor monitor(spec, &m_nam);
    monitor.setClock(&clock);
    monitor.start();
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, 5000);
    // The start period is over once the service was healthy: the next failure counts.
    QVERIFY(!monitor.inStartPeriod());
    stub.defaultAnswer.status = 500;
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Unhealthy, 5000);
}

void TestHealth::monitorFirstVerdictDoesNotWaitForTheInterval()
{
    // interval = 30 s: without the start ramp the first probe would come 1 s
    // after the start (StartPeriodPollMs); with it, a backend that is ready
    // is seen healthy after the first one (FirstProbeMs), and one that comes
    // up a little later is found by the probes that back off from there.
    StubServer stub;
    QVERIFY(stub.listen());
    HealthSpec spec = httpSpec(stub.url(), 2s);
    spec.interval = 30s;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy received(&stub, &StubServer::requestReceived);
    monitor.start();
    QVERIFY(received.wait(HealthMonitor::StartPeriodPollMs - 100));
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, int(HealthMonitor::StartPeriodPollMs - 100));
    // The verdict ends the ramp: no probe follows until the interval (waiting
    // for one that must not come; the ramp's next step would be due in 20 ms).
    QVERIFY(!received.wait(500));
    QCOMPARE(stub.requests, 1);

    // Nothing listens at first: refused, refused, ... then healthy, all
    // inside the start ramp, with no failure counted against it.
    const quint16 port = freePort();
    HealthMonitor late(httpSpec(u"http://127.0.0.1:%1/health"_s.arg(port), 2s), &m_nam);
    late.start();
    QTRY_VERIFY_WITH_TIMEOUT(late.history().size() >= 2, 2000);
    QCOMPARE(late.health(), Health::Unknown);
    QCOMPARE(late.history().constFirst().error, ProbeError::Refused);
    StubServer server;
    QVERIFY(server.listenOn(port));
    QTRY_COMPARE_WITH_TIMEOUT(late.health(), Health::Healthy, 3000);
    late.stop();
}

void TestHealth::monitorAtMostOneProbeInFlight()
{
    StubServer stub;
    QVERIFY(stub.listen());

    // The stub does see parallel requests when there are some.
    {
        QNetworkReply *a = m_nam.get(QNetworkRequest(QUrl(stub.url())));
        QNetworkReply *b = m_nam.get(QNetworkRequest(QUrl(stub.url())));
        stub.defaultAnswer.delayMs = 300;
        QTRY_COMPARE_WITH_TIMEOUT(stub.requests, 2, 5000);
        QCOMPARE(stub.maxActive, 2);
        QTRY_VERIFY_WITH_TIMEOUT(a->isFinished() && b->isFinished(), 5000);
        delete a;
        delete b;
        stub.requests = 0;
        stub.maxActive = 0;
        stub.paths.clear();
    }

    stub.defaultAnswer.delayMs = 300;
    HealthSpec spec = httpSpec(stub.url(), 5s);
    spec.interval = 20ms;
    spec.startPeriod = 0ms;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy results(&monitor, &HealthMonitor::resultAdded);
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(results.count() >= 4, 10'000);
    monitor.stop();
    QCOMPARE(stub.maxActive, 1);
    QVERIFY(monitor.skippedTicks() > 0);
    // Skipped ticks are not results, and not failures.
    QVERIFY(stub.requests <= results.count() + 1);
    for (const HealthResult &r : monitor.history())
        QVERIFY2(r.ok, qPrintable(r.reason));
}

void TestHealth::monitorStopReturnsUnknownAndDropsProbe()
{
    StubServer stub;
    QVERIFY(stub.listen());
    HealthSpec spec = httpSpec(stub.url(), 5s);
    spec.interval = 50ms;
    spec.startPeriod = 0ms;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy results(&monitor, &HealthMonitor::resultAdded);
    QSignalSpy changed(&monitor, &HealthMonitor::healthChanged);
    monitor.start();
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, 5000);

    // Next request hangs; stop while it is in flight.
    stub.defaultAnswer.hang = true;
    QSignalSpy received(&stub, &StubServer::requestReceived);
    QSignalSpy gone(&stub, &StubServer::clientGone);
    QVERIFY(received.wait(5000));
    QVERIFY(monitor.probeInFlight());
    const qsizetype resultsBefore = results.count();
    monitor.stop();
    QCOMPARE(monitor.health(), Health::Unknown);
    QCOMPARE(changed.last().at(0).value<Health>(), Health::Unknown);
    QVERIFY(!monitor.isActive());
    QVERIFY(!monitor.probeInFlight());
    // The request was really aborted (the backend saw the client go) and
    // nothing was recorded for it.
    QVERIFY(gone.count() == 1 || gone.wait(5000));
    QCOMPARE(results.count(), resultsBefore);
    // And no more polling: the stub's request count stays where it is
    // across several would-be intervals (waiting on a probe that must not come).
    const int requests = stub.requests;
    QVERIFY(!received.wait(300));
    QCOMPARE(stub.requests, requests);
    QCOMPARE(monitor.health(), Health::Unknown);
}

void TestHealth::monitorStopKillsRunningExecProbe()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pidFile = dir.filePath(u"pid"_s);
    HealthSpec spec = execSpec({u"sh"_s, u"-c"_s, u"echo $$ > \"$0\"; exec sleep 10"_s, pidFile}, 20s);
    spec.interval = 50ms;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy results(&monitor, &HealthMonitor::resultAdded);
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(pidFile).size() > 0, 5000);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const qint64 pid = f.readAll().trimmed().toLongLong();
    QVERIFY(pid > 0);
    QVERIFY(!processGone(pid));
    QVERIFY(monitor.probeInFlight());

    monitor.stop();
    QVERIFY(!monitor.probeInFlight());
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pid), 5000);
    QCOMPARE(results.count(), 0);
}

void TestHealth::monitorPortCheckTurnsSuccessIntoFailure()
{
    StubServer stub;
    QVERIFY(stub.listen());
    HealthSpec spec = httpSpec(stub.url(), 2s);
    spec.interval = 50ms;
    spec.startPeriod = 0ms;
    spec.failures = 2;
    HealthMonitor monitor(spec, &m_nam);
    bool foreign = true;
    int calls = 0;
    const QString why = u"port 8000 is held by PID 123 (alice): python3 old.py, not by the service"_s;
    monitor.setPortCheck([&]() -> std::optional<QString> {
        ++calls;
        return foreign ? std::optional<QString>(why) : std::nullopt;
    });
    QSignalSpy unhealthy(&monitor, &HealthMonitor::unhealthy);
    monitor.start();
    QVERIFY(unhealthy.wait(5000));
    QCOMPARE(monitor.lastResult()->error, ProbeError::PortHeldByOther);
    QCOMPARE(monitor.lastResult()->reason, why);
    QCOMPARE(monitor.lastResult()->httpStatus, 200);
    QVERIFY(calls >= 2);

    // Not called after failed probes.
    foreign = false;
    stub.defaultAnswer.status = 503;
    const qsizetype n = monitor.history().size();
    QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= n + 2, 5000);
    const int callsBefore = calls;
    QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= n + 4, 5000);
    QVERIFY(calls <= callsBefore + 1); // at most one success could have been in flight
    stub.defaultAnswer.status = 200;
    QTRY_COMPARE_WITH_TIMEOUT(monitor.health(), Health::Healthy, 5000);
    monitor.stop();
}

void TestHealth::monitorHistoryIsBounded()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    connect(&server, &QTcpServer::newConnection, &server, [&server] {
        while (QTcpSocket *s = server.nextPendingConnection())
            s->deleteLater();
    });
    HealthSpec spec = tcpSpec(server.serverPort());
    spec.interval = 1ms;
    spec.startPeriod = 0ms;
    HealthMonitor monitor(spec, &m_nam);
    int count = 0;
    connect(&monitor, &HealthMonitor::resultAdded, this, [&count] { ++count; });
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(count >= HealthMonitor::HistorySize + 20, 30'000);
    monitor.stop();
    const QList<HealthResult> h = monitor.history();
    QCOMPARE(h.size(), HealthMonitor::HistorySize);
    for (qsizetype i = 1; i < h.size(); ++i)
        QVERIFY(h.at(i).timeMs >= h.at(i - 1).timeMs);
    QCOMPARE(h.last().timeMs, monitor.lastResult()->timeMs);
}

// A backend answering a large report on every check: the history keeps
// results without reports, the latest report is capped and says so.
void TestHealth::monitorKeepsOnlyTheLatestReportCapped()
{
    StubServer stub;
    QVERIFY(stub.listen());
    const QByteArray body = QJsonDocument(QJsonObject{{u"status"_s, u"healthy"_s},
                                                      {u"name"_s, u"big"_s},
                                                      {u"padding"_s, QString(300'000, u'x')}})
                                .toJson(QJsonDocument::Compact);
    stub.defaultAnswer.body = body;
    HealthSpec spec = httpSpec(stub.url());
    spec.interval = 20ms;
    spec.startPeriod = 0ms;
    HealthMonitor monitor(spec, &m_nam);
    QSignalSpy added(&monitor, &HealthMonitor::resultAdded);
    monitor.start();
    QTRY_VERIFY_WITH_TIMEOUT(added.size() >= 5, 15'000);
    monitor.stop();

    const QJsonObject report = monitor.lastReport();
    QCOMPARE(report.value(u"status"_s).toString(), u"healthy"_s);
    QCOMPARE(report.value(u"name"_s).toString(), u"big"_s);
    QVERIFY(!report.contains(u"padding"_s));
    QCOMPARE(report.value(u"truncated"_s).toString(), u"… truncated, %1 bytes total"_s.arg(body.size()));
    QVERIFY(QJsonDocument(report).toJson(QJsonDocument::Compact).size() <= HealthParser::MaxReportBytes);
    QCOMPARE(monitor.lastResult()->report, report);
    // Whoever listens gets the (capped) report with the result.
    QCOMPARE(added.last().at(0).value<HealthResult>().report, report);
    const QList<HealthResult> history = monitor.history();
    QVERIFY(history.size() >= 5);
    for (const HealthResult &r : history) {
        QVERIFY(r.ok);
        QVERIFY(r.report.isEmpty());
    }

    // A report under the cap is kept whole.
    const QJsonObject small{{u"status"_s, u"ok"_s}, {u"detail"_s, QString(100, u'y')}};
    QCOMPARE(HealthParser::capReport(small, 200), small);
}

void TestHealth::monitorWithDemoBackend()
{
    const quint16 okPort = freePort();
    const quint16 sickPort = freePort();
    QVERIFY(okPort && sickPort && okPort != sickPort);
    QProcess healthy;
    QProcess sick;
    healthy.start(QStringLiteral(LIFELINE_DEMO_BACKEND), {u"--port"_s, QString::number(okPort)});
    sick.start(QStringLiteral(LIFELINE_DEMO_BACKEND),
               {u"--port"_s, QString::number(sickPort), u"--unhealthy-after"_s, u"1s"_s});
    QVERIFY(healthy.waitForStarted());
    QVERIFY(sick.waitForStarted());
    auto cleanup = qScopeGuard([&] {
        for (QProcess *p : {&healthy, &sick}) {
            p->terminate();
            if (!p->waitForFinished(5000)) {
                p->kill();
                p->waitForFinished();
            }
        }
    });

    auto spec = [](quint16 port) {
        HealthSpec s = httpSpec(u"http://127.0.0.1:"_s + QString::number(port) + u"/health"_s, 2s);
        s.interval = 100ms;
        s.startPeriod = 8s; // refused connections while it starts up do not count
        s.failures = 2;
        return s;
    };
    HealthMonitor good(spec(okPort), &m_nam);
    HealthMonitor bad(spec(sickPort), &m_nam);
    QSignalSpy badUnhealthy(&bad, &HealthMonitor::unhealthy);
    good.start();
    bad.start();

    QTRY_COMPARE_WITH_TIMEOUT(good.health(), Health::Healthy, 15'000);
    QCOMPARE(good.lastResult()->report.value("status"_L1).toString(), u"healthy"_s);

    QVERIFY(badUnhealthy.count() == 1 || badUnhealthy.wait(15'000));
    QCOMPARE(bad.health(), Health::Unhealthy);
    QCOMPARE(badUnhealthy.at(0).at(0).toString(), u"failed 2 checks in a row, last: HTTP 503"_s);
    QCOMPARE(bad.lastResult()->httpStatus, 503);
    QCOMPARE(good.health(), Health::Healthy);
    good.stop();
    bad.stop();
}

// ---------------------------------------------------------- port ownership

void TestHealth::foreignPortHolder()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    const ProcFs proc;
    const pid_t self = ::getpid();

    // Held by us, and we are not the service.
    const std::optional<QString> reason = HealthMonitor::foreignPortHolder({port}, {self + 1000000}, proc);
    QVERIFY(reason);
    QVERIFY2(reason->startsWith(u"port "_s + QString::number(port) + u" is held by PID "_s +
                                QString::number(self)),
             qPrintable(*reason));
    QVERIFY2(reason->endsWith(u", not by the service"_s), qPrintable(*reason));

    // Held by the service.
    QCOMPARE(HealthMonitor::foreignPortHolder({port}, {self}, proc), std::nullopt);

    // Not listened on at all.
    const quint16 free = freePort();
    QCOMPARE(HealthMonitor::foreignPortHolder({port, free}, {self}, proc),
             std::optional<QString>(u"port "_s + QString::number(free) + u" is not listened on"_s));
}

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
