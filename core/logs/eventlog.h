// lifeline.log: one line per start, exit (decoded), restart with its reason,
// state change and adoption. Lifeline is the only writer, so rotation is a
// plain rename chain, same max_size/backups scheme as service logs.
#pragma once

#include <QFile>
#include <QString>

namespace lifeline {

class EventLog
{
public:
    EventLog(const QString &path, qint64 maxSize = 10LL * 1000 * 1000, int backups = 5);
    QString path() const { return m_path; }
    // "2026-11-25T12:00:00.123Z [api] started pid 123"
    void write(const QString &service, const QString &text);
    QString lastError() const { return m_error; }

private:
    void rotate();
    QString m_path;
    qint64 m_maxSize;
    int m_backups;
    QFile m_file;
    QString m_error;
};

// Rotate path -> path.1 -> ... -> path.N (N = backups); with 0 backups the
// file is emptied. Shared by every writer that owns its file.
void rotateFiles(const QString &path, int backups);

// The last `lines` lines of a log file (reading only the tail end, never the
// whole file), optionally only error lines (ERROR, CRITICAL, Traceback,
// Exception, FATAL, panic).
QStringList tailLines(const QString &path, int lines, bool errorsOnly = false);
// The last `lines` lines of `data` (error lines only when asked); startsMidLine: its first line is a
// fragment and is left out.
QStringList lastLines(const QByteArray &data, bool startsMidLine, int lines, bool errorsOnly = false);
bool isErrorLine(const QString &line);

} // namespace lifeline
