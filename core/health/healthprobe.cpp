#include "healthprobe.h"

#include "healthparser.h"
#include "httpresponseparser.h"
#include "platform/childregistry.h"
#include "platform/rlimit.h"
#include "util/units.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QTcpSocket>
#include <QTimerEvent>
#include <QUrl>

#include <algorithm>
#include <climits>

#if QT_CONFIG(ssl)
#include <QSslError>
#endif

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/types.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

int defaultPort(const QString &scheme)
{
    if (scheme == "https"_L1)
        return 443;
    if (scheme == "http"_L1)
        return 80;
    return -1;
}

QString firstLine(const QByteArray &output)
{
    const QList<QByteArray> lines = output.split('\n');
    for (const QByteArray &line : lines) {
        const QString text = QString::fromUtf8(line).trimmed();
        if (!text.isEmpty())
            return text.size() > 200 ? text.left(200) + u"..."_s : text;
    }
    return {};
}

QString bodyLimitText()
{
    return u"body larger than "_s + QString::number(HealthProbe::MaxBodyBytes / (1024 * 1024)) + u" MiB"_s;
}

// Why a redirect from the checked URL to TARGET is not followed, or empty
// when it may be: only the same host and port, and never from HTTPS to HTTP.
QString refusedRedirect(const QUrl &origin, const QUrl &target)
{
    const bool sameHost =
        target.host().compare(origin.host(), Qt::CaseInsensitive) == 0 &&
        target.port(defaultPort(target.scheme())) == origin.port(defaultPort(origin.scheme()));
    if (!sameHost)
        return u"redirect to another host refused: "_s + target.toDisplayString();
    if (origin.scheme() == "https"_L1 && target.scheme() != "https"_L1)
        return u"redirect from HTTPS to HTTP refused: "_s + target.toDisplayString();
    if (target.scheme() != "http"_L1 && target.scheme() != "https"_L1)
        return u"redirect to a URL that is not HTTP refused: "_s + target.toDisplayString();
    return {};
}

bool isRedirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

HealthProbe::HealthProbe(const HealthSpec &spec, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_spec(spec)
    , m_nam(nam)
{}

HealthProbe::~HealthProbe()
{
    abort();
}

void HealthProbe::setWorkingDirectory(const QString &dir)
{
    m_workingDirectory = dir;
}

void HealthProbe::setConnection(QTcpSocket *socket)
{
    delete std::exchange(m_offered, socket);
    if (socket)
        socket->setParent(this);
}

QTcpSocket *HealthProbe::takeConnection()
{
    QTcpSocket *socket = std::exchange(m_kept, nullptr);
    if (socket)
        socket->setParent(nullptr);
    return socket;
}

QString HealthProbe::timeoutReason() const
{
    return u"timed out after "_s + formatDuration(m_spec.timeout);
}

void HealthProbe::start()
{
    if (m_started) {
        qWarning("HealthProbe::start: a probe runs only once");
        return;
    }
    m_started = true;
    m_running = true;
    m_elapsed.start();

    // A QBasicTimer: one probe a second per service makes a QTimer object
    // and its connection a measurable part of what a check costs.
    m_deadline.start(int(std::min<qint64>(m_spec.timeout.count(), INT_MAX)), this);

    switch (m_spec.kind) {
    case HealthSpec::Kind::Http:
        startHttp();
        return;
    case HealthSpec::Kind::Tcp:
        startTcp();
        return;
    case HealthSpec::Kind::Exec:
        startExec();
        return;
    case HealthSpec::Kind::None:
        break;
    }
    failLater(ProbeError::Other, u"no health check configured"_s);
}

// Failures found before anything asynchronous started are still reported
// from the event loop, so start() never emits finished() from inside itself.
void HealthProbe::failLater(ProbeError error, const QString &reason)
{
    QMetaObject::invokeMethod(
        this, [this, error, reason] { fail(error, reason); }, Qt::QueuedConnection);
}

void HealthProbe::startHttp()
{
    const QUrl url(m_spec.url);
    if (!url.isValid() || (url.scheme() != "http"_L1 && url.scheme() != "https"_L1) || url.host().isEmpty()) {
        failLater(ProbeError::Other,
                  u"invalid health URL \""_s + m_spec.url + u"\" (expected http:// or https://)"_s);
        return;
    }
    if (url.scheme() == "http"_L1) {
        startPlainHttp(url);
        return;
    }
    startNamHttp(url);
}

void HealthProbe::startPlainHttp(const QUrl &url)
{
    m_url = url;
    m_http = std::make_unique<HttpResponseParser>(MaxBodyBytes);
    QTcpSocket *offered = std::exchange(m_offered, nullptr);
    // Only the checked URL's own connection, and only while it is open.
    m_reused = offered && m_redirects == 0 && offered->state() == QAbstractSocket::ConnectedState &&
               offered->bytesAvailable() == 0;
    if (m_reused) {
        m_socket = offered;
    } else {
        delete offered;
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &HealthProbe::sendPlainRequest);
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &HealthProbe::onPlainReadable);
    connect(m_socket, &QTcpSocket::disconnected, this, &HealthProbe::onPlainEof);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError) {
            onPlainEof();
            return;
        }
        if (retryFresh())
            return;
        switch (error) {
        case QAbstractSocket::ConnectionRefusedError:
            fail(ProbeError::Refused, u"connection refused"_s);
            return;
        case QAbstractSocket::HostNotFoundError:
            fail(ProbeError::Other, u"host not found: "_s + m_url.host());
            return;
        default:
            fail(ProbeError::Other, m_socket->errorString());
            return;
        }
    });
    if (m_reused)
        sendPlainRequest();
    else
        m_socket->connectToHost(m_url.host(), quint16(m_url.port(80)));
}

