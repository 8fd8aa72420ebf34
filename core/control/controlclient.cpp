#include "control/controlclient.h"

#include <QDeadlineTimer>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace lifeline {

ControlClient::ControlClient(const QString &socketPath, int timeoutMs)
    : m_socketPath(socketPath)
    , m_timeoutMs(timeoutMs)
{}

void ControlClient::fail(Error error, const QString &text)
{
    m_error = error;
    m_errorString = text;
}

bool ControlClient::connectToServer()
{
    if (m_socket.state() == QLocalSocket::ConnectedState)
        return true;
    m_socket.connectToServer(m_socketPath);
    if (!m_socket.waitForConnected(m_timeoutMs)) {
        if (m_socket.error() == QLocalSocket::SocketAccessError)
            fail(Error::PermissionDenied,
                 u"permission denied on the control socket %1: it belongs to another user, or its mode "
                 u"does not let us in"_s.arg(m_socketPath));
        else
            fail(Error::NotRunning, u"cannot connect to %1: %2"_s.arg(m_socketPath, m_socket.errorString()));
        return false;
    }
    return true;
}

std::optional<QJsonObject> ControlClient::request(const QJsonObject &request)
{
    m_error = Error::None;
    m_errorString.clear();
    if (!connectToServer())
        return std::nullopt;

    const QDeadlineTimer deadline(m_timeoutMs);
    m_socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    while (m_socket.bytesToWrite() > 0) {
        if (!m_socket.waitForBytesWritten(int(deadline.remainingTime()))) {
            fail(m_socket.state() == QLocalSocket::ConnectedState ? Error::Timeout : Error::Protocol,
                 u"cannot send the request to %1: %2"_s.arg(m_socketPath, m_socket.errorString()));
            return std::nullopt;
        }
    }
    qsizetype nl = m_buffer.indexOf('\n');
    while (nl < 0) {
        if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(int(deadline.remainingTime()))) {
            if (m_socket.state() != QLocalSocket::ConnectedState)
                fail(Error::Protocol,
                     u"Lifeline closed the connection on %1 without a reply"_s.arg(m_socketPath));
            else
                fail(Error::Timeout,
                     u"no reply from Lifeline on %1 within %2 ms"_s.arg(m_socketPath).arg(m_timeoutMs));
            return std::nullopt;
        }
        const qsizetype before = m_buffer.size();
        m_buffer += m_socket.readAll();
        nl = m_buffer.indexOf('\n', before);
    }
    const QByteArray line = m_buffer.left(nl);
    m_buffer.remove(0, nl + 1);

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        fail(Error::Protocol,
             u"unreadable reply from Lifeline on %1: %2"_s.arg(m_socketPath, parseError.errorString()));
        return std::nullopt;
    }
    return doc.object();
}

} // namespace lifeline
