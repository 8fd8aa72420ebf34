// One health probe run: HTTP, TCP connect, or a command.
//
// Plain http:// is spoken directly on a QTcpSocket in the calling thread (one
// HTTP/1.1 GET, HttpResponseParser reading the answer): no thread hop and no
// connection pool per probe, which was most of what a check cost. The
// connection may outlive the probe: a complete answer that leaves it open is
// handed back through takeConnection(), and the next probe of the same URL
// is given it with setConnection(), saving a connect and a close per check.
// A reused connection that the server closed before answering a byte is
// retried once on a fresh one, so an idle timeout on the server's side is
// never a failed check.
// https:// goes through the shared QNetworkAccessManager, which brings TLS.
// Both follow the same rules: redirects only to the same host and port (never
// from HTTPS down to HTTP), at most MaxRedirects; bodies over MaxBodyBytes
// fail as TooLarge; the whole probe ends at `timeout`.
//
// Asynchronous, never blocks: start() returns at once and exactly one
// finished() follows, unless abort() is called first, in which case nothing
// is emitted. A HealthProbe runs once; make a new one per check.
#pragma once

#include "config/servicespec.h"
#include "healthresult.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;
class QProcess;
class QTcpSocket;

namespace lifeline {

class HttpResponseParser;

class HealthProbe final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthProbe)

public:
    // Bodies larger than this are not read: the probe fails with TooLarge.
    static constexpr qint64 MaxBodyBytes = 1024 * 1024;
    // At most this much of an exec probe's output is kept (for the reason line).
    static constexpr qint64 MaxExecOutput = 64 * 1024;
    // After killing a timed-out command, wait this long for it to go.
    static constexpr int KillGraceMs = 5000;
    // Redirects followed (same host only) before the probe gives up.
    static constexpr int MaxRedirects = 5;

    // nam is only used by HTTP probes and must outlive the probe.
    HealthProbe(const HealthSpec &spec, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~HealthProbe() override;

    void start();
    // Cancels a running probe; its result is dropped and finished() is not
    // emitted. An exec probe's process group is killed.
    void abort();
    bool isRunning() const { return m_running; }
    // Exec probes run there (the service's cwd); default: Lifeline's own.
    void setWorkingDirectory(const QString &dir);
    // Plain HTTP: an open connection to the URL's host and port, left by an
    // earlier probe, to send the request on. The probe owns it from now.
    void setConnection(QTcpSocket *socket);
    // After finished(): the connection, when the answer left it usable for
    // the next request (the caller owns it); null otherwise.
    QTcpSocket *takeConnection();

protected:
    void timerEvent(QTimerEvent *event) override;

signals:
    // Emitted once per start(). The receiver may deleteLater() the probe.
    void finished(const lifeline::HealthResult &result);

private:
    void startHttp();
    void startPlainHttp(const QUrl &url);
    void startNamHttp(const QUrl &url);
    void onPlainReadable();
    void onPlainEof();
    void onPlainAnswer();
    void finishWithAnswer(int status, const QByteArray &body);
    void dropSocket();
    bool retryFresh();
    void sendPlainRequest();
    void startTcp();
    void startExec();
    void onDeadline();
    void onHttpFinished();
    void stopTransfer(ProbeError error, const QString &reason);
    void onExecFinished(int exitCode, bool crashed);
    void killProcessGroup();
    void finish(HealthResult result);
    void fail(ProbeError error, const QString &reason, int httpStatus = 0);
    void failLater(ProbeError error, const QString &reason);
    QString timeoutReason() const;
    void releaseAll();

    HealthSpec m_spec;
    QPointer<QNetworkAccessManager> m_nam;
    QNetworkReply *m_reply = nullptr;
    QTcpSocket *m_socket = nullptr;  // TCP probes, and plain HTTP ones
    QTcpSocket *m_offered = nullptr; // setConnection(), until the request uses it
    QTcpSocket *m_kept = nullptr;    // for takeConnection()
    bool m_reused = false;           // m_socket came from setConnection()
    std::unique_ptr<HttpResponseParser> m_http;
    QUrl m_url; // plain HTTP: the URL being asked (after redirects)
    int m_redirects = 0;
    QProcess *m_process = nullptr;
    QBasicTimer m_deadline;
    QElapsedTimer m_elapsed;
    QByteArray m_body;
    QByteArray m_output; // exec: merged stdout/stderr, up to MaxExecOutput
    QString m_workingDirectory;
    QStringList m_tlsErrors;
    // Set when we end a transfer ourselves (cap, redirect, deadline), before
    // abort(): the reply's own error is then only "operation canceled".
    ProbeError m_pendingError = ProbeError::None;
    QString m_pendingReason;
    bool m_started = false;
    bool m_running = false;
    bool m_timedOut = false;
};

} // namespace lifeline