void HealthProbe::sendPlainRequest()
{
    QByteArray target = m_url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (m_url.hasQuery())
        target += '?' + m_url.query(QUrl::FullyEncoded).toLatin1();
    QByteArray host = m_url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']'; // an IPv6 address
    if (m_url.port() != -1)
        host += ':' + QByteArray::number(m_url.port());
    QByteArray request = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                         "\r\nUser-Agent: Lifeline/" LIFELINE_VERSION
                         " health-check\r\nAccept: application/json, */*;q=0.5\r\n";
    if (!m_url.userName().isEmpty()) {
        const QByteArray credentials = m_url.userName().toUtf8() + ':' + m_url.password().toUtf8();
        request += "Authorization: Basic " + credentials.toBase64() + "\r\n";
    }
    request += "Connection: keep-alive\r\n\r\n"; // the HTTP/1.1 default, said for older servers
    m_socket->write(request);
    // Now, not from the write notifier on the next turn of the event loop:
    // a few hundred bytes never block, and that turn is a wake-up per check.
    m_socket->flush();
}

// A reused connection that ends before any byte of an answer was closed by
// the server while idle: that says nothing about its health. Once, on a
// fresh connection.
bool HealthProbe::retryFresh()
{
    if (!m_reused || !m_http || m_http->sawBytes())
        return false;
    m_reused = false;
    dropSocket();
    startPlainHttp(m_url);
    return true;
}

void HealthProbe::onPlainReadable()
{
    if (!m_socket || !m_http)
        return;
    const QByteArray data = m_socket->readAll();
    if (m_http->feed(data) != HttpResponseParser::State::Reading)
        onPlainAnswer();
}

void HealthProbe::onPlainEof()
{
    if (!m_socket || !m_http)
        return;
    if (m_socket->bytesAvailable() > 0 &&
        m_http->feed(m_socket->readAll()) != HttpResponseParser::State::Reading) {
        onPlainAnswer();
        return;
    }
    if (retryFresh())
        return;
    m_http->finishAtEof();
    onPlainAnswer();
}

