#include "eventlog.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace lifeline {

void rotateFiles(const QString &path, int backups)
{
    if (backups <= 0) {
        QFile f(path);
        if (f.open(QIODevice::ReadWrite))
            f.resize(0);
        return;
    }
    QFile::remove(path + QLatin1Char('.') + QString::number(backups));
    for (int i = backups - 1; i >= 1; --i) {
        const QString from = path + QLatin1Char('.') + QString::number(i);
        if (QFile::exists(from))
            QFile::rename(from, path + QLatin1Char('.') + QString::number(i + 1));
    }
    QFile::rename(path, path + QStringLiteral(".1"));
}

EventLog::EventLog(const QString &path, qint64 maxSize, int backups)
    : m_path(path)
    , m_maxSize(maxSize)
    , m_backups(backups)
    , m_file(path)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
}

void EventLog::write(const QString &service, const QString &text)
{
    if (!m_file.isOpen() && !m_file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        m_error = QStringLiteral("cannot write %1: %2").arg(m_path, m_file.errorString());
        return;
    }
    QByteArray line = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8();
    if (!service.isEmpty())
        line += " [" + service.toUtf8() + ']';
    line += ' ' + text.toUtf8() + '\n';
    if (m_file.size() > 0 && m_file.size() + line.size() > m_maxSize)
        rotate();
    if (m_file.write(line) < 0)
        m_error = QStringLiteral("cannot write %1: %2").arg(m_path, m_file.errorString());
    m_file.flush();
}

void EventLog::rotate()
{
    m_file.close();
    rotateFiles(m_path, m_backups);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append))
        m_error = QStringLiteral("cannot write %1: %2").arg(m_path, m_file.errorString());
}

bool isErrorLine(const QString &line)
{
    static const QRegularExpression re(
        QStringLiteral("\\b(ERROR|CRITICAL|FATAL|Traceback|Exception|panic|Error:)"));
    return re.match(line).hasMatch();
}

QStringList tailLines(const QString &path, int lines, bool errorsOnly)
{
    QFile f(path);
    if (lines <= 0 || !f.open(QIODevice::ReadOnly))
        return {};
    // Read backwards in blocks until enough lines are found; a service that
    // wrote gigabytes costs no more than the lines asked for.
    const qint64 block = 64 * 1024;
    qint64 pos = f.size();
    QByteArray buf;
    const qint64 cap = errorsOnly ? 32LL * 1024 * 1024 : 16LL * 1024 * 1024;
    while (pos > 0 && f.size() - pos < cap) {
        const qint64 start = std::max<qint64>(0, pos - block);
        f.seek(start);
        buf.prepend(f.read(pos - start));
        pos = start;
        int count = 0;
        if (!errorsOnly) {
            count = int(buf.count('\n'));
        } else {
            for (const QByteArray &l : buf.split('\n'))
                count += isErrorLine(QString::fromUtf8(l)) ? 1 : 0;
        }
        if (count > lines)
            break;
    }
    return lastLines(buf, pos > 0, lines, errorsOnly);
}

QStringList lastLines(const QByteArray &data, bool startsMidLine, int lines, bool errorsOnly)
{
    QStringList out;
    QList<QByteArray> all = data.split('\n');
    if (!all.isEmpty() && all.last().isEmpty())
        all.removeLast();
    if (startsMidLine && !all.isEmpty())
        all.removeFirst();
    for (auto it = all.crbegin(); it != all.crend() && out.size() < lines; ++it) {
        const QString l = QString::fromUtf8(*it);
        if (!errorsOnly || isErrorLine(l))
            out.prepend(l);
    }
    return out;
}

} // namespace lifeline
