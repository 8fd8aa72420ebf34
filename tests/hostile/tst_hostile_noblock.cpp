// No blocking system call on the engine's event loop (issue 9, item 3).
// Recovery's disk check (step 3) waits for the same worker threads.
// A statfs on a dead network mount hangs in the kernel; making one needs
// privileges, so the hang is a stat function blocked on a semaphore, run by
// the real DiskProbe threads. The port-ownership check after each passing
// probe must read the service tree's own descriptors, not every process on
// the machine: a fixture proc root shows which one it read.
#include "config/configloader.h"
#include "health/healthmonitor.h"
#include "metrics/diskprobe.h"
#include "metrics/systemsampler.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSemaphore>
#include <QSignalSpy>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// A fake filesystem: 1000 bytes, 250 free, 200 of them available.
DiskFigures figuresOf(const QString &root)
{
    return DiskFigures{root, 1000, 250, 200};
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

// A process directory in a fixture proc root, with its fd links.
bool makeProc(const QString &root, pid_t pid, const QByteArray &cmdline, const QStringList &fdTargets)
{
    const QString dir = root + u'/' + QString::number(pid);
    const QByteArray stat = QByteArray::number(pid) + " (fake) S 1 " + QByteArray::number(pid) + ' ' +
                            QByteArray::number(pid) +
                            " 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 1 0 777 1000 9 0 0\n";
    if (!writeFile(dir + u"/stat"_s, stat) ||
        !writeFile(dir + u"/status"_s, "Name:\tfake\nUid:\t1001\t1001\t0\t0\n") ||
        !writeFile(dir + u"/cmdline"_s, cmdline) || !QDir().mkpath(dir + u"/fd"_s))
        return false;
    for (qsizetype fd = 0; fd < fdTargets.size(); ++fd) {
        if (!QFile::link(fdTargets.at(fd), dir + u"/fd/"_s + QString::number(fd + 3)))
            return false;
    }
    return true;
}

// A fixture proc root: port 8000 (0x1F40) listened on through socket inode
// 55555, which PID 100 (outside the service) holds; the service is PID 200
// with its socket `serviceSocket`.
bool makePortFixture(const QString &root, const QByteArray &outsiderCmdline, const QString &serviceSocket)
{
    return writeFile(root + u"/net/tcp"_s,
                     "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
                     "timeout inode\n"
                     "   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001 "
                     "       0 55555 1 0000000000000000 100 0 0 10 0\n") &&
           makeProc(root, 100, outsiderCmdline, {u"socket:[55555]"_s}) &&
           makeProc(root, 200, "python3\0main.py\0"_ba, {u"/dev/null"_s, serviceSocket});
}

} // namespace

class TestHostileNoBlock : public QObject
{
    Q_OBJECT

private slots:
    void hungStatfsIsUnavailableAndBlocksNothing();
    void realPathFiguresArrive();
    void recoveryDiskCheckOutlivesAHungMount();
    void passingPortCheckReadsOnlyTheServiceTree();
    void foreignPortHolderIsStillNamed();
};

