#include "loggerchannel.h"

#include <QList>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace lifeline {

namespace {

// Records are a few dozen bytes; more without a newline is not a logger talking.
constexpr qsizetype kMaxRecord = 256;

} // namespace

std::optional<LoggerChannel::Record> LoggerChannel::parse(const QByteArray &line)
{
    const QList<QByteArray> parts = line.split(' ');
    Record r;
    if (parts.size() == 4 && parts[0] == "drop")
        r.kind = Record::Kind::Drop;
    else if (parts.size() == 3 && parts[0] == "resume")
        r.kind = Record::Kind::Resume;
    else
        return std::nullopt;
    if (parts[1] != "out" && parts[1] != "err")
        return std::nullopt;
    r.stream = QString::fromLatin1(parts[1]);
    bool ok = false;
    r.lines = parts[2].toLongLong(&ok);
    if (!ok || r.lines < 0)
        return std::nullopt;
    if (r.kind == Record::Kind::Drop) {
        r.error = parts[3].toInt(&ok);
        if (!ok || r.error <= 0)
            return std::nullopt;
    }
    return r;
}

LoggerChannel::LoggerChannel(int readFd, QObject *parent)
    : QObject(parent)
    , m_fd(readFd)
    , m_notifier(new QSocketNotifier(readFd, QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &LoggerChannel::onReadable);
}

LoggerChannel::~LoggerChannel()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void LoggerChannel::onReadable()
{
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(m_fd, buf, sizeof(buf));
        if (n > 0) {
            m_buffer.append(buf, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            close(); // the logger has exited
            break;
        }
        break;
    }
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        const auto record = parse(line);
        if (!record)
            continue;
        if (record->kind == Record::Kind::Drop)
            emit dropped(record->stream, record->lines, QString::fromLocal8Bit(std::strerror(record->error)));
        else
            emit resumed(record->stream, record->lines);
    }
    if (m_buffer.size() > kMaxRecord)
        m_buffer.clear();
}

void LoggerChannel::close()
{
    m_notifier->setEnabled(false);
    ::close(m_fd);
    m_fd = -1;
    deleteLater();
}

} // namespace lifeline
