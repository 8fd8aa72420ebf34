// history.sqlite damaged in the middle: random bytes over whole pages, found
// at open (quick_check) and under a live MetricsHistory (on a write, on a
// read). The file goes aside once, a fresh one takes over, and later flushes
// succeed; a person is told once, in the warning and in lifeline.log.
#include "metrics/metricshistory.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kHour = 3'600'000;

// Warnings of the history's logging category, whoever prints them.
std::atomic<int> g_historyWarnings{0};
QtMessageHandler g_previousHandler = nullptr;

void countingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg && context.category &&
        qstrcmp(context.category, "lifeline.metrics.history") == 0)
        ++g_historyWarnings;
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

// Two days of 10 s buckets for a few series: several hundred pages.
void fillHistory(MetricsHistory &h, qint64 now)
{
    const qint64 start = now - now % MetricsHistory::k10sBucketMs - 2 * 24 * kHour;
    for (const QString &service : {u"api"_s, u"worker"_s, u"db"_s}) {
        for (qint64 t = start; t < now - 2 * kHour; t += MetricsHistory::k10sBucketMs)
            h.append(service, u"cpu"_s, t, double(t % 1000) / 10.0);
    }
    h.addEvent(now - kHour, u"api"_s, HistoryEventKind::Start, u"started"_s);
    h.flush();
}

int pageSize(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray header = f.read(100);
    if (header.size() < 100 || !header.startsWith("SQLite format 3"))
        return 0;
    const int size = (quint8(header[16]) << 8) | quint8(header[17]);
    return size == 1 ? 65536 : size;
}

// Random bytes over pages [first, last] (1-based, as SQLite counts them),
// written in place, the way a bad disk or a stray writer would.
bool overwritePages(const QString &path, int first, int last)
{
    const int size = pageSize(path);
    QFile f(path);
    if (size == 0 || !f.open(QIODevice::ReadWrite) || f.size() < qint64(last) * size)
        return false;
    QByteArray garbage(qsizetype(last - first + 1) * size, Qt::Uninitialized);
    QRandomGenerator gen(1234);
    gen.fillRange(reinterpret_cast<quint32 *>(garbage.data()), garbage.size() / 4);
    return f.seek(qint64(first - 1) * size) && f.write(garbage) == garbage.size() && f.flush();
}

qint64 pageCount(const QString &path)
{
    const int size = pageSize(path);
    return size ? QFileInfo(path).size() / size : 0;
}

// Everything the WAL holds into the main file, from a second connection: the
// damage written next then lies under the live one's feet. The checkpoint
// also restarts the WAL, so the live connection drops its page cache.
bool checkpoint(const QString &path)
{
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"checkpoint"_s);
        db.setDatabaseName(path);
        QSqlQuery q(db);
        ok = db.open() && q.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s) && q.next() && q.value(0).toInt() == 0;
    }
    QSqlDatabase::removeDatabase(u"checkpoint"_s);
    return ok;
}

QStringList asideFiles(const QString &dir)
{
    return QDir(dir).entryList({u"history.sqlite.corrupt-*"_s}, QDir::Files);
}

qint64 scalar(const QString &path, const QString &sql)
{
    qint64 value = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"scalar"_s);
        db.setDatabaseName(path);
        QSqlQuery q(db);
        if (db.open() && q.exec(sql) && q.next())
            value = q.value(0).toLongLong();
    }
    QSqlDatabase::removeDatabase(u"scalar"_s);
    return value;
}

} // namespace

class TestHostileSqlite : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { g_previousHandler = qInstallMessageHandler(countingHandler); }
    void cleanupTestCase() { qInstallMessageHandler(g_previousHandler); }
    void init() { g_historyWarnings = 0; }

    void midFileDamageFoundAtOpen();
    void damageUnderLiveHistoryFoundOnWrite();
    void damageUnderLiveHistoryFoundOnRead();
    void headlessLifelineSaysSoOnce();

private:
    static bool buildDamaged(const QTemporaryDir &dir);
};

