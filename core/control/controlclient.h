// A small synchronous client of the control socket, for lifelinectl (a
// command-line tool may block; the GUI and the engine never use this).
#pragma once

#include <QJsonObject>
#include <QLocalSocket>
#include <QString>

#include <optional>

namespace lifeline {

class ControlClient
{
public:
    enum class Error
    {
        None,
        NotRunning,       // nothing listens on the socket: no Lifeline for that config
        PermissionDenied, // the socket is there, but not ours to use (EACCES): another user's Lifeline?
        Timeout,          // connected, but no reply in time
        Protocol,         // the connection closed early, or the reply is not a JSON object
    };

    explicit ControlClient(const QString &socketPath, int timeoutMs = 5000);

    bool connectToServer();
    // Sends one request and waits for its one-line reply (connecting first if
    // needed). nullopt on failure: see error()/errorString().
    std::optional<QJsonObject> request(const QJsonObject &request);

    // How long request() waits for a reply (e.g. a whole recovery run).
    void setTimeout(int timeoutMs) { m_timeoutMs = timeoutMs; }

    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    QString socketPath() const { return m_socketPath; }

private:
    void fail(Error error, const QString &text);

    QString m_socketPath;
    int m_timeoutMs;
    QLocalSocket m_socket;
    QByteArray m_buffer;
    Error m_error = Error::None;
    QString m_errorString;
};

} // namespace lifeline
