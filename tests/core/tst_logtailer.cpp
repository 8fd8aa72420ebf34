// LogTailer: following real files that are appended to, rotated the way
// lifeline-logger rotates them (rename + new file), truncated, flooded, and
// the stdout/stderr pair.
#include "logs/logtailer.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

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
        if (args.at(1).value<LogTailer::Stream>() == stream)
            out += args.at(0).toStringList();
    }
    return out;
}

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
        // A second tailer on the same file, at the same pace, proves the
        // lines are there to see and that ticks went by.
        LogTailer witness;
        witness.setInterval(10);
        witness.addFile(path);
        QSignalSpy seen(&witness, &LogTailer::linesAppended);
        witness.start(0);
        appendTo(path, "ignored\n");
        QVERIFY(seen.wait(2000));
        appendTo(path, "ignored too\n");
        QVERIFY(seen.wait(2000));
        QCOMPARE(spy.size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestLogTailer)
#include "tst_logtailer.moc"
