// Plain-HTTP health checks keep their connection open between probes when the
// server allows it (HTTP/1.1), against real QTcpServers on 127.0.0.1: one
// connection for many checks, a fresh one when the server closed the idle
// one (never a failed check for that), and the failures of an answer that is
// too large or never comes are the same on a reused connection.
#include "health/healthmonitor.h"
#include "health/healthprobe.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

// An HTTP/1.1 server that answers every request of a connection and leaves
// the connection open. answers[i] (when present) is the raw answer to the
// i-th request overall; an empty one is never answered (a hang).
class KeepAliveServer final : public QObject
{
    Q_OBJECT

public:
    KeepAliveServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, &KeepAliveServer::onNewConnection);
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const
    {
        return u"http://127.0.0.1:"_s + QString::number(m_server.serverPort()) + u"/health"_s;
    }

    static QByteArray ok()
    {
        const QByteArray body = R"({"status":"healthy"})";
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
               QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }

    QHash<int, QByteArray> answers; // request index -> raw answer; default ok()
    bool closeAfterAnswer = false;  // the server's side of "Connection: close", unannounced
    int connections = 0;
    int requests = 0;
    QList<QPointer<QTcpSocket>> sockets;

signals:
    void connectionAccepted();

private:
    void onNewConnection()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            ++connections;
            sockets << socket;
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                for (qsizetype end = buffer->indexOf("\r\n\r\n"); end >= 0;
                     end = buffer->indexOf("\r\n\r\n")) {
                    buffer->remove(0, end + 4);
                    const QByteArray answer = answers.value(requests, ok());
                    ++requests;
                    if (answer.isEmpty())
                        continue;
                    socket->write(answer);
                    if (closeAfterAnswer)
                        socket->disconnectFromHost();
                }
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            emit connectionAccepted();
        }
    }

    QTcpServer m_server;
};

HealthSpec httpSpec(const QString &url, std::chrono::milliseconds timeout = 3s)
{
    HealthSpec spec;
    spec.kind = HealthSpec::Kind::Http;
    spec.url = url;
    spec.timeout = timeout;
    spec.interval = 50ms;
    spec.startPeriod = 0ms;
    spec.failures = 1;
    return spec;
}

} // namespace

class TestHealthKeepAlive : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        qRegisterMetaType<HealthResult>();
        qRegisterMetaType<Health>();
        m_nam.setProxy(QNetworkProxy::NoProxy);
    }

    void monitorReusesOneConnection()
    {
        KeepAliveServer server;
        QVERIFY(server.listen());
        HealthMonitor monitor(httpSpec(server.url()), &m_nam);
        monitor.start();
        QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= 6, 10'000);
        monitor.stop();
        for (const HealthResult &r : monitor.history())
            QVERIFY2(r.ok, qPrintable(r.reason));
        QCOMPARE(server.connections, 1);
        QVERIFY(server.requests >= 6);
        QVERIFY(!monitor.hasIdleConnection()); // stop() closes it
    }

    // A server that closes after each answer, or says so: a new connection
    // per check, and each check passes.
    void serverThatClosesGetsAFreshConnection_data()
    {
        QTest::addColumn<bool>("announced");
        QTest::newRow("Connection: close") << true;
        QTest::newRow("closes without saying") << false;
    }
    void serverThatClosesGetsAFreshConnection()
    {
        QFETCH(bool, announced);
        KeepAliveServer server;
        QVERIFY(server.listen());
        if (announced) {
            for (int i = 0; i < 100; ++i)
                server.answers.insert(i,
                                      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        } else {
            server.closeAfterAnswer = true;
        }
        HealthMonitor monitor(httpSpec(server.url()), &m_nam);
        monitor.start();
        QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= 4, 10'000);
        monitor.stop();
        for (const HealthResult &r : monitor.history())
            QVERIFY2(r.ok, qPrintable(r.reason));
        QCOMPARE(server.connections, server.requests);
    }

    // The server closed the idle connection, and the probe writes before it
    // has noticed: retried once on a fresh connection, not a failure.
    void closedReusedConnectionIsRetried()
    {
        KeepAliveServer server;
        QVERIFY(server.listen());
        auto *idle = new QTcpSocket;
        QSignalSpy accepted(&server, &KeepAliveServer::connectionAccepted);
        idle->connectToHost(QHostAddress::LocalHost, quint16(QUrl(server.url()).port()));
        QVERIFY(idle->waitForConnected(5000));
        QVERIFY(accepted.count() == 1 || accepted.wait(5000));
        QVERIFY(server.sockets.first());
        server.sockets.first()->abort(); // no event loop runs for `idle` before the probe uses it

        HealthProbe probe(httpSpec(server.url()), &m_nam);
        probe.setConnection(idle);
        QSignalSpy finished(&probe, &HealthProbe::finished);
        probe.start();
        QVERIFY(finished.wait(5000));
        const auto r = finished.at(0).at(0).value<HealthResult>();
        QVERIFY2(r.ok, qPrintable(r.reason));
        QCOMPARE(server.connections, 2);
        QCOMPARE(server.requests, 1);
        QTcpSocket *kept = probe.takeConnection();
        QVERIFY(kept); // the fresh connection is the one to reuse next
        delete kept;
    }

    // What fails on a fresh connection fails the same on a reused one, and
    // is not retried: a body over the cap, an answer that never comes.
    void reusedConnectionFailuresAreReported_data()
    {
        QTest::addColumn<QByteArray>("second");
        QTest::addColumn<int>("error");
        QTest::newRow("too large") << "HTTP/1.1 200 OK\r\nContent-Length: " +
                                          QByteArray::number(HealthProbe::MaxBodyBytes + 1) + "\r\n\r\n{"
                                   << int(ProbeError::TooLarge);
        QTest::newRow("hang") << QByteArray() << int(ProbeError::Timeout);
    }
    void reusedConnectionFailuresAreReported()
    {
        QFETCH(QByteArray, second);
        QFETCH(int, error);
        KeepAliveServer server;
        QVERIFY(server.listen());
        server.answers.insert(1, second);
        HealthSpec spec = httpSpec(server.url(), 300ms);
        spec.interval = 1s; // the check after the failure starts well after the test looked
        HealthMonitor monitor(spec, &m_nam);
        monitor.start();
        QTRY_VERIFY_WITH_TIMEOUT(monitor.history().size() >= 2, 10'000);
        monitor.stop();
        const QList<HealthResult> history = monitor.history();
        QVERIFY2(history.at(0).ok, qPrintable(history.at(0).reason));
        QVERIFY(!history.at(1).ok);
        QCOMPARE(int(history.at(1).error), error);
        QCOMPARE(server.connections, 1); // the second check went over the first one's connection
        QCOMPARE(server.requests, 2);
    }

private:
    QNetworkAccessManager m_nam;
};

QTEST_GUILESS_MAIN(TestHealthKeepAlive)
#include "tst_healthkeepalive.moc"
