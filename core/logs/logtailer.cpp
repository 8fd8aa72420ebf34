#include "logtailer.h"

#include "logbackups.h"

#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace lifeline {

namespace {

// What tells a rotated file (a new inode at the same path) from the file we
// have open. Without stat(), the birth time is the best available hint.
struct FileId
{
    bool valid = false;
    quint64 dev = 0;
    quint64 ino = 0;
    friend bool operator==(const FileId &, const FileId &) = default;
};

FileId idOfPath(const QString &path)
{
    FileId id;
#ifdef Q_OS_UNIX
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) == 0) {
        id.valid = true;
        id.dev = quint64(st.st_dev);
        id.ino = quint64(st.st_ino);
    }
#else
    const QFileInfo info(path);
    if (info.exists()) {
        id.valid = true;
        id.ino = quint64(info.birthTime().toMSecsSinceEpoch());
    }
#endif
    return id;
}

// A .gz backup is named by the inode of the plain file it was compressed from
// (its header says so): the inode the order index and our last handle knew.
FileId idOfBackup(const LogBackup &backup)
{
    FileId id = idOfPath(backup.path);
    if (id.valid && backup.compressed)
        id.ino = backupInode(backup);
    return id;
}

FileId idOfOpenFile(QFile &file)
{
    FileId id;
#ifdef Q_OS_UNIX
    struct stat st
    {
    };
    if (file.handle() >= 0 && ::fstat(file.handle(), &st) == 0) {
        id.valid = true;
        id.dev = quint64(st.st_dev);
        id.ino = quint64(st.st_ino);
    }
#else
    id = idOfPath(file.fileName());
#endif
    return id;
}

// Never blocks: a FIFO put where the log was would wait for a writer in
// open(), and a device would never end; only a regular file is followed.
bool openRegularFile(QFile &file, const QString &path)
{
    file.setFileName(path);
#ifdef Q_OS_UNIX
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        !file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return false;
    }
    return true;
#else
    return file.open(QIODevice::ReadOnly);
#endif
}

// A line not covered by an index record after this many ticks is handed out
// anyway (see the header).
constexpr int kHoldTicks = 2;
// What the initial load reads of the index and of its backup: records for
// far more than the initial lines, even when the streams alternate line by line.
constexpr qint64 kIndexTailBytes = 64 * 1024;
// Read per tick; the rest waits for the next one (records are never skipped).
constexpr qint64 kIndexBytesPerTick = 4 * 1024 * 1024;
// Records of a stream nobody reads lines from (a skipped flood) are dropped
// beyond this.
constexpr size_t kMaxMarks = 100000;

int streamIndex(LogTailer::Stream stream)
{
    return stream == LogTailer::Stream::Err ? 1 : 0;
}

} // namespace

struct LogTailer::Followed
{
    // A line read, waiting for its place in the merged order.
    struct Pending
    {
        QString text;
        quint64 ino = 0;
        qint64 end = 0;  // the file offset just past it
        qint64 seq = -1; // its place; -1: not known yet
        int ticks = 0;   // ticks it has waited for its record
    };

    QString path;
    Stream stream = Stream::Out;
    QFile file;
    FileId id;
    qint64 pos = 0;                // next byte to read in `file`
    QByteArray partial;            // bytes after the last newline read so far
    bool discardToNewline = false; // after a skip: the first line read is a fragment
    std::deque<Pending> lines;     // read, not handed out yet
    size_t assigned = 0;           // lines.front() .. [assigned - 1] have a seq

    void add(QString text, qint64 end) { lines.push_back({std::move(text), id.ino, end}); }
};

LogTailer::LogTailer(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(kDefaultIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LogTailer::pollNow);
}

LogTailer::~LogTailer() = default;

void LogTailer::addFile(const QString &path, Stream stream)
{
    auto f = std::make_unique<Followed>();
    f->path = path;
    f->stream = stream;
    m_files.push_back(std::move(f));
}

void LogTailer::clearFiles()
{
    stop();
    m_files.clear();
    m_index.path.clear();
}

QStringList LogTailer::files() const
{
    QStringList out;
    for (const auto &f : m_files)
        out.append(f->path);
    return out;
}

QString LogTailer::orderIndexPath(const QString &outPath)
{
    QString base = outPath;
    if (base.endsWith(QLatin1String(".log")))
        base.chop(4);
    return base + QStringLiteral(".order");
}