void TestHostileNoBlock::hungStatfsIsUnavailableAndBlocksNothing()
{
    const QString dead = u"/mnt/dead-nfs"_s, live = u"/srv/live"_s;
    // Shared with the probe threads, which may outlive this function's
    // stack only until the gate opens.
    struct Gate
    {
        QSemaphore open;
        std::atomic<bool> hang{false};
        std::atomic<int> deadCalls{0}, liveCalls{0}, deadReturned{0};
    };
    const auto gate = std::make_shared<Gate>();
    const DiskProbe::StatFunction stat = [gate, dead](const QString &path) -> std::optional<DiskFigures> {
        if (path != dead) {
            ++gate->liveCalls;
            return figuresOf(u"/srv"_s);
        }
        ++gate->deadCalls;
        if (gate->hang)
            gate->open.acquire();
        ++gate->deadReturned;
        return figuresOf(u"/mnt/dead-nfs"_s);
    };
    auto probe = std::make_unique<DiskProbe>(nullptr, stat, std::chrono::milliseconds(300));
    const QStringList paths{dead, live};

    // Both answer once: the dead mount was alive then.
    probe->probe(paths);
    QTRY_VERIFY_WITH_TIMEOUT(probe->reading(dead).figures && probe->reading(live).figures, 10000);
    QVERIFY(!probe->reading(dead).unavailable);

    // Now it hangs in the kernel. The event loop keeps running: a 20 ms
    // timer keeps firing while the measurement is stuck.
    gate->hang = true;
    int ticks = 0;
    QTimer ticker;
    ticker.setInterval(20);
    connect(&ticker, &QTimer::timeout, this, [&ticks] { ++ticks; });
    ticker.start();
    QElapsedTimer sinceProbe;
    sinceProbe.start();
    probe->probe(paths);
    QVERIFY2(sinceProbe.elapsed() < 250, "probe() waited for the measurement");
    QTRY_VERIFY_WITH_TIMEOUT(probe->reading(dead).unavailable, 10000);
    QVERIFY(sinceProbe.elapsed() >= 300); // not before the deadline
    QVERIFY2(ticks >= 5, qPrintable(u"the event loop stalled: %1 ticks"_s.arg(ticks)));
    QCOMPARE(gate->deadReturned.load(), 1);

    // The last figures stay, marked unavailable; the status can show both.
    QCOMPARE(probe->reading(dead).figures->rootPath, u"/mnt/dead-nfs"_s);
    SystemSample s;
    setDiskFigures(s, paths, *probe);
    QVERIFY(s.diskUnavailable);
    QCOMPARE(s.disks.size(), 2);
    QCOMPARE(s.diskPercent, 750.0 * 100.0 / (750.0 + 200.0));
    QVERIFY(s.disks.at(0).unavailable);
    QVERIFY(!s.disks.at(1).unavailable);

    // Later probes: the live path is measured again, the dead one is not
    // stacked up behind its stuck thread.
    const int liveBefore = gate->liveCalls;
    probe->probe(paths);
    QTRY_VERIFY_WITH_TIMEOUT(gate->liveCalls > liveBefore && probe->reading(live).takenMs > 0, 10000);
    probe->probe(paths);
    QCOMPARE(gate->deadCalls.load(), 2);
    QVERIFY(probe->reading(dead).unavailable);

    // The mount comes back: its answer lands and clears the mark.
    gate->open.release();
    QTRY_VERIFY_WITH_TIMEOUT(!probe->reading(dead).unavailable, 10000);
    QCOMPARE(gate->deadReturned.load(), 2);
    setDiskFigures(s, paths, *probe);
    QVERIFY(!s.diskUnavailable);

    // Destroyed while a thread is stuck: nothing waits for it, and its late
    // answer finds no owner.
    probe->probe(paths);
    QTRY_VERIFY_WITH_TIMEOUT(gate->deadCalls.load() == 3, 10000);
    sinceProbe.restart();
    probe.reset();
    QVERIFY2(sinceProbe.elapsed() < 250, "the destructor waited for a stuck thread");
    gate->open.release();
    QTRY_COMPARE_WITH_TIMEOUT(gate->deadReturned.load(), 3, 10000);
}

void TestHostileNoBlock::realPathFiguresArrive()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString missing = dir.filePath(u"missing"_s);
    DiskProbe probe;
    QSignalSpy updated(&probe, &DiskProbe::updated);
    probe.probe({dir.path(), missing});
    QCOMPARE(probe.reading(dir.path()).takenMs, -1); // nothing measured on the caller's thread
    QTRY_VERIFY_WITH_TIMEOUT(probe.reading(dir.path()).takenMs > 0 && probe.reading(missing).takenMs > 0,
                             10000);
    QVERIFY(updated.size() >= 2);

    const DiskProbe::Reading r = probe.reading(dir.path());
    QVERIFY(r.figures);
    QVERIFY(!r.unavailable);
    const QStorageInfo info(dir.path());
    QCOMPARE(r.figures->rootPath, info.rootPath());
    QCOMPARE(r.figures->totalBytes, info.bytesTotal());
    QVERIFY(r.figures->availableBytes > 0);
    QVERIFY(!probe.reading(missing).figures); // answered: no such path
    QVERIFY(!probe.reading(missing).unavailable);

    // A path no longer listed is forgotten.
    probe.probe({dir.path()});
    QCOMPARE(probe.reading(missing).takenMs, -1);
}

