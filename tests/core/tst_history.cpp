// MetricsHistory against real SQLite files in temporary directories.
#include "metrics/metricshistory.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kHour = 3'600'000;
constexpr qint64 kDay = 24 * kHour;

// A second, independent connection to the file, to see what really reached disk.
class RawDb
{
public:
    explicit RawDb(const QString &path)
        : m_name(u"raw-%1"_s.arg(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.open();
    }
    ~RawDb()
    {
        QSqlDatabase::database(m_name).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    QVariant scalar(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name));
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }

private:
    static inline int s_count = 0;
    QString m_name;
};

qint64 alignedNow(qint64 width)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    return now - now % width;
}

bool containsY(const QList<QPointF> &points, double y)
{
    return std::any_of(points.cbegin(), points.cend(), [y](const QPointF &p) { return p.y() == y; });
}

bool sortedByX(const QList<QPointF> &points)
{
    return std::is_sorted(points.cbegin(), points.cend(),
                          [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); });
}

} // namespace

class TestHistory : public QObject
{
    Q_OBJECT

private slots:
    void eventKindNames();
    void roundTripThroughFile();
    void aggregatesTenSecondBuckets();
    void mergesBucketsAcrossFlushes();
    void batchesWritesUntilFlushInterval();
    void prunesByAge();
    void capsDatabaseSize();
    void decimationKeepsSpike();
    void seriesFromTierKeepsSpike();
    void seriesFromRingIsFullRate();
    void sevenDayQuery();
    void firstSampleSurvivesTheRing();
    void corruptFileMovedAside();
    void openWarningReachesLateListeners();
    void unusableStateDirKeepsMemory();
    void events();
};

void TestHistory::eventKindNames()
{
    for (HistoryEventKind k : {HistoryEventKind::Start, HistoryEventKind::Exit, HistoryEventKind::Restart,
                               HistoryEventKind::Health, HistoryEventKind::Recovery})
        QCOMPARE(historyEventKindFromName(historyEventKindName(k)), k);
    QCOMPARE(historyEventKindName(HistoryEventKind::Recovery), u"recovery"_s);
    QVERIFY(!historyEventKindFromName(u"bogus"));
}