QString LogTailer::skippedLine(qint64 bytes)
{
    return QStringLiteral("\u2026 %1 bytes skipped \u2026").arg(bytes);
}

void LogTailer::start(int initialLines)
{
    stop();
    m_bytesRead = 0;
    m_bytesSkipped = 0;
    m_index.marks = {};
    m_index.lastSeq = 0;
    m_index.seen = false;
    m_index.file.reset();
    // The data first, then the index: the logger writes a record after its
    // bytes, so the records read next cover at least what was read here.
    for (const auto &f : m_files) {
        f->lines.clear();
        f->assigned = 0;
        const QList<LogBackup> backups = logBackups(f->path);
        if (openCurrent(*f, false))
            readInitial(*f, initialLines);
        else if (!backups.isEmpty())
            f->id = idOfBackup(backups.first()); // the newest backup that is old news
        if (qsizetype(f->lines.size()) < initialLines)
            readInitialBackups(*f, backups, initialLines - int(f->lines.size()));
    }
    readIndexTail();
    for (const auto &f : m_files)
        assign(*f, true);
    emitReady();
    m_started = true;
    if (m_timer.interval() > 0)
        m_timer.start();
}

void LogTailer::startFromBeginning()
{
    start(0);
    for (const auto &f : m_files) {
        if (f->file.isOpen())
            f->pos = 0;
    }
}

void LogTailer::stop()
{
    m_timer.stop();
    m_started = false;
    for (const auto &f : m_files)
        f->file.close();
}

void LogTailer::pollNow()
{
    for (const auto &f : m_files)
        poll(*f);
    pollIndex();
    for (const auto &f : m_files)
        assign(*f, false);
    emitReady();
}

bool LogTailer::openCurrent(Followed &f, bool atEnd)
{
    f.file.close();
    f.file.setFileName(f.path);
    f.partial.clear();
    f.discardToNewline = false;
    f.pos = 0;
    if (!openRegularFile(f.file, f.path))
        return false;
    f.id = idOfOpenFile(f.file);
    if (atEnd)
        f.pos = f.file.size();
    return true;
}

void LogTailer::readInitial(Followed &f, int lines)
{
    // Backwards in blocks until enough lines are found: a service that wrote
    // gigabytes costs no more than the lines asked for. A line cut at the
    // end is read by the next tick, whole.
    constexpr qint64 kBlock = 64 * 1024;
    const qint64 size = f.file.size();
    qint64 from = size;
    QByteArray buf;
    while (lines > 0 && from > 0 && size - from < m_maxInitialBytes && buf.count('\n') <= lines) {
        const qint64 start = std::max<qint64>(0, from - kBlock);
        f.file.seek(start);
        buf.prepend(f.file.read(from - start));
        from = start;
    }
    const qsizetype lastNewline = buf.lastIndexOf('\n');
    f.pos = lastNewline < 0 ? size : from + lastNewline + 1;
    if (lastNewline < 0)
        return;
    buf.truncate(lastNewline + 1);
    // The first line is probably a fragment when the file goes on before it.
    qsizetype keepFrom = from > 0 ? buf.indexOf('\n') + 1 : 0;
    int found = 0;
    for (qsizetype i = buf.lastIndexOf('\n', buf.size() - 2); i >= keepFrom;
         i = buf.lastIndexOf('\n', i - 1)) {
        if (++found == lines) {
            keepFrom = i + 1;
            break;
        }
        if (i == 0)
            break;
    }
    splitLines(f, buf.mid(keepFrom), from + keepFrom);
}

