// What a service's lifeline-logger tells Lifeline (app/logger/main.cpp,
// --status-fd): lines it had to drop because its file refused them (a full
// disk), and that it writes again. Read without blocking from the read end of
// the pipe whose write end the logger inherited. The logger outlives
// Lifeline, so a Lifeline started later has no channel to the loggers of the
// services it adopts: it learns nothing of their drops, the marker line in
// the log file is then the only trace.
#pragma once

#include <QByteArray>
#include <QObject>

#include <optional>

class QSocketNotifier;

namespace lifeline {

class LoggerChannel final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoggerChannel)

public:
    struct Record
    {
        enum class Kind
        {
            Drop,  // "drop out|err N ERRNO": N more lines dropped
            Resume // "resume out|err TOTAL": writing again after TOTAL dropped lines
        };
        Kind kind = Kind::Drop;
        QString stream; // "out" or "err"
        qint64 lines = 0;
        int error = 0; // errno, Drop only
    };
    // One record line without its newline; nullopt when it is not one.
    static std::optional<Record> parse(const QByteArray &line);

    // Takes ownership of readFd (non-blocking). Deletes itself once the
    // logger has closed its end (it exited).
    explicit LoggerChannel(int readFd, QObject *parent = nullptr);
    ~LoggerChannel() override;

signals:
    void dropped(const QString &stream, qint64 lines, const QString &reason);
    void resumed(const QString &stream, qint64 totalLines);

private:
    void onReadable();
    void close();

    int m_fd;
    QSocketNotifier *m_notifier;
    QByteArray m_buffer;
};

} // namespace lifeline
