#pragma once

#include "options.h"
#include "systemstats.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QObject>
#include <QTcpServer>
#include <QTimer>

#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace lifeline::demo {

/// Writes all of data to fd with write(2), retrying on EINTR and short writes.
/// Async-signal-safe, so the forked grandchild may use it too.
bool writeAll(int fd, const char *data, size_t size);

/// A stand-in for a user's backend that misbehaves on request: it serves /health over a tiny
/// HTTP/1.1 server on 127.0.0.1 and can crash, hang, turn unhealthy, leak, flood its log or leave a
/// grandchild behind, each after a delay given on the command line.
class DemoBackend final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoBackend)

public:
    explicit DemoBackend(DemoOptions options, QObject *parent = nullptr);
    ~DemoBackend() override;

    /// Arms every timer and listens now, or after --ready-after. Failures end the event loop
    /// through QCoreApplication::exit() with the documented exit code.
    void start();

private:
    struct Request;
    struct Response
    {
        int status = 200;
        QByteArray body;
    };

    void listenNow();
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket, Request &request);
    void reply(QTcpSocket *socket, Request &request, const QByteArray &method, const QByteArray &path,
               const Response &response);
    Response route(const QByteArray &path);
    Response healthResponse(bool detailed);

    void hang();
    void crash();
    void leakTick();
    void floodTick();
    void spawnGrandchild();

    void logOut(const QByteArray &line);
    void logErr(const QByteArray &line);

    DemoOptions m_options;
    QTcpServer m_server;
    SystemStats m_stats;
    QElapsedTimer m_uptime;

    QTimer m_readyTimer;
    QTimer m_crashTimer;
    QTimer m_hangTimer;
    QTimer m_unhealthyTimer;
    QTimer m_leakTimer;
    QTimer m_floodTimer;

    bool m_ready = false;     ///< listening; /health/ready answers 200
    bool m_hung = false;      ///< accepts connections but never answers
    bool m_unhealthy = false; ///< /health answers 503

    std::vector<std::unique_ptr<char[]>> m_leaked; ///< touched blocks that grow RSS
    QJsonArray m_bulkChecks;                       ///< --health-body-size: the padding of /health, made once
    QElapsedTimer m_floodClock;
    quint64 m_floodLines = 0; ///< lines written so far by --flood
    std::string m_floodBuffer;
};

} // namespace lifeline::demo