// A real history file of several hundred pages, closed, then pages 3 and 4
// (roots of the first tables) overwritten: what the issue reproduced.
bool TestHostileSqlite::buildDamaged(const QTemporaryDir &dir)
{
    const QString path = dir.filePath(u"history.sqlite"_s);
    {
        MetricsHistory h(dir.path());
        if (!h.isPersistent())
            return false;
        fillHistory(h, QDateTime::currentMSecsSinceEpoch());
    }
    if (QFileInfo::exists(path + u"-wal"_s) || pageCount(path) < 20) {
        qWarning("history file not as expected: %lld pages", pageCount(path));
        return false;
    }
    return overwritePages(path, 3, 4);
}

void TestHostileSqlite::midFileDamageFoundAtOpen()
{
    QTemporaryDir dir;
    QVERIFY(buildDamaged(dir));
    g_historyWarnings = 0;
    const QString path = dir.filePath(u"history.sqlite"_s);

    // The check runs off the event loop's thread; its verdict comes back to it.
    MetricsHistory h(dir.path());
    QSignalSpy checked(&h, &MetricsHistory::integrityChecked);
    QVERIFY(checked.wait(30000));
    QCOMPARE(checked.first().first().toBool(), false);
    QVERIFY2(h.isPersistent(), qPrintable(h.lastWarning()));
    QVERIFY2(h.lastWarning().contains(u"moved it to"_s), qPrintable(h.lastWarning()));
    const QStringList aside = asideFiles(dir.path());
    QCOMPARE(aside.size(), 1);
    QVERIFY(h.lastWarning().contains(aside.first()));
    QCOMPARE(g_historyWarnings.load(), 1);

    // The fresh file takes every flush, across a restart too.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int i = 0; i < 3; ++i) {
        h.append(u"api"_s, u"cpu"_s, now - kHour + i * MetricsHistory::k10sBucketMs, 10.0 + i);
        h.flush();
    }
    QCOMPARE(g_historyWarnings.load(), 1);
    QCOMPARE(scalar(path, u"SELECT count(*) FROM samples_10s"_s), 3);
    {
        MetricsHistory again(dir.path());
        QSignalSpy againChecked(&again, &MetricsHistory::integrityChecked);
        QVERIFY(againChecked.wait(30000));
        QCOMPARE(againChecked.first().first().toBool(), true);
        QVERIFY2(again.lastWarning().isEmpty(), qPrintable(again.lastWarning()));
        again.append(u"api"_s, u"cpu"_s, now - kHour + 3 * MetricsHistory::k10sBucketMs, 13.0);
        again.flush();
        QVERIFY2(again.lastWarning().isEmpty(), qPrintable(again.lastWarning()));
    }
    QCOMPARE(asideFiles(dir.path()).size(), 1);
    QCOMPARE(g_historyWarnings.load(), 1);
}

