#include "logtailer.h"

#include "eventlog.h"

#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
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

} // namespace

struct LogTailer::Followed
{
    QString path;
    Stream stream = Stream::Out;
    QFile file;
    FileId id;
    qint64 pos = 0;                // next byte to read in `file`
    QByteArray partial;            // bytes after the last newline read so far
    bool discardToNewline = false; // after a skip: the first line read is a fragment
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
}

QStringList LogTailer::files() const
{
    QStringList out;
    for (const auto &f : m_files)
        out.append(f->path);
    return out;
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
    for (const auto &f : m_files) {
        f->file.close();
        f->partial.clear();
        f->discardToNewline = false;
        // tailLines() reads only the end of the file; whatever is written
        // between it and the open below (microseconds) is not shown.
        const QStringList lines = initialLines > 0 ? tailLines(f->path, initialLines) : QStringList();
        openCurrent(*f, true);
        if (!lines.isEmpty())
            emit linesAppended(lines, f->stream);
    }
    m_timer.start();
}

void LogTailer::stop()
{
    m_timer.stop();
    for (const auto &f : m_files)
        f->file.close();
}

void LogTailer::pollNow()
{
    for (const auto &f : m_files)
        poll(*f);
}

bool LogTailer::openCurrent(Followed &f, bool atEnd)
{
    f.file.close();
    f.file.setFileName(f.path);
    f.partial.clear();
    f.discardToNewline = false;
    f.pos = 0;
    if (!f.file.open(QIODevice::ReadOnly))
        return false;
    f.id = idOfOpenFile(f.file);
    if (atEnd)
        f.pos = f.file.size();
    return true;
}

void LogTailer::poll(Followed &f)
{
    QStringList out;
    qint64 budget = m_maxBytesPerTick;
    const FileId current = idOfPath(f.path);
    if (!f.file.isOpen()) {
        // Created after start(), or reappeared: everything in it is new.
        if (current.valid)
            openCurrent(f, false);
    } else if (current.valid && !(current == f.id)) {
        // Rotated: FILE was renamed to FILE.1 and a new FILE opened. Our
        // handle still reads the old inode; finish it, then switch.
        readAvailable(f, out, budget);
        flushPartial(f, out);
        openCurrent(f, false);
    }
    // (!current.valid: renamed and not yet recreated; keep draining the old one.)
    if (f.file.isOpen()) {
        if (f.file.size() < f.pos) {
            // Truncated in place: start again from its beginning.
            flushPartial(f, out);
            f.pos = 0;
        }
        readAvailable(f, out, budget);
    }
    if (!out.isEmpty())
        emit linesAppended(out, f.stream);
}

void LogTailer::readAvailable(Followed &f, QStringList &out, qint64 &budget)
{
    const qint64 size = f.file.size();
    qint64 available = size - f.pos;
    if (available <= 0 || budget <= 0)
        return;
    if (available > budget) {
        // Faster than we read: jump to the newest bytes rather than fall
        // further behind, and say how much was left out.
        const qint64 skip = available - budget;
        f.pos += skip;
        m_bytesSkipped += skip;
        flushPartial(f, out);
        out.append(skippedLine(skip));
        f.discardToNewline = true;
        available = budget;
    }
    if (!f.file.seek(f.pos))
        return;
    QByteArray data = f.file.read(available);
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
        f.discardToNewline = false;
    }
    m_bytesRead += data.size();
    splitLines(f, data, out);
}

void LogTailer::splitLines(Followed &f, const QByteArray &bytes, QStringList &out)
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
            out.append(QString::fromUtf8(piece));
        } else {
            f.partial.append(piece);
            out.append(QString::fromUtf8(f.partial));
            f.partial.clear();
        }
        from = nl + 1;
    }
    if (from < bytes.size())
        f.partial.append(bytes.constData() + from, bytes.size() - from);
    if (f.partial.size() > kMaxLineBytes)
        flushPartial(f, out);
}

void LogTailer::flushPartial(Followed &f, QStringList &out)
{
    if (f.partial.isEmpty())
        return;
    out.append(QString::fromUtf8(f.partial));
    f.partial.clear();
}

} // namespace lifeline