void LogTailer::readInitialBackups(Followed &f, const QList<LogBackup> &backups, int lines)
{
    // Right after a rotation the live file holds a line or two: the rest of
    // what was asked for comes from the backups, newest first, each line
    // named by the file (inode) and offset the order index knows it by.
    constexpr qint64 kCap = 16LL * 1024 * 1024;
    std::deque<Followed::Pending> older;
    for (auto b = backups.cbegin(); b != backups.cend() && lines > 0; ++b) {
        const BackupContents backup = readBackup(*b, kCap);
        if (!backup.error.isEmpty()) {
            older.push_front({skippedBackupLine(b->path, backup.error), 0, 0});
            --lines;
            continue;
        }
        std::deque<Followed::Pending> these;
        const qint64 base = backup.size - backup.data.size();
        qsizetype end = backup.data.size();
        if (end > 0 && backup.data.back() != '\n')
            end = backup.data.lastIndexOf('\n') + 1; // a torn last line is skipped, not shown twice
        while (end > 0 && lines > 0) {
            const qsizetype start = backup.data.lastIndexOf('\n', end - 2) + 1;
            if (start == 0 && backup.startsMidLine)
                break;
            QByteArrayView text(backup.data.constData() + start, end - 1 - start);
            if (text.endsWith('\r'))
                text.chop(1);
            these.push_front({QString::fromUtf8(text), backup.inode, base + end});
            --lines;
            end = start;
        }
        older.insert(older.begin(), these.begin(), these.end());
    }
    f.lines.insert(f.lines.begin(), older.begin(), older.end());
}

void LogTailer::poll(Followed &f)
{
    qint64 budget = m_maxBytesPerTick;
    const FileId current = idOfPath(f.path);
    if (!f.file.isOpen()) {
        // Created after start(), or reappeared: everything in it is new, and
        // so is every backup newer than the one start() saw.
        if (current.valid) {
            readRotatedSince(f, budget);
            openCurrent(f, false);
        }
    } else if (current.valid && !(current == f.id)) {
        // Rotated: FILE was renamed to FILE.1 and a new FILE opened. Our
        // handle still reads the old inode; finish it, then switch.
        readAvailable(f, budget);
        flushPartial(f);
        readRotatedSince(f, budget);
        openCurrent(f, false);
    }
    // (!current.valid: renamed and not yet recreated; keep draining the old one.)
    if (f.file.isOpen()) {
        const qint64 size = f.file.size();
        if (size < f.pos) {
            // Truncated in place: start again from its beginning. Records
            // of the old offsets would place the new lines wrongly.
            flushPartial(f);
            f.pos = 0;
            m_index.marks[streamIndex(f.stream)].clear();
        }
        readAvailable(f, budget, size);
    }
}

void LogTailer::readRotatedSince(Followed &f, qint64 &budget)
{
    // Rotated more than once since we last looked (small max_size, fast
    // writer), or created and rotated before the first tick: the files
    // between the one in f.id and the new FILE are FILE.N-1 .. FILE.1, where
    // FILE.N is f.id's file, or the first missing backup when it is gone
    // (or was never there). Read them, oldest first.
    // A backup may have been compressed meanwhile (FILE.N.gz): it is read
    // whole, uncompressed, within the same budget.
    const QList<LogBackup> backups = logBackups(f.path);
    qsizetype at = backups.size();
    for (qsizetype k = 0; k < backups.size(); ++k) {
        if (idOfBackup(backups.at(k)) == f.id) {
            at = k;
            break;
        }
    }
    for (qsizetype k = at - 1; k >= 0; --k) {
        const LogBackup &b = backups.at(k);
        f.file.close();
        f.pos = 0;
        if (b.compressed) {
            readCompressed(f, b, budget);
            continue;
        }
        if (!openRegularFile(f.file, b.path))
            continue;
        f.id = idOfOpenFile(f.file);
        readAvailable(f, budget);
        flushPartial(f);
    }
}

void LogTailer::readCompressed(Followed &f, const LogBackup &backup, qint64 &budget)
{
    f.partial.clear();
    const BackupContents contents = readBackup(backup, std::max<qint64>(budget, 0));
    if (!contents.error.isEmpty()) {
        f.add(skippedBackupLine(backup.path, contents.error), 0);
        return;
    }
    f.id = idOfPath(backup.path);
    f.id.ino = contents.inode;
    QByteArray data = contents.data;
    qint64 base = contents.size - data.size();
    if (contents.startsMidLine) {
        // Faster than we read, as in readAvailable(): the newest bytes, from a line's start.
        const qsizetype nl = data.indexOf('\n');
        const qint64 skip = base + (nl < 0 ? data.size() : nl + 1);
        m_bytesSkipped += skip;
        f.add(skippedLine(skip), base);
        data.remove(0, nl < 0 ? data.size() : nl + 1);
        base = skip;
    }
    budget -= data.size();
    m_bytesRead += data.size();
    f.pos = contents.size;
    splitLines(f, data, base);
    flushPartial(f);
}

