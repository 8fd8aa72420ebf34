// The control socket: a QLocalServer speaking one JSON object per line each
// way, used by lifelinectl (and the GUI for single-instance hand-over).
//
//   {"cmd":"ping"}                          -> {"ok":true,"config":PATH,"pid":N,"version":V}
//   {"cmd":"status"}                        -> {"ok":true,"status":{...statusJson...}}
//   {"cmd":"start"|"stop"|"restart","name":NAME|"all"}
//                                           -> {"ok":true} | {"ok":false,"error":"unknown service \"apx\""}
//   {"cmd":"logs","name":NAME,"lines":N,"errors":BOOL[,"after":{"out":B,"err":B}]}
//                                           -> {"ok":true,"lines":[...],"cursor":{"out":B,"err":B}}
//      the last N lines of the service's stdout and stderr logs (stderr lines
//      count as errors); with "after" (a cursor from an earlier reply) only the
//      lines written since, which is how `lifelinectl logs --follow` works.
//   {"cmd":"health","name":NAME}            -> {"ok":true,"name":NAME,"health":H,"results":[...]}
//   {"cmd":"recover",...}                   -> {"ok":false,"error":"recovery is not available in this
//   version"}
// Anything else gets {"ok":false,"error":"bad request: ..."} and the
// connection stays usable. A line longer than 1 MiB gets an error and the
// connection is closed. Nothing here blocks: every client is served from the
// event loop as its bytes arrive.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

class QLocalServer;
class QLocalSocket;

namespace lifeline {

class Fleet;
class Recovery;
struct RecoveryReport;

class ControlServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ControlServer)

public:
    static constexpr qsizetype kMaxLineBytes = 1024 * 1024;

    explicit ControlServer(Fleet *fleet, QObject *parent = nullptr);
    ~ControlServer() override;

    // True when a live process listens on `socketPath` (connect succeeds or
    // the listen queue is full); false when there is no file or the file is a
    // dead socket left behind by a crash. Instant; never waits.
    static bool isServerAlive(const QString &socketPath);

    // Single instance: if a live server answers on socketPath, fails with
    // "another Lifeline is already running for CONFIG (socket PATH)".
    // A stale socket file is removed. The socket is made accessible to our
    // user only (QLocalServer::UserAccessOption).
    bool listen(const QString &socketPath, QString *error);
    void close();
    bool isListening() const;
    // The recovery engine `recover` drives; without one, `recover` fails.
    void setRecovery(Recovery *recovery);
    QString socketPath() const { return m_socketPath; }

    // The protocol without the socket: one request line -> one reply object.
    QJsonObject handleLine(const QByteArray &line);
    QJsonObject handle(const QJsonObject &request);

signals:
    void clientConnected();

private:
    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);

    QJsonObject cmdStatus() const;
    QJsonObject cmdStartStop(const QString &cmd, const QJsonObject &request);
    QJsonObject cmdLogs(const QJsonObject &request) const;
    QJsonObject cmdHealth(const QJsonObject &request) const;
    QJsonObject cmdRecover(const QJsonObject &request);
    void onRecoveryFinished(const RecoveryReport &report);

    Fleet *m_fleet;
    QLocalServer *m_server;
    QString m_socketPath;
    QHash<QLocalSocket *, QByteArray> m_buffers; // partial request line per client
    Recovery *m_recovery = nullptr;
    QLocalSocket *m_current = nullptr;               // the client whose request is being handled
    QList<QPointer<QLocalSocket>> m_recoveryWaiters; // answered when the run ends
};

} // namespace lifeline
