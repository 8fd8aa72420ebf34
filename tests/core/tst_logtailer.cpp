// LogTailer: following real files that are appended to, rotated the way
// lifeline-logger rotates them (rename + new file), truncated, flooded, and
// the stdout/stderr pair.
#include "logs/logtailer.h"

#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

void appendTo(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Append), qPrintable(f.errorString()));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray numbered(const char *prefix, int from, int to)
{
    QByteArray out;
    for (int i = from; i <= to; ++i)
        out += QByteArray(prefix) + ' ' + QByteArray::number(i) + '\n';
    return out;
}

// Every line the spy has seen so far, in order, for one stream.
QStringList collected(const QSignalSpy &spy, LogTailer::Stream stream = LogTailer::Stream::Out)
{
    QStringList out;
    for (const QList<QVariant> &args : spy) {
        for (const LogTailer::Line &line : args.at(0).value<QList<LogTailer::Line>>()) {
            if (line.stream == stream)
                out += line.text;
        }
    }
    return out;
}

quint64 inodeOf(const QString &path)
{
    struct stat st
    {
    };
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? quint64(st.st_ino) : 0;
}

// What lifeline-logger writes to its index after a run of one stream.
void record(const QString &index, char stream, const QString &file)
{
    appendTo(index, QByteArray(1, stream) + ' ' + QByteArray::number(inodeOf(file)) + ' ' +
                        QByteArray::number(QFileInfo(file).size()) + '\n');
}

// Every line the spy has seen, both streams, as "o:text" / "e:text".
QStringList merged(const QSignalSpy &spy)
{
    QStringList out;
    for (const QList<QVariant> &args : spy) {
        for (const LogTailer::Line &line : args.at(0).value<QList<LogTailer::Line>>())
            out += (line.stream == LogTailer::Stream::Err ? u"e:"_s : u"o:"_s) + line.text;
    }
    return out;
}

// A second tailer on the same file at a fast pace: when it sees an appended
// line, ticks went by and the line was there to see.
struct Witness
{
    LogTailer tailer;
    QSignalSpy seen{&tailer, &LogTailer::linesAppended};
    explicit Witness(const QString &path)
    {
        tailer.setInterval(10);
        tailer.addFile(path);
        tailer.start(0);
    }
    bool sees(const QByteArray &line)
    {
        appendTo(path(), line);
        return seen.wait(2000);
    }
    QString path() const { return tailer.files().constFirst(); }
};

} // namespace