void LogTailer::readAvailable(Followed &f, qint64 &budget, qint64 knownSize)
{
    const qint64 size = knownSize >= 0 ? knownSize : f.file.size();
    qint64 available = size - f.pos;
    if (available <= 0 || budget <= 0)
        return;
    if (available > budget) {
        // Faster than we read: jump to the newest bytes rather than fall
        // further behind, and say how much was left out.
        const qint64 skip = available - budget;
        f.pos += skip;
        m_bytesSkipped += skip;
        flushPartial(f);
        f.add(skippedLine(skip), f.pos);
        f.discardToNewline = true;
        available = budget;
    }
    if (!f.file.seek(f.pos))
        return;
    QByteArray data = f.file.read(available);
    qint64 base = f.pos;
    f.pos += data.size();
    budget -= data.size();
    if (f.discardToNewline) {
        // The fragment of the line the jump landed in is skipped too.
        const qsizetype nl = data.indexOf('\n');
        if (nl < 0) {
            m_bytesSkipped += data.size();
            return;
        }
        m_bytesSkipped += nl + 1;
        data.remove(0, nl + 1);
        base += nl + 1;
        f.discardToNewline = false;
    }
    m_bytesRead += data.size();
    splitLines(f, data, base);
}

void LogTailer::splitLines(Followed &f, const QByteArray &bytes, qint64 base)
{
    qsizetype from = 0;
    while (from < bytes.size()) {
        const qsizetype nl = bytes.indexOf('\n', from);
        if (nl < 0)
            break;
        QByteArrayView piece(bytes.constData() + from, nl - from);
        if (piece.endsWith('\r'))
            piece.chop(1);
        if (f.partial.isEmpty()) {
            f.add(QString::fromUtf8(piece), base + nl + 1);
        } else {
            f.partial.append(piece);
            f.add(QString::fromUtf8(f.partial), base + nl + 1);
            f.partial.clear();
        }
        from = nl + 1;
    }
    if (from < bytes.size())
        f.partial.append(bytes.constData() + from, bytes.size() - from);
    if (f.partial.size() > kMaxLineBytes)
        flushPartial(f);
}

void LogTailer::flushPartial(Followed &f)
{
    if (f.partial.isEmpty())
        return;
    f.add(QString::fromUtf8(f.partial), f.pos);
    f.partial.clear();
}

void LogTailer::readIndexTail()
{
    if (m_index.path.isEmpty())
        return;
    m_index.file = std::make_unique<Followed>();
    Followed &ix = *m_index.file;
    ix.path = m_index.path;
    QByteArray bytes;
    if (openCurrent(ix, true)) {
        m_index.seen = true;
        const qint64 from = std::max<qint64>(0, ix.pos - kIndexTailBytes);
        ix.file.seek(from);
        bytes = ix.file.read(ix.pos - from);
        if (from > 0)
            bytes.remove(0, bytes.indexOf('\n') + 1);
        // A record being written is read whole by the next tick.
        const qsizetype fragment = bytes.size() - (bytes.lastIndexOf('\n') + 1);
        ix.pos -= fragment;
        bytes.chop(fragment);
        if (ix.pos < kIndexTailBytes) {
            // Rotated not long ago: the older records are in the backup.
            QFile backup(m_index.path + QStringLiteral(".1"));
            if (backup.open(QIODevice::ReadOnly)) {
                backup.seek(std::max<qint64>(0, backup.size() - (kIndexTailBytes - ix.pos)));
                QByteArray older = backup.readAll();
                if (backup.size() > older.size())
                    older.remove(0, older.indexOf('\n') + 1);
                older.truncate(older.lastIndexOf('\n') + 1);
                bytes.prepend(older);
            }
        }
    }
    parseIndex(bytes);
}

void LogTailer::pollIndex()
{
    if (!m_index.file)
        return;
    Followed &ix = *m_index.file;
    const FileId current = idOfPath(ix.path);
    QByteArray bytes;
    const auto readNew = [&] {
        const qint64 available = std::min(ix.file.size() - ix.pos, kIndexBytesPerTick);
        bytes = ix.partial;
        if (available > 0 && ix.file.seek(ix.pos)) {
            const QByteArray more = ix.file.read(available);
            ix.pos += more.size();
            bytes += more;
        }
        const qsizetype lastNewline = bytes.lastIndexOf('\n');
        ix.partial = bytes.mid(lastNewline + 1);
        bytes.truncate(lastNewline + 1);
    };
    if (!ix.file.isOpen()) {
        if (current.valid && openCurrent(ix, false))
            m_index.seen = true;
    } else if (current.valid && !(current == ix.id)) {
        readNew();
        parseIndex(bytes);
        openCurrent(ix, false);
    }
    if (ix.file.isOpen()) {
        if (ix.file.size() < ix.pos)
            openCurrent(ix, false);
        readNew();
        parseIndex(bytes);
    }
}

