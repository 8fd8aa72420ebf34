// Compressed log backups on a bad day: a .gz that is corrupt, cut short, not gzip at all, or a
// "zip bomb" is skipped with a message naming the file and the cause, by the reader every other
// part uses and by the log view, never a crash or a hang; the readable backups around it still
// show.
#include "logs/logbackups.h"
#include "logs/logtailer.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

QByteArray readRaw(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeRaw(const QString &path, const QByteArray &data)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(data), data.size());
}

QStringList shownLines(const QSignalSpy &spy)
{
    QStringList out;
    for (const QList<QVariant> &args : spy) {
        for (const LogTailer::Line &line : args.at(0).value<QList<LogTailer::Line>>())
            out += line.text;
    }
    return out;
}

} // namespace

class TestHostileLogs : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_log = m_dir->filePath(u"svc.log"_s);
        // The real logger makes the backups: lines 1..400, 20 bytes each, 1000 bytes a file; the
        // live file holds 351..400, .1.gz 301..350 ... .5.gz 101..150.
        QProcess writer;
        QProcess logger;
        writer.setStandardOutputProcess(&logger);
        logger.start(QStringLiteral(LIFELINE_LOGGER), {u"--out"_s, m_log, u"--max-size"_s, u"1000"_s,
                                                       u"--backups"_s, u"5"_s, u"--compress"_s, u"gzip"_s});
        writer.start(u"/bin/sh"_s, {u"-c"_s, u"seq -f 'line %014g' 1 400"_s});
        QVERIFY(writer.waitForFinished(10000));
        QVERIFY(logger.waitForFinished(10000));
        QCOMPARE(logger.exitCode(), 0);
        for (int n = 1; n <= 5; ++n)
            QVERIFY(QFile::exists(m_log + u".%1.gz"_s.arg(n)));
    }

    void damagedBackupsAreSkippedWithTheirCause()
    {
        const QString corrupt = m_log + u".2.gz"_s;
        QByteArray bytes = readRaw(corrupt);
        for (qsizetype i = 40; i < bytes.size() - 10; ++i)
            bytes[i] = char(0xA5 ^ i);
        writeRaw(corrupt, bytes);
        const QString truncated = m_log + u".3.gz"_s;
        writeRaw(truncated, readRaw(truncated).left(60));
        const QString garbage = m_log + u".4.gz"_s;
        writeRaw(garbage, "this was never gzip\n");

        QCOMPARE(readBackup({m_log + u".1.gz"_s, 1, true}, 1 << 20).data.count('\n'), 50);
        const BackupContents c = readBackup({corrupt, 2, true}, 1 << 20);
        QVERIFY2(c.error.startsWith(u"corrupt gzip data"_s) || c.error == u"truncated gzip data"_s,
                 qPrintable(c.error));
        QVERIFY(c.data.isEmpty());
        QCOMPARE(readBackup({truncated, 3, true}, 1 << 20).error, u"truncated gzip data"_s);
        QCOMPARE(readBackup({garbage, 4, true}, 1 << 20).error,
                 u"corrupt gzip data (incorrect header check)"_s);

        // The log view: the good backups' lines, in order, and one line per damaged file.
        LogTailer tailer;
        tailer.addFile(m_log);
        QSignalSpy spy(&tailer, &LogTailer::linesAppended);
        tailer.start(1000);
        const QStringList shown = shownLines(spy);
        QCOMPARE(shown.first(), u"line 00000000000101"_s); // .5.gz: lines 101..150
        QCOMPARE(shown.at(50),
                 u"[lifeline: %1 skipped: corrupt gzip data (incorrect header check)]"_s.arg(garbage));
        QVERIFY(shown.at(51).startsWith(u"[lifeline: %1 skipped: "_s.arg(truncated)));
        QVERIFY(shown.at(52).startsWith(u"[lifeline: %1 skipped: "_s.arg(corrupt)));
        QCOMPARE(shown.at(53), u"line 00000000000301"_s); // .1.gz
        QCOMPARE(shown.last(), u"line 00000000000400"_s);
        QCOMPARE(shown.size(), 50 + 3 + 100);
    }

    // A few hundred KB that inflate to more than kMaxInflatedBytes are refused, quickly.
    void gzipBombIsRefused()
    {
        const QString bomb = m_log + u".1.gz"_s;
        QByteArray packed;
        z_stream zs = {};
        QCOMPARE(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        const QByteArray zeros(1 << 20, '\0');
        QByteArray out(1 << 16, Qt::Uninitialized);
        for (qint64 i = 0; i <= (kMaxInflatedBytes >> 20); ++i) {
            zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(zeros.constData()));
            zs.avail_in = uInt(zeros.size());
            const bool last = i == (kMaxInflatedBytes >> 20);
            do {
                zs.next_out = reinterpret_cast<Bytef *>(out.data());
                zs.avail_out = uInt(out.size());
                deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
                packed.append(out.constData(), out.size() - zs.avail_out);
            } while (zs.avail_out == 0);
        }
        deflateEnd(&zs);
        writeRaw(bomb, packed);
        QVERIFY(packed.size() < 2 * 1024 * 1024);
        const BackupContents c = readBackup({bomb, 1, true}, 1 << 20);
        QCOMPARE(c.error, u"larger than 256 MiB uncompressed"_s);
        QVERIFY(c.data.isEmpty());
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_log;
};

QTEST_GUILESS_MAIN(TestHostileLogs)
#include "tst_hostile_logs.moc"