class TestLogTailer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_n = 0;
    QString freshPath() { return m_dir.filePath(QStringLiteral("svc%1.log").arg(++m_n)); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void initialLoadIsTheLastLines()
    {
        const QString path = freshPath();
        appendTo(path, numbered("old", 1, 500));
        LogTailer t;
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(10);
        QCOMPARE(spy.size(), 1); // at once, before any tick
        const QStringList lines = collected(spy);
        QCOMPARE(lines.size(), 10);
        QCOMPARE(lines.first(), u"old 491"_s);
        QCOMPARE(lines.last(), u"old 500"_s);
    }

    void followsAppendedLinesAndJoinsPartialOnes()
    {
        const QString path = freshPath();
        appendTo(path, numbered("old", 1, 3));
        LogTailer t;
        t.setInterval(20);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        QCOMPARE(spy.size(), 0);
        appendTo(path, "first\nsecond\r\nthird without newline");
        QTRY_COMPARE(collected(spy), (QStringList{u"first"_s, u"second"_s}));
        appendTo(path, " yet, now done\n");
        QTRY_COMPARE(collected(spy).size(), 3);
        QCOMPARE(collected(spy).last(), u"third without newline yet, now done"_s);
    }

    void fileCreatedAfterStartIsReadFromItsBeginning()
    {
        const QString path = freshPath();
        LogTailer t;
        t.setInterval(20);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(50);
        QCOMPARE(spy.size(), 0);
        appendTo(path, numbered("new", 1, 2));
        QTRY_COMPARE(collected(spy), (QStringList{u"new 1"_s, u"new 2"_s}));
    }

    void followsRotationByRename()
    {
        // lifeline-logger's rotation: FILE -> FILE.1, then a new FILE. Lines
        // written to the old inode just before the rename must not be lost.
        const QString path = freshPath();
        appendTo(path, numbered("a", 1, 3));
        LogTailer t;
        t.setInterval(3'600'000); // polled by hand: the rename and the new file land in one tick
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);

        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly | QIODevice::Append));
        old.write(numbered("a", 4, 5));
        old.flush();
        QVERIFY(QFile::rename(path, path + u".1"_s));
        old.write(numbered("a", 6, 6)); // still the writer's fd: lands in FILE.1
        old.close();
        appendTo(path, numbered("b", 1, 2));
        t.pollNow();
        QCOMPARE(collected(spy), (QStringList{u"a 4"_s, u"a 5"_s, u"a 6"_s, u"b 1"_s, u"b 2"_s}));

        // And the same through the timer, rotating twice.
        spy.clear();
        t.setInterval(20);
        t.start(0);
        QVERIFY(QFile::rename(path + u".1"_s, path + u".2"_s));
        QVERIFY(QFile::rename(path, path + u".1"_s));
        appendTo(path, numbered("c", 1, 1));
        QTRY_COMPARE(collected(spy), (QStringList{u"c 1"_s}));
        appendTo(path, numbered("c", 2, 2));
        QTRY_COMPARE(collected(spy), (QStringList{u"c 1"_s, u"c 2"_s}));
    }

    void rotatedTwiceBetweenTicksLosesNothing()
    {
        // A small max_size and a fast writer: FILE was rotated twice since the
        // last tick. The file in between (now FILE.1) is read whole, in order.
        const QString path = freshPath();
        const auto rotate = [&path] {
            QFile::remove(path + u".3"_s);
            for (int k = 2; k >= 1; --k)
                QFile::rename(path + u'.' + QString::number(k), path + u'.' + QString::number(k + 1));
            QVERIFY(QFile::rename(path, path + u".1"_s));
        };
        appendTo(path + u".1"_s, numbered("old", 1, 2)); // a backup from before: not news
        appendTo(path, numbered("a", 1, 1));
        LogTailer t;
        t.setInterval(3'600'000); // polled by hand
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        appendTo(path, numbered("a", 2, 3));
        rotate();
        appendTo(path, numbered("b", 1, 3));
        rotate();
        appendTo(path, numbered("c", 1, 1));
        t.pollNow();
        QCOMPARE(collected(spy), (QStringList{u"a 2"_s, u"a 3"_s, u"b 1"_s, u"b 2"_s, u"b 3"_s, u"c 1"_s}));
    }

    void createdAndRotatedBeforeTheFirstTickLosesNothing()
    {
        const QString path = freshPath();
        appendTo(path + u".1"_s, numbered("old", 1, 2)); // left by an earlier run
        LogTailer t;
        t.setInterval(3'600'000);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0); // FILE does not exist yet
        QVERIFY(QFile::rename(path + u".1"_s, path + u".2"_s));
        appendTo(path, numbered("a", 1, 2));
        QVERIFY(QFile::rename(path, path + u".1"_s));
        appendTo(path, numbered("b", 1, 1));
        t.pollNow();
        QCOMPARE(collected(spy), (QStringList{u"a 1"_s, u"a 2"_s, u"b 1"_s}));
    }

    void renamedWithoutNewFileKeepsDraining()
    {
        const QString path = freshPath();
        appendTo(path, "x\n");
        LogTailer t;
        t.setInterval(3'600'000);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly | QIODevice::Append));
        QVERIFY(QFile::rename(path, path + u".1"_s));
        old.write("late\n");
        old.close();
        t.pollNow();
        QCOMPARE(collected(spy), (QStringList{u"late"_s}));
        appendTo(path, "fresh\n");
        t.pollNow();
        QCOMPARE(collected(spy), (QStringList{u"late"_s, u"fresh"_s}));
    }

    void followsTruncation()
    {
        const QString path = freshPath();
        appendTo(path, numbered("before", 1, 100));
        LogTailer t;
        t.setInterval(20);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate)); // same inode, size 0
        }
        QVERIFY(QFileInfo(path).size() == 0);
        t.pollNow();
        appendTo(path, "after 1\n");
        QTRY_COMPARE(collected(spy), (QStringList{u"after 1"_s}));
    }

    void floodIsReadInBoundedSteps()
    {
        const QString path = freshPath();
        LogTailer t;
        t.setInterval(3'600'000);
        t.setMaxBytesPerTick(64 * 1024);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        const QByteArray flood = numbered("flood line lorem ipsum dolor sit amet", 1, 40'000); // ~1.7 MB
        QVERIFY(flood.size() > 1'000'000);
        appendTo(path, flood);

        t.pollNow();
        QCOMPARE(spy.size(), 1);
        // One tick read no more than its budget and jumped to the newest lines.
        QVERIFY2(t.bytesRead() <= 64 * 1024, qPrintable(QString::number(t.bytesRead())));
        QCOMPARE(t.bytesRead() + t.bytesSkipped(), qint64(flood.size()));
        const QStringList lines = collected(spy);
        QCOMPARE(lines.first(), LogTailer::skippedLine(flood.size() - 64 * 1024));
        QCOMPARE(lines.last(), u"flood line lorem ipsum dolor sit amet 40000"_s);
        // No torn line after the jump: the first real line is whole.
        QVERIFY(lines.at(1).startsWith(u"flood line lorem ipsum dolor sit amet "_s));
        QVERIFY(lines.size() < 2000);

        // Once caught up, nothing is skipped again.
        appendTo(path, "calm\n");
        t.pollNow();
        QCOMPARE(collected(spy).last(), u"calm"_s);
        QCOMPARE(t.bytesRead() + t.bytesSkipped(), qint64(flood.size() + 5));
    }

    void overlongLineIsSplit()
    {
        const QString path = freshPath();
        LogTailer t;
        t.setInterval(3'600'000);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        appendTo(path, QByteArray(LogTailer::kMaxLineBytes + 10, 'z'));
        t.pollNow();
        const QStringList lines = collected(spy);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.first().size(), LogTailer::kMaxLineBytes + 10);
    }

    void marksStderrLines()
    {
        const QString out = freshPath();
        const QString err = out + u".err"_s;
        appendTo(out, "o0\n");
        appendTo(err, "e0\n");
        LogTailer t;
        t.setInterval(20);
        t.addFile(out, LogTailer::Stream::Out);
        t.addFile(err, LogTailer::Stream::Err);
        QCOMPARE(t.files(), (QStringList{out, err}));
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(5);
        QCOMPARE(collected(spy, LogTailer::Stream::Out), (QStringList{u"o0"_s}));
        QCOMPARE(collected(spy, LogTailer::Stream::Err), (QStringList{u"e0"_s}));
        appendTo(err, "Traceback (most recent call last):\n");
        appendTo(out, "GET /health 200\n");
        QTRY_COMPARE(collected(spy, LogTailer::Stream::Err).size(), 2);
        QTRY_COMPARE(collected(spy, LogTailer::Stream::Out).size(), 2);
        QCOMPARE(collected(spy, LogTailer::Stream::Err).last(), u"Traceback (most recent call last):"_s);
        QCOMPARE(collected(spy, LogTailer::Stream::Out).last(), u"GET /health 200"_s);
    }

    void mergesBothStreamsInIndexOrder()
    {
        const QString out = freshPath();
        const QString err = out + u".err"_s;
        const QString index = LogTailer::orderIndexPath(out);
        QVERIFY(index.endsWith(u".order"_s));
        // Written: o1, e1, o2 o3, e2, o4 (each run recorded after its bytes).
        appendTo(out, "o1\n");
        appendTo(err, "");
        record(index, 'o', out);
        appendTo(err, "e1\n");
        record(index, 'e', err);
        appendTo(out, "o2\no3\n");
        record(index, 'o', out);
        appendTo(err, "e2\n");
        record(index, 'e', err);
        appendTo(out, "o4\n");
        record(index, 'o', out);

        LogTailer t;
        t.setInterval(20);
        t.addFile(out, LogTailer::Stream::Out);
        t.addFile(err, LogTailer::Stream::Err);
        t.setOrderIndex(index);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(10);
        QCOMPARE(merged(spy),
                 (QStringList{u"o:o1"_s, u"e:e1"_s, u"o:o2"_s, u"o:o3"_s, u"e:e2"_s, u"o:o4"_s}));

        // Following: stderr first this time, then stdout.
        spy.clear();
        appendTo(err, "e3\n");
        record(index, 'e', err);
        appendTo(out, "o5\n");
        record(index, 'o', out);
        QTRY_COMPARE(merged(spy), (QStringList{u"e:e3"_s, u"o:o5"_s}));

        // The logger rotates the out file (rename, new inode) and its records follow the new file.
        spy.clear();
        QVERIFY(QFile::rename(out, out + u".1"_s));
        appendTo(out, "o6\n");
        record(index, 'o', out);
        appendTo(err, "e4\n");
        record(index, 'e', err);
        appendTo(out, "o7\n");
        record(index, 'o', out);
        QTRY_COMPARE(merged(spy), (QStringList{u"o:o6"_s, u"e:e4"_s, u"o:o7"_s}));

        // The index rotates too (its own rename): a restarted view reads the backup's records.
        spy.clear();
        QVERIFY(QFile::rename(index, index + u".1"_s));
        appendTo(err, "e5\n");
        record(index, 'e', err);
        QTRY_COMPARE(merged(spy), (QStringList{u"e:e5"_s}));
        spy.clear();
        t.start(2);
        QCOMPARE(merged(spy), (QStringList{u"o:o6"_s, u"e:e4"_s, u"o:o7"_s, u"e:e5"_s}));
    }

    void lineWithoutRecordIsHeldThenShown()
    {
        const QString out = freshPath();
        const QString err = out + u".err"_s;
        const QString index = LogTailer::orderIndexPath(out);
        appendTo(out, "o1\n");
        record(index, 'o', out);
        appendTo(err, "");
        LogTailer t;
        t.addFile(out, LogTailer::Stream::Out);
        t.addFile(err, LogTailer::Stream::Err);
        t.setOrderIndex(index);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(10);
        QCOMPARE(merged(spy), (QStringList{u"o:o1"_s}));

        // Both streams wrote and the records are late (the logger writes them
        // up to ~100 ms after the bytes): the lines wait for them.
        spy.clear();
        appendTo(err, "e1\n");
        appendTo(out, "o2\n");
        t.pollNow();
        QCOMPARE(spy.size(), 0);
        record(index, 'e', err);
        record(index, 'o', out);
        t.pollNow();
        QCOMPARE(merged(spy), (QStringList{u"e:e1"_s, u"o:o2"_s}));

        // Records that never come (lost to a full disk): shown anyway, a few ticks later.
        spy.clear();
        appendTo(err, "e2\n");
        appendTo(out, "o3\n");
        t.pollNow();
        t.pollNow();
        QCOMPARE(spy.size(), 0);
        t.pollNow();
        QCOMPARE(merged(spy), (QStringList{u"o:o3"_s, u"e:e2"_s}));

        // Only one stream wrote: nothing can come between its lines, no wait.
        spy.clear();
        appendTo(err, "e3\n");
        t.pollNow();
        QCOMPARE(merged(spy), (QStringList{u"e:e3"_s}));
    }

    void stopStopsFollowing()
    {
        const QString path = freshPath();
        LogTailer t;
        t.setInterval(10);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        t.stop();
        QVERIFY(!t.isActive());
        Witness witness(path);
        QVERIFY(witness.sees("ignored\n"));
        QVERIFY(witness.sees("ignored too\n"));
        QCOMPARE(spy.size(), 0);
    }

    // The error tracker drives all its tailers from one timer: a tailer with
    // interval 0 follows, but reads only when its owner polls.
    void intervalZeroReadsOnlyWhenPolled()
    {
        const QString path = freshPath();
        LogTailer t;
        t.setInterval(0);
        t.addFile(path);
        QSignalSpy spy(&t, &LogTailer::linesAppended);
        t.start(0);
        QVERIFY(t.isActive());
        Witness witness(path);
        QVERIFY(witness.sees("one\n"));
        QCOMPARE(spy.size(), 0);
        t.pollNow();
        QCOMPARE(collected(spy), QStringList{u"one"_s});
        t.stop();
        QVERIFY(!t.isActive());
    }
};

QTEST_GUILESS_MAIN(TestLogTailer)
#include "tst_logtailer.moc"