void LogTailer::parseIndex(const QByteArray &bytes)
{
    for (qsizetype from = 0, nl; (nl = bytes.indexOf('\n', from)) >= 0; from = nl + 1) {
        const QByteArrayView record(bytes.constData() + from, nl - from);
        // "o|e INODE END"; anything else (a record torn by a full disk) is skipped.
        if (record.size() < 5 || record.at(1) != ' ' || (record.at(0) != 'o' && record.at(0) != 'e'))
            continue;
        const QByteArrayView rest = record.sliced(2);
        const qsizetype space = rest.indexOf(' ');
        bool okIno = false;
        bool okEnd = false;
        const quint64 ino = space > 0 ? rest.first(space).toULongLong(&okIno) : 0;
        const qint64 end = space > 0 ? rest.sliced(space + 1).toLongLong(&okEnd) : 0;
        if (!okIno || !okEnd)
            continue;
        std::deque<Mark> &marks = m_index.marks[record.at(0) == 'e' ? 1 : 0];
        m_index.lastSeq += 2;
        marks.push_back({ino, end, m_index.lastSeq});
        if (marks.size() > kMaxMarks)
            marks.pop_front();
    }
}

void LogTailer::assign(Followed &f, bool starting)
{
    std::deque<Mark> &marks = m_index.marks[streamIndex(f.stream)];
    // Lines and records of one stream both come in the order they were
    // written: one pass over each, dropping the records behind a match.
    for (; f.assigned < f.lines.size(); ++f.assigned) {
        Followed::Pending &line = f.lines[f.assigned];
        const auto match = std::find_if(marks.begin(), marks.end(), [&](const Mark &m) {
            return m.ino == line.ino && m.end >= line.end;
        });
        if (match == marks.end())
            break;
        line.seq = match->seq;
        // A record the line ends exactly at is used up: gone with it, so a
        // later file that got the same inode back (a compressed backup frees
        // its plain file's) cannot match it.
        marks.erase(marks.begin(), line.end == match->end ? match + 1 : match);
    }
    for (size_t i = f.assigned; i < f.lines.size(); ++i) {
        Followed::Pending &line = f.lines[i];
        const bool indexed =
            std::any_of(marks.begin(), marks.end(), [&](const Mark &m) { return m.ino == line.ino; });
        if (starting && !indexed) {
            // A file the index no longer (or never) speaks of: older than
            // every record, so first.
            line.seq = -1;
        } else if (!m_index.seen || ++line.ticks > kHoldTicks) {
            line.seq = m_index.lastSeq + 1;
        } else {
            break;
        }
        ++f.assigned;
    }
}

void LogTailer::emitReady()
{
    // Lines of one file only still wait for their records: nothing read from
    // the other one can go between them (its unread bytes come later), so
    // they go now. A one-stream flood is never held. (The other file was read
    // a moment later in the same tick; what it got in that moment is as
    // ambiguous as two pipes read in one round by the logger.)
    Followed *waiting = nullptr;
    int waitingFiles = 0;
    for (const auto &f : m_files) {
        if (f->assigned < f->lines.size()) {
            waiting = f.get();
            ++waitingFiles;
        }
    }
    if (waitingFiles == 1) {
        for (; waiting->assigned < waiting->lines.size(); ++waiting->assigned)
            waiting->lines[waiting->assigned].seq = m_index.lastSeq + 1;
    }

    QList<Line> out;
    for (;;) {
        // The file whose next line with a place comes first (two files: a merge).
        Followed *next = nullptr;
        for (const auto &f : m_files) {
            if (f->assigned > 0 && (!next || f->lines.front().seq < next->lines.front().seq))
                next = f.get();
        }
        if (!next)
            break;
        out.append({std::move(next->lines.front().text), next->stream});
        next->lines.pop_front();
        --next->assigned;
    }
    if (!out.isEmpty())
        emit linesAppended(out);
}

} // namespace lifeline
