// Follows one or two log files (a service's stdout .log and stderr .err.log)
// that lifeline-logger rotates by renaming FILE to FILE.1 and reopening FILE,
// and that a person may truncate. Polls with a timer (QFileSystemWatcher
// misses events under heavy writes and fires far too often under a flood):
// each tick compares the file's identity (device + inode) and size with what
// is open, reads only the new bytes and emits them as whole lines, one batch
// per tick.
//
// Merged order: with setOrderIndex(), the tailer also follows the logger's
// order index (app/logger/main.cpp, --index), whose records say which stream's
// bytes arrived first, and hands out the lines of both files merged in that
// order. While both files have lines no record covers yet, those lines are
// held: a record comes within ~100 ms of its bytes, and a line still
// uncovered two ticks later (the record was lost to a full disk, no logger
// writes the files) is handed out anyway, after what is already known: the
// order may then be off, no line is lost. Lines of one file alone are never
// held. Without an index file, each tick's lines come file by file.
//
// Backups: the initial load reads on into FILE.1, FILE.2 ... (plain or .gz,
// core/logs/logbackups.h) when the live file holds fewer lines than asked
// for, and a rotation missed between two ticks is read from the backup it
// became, compressed or not; a .gz that cannot be read shows as one
// "[lifeline: FILE skipped: WHY]" line.
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

#include <array>
#include <deque>
#include <memory>

namespace lifeline {

struct LogBackup;

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

    struct Line
    {
        QString text;
        Stream stream = Stream::Out;
    };

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
    // The logger's order index for the Out and Err files (before start());
    // empty: none. It need not exist yet.
    void setOrderIndex(const QString &path) { m_index.path = path; }
    // Where lifeline-logger keeps the order index of the service whose
    // stdout goes to outPath: "<name>.order" beside "<name>.log".
    static QString orderIndexPath(const QString &outPath);

    // 0: no timer of its own; the owner calls pollNow() (one timer for many
    // tailers wakes the thread once, not once per tailer).
    void setInterval(int ms) { m_timer.setInterval(ms); }
    int interval() const { return m_timer.interval(); }
    void setMaxBytesPerTick(qint64 bytes) { m_maxBytesPerTick = std::max<qint64>(1024, bytes); }
    qint64 maxBytesPerTick() const { return m_maxBytesPerTick; }
    // How far back start() reads at most to find its initial lines (a file
    // whose last line is huge yields fewer lines, never a long read).
    void setMaxInitialBytes(qint64 bytes) { m_maxInitialBytes = std::max<qint64>(4096, bytes); }

    // Emits the last `initialLines` lines of each file at once (connect
    // first), then follows what is appended. Restarting starts afresh.
    void start(int initialLines = 200);
    // Follows from the first byte of each file (a file known to be new):
    // read at the usual bounded pace, with no backward search for lines.
    void startFromBeginning();
    void stop();
    bool isActive() const { return m_started; }

    // One poll now (the timer calls this).
    void pollNow();

    // Bytes turned into lines since start(), and bytes jumped over (their sum
    // is what was written); for tests and display.
    qint64 bytesRead() const { return m_bytesRead; }
    qint64 bytesSkipped() const { return m_bytesSkipped; }

    // "… 1234567 bytes skipped …"
    static QString skippedLine(qint64 bytes);

signals:
    // In the order they were written (see the top of this file).
    void linesAppended(const QList<lifeline::LogTailer::Line> &lines);

private:
    struct Followed;
    // A record of the index: the bytes of the stream's file `ino` up to
    // `end` arrived before those of any later record (seq grows by 2; an odd
    // seq is a line handed out without its record).
    struct Mark
    {
        quint64 ino = 0;
        qint64 end = 0;
        qint64 seq = 0;
    };
    struct Index
    {
        QString path;
        std::unique_ptr<Followed> file;
        bool seen = false; // it exists: hold lines until their record comes
        std::array<std::deque<Mark>, 2> marks;
        qint64 lastSeq = 0;
    };

    void poll(Followed &f);
    static bool openCurrent(Followed &f, bool atEnd);
    void readInitial(Followed &f, int lines);
    // knownSize: the file's size, just read by the caller.
    void readAvailable(Followed &f, qint64 &budget, qint64 knownSize = -1);
    void readRotatedSince(Followed &f, qint64 &budget);
    void readCompressed(Followed &f, const LogBackup &backup, qint64 &budget);
    void readInitialBackups(Followed &f, const QList<LogBackup> &backups, int lines);
    void splitLines(Followed &f, const QByteArray &bytes, qint64 base);
    void flushPartial(Followed &f);
    void pollIndex();
    void readIndexTail();
    void parseIndex(const QByteArray &bytes);
    void assign(Followed &f, bool starting);
    void emitReady();

    std::vector<std::unique_ptr<Followed>> m_files;
    Index m_index;
    QTimer m_timer;
    qint64 m_maxBytesPerTick = kDefaultMaxBytesPerTick;
    bool m_started = false;
    qint64 m_maxInitialBytes = 16LL * 1024 * 1024;
    qint64 m_bytesRead = 0;
    qint64 m_bytesSkipped = 0;
};

} // namespace lifeline