void TestHostileNoBlock::recoveryDiskCheckOutlivesAHungMount()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString cwd = dir.filePath(u"app"_s);
    QVERIFY(QDir().mkpath(cwd));
    const quint16 port = freePort();
    const QByteArray p = QByteArray::number(port);
    const QString file = dir.filePath(u"lifeline.toml"_s);
    QVERIFY(writeFile(file, "[settings]\nstate_dir = \"" + dir.filePath(u"state"_s).toUtf8() +
                                "\"\n[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                                "\", \"--port\", \"" +
                                p + "\"]\nports = [" + p + "]\ncwd = \"" + cwd.toUtf8() +
                                "\"\nstop_timeout = \"2s\"\n[service.health]\nurl = \"http://127.0.0.1:" + p +
                                "/health\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\n"
                                "[recovery]\nverify_timeout = \"10s\"\n"));
    const LoadResult loaded = ConfigLoader::loadFile(file);
    QVERIFY(loaded.config);
    TestEngine engine(*loaded.config);
    Fleet &fleet = engine.fleet();

    // The service's cwd sits on a mount whose statfs hangs.
    struct Gate
    {
        QSemaphore open;
        std::atomic<int> returned{0};
    };
    const auto gate = std::make_shared<Gate>();
    Recovery rec(&fleet);
    rec.setDiskStat(
        [gate, cwd](const QString &path) {
            if (path == cwd) {
                gate->open.acquire();
                ++gate->returned;
            }
            return DiskProbe::statPath(path);
        },
        std::chrono::milliseconds(300));

    // Ticks of a 20 ms timer while step 3 waits for the hung statfs.
    int ticks = 0, stepStart = -1, stepEnd = -1;
    QTimer ticker;
    ticker.setInterval(20);
    connect(&ticker, &QTimer::timeout, this, [&ticks] { ++ticks; });
    connect(&rec, &Recovery::stepChanged, this, [&](int, const RecoveryStep &step) {
        if (step.id != RecoveryStep::Id::CheckResources)
            return;
        if (step.status == RecoveryStepStatus::Running && stepStart < 0)
            stepStart = ticks;
        else if (step.status != RecoveryStepStatus::Running)
            stepEnd = ticks;
    });
    ticker.start();

    QSignalSpy finished(&rec, &Recovery::finished);
    RecoveryOptions options;
    options.minFreeDiskBytes = 0;
    QVERIFY(rec.start(options));
    QVERIFY(finished.wait(30000));
    const RecoveryReport report = finished.at(0).at(0).value<RecoveryReport>();
    const RecoveryStep &resources = report.steps.at(int(RecoveryStep::Id::CheckResources));
    QCOMPARE(resources.status, RecoveryStepStatus::Warning);
    QVERIFY2(resources.message.contains(u"disk space of %1 unknown"_s.arg(cwd)),
             qPrintable(resources.message));
    QVERIFY(stepStart >= 0);
    QVERIFY2(stepEnd - stepStart >= 5,
             qPrintable(u"the event loop stalled: %1 ticks"_s.arg(stepEnd - stepStart)));
    QVERIFY(resources.durationMs >= 300); // it waited for the deadline
    bool cwdItem = false, stateItem = false;
    for (const RecoveryItem &item : resources.items) {
        if (item.path == cwd) {
            cwdItem = true;
            QVERIFY2(item.why.contains(u"did not answer within"_s), qPrintable(item.why));
        } else if (item.path == fleet.stateDir()) {
            stateItem = true;
            QCOMPARE(item.action, u"ok"_s);
            QVERIFY(item.bytes > 0);
        }
    }
    QVERIFY(cwdItem && stateItem);
    // The rest of the run went on: the service is back.
    QVERIFY2(report.ok, qPrintable(report.toText()));
    QCOMPARE(fleet.service(u"api"_s)->state(), ServiceState::Running);

    QVERIFY(stopFleet(fleet));
    gate->open.release();
    QTRY_COMPARE_WITH_TIMEOUT(gate->returned.load(), 1, 10000);
}

void TestHostileNoBlock::passingPortCheckReadsOnlyTheServiceTree()
{
    // The listening socket is shared by PID 100, outside the service (it
    // handed the socket over), and the service's PID 200. A machine-wide
    // scan meets PID 100 first and blames it; the service's own
    // descriptors show the service holds the port.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(makePortFixture(dir.path(), "socket-activator\0"_ba, u"socket:[55555]"_s));
    const ProcFs proc(dir.path());
    QCOMPARE(proc.portHolder(8000)->pid, 100); // what the machine-wide scan names

    QCOMPARE(HealthMonitor::foreignPortHolder({8000}, {200}, proc), std::nullopt);
}

void TestHostileNoBlock::foreignPortHolderIsStillNamed()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(makePortFixture(dir.path(), "python3\0old.py\0"_ba, u"socket:[77777]"_s));
    const ProcFs proc(dir.path());

    const std::optional<QString> reason = HealthMonitor::foreignPortHolder({8000}, {200}, proc);
    QVERIFY(reason);
    QVERIFY2(reason->startsWith(u"port 8000 is held by PID 100 ("_s), qPrintable(*reason));
    QVERIFY2(reason->endsWith(u"): python3 old.py, not by the service"_s), qPrintable(*reason));

    // Nobody listens on 8001.
    QCOMPARE(HealthMonitor::foreignPortHolder({8001}, {200}, proc),
             std::optional<QString>(u"port 8001 is not listened on"_s));
}

QTEST_GUILESS_MAIN(TestHostileNoBlock)
#include "tst_hostile_noblock.moc"