void HealthProbe::onPlainAnswer()
{
    const HttpResponseParser &http = *m_http;
    const int status = http.status();
    if (http.state() == HttpResponseParser::State::Failed) {
        if (http.tooLarge())
            fail(ProbeError::TooLarge, bodyLimitText(), status);
        else
            fail(ProbeError::Other, u"bad HTTP answer: "_s + http.error(), status);
        return;
    }
    const QByteArray location = http.header("location");
    if (isRedirect(status) && !location.isEmpty()) {
        const QUrl target = m_url.resolved(QUrl::fromEncoded(location));
        if (const QString refused = refusedRedirect(QUrl(m_spec.url), target); !refused.isEmpty()) {
            fail(ProbeError::Other, refused, status);
            return;
        }
        if (++m_redirects > MaxRedirects) {
            fail(ProbeError::Other, u"more than %1 redirects"_s.arg(MaxRedirects), status);
            return;
        }
        dropSocket();
        if (target.scheme() == "https"_L1)
            startNamHttp(target); // same host and port, upgraded to TLS
        else
            startPlainHttp(target);
        return;
    }
    finishWithAnswer(status, http.body());
}

// An HTTP answer, good or bad, read whole: HealthParser judges it.
void HealthProbe::finishWithAnswer(int status, const QByteArray &body)
{
    if (m_socket && m_http && m_http->keepsConnection() &&
        m_socket->state() == QAbstractSocket::ConnectedState && m_socket->bytesAvailable() == 0) {
        m_kept = std::exchange(m_socket, nullptr); // releaseAll() must not close it
        disconnect(m_kept, nullptr, this, nullptr);
    }
    const HealthParser::Verdict v =
        HealthParser::parse(status, body, m_spec.expectStatusMin, m_spec.expectStatusMax);
    HealthResult r;
    r.ok = v.ok;
    r.error = v.error;
    r.reason = v.reason;
    r.report = v.report;
    r.httpStatus = status;
    finish(std::move(r));
}

void HealthProbe::dropSocket()
{
    if (QTcpSocket *socket = std::exchange(m_socket, nullptr)) {
        disconnect(socket, nullptr, this, nullptr);
        socket->abort();
        socket->deleteLater();
    }
    m_http.reset();
}

void HealthProbe::startNamHttp(const QUrl &url)
{
    if (!m_nam) {
        failLater(ProbeError::Other, u"internal error: no network access manager"_s);
        return;
    }

    QNetworkRequest request(url);
    request.setTransferTimeout(int(m_spec.timeout.count()));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::UserVerifiedRedirectPolicy);
    request.setMaximumRedirectsAllowed(5);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setHeader(QNetworkRequest::UserAgentHeader,
                      QByteArray("Lifeline/" LIFELINE_VERSION " health-check"));
    request.setRawHeader("Accept", "application/json, */*;q=0.5");

    m_reply = m_nam->get(request);
    QNetworkReply *reply = m_reply;

    connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > MaxBodyBytes)
            stopTransfer(ProbeError::TooLarge, bodyLimitText());
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] {
        if (m_body.size() + reply->bytesAvailable() > MaxBodyBytes) {
            stopTransfer(ProbeError::TooLarge, bodyLimitText());
            return;
        }
        m_body += reply->readAll();
    });
    connect(reply, &QNetworkReply::redirected, this, [this, reply](const QUrl &to) {
        const QUrl target = reply->url().resolved(to);
        if (const QString refused = refusedRedirect(QUrl(m_spec.url), target); !refused.isEmpty()) {
            stopTransfer(ProbeError::Other, refused);
            return;
        }
        m_body.clear();
        emit reply->redirectAllowed();
    });
#if QT_CONFIG(ssl)
    connect(reply, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            m_tlsErrors << e.errorString();
    });
#endif
    connect(reply, &QNetworkReply::finished, this, &HealthProbe::onHttpFinished);
}

