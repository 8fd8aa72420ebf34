#include "httpresponseparser.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr qsizetype kMaxChunkLine = 4096; // a size, maybe an extension; nothing legitimate is longer

QByteArray printable(const QByteArray &line)
{
    QByteArray out = line.left(60);
    for (char &c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
            c = '?';
    }
    return line.size() > 60 ? out + "..." : out;
}

} // namespace

HttpResponseParser::HttpResponseParser(qint64 maxBodyBytes)
    : m_maxBody(maxBodyBytes)
{}

QByteArray HttpResponseParser::header(const QByteArray &name) const
{
    const QByteArray lower = name.toLower();
    for (auto it = m_headers.crbegin(); it != m_headers.crend(); ++it) {
        if (it->first == lower)
            return it->second;
    }
    return {};
}

HttpResponseParser::State HttpResponseParser::fail(const QString &error, bool tooLarge)
{
    m_state = State::Failed;
    m_phase = Phase::Finished;
    m_error = error;
    m_tooLarge = tooLarge;
    return m_state;
}

HttpResponseParser::State HttpResponseParser::done()
{
    m_state = State::Done;
    m_phase = Phase::Finished;
    return m_state;
}

bool HttpResponseParser::parseStatusLine(const QByteArray &line)
{
    // HTTP/1.1 200 OK  (the reason phrase may be empty or missing)
    if (line.size() < 12 || !line.startsWith("HTTP/1.") || line.at(8) != ' ') {
        fail(u"not an HTTP response: \"%1\""_s.arg(QString::fromLatin1(printable(line))));
        return false;
    }
    int status = 0;
    for (int i = 9; i < 12; ++i) {
        const char c = line.at(i);
        if (c < '0' || c > '9') {
            fail(u"bad status line: \"%1\""_s.arg(QString::fromLatin1(printable(line))));
            return false;
        }
        status = status * 10 + (c - '0');
    }
    if (status < 100 || (line.size() > 12 && line.at(12) != ' ')) {
        fail(u"bad status line: \"%1\""_s.arg(QString::fromLatin1(printable(line))));
        return false;
    }
    m_status = status;
    m_http11 = line.at(7) == '1';
    m_headers.clear();
    m_phase = Phase::Headers;
    return true;
}

bool HttpResponseParser::parseHeaderLine(const QByteArray &line)
{
    if (line.startsWith(' ') || line.startsWith('\t')) {
        fail(u"folded header line (obsolete, refused): \"%1\""_s.arg(QString::fromLatin1(printable(line))));
        return false;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0) {
        fail(u"bad header line: \"%1\""_s.arg(QString::fromLatin1(printable(line))));
        return false;
    }
    m_headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    return true;
}

bool HttpResponseParser::beginBody()
{
    if (m_status == 204 || m_status == 304) {
        done();
        return true;
    }
    const QByteArray coding = header("transfer-encoding");
    if (!coding.isEmpty()) {
        const QByteArray last = coding.mid(coding.lastIndexOf(',') + 1).trimmed().toLower();
        m_phase = last == "chunked" ? Phase::ChunkSize : Phase::BodyUntilClose;
        return true;
    }
    const QByteArray length = header("content-length");
    if (length.isEmpty()) {
        m_phase = Phase::BodyUntilClose;
        return true;
    }
    qint64 value = 0;
    for (const char c : length) {
        if (c < '0' || c > '9' || value > (std::numeric_limits<qint64>::max() - 9) / 10) {
            fail(u"bad Content-Length: \"%1\""_s.arg(QString::fromLatin1(printable(length))));
            return false;
        }
        value = value * 10 + (c - '0');
    }
    if (value > m_maxBody) {
        fail(u"body of %1 bytes is over the limit of %2"_s.arg(value).arg(m_maxBody), true);
        return false;
    }
    if (value == 0) {
        done();
        return true;
    }
    m_remaining = value;
    m_phase = Phase::FixedBody;
    return true;
}

bool HttpResponseParser::appendBody(const char *data, qsizetype size)
{
    if (m_body.size() + size > m_maxBody) {
        fail(u"body over the limit of %1 bytes"_s.arg(m_maxBody), true);
        return false;
    }
    m_body.append(data, size);
    return true;
}

// Collects bytes up to a newline into m_pending; true with the line (without
// CR LF) once one is complete.
bool HttpResponseParser::takeLine(QByteArray *line)
{
    if (!m_pending.endsWith('\n'))
        return false;
    *line = std::exchange(m_pending, {});
    line->chop(1);
    if (line->endsWith('\r'))
        line->chop(1);
    return true;
}

