// Follows one or two log files (a service's stdout .log and stderr .err.log)
// that lifeline-logger rotates by renaming FILE to FILE.1 and reopening FILE,
// and that a person may truncate. Polls with a timer (QFileSystemWatcher
// misses events under heavy writes and fires far too often under a flood):
// each tick compares the file's identity (device + inode) and size with what
// is open, reads only the new bytes and emits them as whole lines, in one
// batch per file.
//
// Reading is bounded: at most maxBytesPerTick() per file per tick. When a
// service writes faster than that, the tailer jumps ahead to the newest bytes
// and says so with a "… N bytes skipped …" line, so the GUI thread never
// stalls however fast a service writes.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace lifeline {

class LogTailer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogTailer)

public:
    enum class Stream
    {
        Out, // the service's stdout (FILE.log)
        Err, // the service's stderr (FILE.err.log): shown as error lines
    };
    Q_ENUM(Stream)

    static constexpr int kDefaultIntervalMs = 250;
    static constexpr qint64 kDefaultMaxBytesPerTick = 1024 * 1024;
    // A line longer than this without a newline is emitted in pieces.
    static constexpr qint64 kMaxLineBytes = 64 * 1024;

    explicit LogTailer(QObject *parent = nullptr);
    ~LogTailer() override;

    // Adds a file to follow (before start()). It need not exist yet.
    void addFile(const QString &path, Stream stream = Stream::Out);
    void clearFiles();
    QStringList files() const;

    void setInterval(int ms) { m_timer.setInterval(ms); }
    int interval() const { return m_timer.interval(); }
    void setMaxBytesPerTick(qint64 bytes) { m_maxBytesPerTick = std::max<qint64>(1024, bytes); }
    qint64 maxBytesPerTick() const { return m_maxBytesPerTick; }

    // Emits the last `initialLines` lines of each file at once (connect
    // first), then follows what is appended. Restarting starts afresh.
    void start(int initialLines = 200);
    void stop();
    bool isActive() const { return m_timer.isActive(); }

    // One poll now (the timer calls this).
    void pollNow();

    // Bytes turned into lines since start(), and bytes jumped over (their sum
    // is what was written); for tests and display.
    qint64 bytesRead() const { return m_bytesRead; }
    qint64 bytesSkipped() const { return m_bytesSkipped; }

    // "… 1234567 bytes skipped …"
    static QString skippedLine(qint64 bytes);

signals:
    void linesAppended(const QStringList &lines, lifeline::LogTailer::Stream stream);

private:
    struct Followed;
    void poll(Followed &f);
    bool openCurrent(Followed &f, bool atEnd);
    void readAvailable(Followed &f, QStringList &out, qint64 &budget);
    void splitLines(Followed &f, const QByteArray &bytes, QStringList &out);
    void flushPartial(Followed &f, QStringList &out);

    std::vector<std::unique_ptr<Followed>> m_files;
    QTimer m_timer;
    qint64 m_maxBytesPerTick = kDefaultMaxBytesPerTick;
    qint64 m_bytesRead = 0;
    qint64 m_bytesSkipped = 0;
};

} // namespace lifeline
