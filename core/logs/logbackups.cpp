#include "logbackups.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <zlib.h>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr int kMaxBackupNumber = 100000; // lifeline-logger's own limit for --backups

quint64 inodeOf(const QString &path)
{
#ifdef Q_OS_UNIX
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) == 0)
        return quint64(st.st_ino);
#else
    Q_UNUSED(path)
#endif
    return 0;
}

void keepTail(QByteArray *data, qint64 maxBytes, bool *cut)
{
    if (data->size() > 2 * maxBytes) {
        data->remove(0, data->size() - maxBytes);
        *cut = true;
    }
}

BackupContents readPlain(const QString &path, qint64 maxBytes)
{
    BackupContents out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out.error = file.errorString();
        return out;
    }
    const qint64 size = file.size();
    if (size > maxBytes) {
        file.seek(size - maxBytes);
        out.startsMidLine = true;
    }
    out.data = file.read(maxBytes);
    out.size = size;
    out.inode = inodeOf(path);
    return out;
}

quint64 inodeFromComment(const char *comment)
{
    static const QRegularExpression inodeTag(u"^lifeline-inode=(\\d+)$"_s);
    const QRegularExpressionMatch m = inodeTag.match(QString::fromLatin1(comment));
    return m.hasMatch() ? m.captured(1).toULongLong() : 0;
}

BackupContents readGzip(const QString &path, qint64 maxBytes)
{
    BackupContents out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out.error = file.errorString();
        return out;
    }
    z_stream zs = {};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        out.error = u"out of memory"_s;
        return out;
    }
    char comment[64] = {};
    gz_header header = {};
    header.comment = reinterpret_cast<Bytef *>(comment);
    header.comm_max = sizeof(comment) - 1;
    inflateGetHeader(&zs, &header);

    constexpr qint64 kChunk = 256 * 1024;
    QByteArray input;
    QByteArray output(kChunk, Qt::Uninitialized);
    qint64 inflated = 0;
    int rc = Z_OK;
    bool atEof = false;
    while (rc != Z_STREAM_END) {
        if (zs.avail_in == 0) {
            input = file.read(kChunk);
            atEof = input.isEmpty();
            if (atEof)
                break;
            zs.next_in = reinterpret_cast<Bytef *>(input.data());
            zs.avail_in = uInt(input.size());
        }
        zs.next_out = reinterpret_cast<Bytef *>(output.data());
        zs.avail_out = uInt(output.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            out.error = u"corrupt gzip data (%1)"_s.arg(QString::fromLatin1(zs.msg ? zs.msg : "zlib error"));
            break;
        }
        const qint64 got = output.size() - zs.avail_out;
        inflated += got;
        if (inflated > kMaxInflatedBytes) {
            out.error = u"larger than %1 MiB uncompressed"_s.arg(kMaxInflatedBytes >> 20);
            break;
        }
        out.data.append(output.constData(), got);
        keepTail(&out.data, maxBytes, &out.startsMidLine);
    }
    inflateEnd(&zs);
    if (out.error.isEmpty() && rc != Z_STREAM_END)
        out.error = atEof ? u"truncated gzip data"_s : file.errorString();
    if (!out.error.isEmpty()) {
        out.data.clear();
        return out;
    }
    if (out.data.size() > maxBytes) {
        out.data.remove(0, out.data.size() - maxBytes);
        out.startsMidLine = true;
    }
    out.size = inflated;
    out.inode = inodeFromComment(comment);
    return out;
}

} // namespace

QList<LogBackup> logBackups(const QString &livePath)
{
    QList<LogBackup> out;
    for (int n = 1; n <= kMaxBackupNumber; ++n) {
        const QString plain = livePath + u'.' + QString::number(n);
        if (QFileInfo::exists(plain)) {
            out.append({plain, n, false});
        } else if (const QString gz = plain + u".gz"_s; QFileInfo::exists(gz)) {
            out.append({gz, n, true});
        } else {
            break;
        }
    }
    return out;
}

QStringList allBackupFiles(const QString &livePath)
{
    const QFileInfo live(livePath);
    const QRegularExpression shape(u"^"_s + QRegularExpression::escape(live.fileName()) +
                                   u"\\.\\d+(\\.gz)?$"_s);
    QStringList out;
    const QStringList names = live.dir().entryList({live.fileName() + u".*"_s}, QDir::Files | QDir::Hidden);
    for (const QString &name : names) {
        if (shape.match(name).hasMatch())
            out.append(live.dir().filePath(name));
    }
    return out;
}

BackupContents readBackup(const LogBackup &backup, qint64 maxBytes)
{
    return backup.compressed ? readGzip(backup.path, maxBytes) : readPlain(backup.path, maxBytes);
}

quint64 backupInode(const LogBackup &backup)
{
    if (!backup.compressed)
        return inodeOf(backup.path);
    QFile file(backup.path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    QByteArray head = file.read(4096); // the header: magic, flags, mtime, a short comment
    z_stream zs = {};
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return 0;
    char comment[64] = {};
    gz_header header = {};
    header.comment = reinterpret_cast<Bytef *>(comment);
    header.comm_max = sizeof(comment) - 1;
    inflateGetHeader(&zs, &header);
    char sink[1024];
    zs.next_in = reinterpret_cast<Bytef *>(head.data());
    zs.avail_in = uInt(head.size());
    zs.next_out = reinterpret_cast<Bytef *>(sink);
    zs.avail_out = sizeof(sink);
    inflate(&zs, Z_BLOCK); // stops at the end of the header
    const bool done = header.done == 1;
    inflateEnd(&zs);
    return done ? inodeFromComment(comment) : 0;
}

QString skippedBackupLine(const QString &path, const QString &why)
{
    return u"[lifeline: %1 skipped: %2]"_s.arg(path, why);
}

} // namespace lifeline