HttpResponseParser::State HttpResponseParser::feed(const char *data, qsizetype size)
{
    qsizetype pos = 0;
    m_sawBytes = m_sawBytes || size > 0;
    while (m_state == State::Reading && pos < size) {
        const char *at = data + pos;
        const qsizetype left = size - pos;
        switch (m_phase) {
        case Phase::StatusLine:
        case Phase::Headers:
        case Phase::ChunkSize:
        case Phase::ChunkDataEnd:
        case Phase::Trailers: {
            const void *nl = std::memchr(at, '\n', size_t(left));
            const qsizetype n = nl ? static_cast<const char *>(nl) - at + 1 : left;
            m_pending.append(at, n);
            pos += n;
            const bool inHead = m_phase == Phase::StatusLine || m_phase == Phase::Headers;
            if (inHead) {
                m_headerBytes += n;
                if (m_headerBytes > MaxHeaderBytes)
                    return fail(u"response headers larger than %1 KiB"_s.arg(MaxHeaderBytes / 1024));
            } else if (m_pending.size() > kMaxChunkLine) {
                return fail(u"chunk line longer than %1 bytes"_s.arg(kMaxChunkLine));
            }
            QByteArray line;
            if (!takeLine(&line))
                break;
            switch (m_phase) {
            case Phase::StatusLine:
                if (!line.isEmpty()) // a stray empty line before the status line is tolerated
                    parseStatusLine(line);
                break;
            case Phase::Headers:
                if (!line.isEmpty()) {
                    parseHeaderLine(line);
                } else if (m_status < 200) {
                    m_phase = Phase::StatusLine; // 100 Continue and friends: the real answer follows
                } else {
                    beginBody();
                }
                break;
            case Phase::ChunkSize: {
                const qsizetype ext = line.indexOf(';');
                const QByteArray digits = (ext < 0 ? line : line.left(ext)).trimmed();
                // Hex digits only: toLongLong(16) would also take "0x2", "+2" or "-0".
                bool ok = !digits.isEmpty() && digits.size() <= 15 &&
                          std::all_of(digits.cbegin(), digits.cend(),
                                      [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
                const qint64 chunk = ok ? digits.toLongLong(&ok, 16) : 0;
                if (!ok || chunk < 0) {
                    fail(u"bad chunk size: \"%1\""_s.arg(QString::fromLatin1(printable(line))));
                } else if (chunk == 0) {
                    m_phase = Phase::Trailers;
                } else if (m_body.size() + chunk > m_maxBody) {
                    fail(u"body over the limit of %1 bytes"_s.arg(m_maxBody), true);
                } else {
                    m_remaining = chunk;
                    m_phase = Phase::ChunkData;
                }
                break;
            }
            case Phase::ChunkDataEnd:
                if (line.isEmpty())
                    m_phase = Phase::ChunkSize;
                else
                    fail(u"chunk data longer than its size"_s);
                break;
            case Phase::Trailers:
                if (line.isEmpty())
                    done();
                break;
            case Phase::FixedBody:
            case Phase::ChunkData:
            case Phase::BodyUntilClose:
            case Phase::Finished:
                break;
            }
            break;
        }
        case Phase::FixedBody:
        case Phase::ChunkData: {
            const qsizetype n = qsizetype(std::min<qint64>(left, m_remaining));
            if (!appendBody(at, n))
                return m_state;
            pos += n;
            m_remaining -= n;
            if (m_remaining == 0) {
                if (m_phase == Phase::FixedBody)
                    done();
                else
                    m_phase = Phase::ChunkDataEnd;
            }
            break;
        }
        case Phase::BodyUntilClose:
            appendBody(at, left);
            pos = size;
            break;
        case Phase::Finished:
            return m_state;
        }
    }
    if (m_state == State::Done && pos < size)
        m_bytesAfter = true;
    return m_state;
}

bool HttpResponseParser::keepsConnection() const
{
    if (m_state != State::Done || !m_http11 || m_endedAtClose || m_bytesAfter)
        return false;
    const QList<QByteArray> options = header("connection").toLower().split(',');
    return std::none_of(options.cbegin(), options.cend(),
                        [](const QByteArray &o) { return o.trimmed() == "close"; });
}

HttpResponseParser::State HttpResponseParser::finishAtEof()
{
    if (m_state != State::Reading)
        return m_state;
    if (m_phase == Phase::BodyUntilClose) {
        m_endedAtClose = true;
        return done();
    }
    if (m_phase == Phase::StatusLine && m_status == 0 && m_pending.isEmpty())
        return fail(u"connection closed without an answer"_s);
    return fail(u"connection closed in the middle of the answer"_s);
}

} // namespace lifeline
