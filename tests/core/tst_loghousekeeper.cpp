// Log housekeeping: retention of rotated backups by age, and the min-free-disk guard removing the
// oldest backups across services. Real files with their mtimes set (no sleeping); free space from
// a stat function where the test needs exact figures, from the real filesystem (and a small tmpfs
// when the machine lets us mount one) otherwise.
#include "logs/loghousekeeper.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

void makeFile(const QString &path, qint64 size, qint64 ageSecs)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(file.errorString()));
    QCOMPARE(file.write(QByteArray(size, 'x')), size);
    QVERIFY(file.flush()); // a write after the time would set it again
    const QDateTime when = QDateTime::currentDateTime().addSecs(-ageSecs);
    QVERIFY(file.setFileTime(when, QFileDevice::FileModificationTime));
}

QStringList present(const QDir &dir)
{
    return dir.entryList(QDir::Files, QDir::Name);
}

// Every file named by the backupsRemoved signals, in the order removed.
QStringList removedNames(const QSignalSpy &spy)
{
    QStringList out;
    for (const QList<QVariant> &args : spy) {
        for (const QString &path : args.at(1).toStringList())
            out.append(QFileInfo(path).fileName());
    }
    return out;
}

DiskProbe::StatFunction availableBytes(qint64 bytes)
{
    return [bytes](const QString &path) -> std::optional<DiskFigures> {
        return DiskFigures{path, bytes * 10, bytes, bytes};
    };
}

} // namespace