// Ends the transfer for a reason of our own; the reply's finished() (which
// QNetworkReply::abort() emits at once) then reports that reason.
void HealthProbe::stopTransfer(ProbeError error, const QString &reason)
{
    if (!m_reply || m_pendingError != ProbeError::None)
        return;
    m_pendingError = error;
    m_pendingReason = reason;
    m_reply->abort();
}

void HealthProbe::onHttpFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_pendingError != ProbeError::None) {
        fail(m_pendingError, m_pendingReason, status);
        return;
    }

    const QNetworkReply::NetworkError err = reply->error();
    switch (err) {
    case QNetworkReply::ConnectionRefusedError:
        fail(ProbeError::Refused, u"connection refused"_s);
        return;
    case QNetworkReply::OperationCanceledError: // setTransferTimeout() ends the transfer this way
    case QNetworkReply::TimeoutError:
        fail(ProbeError::Timeout, timeoutReason(), status);
        return;
    case QNetworkReply::SslHandshakeFailedError:
    case QNetworkReply::InsecureRedirectError:
        fail(ProbeError::Tls,
             u"TLS error: "_s + (m_tlsErrors.isEmpty() ? reply->errorString() : m_tlsErrors.join(u"; "_s)));
        return;
    case QNetworkReply::HostNotFoundError:
        fail(ProbeError::Other, u"host not found: "_s + reply->url().host());
        return;
    default:
        break;
    }
    if (status == 0) {
        fail(ProbeError::Other, reply->errorString());
        return;
    }
    // An HTTP answer, good or bad (a 503 arrives as an error with a status).
    if (m_body.size() + reply->bytesAvailable() > MaxBodyBytes) {
        fail(ProbeError::TooLarge, bodyLimitText(), status);
        return;
    }
    m_body += reply->readAll();
    finishWithAnswer(status, m_body);
}

void HealthProbe::startTcp()
{
    if (m_spec.tcpHost.isEmpty() || m_spec.tcpPort == 0) {
        failLater(ProbeError::Other, u"invalid TCP health check (need host:port)"_s);
        return;
    }
    m_socket = new QTcpSocket(this);
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        HealthResult r;
        r.ok = true;
        r.error = ProbeError::None;
        r.reason = u"connected to "_s + m_spec.tcpHost + u':' + QString::number(m_spec.tcpPort);
        finish(std::move(r));
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::ConnectionRefusedError)
            fail(ProbeError::Refused, u"connection refused"_s);
        else if (error == QAbstractSocket::HostNotFoundError)
            fail(ProbeError::Other, u"host not found: "_s + m_spec.tcpHost);
        else
            fail(ProbeError::Other, m_socket->errorString());
    });
    m_socket->connectToHost(m_spec.tcpHost, m_spec.tcpPort);
}

void HealthProbe::startExec()
{
    if (m_spec.exec.isEmpty() || m_spec.exec.first().isEmpty()) {
        failLater(ProbeError::Exec, u"no command to run"_s);
        return;
    }
    m_process = new QProcess(this);
    m_process->setProgram(m_spec.exec.first());
    m_process->setArguments(m_spec.exec.mid(1));
    if (!m_workingDirectory.isEmpty())
        m_process->setWorkingDirectory(m_workingDirectory);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setStandardInputFile(QProcess::nullDevice());
#ifdef Q_OS_UNIX
    // Its own process group, so a timeout kills whatever the command started too.
    m_process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        restoreOpenFileLimitInChild();
    });
#endif
    QProcess *process = m_process;
    connect(process, &QProcess::readyReadStandardOutput, this, [this, process] {
        const QByteArray chunk = process->readAllStandardOutput();
        if (m_output.size() < MaxExecOutput)
            m_output += chunk.left(MaxExecOutput - m_output.size());
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(ProbeError::Exec,
                 u"cannot start "_s + process->program() + u": "_s + process->errorString());
    });
    connect(process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        onExecFinished(exitCode, status == QProcess::CrashExit);
    });
    m_process->start();
    // Qt reaps this child itself; keep the fleet's orphan reaper off it.
    ChildRegistry::add(pid_t(m_process->processId()));
}