void TestHistory::roundTripThroughFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const qint64 t0 = alignedNow(MetricsHistory::k5mBucketMs) - 3 * kHour;
    {
        MetricsHistory h(dir.path());
        QVERIFY2(h.isPersistent(), qPrintable(h.lastWarning()));
        QVERIFY(h.lastWarning().isEmpty());
        for (int i = 0; i < 60; ++i)
            h.append(u"api"_s, u"rss"_s, t0 + i * 1'000, 1000.0 + i);
        h.addEvent(t0 + 5'000, u"api"_s, HistoryEventKind::Restart, u"exited with code 1"_s);
    } // destructor flushes
    QVERIFY(QFileInfo::exists(dir.filePath(u"history.sqlite"_s)));
    {
        RawDb raw(dir.filePath(u"history.sqlite"_s));
        QCOMPARE(raw.scalar(u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
    }

    MetricsHistory h(dir.path());
    const QList<HistoryBucket> b = h.buckets(u"api"_s, u"rss"_s, HistoryTier::TenSeconds, t0, t0 + kHour);
    QCOMPARE(b.size(), 6);
    QCOMPARE(b.first().timeMs, t0);
    QCOMPARE(b.first().min, 1000.0);
    QCOMPARE(b.first().max, 1009.0);
    QCOMPARE(b.last().max, 1059.0);
    const QList<QPointF> pts = h.series(u"api"_s, u"rss"_s, t0, t0 + 10 * 60'000, 600);
    QVERIFY(containsY(pts, 1000.0));
    QVERIFY(containsY(pts, 1059.0));
    QVERIFY(h.series(u"web"_s, u"rss"_s, t0, t0 + kHour, 100).isEmpty());
    const QList<HistoryEvent> ev = h.events(u"api"_s, t0, t0 + kHour);
    QCOMPARE(ev.size(), 1);
    QCOMPARE(ev.first().kind, HistoryEventKind::Restart);
    QCOMPARE(ev.first().text, u"exited with code 1"_s);
    QCOMPARE(ev.first().timeMs, t0 + 5'000);
}

void TestHistory::aggregatesTenSecondBuckets()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 t0 = alignedNow(MetricsHistory::k5mBucketMs) - 2 * kHour;
    h.append(QString(), u"cpu"_s, t0, 1.0);
    h.append(QString(), u"cpu"_s, t0 + 2'000, 5.0);
    h.append(QString(), u"cpu"_s, t0 + 9'999, 3.0);
    h.append(QString(), u"cpu"_s, t0 + 10'000, 7.0);
    h.flush();

    RawDb raw(dir.filePath(u"history.sqlite"_s));
    QCOMPARE(raw.scalar(u"SELECT count(*) FROM samples_10s"_s).toInt(), 2);
    QCOMPARE(raw.scalar(u"SELECT count(*) FROM samples_5m"_s).toInt(), 1);

    const QList<HistoryBucket> b = h.buckets(QString(), u"cpu"_s, HistoryTier::TenSeconds, t0, t0 + kHour);
    QCOMPARE(b.size(), 2);
    QCOMPARE(b[0].timeMs, t0);
    QCOMPARE(b[0].min, 1.0);
    QCOMPARE(b[0].avg, 3.0);
    QCOMPARE(b[0].max, 5.0);
    QCOMPARE(b[0].count, 3);
    QCOMPARE(b[1].timeMs, t0 + 10'000);
    QCOMPARE(b[1].min, 7.0);
    QCOMPARE(b[1].max, 7.0);
    const QList<HistoryBucket> five =
        h.buckets(QString(), u"cpu"_s, HistoryTier::FiveMinutes, t0, t0 + kHour);
    QCOMPARE(five.size(), 1);
    QCOMPARE(five[0].min, 1.0);
    QCOMPARE(five[0].avg, 4.0);
    QCOMPARE(five[0].max, 7.0);
    QCOMPARE(five[0].count, 4);
}

void TestHistory::mergesBucketsAcrossFlushes()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 t0 = alignedNow(MetricsHistory::k5mBucketMs) - 2 * kHour;
    h.append(u"api"_s, u"cpu"_s, t0, 2.0);
    h.append(u"api"_s, u"cpu"_s, t0 + 1'000, 8.0);
    h.flush();
    h.append(u"api"_s, u"cpu"_s, t0 + 2'000, 20.0);
    h.append(u"api"_s, u"cpu"_s, t0 + 3'000, 1.0);
    // Before the second flush, the pending part is merged into what is read.
    QList<HistoryBucket> b = h.buckets(u"api"_s, u"cpu"_s, HistoryTier::TenSeconds, t0, t0);
    QCOMPARE(b.size(), 1);
    QCOMPARE(b[0].count, 4);
    QCOMPARE(b[0].max, 20.0);
    h.flush();
    b = h.buckets(u"api"_s, u"cpu"_s, HistoryTier::TenSeconds, t0, t0);
    QCOMPARE(b.size(), 1);
    QCOMPARE(b[0].min, 1.0);
    QCOMPARE(b[0].avg, 31.0 / 4);
    QCOMPARE(b[0].max, 20.0);
    QCOMPARE(b[0].count, 4);
}

void TestHistory::batchesWritesUntilFlushInterval()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    h.setFlushInterval(std::chrono::milliseconds(300));
    RawDb raw(dir.filePath(u"history.sqlite"_s));
    const qint64 t0 = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < 5; ++i)
        h.append(u"api"_s, u"cpu"_s, t0 + i * 10'000, i);
    QCOMPARE(raw.scalar(u"SELECT count(*) FROM samples_10s"_s).toInt(), 0); // nothing written per sample
    QTRY_COMPARE_WITH_TIMEOUT(raw.scalar(u"SELECT count(*) FROM samples_10s"_s).toInt(), 5, 5'000);
}

void TestHistory::prunesByAge()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 now = alignedNow(MetricsHistory::k5mBucketMs);
    // flush() prunes on its own relative to the wall clock; hold that clock
    // back so only the explicit prune(now) below removes anything.
    h.setNowFunction([now] { return now - 200 * kDay; });
    h.append(u"api"_s, u"rss"_s, now - 100 * kDay, 1);
    h.append(u"api"_s, u"rss"_s, now - 8 * kDay, 2);
    h.append(u"api"_s, u"rss"_s, now - 2 * kDay, 3);
    h.addEvent(now - 100 * kDay, u"api"_s, HistoryEventKind::Exit, u"old"_s);
    h.addEvent(now - 2 * kDay, u"api"_s, HistoryEventKind::Exit, u"recent"_s);
    h.flush();
    QCOMPARE(h.buckets(u"api"_s, u"rss"_s, HistoryTier::TenSeconds, 0, now).size(), 3);

    h.prune(now);
    const QList<HistoryBucket> ten = h.buckets(u"api"_s, u"rss"_s, HistoryTier::TenSeconds, 0, now);
    QCOMPARE(ten.size(), 1);
    QCOMPARE(ten[0].timeMs, now - 2 * kDay);
    const QList<HistoryBucket> five = h.buckets(u"api"_s, u"rss"_s, HistoryTier::FiveMinutes, 0, now);
    QCOMPARE(five.size(), 2);
    QCOMPARE(five[0].timeMs, now - 8 * kDay);
    const QList<HistoryEvent> ev = h.events(QString(), 0, now);
    QCOMPARE(ev.size(), 1);
    QCOMPARE(ev[0].text, u"recent"_s);
}

void TestHistory::capsDatabaseSize()
{
    constexpr qint64 cap = 256 * 1024;
    const qint64 end = alignedNow(MetricsHistory::k5mBucketMs) - kHour;
    const qint64 start = end - 3 * kDay;
    auto fill = [&](MetricsHistory &h) {
        for (qint64 t = start; t < end; t += 10'000)
            h.append(u"api"_s, u"cpu"_s, t, double(t % 97));
    };
    {
        // The same data without a cap is well over it: the capped case is not vacuous.
        QTemporaryDir dir;
        MetricsHistory h(dir.path());
        h.setMaxSizeBytes(0);
        fill(h);
        h.flush();
        QVERIFY2(h.databaseSizeBytes() > 2 * cap, qPrintable(QString::number(h.databaseSizeBytes())));
    }
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    h.setMaxSizeBytes(cap);
    fill(h);
    h.flush();
    QVERIFY2(h.databaseSizeBytes() <= cap, qPrintable(QString::number(h.databaseSizeBytes())));
    QVERIFY2(QFileInfo(dir.filePath(u"history.sqlite"_s)).size() <= cap,
             qPrintable(QString::number(QFileInfo(dir.filePath(u"history.sqlite"_s)).size())));
    // Oldest rows went first; the newest are kept.
    const QList<HistoryBucket> b = h.buckets(u"api"_s, u"cpu"_s, HistoryTier::TenSeconds, start, end);
    QVERIFY(!b.isEmpty());
    QVERIFY(b.first().timeMs > start);
    QCOMPARE(b.last().timeMs, end - 10'000);
    QVERIFY(b.size() > 1000);
}

void TestHistory::decimationKeepsSpike()
{
    QList<QPointF> points;
    points.reserve(100'000);
    for (int i = 0; i < 100'000; ++i)
        points.append(QPointF(i * 1000.0, 5.0 + 4.0 * std::sin(i / 300.0)));
    points[54'321].setY(1000.0);
    points[77'777].setY(-50.0);
    const QList<QPointF> out = MetricsHistory::decimateMinMax(points, 0, 99'999'000, 100);
    QVERIFY2(out.size() <= 200, qPrintable(QString::number(out.size())));
    QVERIFY(out.size() >= 100);
    QVERIFY(sortedByX(out));
    QVERIFY(containsY(out, 1000.0));
    QVERIFY(containsY(out, -50.0));
    const auto spike =
        std::find_if(out.cbegin(), out.cend(), [](const QPointF &p) { return p.y() == 1000.0; });
    QCOMPARE(spike->x(), 54'321'000.0);
}

void TestHistory::seriesFromTierKeepsSpike()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 end = alignedNow(MetricsHistory::k5mBucketMs) - 2 * kHour;
    const qint64 start = end - 100'000LL * 1000;
    for (int i = 0; i < 100'000; ++i)
        h.append(u"api"_s, u"cpu"_s, start + i * 1000LL, i == 61'234 ? 1000.0 : 3.0 + (i % 7));
    h.flush();
    const QList<QPointF> out = h.series(u"api"_s, u"cpu"_s, start, end, 100);
    QVERIFY2(out.size() <= 200, qPrintable(QString::number(out.size())));
    QVERIFY(out.size() >= 100);
    QVERIFY(sortedByX(out));
    QVERIFY(containsY(out, 1000.0));
    QVERIFY(containsY(out, 3.0));
    QVERIFY(!containsY(out, 999.0));
}

void TestHistory::seriesFromRingIsFullRate()
{
    MetricsHistory h{QString()}; // memory only
    QVERIFY(!h.isPersistent());
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < 600; ++i)
        h.append(QString(), u"memory"_s, now - 600'000 + i * 1000LL, double(i));
    const QList<QPointF> out = h.series(QString(), u"memory"_s, now - 600'000, now, 1000);
    QCOMPARE(out.size(), 600); // every point, at its own time
    for (int i = 0; i < 600; ++i) {
        QCOMPARE(out[i].x(), double(now - 600'000 + i * 1000LL));
        QCOMPARE(out[i].y(), double(i));
    }
    // Bounded: an hour of 1 s samples beyond capacity keeps at most the ring.
    for (int i = 0; i < 10'000; ++i)
        h.append(u"api"_s, u"cpu"_s, now - 5'000'000 + i * 500LL, 1.0);
    const QList<QPointF> all = h.series(u"api"_s, u"cpu"_s, now - kHour, now, 100'000);
    QVERIFY(all.size() <= MetricsHistory::kRingCapacity);
}

void TestHistory::sevenDayQuery()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 start = now - 7 * kDay;
    for (qint64 t = start; t <= now; t += 10'000)
        h.append(QString(), u"cpu"_s, t, double((t / 10'000) % 101));
    h.flush();
    for (int maxPoints : {1000, 10'000}) {
        QElapsedTimer timer;
        timer.start();
        const QList<QPointF> out = h.series(QString(), u"cpu"_s, start, now, maxPoints);
        const qint64 us = timer.nsecsElapsed() / 1000;
        qInfo("7-day query at %d points: %d points in %lld us", maxPoints, int(out.size()), us);
        QVERIFY(out.size() <= 2 * maxPoints);
        QVERIFY(out.size() >= maxPoints / 2);
        QVERIFY(containsY(out, 100.0));
        QVERIFY(containsY(out, 0.0));
    }
}

// "data since" for a chart: the oldest sample kept, from the ring, from
// buckets not written yet, from the 10 s tier once the ring has moved on, and
// from the 5 min tier once the 10 s one no longer reaches back that far.
void TestHistory::firstSampleSurvivesTheRing()
{
    QTemporaryDir dir;
    const qint64 start = alignedNow(MetricsHistory::k5mBucketMs) - 2 * kHour + 12'345;
    const qint64 old = start - 10 * kDay;
    {
        MetricsHistory h(dir.path());
        QVERIFY(!h.firstSampleMs(u"api"_s, u"cpu"_s));
        h.append(u"api"_s, u"cpu"_s, start, 1);
        h.append(u"api"_s, u"cpu"_s, start + 2 * kHour, 2); // the ring now only holds this one
        h.append(u"web"_s, u"cpu"_s, start + kHour, 3);
        const qint64 tenSecondBucket = start - start % MetricsHistory::k10sBucketMs;
        QCOMPARE(h.firstSampleMs(u"api"_s, u"cpu"_s).value_or(-1), tenSecondBucket); // pending
        h.flush();
        QCOMPARE(h.firstSampleMs(u"api"_s, u"cpu"_s).value_or(-1), tenSecondBucket); // on disk
        QCOMPARE(h.firstSampleMs(u"web"_s, u"cpu"_s).value_or(-1), start + kHour);   // still in the ring
    }
    {
        MetricsHistory h(dir.path()); // a restart: no ring, the file only
        QCOMPARE(h.firstSampleMs(u"web"_s, u"cpu"_s).value_or(-1),
                 (start + kHour) - (start + kHour) % 10'000);
        h.append(u"api"_s, u"cpu"_s, old, 4);
        h.flush(); // prunes the 10 s row of `old` (older than a week), keeps the 5 min one
    }
    MetricsHistory h(dir.path());
    QCOMPARE(h.firstSampleMs(u"api"_s, u"cpu"_s).value_or(-1), old - old % MetricsHistory::k5mBucketMs);
    MetricsHistory memoryOnly{QString()};
    memoryOnly.append(u"api"_s, u"cpu"_s, 5000, 1);
    QCOMPARE(memoryOnly.firstSampleMs(u"api"_s, u"cpu"_s).value_or(-1), qint64(5000));
}

void TestHistory::corruptFileMovedAside()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"history.sqlite"_s);
    QByteArray garbage(64 * 1024, '\0');
    QRandomGenerator gen(42);
    gen.fillRange(reinterpret_cast<quint32 *>(garbage.data()), garbage.size() / 4);
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QCOMPARE(f.write(garbage), garbage.size());
    }
    MetricsHistory h(dir.path());
    QVERIFY2(h.isPersistent(), qPrintable(h.lastWarning()));
    QVERIFY(h.lastWarning().contains(path));
    QVERIFY(h.lastWarning().contains(u"moved it to"_s));
    const QStringList aside = QDir(dir.path()).entryList({u"history.sqlite.corrupt-*"_s}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QVERIFY(h.lastWarning().contains(aside.first()));
    QFile moved(dir.filePath(aside.first()));
    QVERIFY(moved.open(QIODevice::ReadOnly));
    QCOMPARE(moved.readAll(), garbage); // kept as it was, for a person to look at

    const qint64 t0 = alignedNow(MetricsHistory::k5mBucketMs) - 2 * kHour;
    h.append(u"api"_s, u"rss"_s, t0, 42);
    h.flush();
    QVERIFY2(h.lastWarning().contains(u"moved it to"_s), qPrintable(h.lastWarning())); // no new problem
    RawDb raw(path);
    QCOMPARE(raw.scalar(u"SELECT vmax FROM samples_10s"_s).toDouble(), 42.0);
}

void TestHistory::openWarningReachesLateListeners()
{
    QTemporaryDir dir;
    {
        QFile f(dir.filePath(u"history.sqlite"_s));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
    }
    // Like Fleet, which connects to the event log right after construction.
    MetricsHistory h(dir.path());
    QSignalSpy warnings(&h, &MetricsHistory::warningRaised);
    QVERIFY(warnings.wait(5000));
    QCOMPARE(warnings.size(), 1);
    QCOMPARE(warnings.first().first().toString(), h.lastWarning());
    QVERIFY2(h.lastWarning().contains(u"moved it to"_s), qPrintable(h.lastWarning()));
}

void TestHistory::unusableStateDirKeepsMemory()
{
    QTemporaryDir dir;
    QFile blocker(dir.filePath(u"blocker"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QString stateDir = dir.filePath(u"blocker/state"_s); // under a regular file: cannot exist
    MetricsHistory h(stateDir);
    QVERIFY(!h.isPersistent());
    QVERIFY(h.lastWarning().contains(stateDir));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    h.append(u"api"_s, u"cpu"_s, now - 1000, 12.5);
    h.flush();
    h.addEvent(now, u"api"_s, HistoryEventKind::Start, u"started"_s);
    QCOMPARE(h.series(u"api"_s, u"cpu"_s, now - 60'000, now, 100), QList<QPointF>{QPointF(now - 1000, 12.5)});
    QCOMPARE(h.events(u"api"_s, now - 1, now + 1).size(), 1);
}

void TestHistory::events()
{
    QTemporaryDir dir;
    MetricsHistory h(dir.path());
    const qint64 t0 = QDateTime::currentMSecsSinceEpoch() - kHour;
    h.addEvent(t0 + 3, u"api"_s, HistoryEventKind::Exit, u"exited with code 1"_s);
    h.addEvent(t0 + 1, u"api"_s, HistoryEventKind::Start, u"started, pid 10"_s);
    h.addEvent(t0 + 2, u"worker"_s, HistoryEventKind::Health, u"unhealthy: HTTP 503"_s);
    h.addEvent(t0 + 4, u"api"_s, HistoryEventKind::Recovery, u"emergency recovery"_s);
    const QList<HistoryEvent> api = h.events(u"api"_s, t0, t0 + 3);
    QCOMPARE(api.size(), 2);
    QCOMPARE(api[0].kind, HistoryEventKind::Start);
    QCOMPARE(api[0].text, u"started, pid 10"_s);
    QCOMPARE(api[1].kind, HistoryEventKind::Exit);
    QCOMPARE(api[1].service, u"api"_s);
    const QList<HistoryEvent> all = h.events(QString(), t0, t0 + 10);
    QCOMPARE(all.size(), 4);
    QCOMPARE(all[1].service, u"worker"_s);
    QCOMPARE(all[1].kind, HistoryEventKind::Health);
}

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