class TestLogHousekeeper : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    // Backups older than max_age go, in both forms; newer ones, the live files, and the backups
    // of a service without max_age stay.
    void maxAgeRemovesOldBackups()
    {
        const QDir dir(m_dir->path());
        constexpr qint64 kDay = 86'400;
        makeFile(dir.filePath(u"api.log"_s), 10, 30 * kDay); // live: never touched, however old
        makeFile(dir.filePath(u"api.log.1"_s), 10, 1 * kDay);
        makeFile(dir.filePath(u"api.log.2.gz"_s), 10, 15 * kDay);
        makeFile(dir.filePath(u"api.log.3"_s), 10, 20 * kDay);
        makeFile(dir.filePath(u"api.log.3.gz.tmp"_s), 10, 20 * kDay); // a compressor's: not ours
        makeFile(dir.filePath(u"api.err.log.1.gz"_s), 10, 13 * kDay);
        makeFile(dir.filePath(u"worker.log.1"_s), 10, 300 * kDay); // no max_age

        HousekeepingPlan plan;
        plan.logs = {{u"api"_s, dir.filePath(u"api.log"_s), 14 * kDay},
                     {u"api"_s, dir.filePath(u"api.err.log"_s), 14 * kDay},
                     {u"worker"_s, dir.filePath(u"worker.log"_s), 0}};
        LogHousekeeper keeper([&] { return plan; });
        QSignalSpy removed(&keeper, &LogHousekeeper::backupsRemoved);
        keeper.runNow();
        QCOMPARE(present(dir), (QStringList{u"api.err.log.1.gz"_s, u"api.log"_s, u"api.log.1"_s,
                                            u"api.log.3.gz.tmp"_s, u"worker.log.1"_s}));
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed.first().at(0).toString(), u"api"_s);
        QCOMPARE(removedNames(removed), (QStringList{u"api.log.2.gz"_s, u"api.log.3"_s}));
        QCOMPARE(removed.first().at(2).toString(), u"older than 14d (logs.max_age)"_s);

        // An injected clock: two days on, the 13-day-old backup is past 14 days too.
        LogHousekeeper later([&] { return plan; }, nullptr, DiskProbe::statPath,
                             [] { return QDateTime::currentSecsSinceEpoch() + 2 * kDay; });
        later.runNow();
        QCOMPARE(present(dir),
                 (QStringList{u"api.log"_s, u"api.log.1"_s, u"api.log.3.gz.tmp"_s, u"worker.log.1"_s}));
    }

    // Below min_free_disk: the oldest backups across all services go first, until the space
    // freed lifts it above the threshold; a warning says what went.
    void diskGuardRemovesOldestFirst()
    {
        const QDir dir(m_dir->path());
        makeFile(dir.filePath(u"a.log"_s), 1000, 9000);
        makeFile(dir.filePath(u"b.err.log.3.gz"_s), 1000, 4 * 3600);
        makeFile(dir.filePath(u"a.log.2"_s), 1000, 3 * 3600);
        makeFile(dir.filePath(u"b.log.1.gz"_s), 1000, 2 * 3600);
        makeFile(dir.filePath(u"a.log.1"_s), 1000, 1 * 3600);
        HousekeepingPlan plan;
        plan.stateDir = dir.path();
        plan.minFreeDisk = 3500; // 1000 free: 2500 to find, three backups
        plan.logs = {{u"a"_s, dir.filePath(u"a.log"_s), 0},
                     {u"b"_s, dir.filePath(u"b.log"_s), 0},
                     {u"b"_s, dir.filePath(u"b.err.log"_s), 0}};
        LogHousekeeper keeper([&] { return plan; }, nullptr, availableBytes(1000));
        QSignalSpy removed(&keeper, &LogHousekeeper::backupsRemoved);
        QSignalSpy alert(&keeper, &LogHousekeeper::diskAlert);
        QSignalSpy guarded(&keeper, &LogHousekeeper::guarded);
        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(removedNames(removed), (QStringList{u"b.err.log.3.gz"_s, u"a.log.2"_s, u"b.log.1.gz"_s}));
        QCOMPARE(removed.at(0).at(0).toString(), u"b"_s);
        QCOMPARE(removed.at(1).at(0).toString(), u"a"_s);
        QCOMPARE(present(dir), (QStringList{u"a.log"_s, u"a.log.1"_s}));
        QCOMPARE(alert.size(), 1);
        QCOMPARE(alert.first().at(0).toString(), u"warning"_s);
        QCOMPARE(alert.first().at(1).toString(), u"Disk almost full"_s);
        const QString text = alert.first().at(2).toString();
        QVERIFY2(text.contains(u"below settings.min_free_disk"_s), qPrintable(text));
        QVERIFY2(
            text.contains(u"removed 3 log backup(s), oldest first: b.err.log.3.gz, a.log.2, b.log.1.gz"_s),
            qPrintable(text));
        QVERIFY(keeper.diskLow());
    }

    // Nothing left to remove: critical, once (not every pass); the live files stay. When space
    // comes back, the alert clears.
    void diskGuardWithNothingLeftIsCriticalThenClears()
    {
        const QDir dir(m_dir->path());
        makeFile(dir.filePath(u"a.log"_s), 1000, 100);
        makeFile(dir.filePath(u"a.log.1"_s), 1000, 50);
        HousekeepingPlan plan;
        plan.stateDir = dir.path();
        plan.minFreeDisk = 1'000'000;
        plan.logs = {{u"a"_s, dir.filePath(u"a.log"_s), 0}};
        qint64 free = 1000;
        LogHousekeeper keeper([&] { return plan; }, nullptr,
                              [&free](const QString &path) -> std::optional<DiskFigures> {
                                  return DiskFigures{path, 1 << 30, free, free};
                              });
        QSignalSpy alert(&keeper, &LogHousekeeper::diskAlert);
        QSignalSpy cleared(&keeper, &LogHousekeeper::diskAlertCleared);
        QSignalSpy guarded(&keeper, &LogHousekeeper::guarded);
        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(present(dir), QStringList{u"a.log"_s});
        QCOMPARE(alert.size(), 1);
        QCOMPARE(alert.first().at(0).toString(), u"critical"_s);
        QVERIFY(alert.first().at(2).toString().contains(u"no log backup left to remove"_s));

        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(alert.size(), 1); // still low, nothing new: no repeat
        QCOMPARE(cleared.size(), 0);

        free = 2'000'000;
        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(cleared.size(), 1);
        QVERIFY(cleared.first().at(0).toString().contains(u"back above"_s));
        QVERIFY(!keeper.diskLow());
    }

    // The real statvfs path: a threshold above the real free space removes every backup.
    void diskGuardOnTheRealFilesystem()
    {
        const QDir dir(m_dir->path());
        makeFile(dir.filePath(u"a.log"_s), 10, 0);
        makeFile(dir.filePath(u"a.log.1.gz"_s), 10, 0);
        HousekeepingPlan plan;
        plan.stateDir = dir.path();
        plan.minFreeDisk = QStorageInfo(dir.path()).bytesTotal() + 1;
        plan.logs = {{u"a"_s, dir.filePath(u"a.log"_s), 0}};
        LogHousekeeper keeper([&] { return plan; });
        QSignalSpy alert(&keeper, &LogHousekeeper::diskAlert);
        keeper.start(std::chrono::hours(1));
        QTRY_COMPARE_WITH_TIMEOUT(alert.size(), 1, 10000);
        QCOMPARE(present(dir), QStringList{u"a.log"_s});
    }

    // A real small filesystem: 4 MiB of tmpfs holding 3 MiB of backups, 2 MiB asked to be free.
    // The oldest backup goes, and the next pass finds the space back.
    void diskGuardOnASmallTmpfs()
    {
        const QString mount = m_dir->filePath(u"fs"_s);
        QVERIFY(QDir().mkpath(mount));
        QProcess mounter;
        mounter.start(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=4m"_s, u"tmpfs"_s, mount});
        if (!mounter.waitForFinished(10000) || mounter.exitStatus() != QProcess::NormalExit ||
            mounter.exitCode() != 0)
            QSKIP("cannot mount a tmpfs here (needs root): covered by the tests above");
        const auto unmount = qScopeGuard([&] { QProcess::execute(u"umount"_s, {mount}); });
        const QDir dir(mount);
        constexpr qint64 kMiB = 1 << 20;
        makeFile(dir.filePath(u"a.log"_s), 1000, 0);
        makeFile(dir.filePath(u"a.log.2.gz"_s), kMiB, 3000);
        makeFile(dir.filePath(u"a.log.1.gz"_s), kMiB, 2000);
        makeFile(dir.filePath(u"b.log.1"_s), kMiB, 1000);
        HousekeepingPlan plan;
        plan.stateDir = mount;
        plan.minFreeDisk = 2 * kMiB - 64 * 1024;
        plan.logs = {{u"a"_s, dir.filePath(u"a.log"_s), 0}, {u"b"_s, dir.filePath(u"b.log"_s), 0}};
        LogHousekeeper keeper([&] { return plan; });
        QSignalSpy alert(&keeper, &LogHousekeeper::diskAlert);
        QSignalSpy cleared(&keeper, &LogHousekeeper::diskAlertCleared);
        QSignalSpy guarded(&keeper, &LogHousekeeper::guarded);
        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(present(dir), (QStringList{u"a.log"_s, u"a.log.1.gz"_s, u"b.log.1"_s}));
        QCOMPARE(alert.size(), 1);
        QCOMPARE(alert.first().at(0).toString(), u"warning"_s);
        keeper.runNow();
        QVERIFY(guarded.wait(5000));
        QCOMPARE(cleared.size(), 1);
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

QTEST_GUILESS_MAIN(TestLogHousekeeper)
#include "tst_loghousekeeper.moc"
