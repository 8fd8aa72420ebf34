// Reads one HTTP/1.x response from the bytes of a connection, as they come.
// Pure: no I/O, no Qt event loop; HealthProbe feeds it what its socket reads
// and the tests feed it answers cut at every byte.
//
// It knows what a health check needs and no more: the status line, headers
// (names case-insensitive, folded continuation lines refused), interim 1xx
// answers skipped, and the three ways a body ends (Content-Length, chunked
// transfer coding, connection close). Bodies are capped: a response whose
// body is larger than the cap fails as TooLarge as soon as that is known, so
// a backend answering with gigabytes costs nothing.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>

namespace lifeline {

class HttpResponseParser
{
public:
    enum class State
    {
        Reading, // more bytes wanted
        Done,    // a complete response: status(), header(), body()
        Failed,  // error() says why; tooLarge() when it was the body cap
    };

    static constexpr qsizetype MaxHeaderBytes = 64 * 1024;

    explicit HttpResponseParser(qint64 maxBodyBytes);

    // Consumes the next bytes of the connection. Bytes after a complete
    // response are ignored.
    State feed(const char *data, qsizetype size);
    State feed(const QByteArray &data) { return feed(data.constData(), data.size()); }
    // The peer closed the connection: completes a body that runs until the
    // close, fails anything else that is unfinished.
    State finishAtEof();

    State state() const { return m_state; }
    int status() const { return m_status; }
    // The last value of the header NAME (case-insensitive), or empty.
    QByteArray header(const QByteArray &name) const;
    const QByteArray &body() const { return m_body; }
    QString error() const { return m_error; }
    bool tooLarge() const { return m_tooLarge; }
    // Any byte of an answer arrived (a reused connection that the server had
    // closed gives none, and may be retried on a fresh one).
    bool sawBytes() const { return m_sawBytes; }
    // The connection may carry the next request: a complete HTTP/1.1 answer
    // whose body did not end at the close, no "Connection: close", and
    // nothing sent after it.
    bool keepsConnection() const;

private:
    enum class Phase
    {
        StatusLine,
        Headers,
        FixedBody,
        ChunkSize,
        ChunkData,
        ChunkDataEnd, // the CRLF after a chunk's data
        Trailers,
        BodyUntilClose,
        Finished,
    };

    bool takeLine(QByteArray *line);
    bool parseStatusLine(const QByteArray &line);
    bool parseHeaderLine(const QByteArray &line);
    bool beginBody();
    bool appendBody(const char *data, qsizetype size);
    State fail(const QString &error, bool tooLarge = false);
    State done();

    qint64 m_maxBody;
    State m_state = State::Reading;
    Phase m_phase = Phase::StatusLine;
    QByteArray m_pending; // bytes of an unfinished line
    qsizetype m_headerBytes = 0;
    int m_status = 0;
    QList<std::pair<QByteArray, QByteArray>> m_headers; // lower-case name, value
    QByteArray m_body;
    qint64 m_remaining = 0; // of the fixed body, or of the current chunk
    QString m_error;
    bool m_tooLarge = false;
    bool m_sawBytes = false;
    bool m_http11 = false;
    bool m_endedAtClose = false;
    bool m_bytesAfter = false; // bytes followed the complete answer
};

} // namespace lifeline