void HealthProbe::onExecFinished(int exitCode, bool crashed)
{
    if (m_process) {
        ChildRegistry::remove(pid_t(m_process->processId()));
        const QByteArray rest = m_process->readAllStandardOutput();
        if (m_output.size() < MaxExecOutput)
            m_output += rest.left(MaxExecOutput - m_output.size());
    }
    const QString line = firstLine(m_output);
    const QString detail = line.isEmpty() ? QString() : u": "_s + line;
    if (m_timedOut) {
        fail(ProbeError::Timeout, timeoutReason() + u", killed"_s);
    } else if (crashed) {
        fail(ProbeError::Exec, u"killed by a signal"_s + detail);
    } else if (exitCode != 0) {
        fail(ProbeError::Exec, u"exit "_s + QString::number(exitCode) + detail);
    } else {
        HealthResult r;
        r.ok = true;
        r.error = ProbeError::None;
        r.reason = u"exit 0"_s;
        finish(std::move(r));
    }
}

void HealthProbe::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_deadline.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    m_deadline.stop(); // single shot; onDeadline() may start it again
    onDeadline();
}

void HealthProbe::onDeadline()
{
    if (!m_running)
        return;
    if (m_reply) {
        stopTransfer(ProbeError::Timeout, timeoutReason());
    } else if (m_process && !m_timedOut) {
        // The result comes with finished(), once the process is really gone.
        m_timedOut = true;
        killProcessGroup();
        m_process->kill();
        // A process stuck in the kernel (state D) may not die at once; do not
        // let it block the health checks of its service forever.
        m_deadline.start(KillGraceMs, this);
    } else if (m_process) {
        fail(ProbeError::Timeout, timeoutReason() + u", and it did not die when killed"_s);
    } else {
        fail(ProbeError::Timeout, timeoutReason());
    }
}

void HealthProbe::killProcessGroup()
{
#ifdef Q_OS_UNIX
    if (m_process && m_process->state() != QProcess::NotRunning) {
        const qint64 pid = m_process->processId();
        if (pid > 0)
            ::kill(-pid_t(pid), SIGKILL);
    }
#endif
}

void HealthProbe::fail(ProbeError error, const QString &reason, int httpStatus)
{
    HealthResult r;
    r.ok = false;
    r.error = error;
    r.reason = reason;
    r.httpStatus = httpStatus;
    finish(std::move(r));
}

void HealthProbe::finish(HealthResult result)
{
    if (!m_running)
        return;
    m_running = false;
    m_deadline.stop();
    result.timeMs = QDateTime::currentMSecsSinceEpoch();
    result.latencyMs = m_elapsed.elapsed();
    releaseAll();
    emit finished(result);
}

void HealthProbe::abort()
{
    if (!m_running)
        return;
    m_running = false;
    m_deadline.stop();
    releaseAll();
}

void HealthProbe::releaseAll()
{
    if (m_reply) {
        QNetworkReply *reply = std::exchange(m_reply, nullptr);
        disconnect(reply, nullptr, this, nullptr);
        // A reply that already has an error is about to finish; aborting it
        // again only makes QNetworkReply complain. Deleting it closes it.
        if (reply->isRunning() && reply->error() == QNetworkReply::NoError)
            reply->abort();
        reply->deleteLater();
    }
    dropSocket();
    if (m_process) {
        killProcessGroup();
        QProcess *process = std::exchange(m_process, nullptr);
        disconnect(process, nullptr, this, nullptr);
        if (process->state() == QProcess::NotRunning) {
            process->deleteLater();
        } else {
            // Never wait here: let the killed process finish on its own and
            // delete its QProcess then (its destructor would block otherwise).
            process->kill();
            process->setParent(nullptr);
            connect(process, &QProcess::finished, process, &QObject::deleteLater);
        }
    }
}

} // namespace lifeline