void TestHostileSqlite::damageUnderLiveHistoryFoundOnWrite()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"history.sqlite"_s);
    MetricsHistory h(dir.path());
    QVERIFY(h.isPersistent());
    QSignalSpy warnings(&h, &MetricsHistory::warningRaised);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    fillHistory(h, now);
    QVERIFY(h.lastWarning().isEmpty());
    QVERIFY(checkpoint(path));
    const qint64 pages = pageCount(path);
    QVERIFY2(pages >= 20, qPrintable(QString::number(pages)));
    QVERIFY(overwritePages(path, 3, int(pages)));

    // The buckets of this flush land in the fresh file.
    h.append(u"api"_s, u"cpu"_s, now - 90 * 60'000, 55.0);
    h.flush();
    QCOMPARE(warnings.size(), 1);
    QVERIFY2(h.lastWarning().contains(u"is damaged"_s), qPrintable(h.lastWarning()));
    QVERIFY2(h.lastWarning().contains(u"moved it to"_s), qPrintable(h.lastWarning()));
    const QStringList aside = asideFiles(dir.path());
    QCOMPARE(aside.size(), 1);
    QVERIFY(h.lastWarning().contains(aside.first()));

    for (int i = 1; i <= 3; ++i) {
        h.append(u"worker"_s, u"rss"_s, now - 80 * 60'000 + i * MetricsHistory::k10sBucketMs, i);
        h.flush();
    }
    h.addEvent(now, u"api"_s, HistoryEventKind::Exit, u"exited"_s);
    QCOMPARE(warnings.size(), 1);
    QCOMPARE(g_historyWarnings.load(), 1);
    QCOMPARE(asideFiles(dir.path()).size(), 1);
    QCOMPARE(h.buckets(u"api"_s, u"cpu"_s, HistoryTier::TenSeconds, now - 2 * kHour, now).size(), 1);
    QCOMPARE(h.events(u"api"_s, now - 1, now + 1).size(), 1);
    QCOMPARE(scalar(path, u"SELECT count(*) FROM samples_10s"_s), 4);
}

void TestHostileSqlite::damageUnderLiveHistoryFoundOnRead()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"history.sqlite"_s);
    MetricsHistory h(dir.path());
    QSignalSpy warnings(&h, &MetricsHistory::warningRaised);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    fillHistory(h, now);
    QVERIFY(checkpoint(path));
    QVERIFY(overwritePages(path, 3, int(pageCount(path))));

    // A chart asks for yesterday: the read fails, the file is replaced from
    // the event loop, and the next reads and flushes just work.
    for (int i = 0; i < 3; ++i)
        h.series(u"db"_s, u"cpu"_s, now - 30 * kHour, now - 20 * kHour, 500);
    QVERIFY(warnings.wait(10000));
    QCOMPARE(warnings.size(), 1);
    QVERIFY2(h.lastWarning().contains(u"moved it to"_s), qPrintable(h.lastWarning()));
    QCOMPARE(asideFiles(dir.path()).size(), 1);
    h.series(u"db"_s, u"cpu"_s, now - 30 * kHour, now - 20 * kHour, 500);
    h.append(u"db"_s, u"cpu"_s, now - 90 * 60'000, 1.0);
    h.flush();
    QCoreApplication::processEvents(); // a wrongly scheduled second replacement would run here
    QCOMPARE(warnings.size(), 1);
    QCOMPARE(g_historyWarnings.load(), 1);
    QCOMPARE(scalar(path, u"SELECT count(*) FROM samples_10s"_s), 1);
}

void TestHostileSqlite::headlessLifelineSaysSoOnce()
{
    QTemporaryDir runtime;
    QTemporaryDir dir;
    QVERIFY(buildDamaged(dir));
    const QString config = dir.filePath(u"lifeline.toml"_s);
    {
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[settings]\nstate_dir = \"" + dir.path().toUtf8() +
                "\"\non_exit = \"stop\"\n\n[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"600\"]\n"
                "autostart = false\n");
    }
    QProcess lifeline;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_RUNTIME_DIR"_s, runtime.path());
    lifeline.setProcessEnvironment(env);
    lifeline.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, config});
    QVERIFY(lifeline.waitForStarted());
    const auto reap = qScopeGuard([&lifeline] {
        lifeline.kill();
        lifeline.waitForFinished();
    });
    const auto logLines = [&] {
        QFile log(dir.filePath(u"lifeline.log"_s));
        if (!log.open(QIODevice::ReadOnly))
            return QStringList();
        QStringList lines;
        for (const QByteArray &line : log.readAll().split('\n')) {
            if (line.contains("history database"))
                lines.append(QString::fromUtf8(line));
        }
        return lines;
    };
    QTRY_COMPARE_WITH_TIMEOUT(logLines().size(), 1, 20000);
    QVERIFY2(logLines().first().contains(u"integrity check failed: Page 3"_s),
             qPrintable(logLines().first()));
    QVERIFY2(logLines().first().contains(u"moved it to"_s), qPrintable(logLines().first()));
    QCOMPARE(asideFiles(dir.path()).size(), 1);
    lifeline.terminate();
    QVERIFY(lifeline.waitForFinished(20000));
    QCOMPARE(lifeline.exitCode(), 0);
    QCOMPARE(logLines().size(), 1);
    QCOMPARE(asideFiles(dir.path()).size(), 1);
}

QTEST_GUILESS_MAIN(TestHostileSqlite)
#include "tst_hostile_sqlite.moc"
