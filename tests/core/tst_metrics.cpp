// CPU maths, system sampling over captured /proc files, process-tree samples
// of real processes, and MetricsSampler's memory-limit watcher.
#include "config/configloader.h"
#include "metrics/cpuusage.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "metrics/systemsampler.h"
#include "metrics/treesampler.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/clock.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStorageInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

static_assert(saturatingSub(10, 3) == 7);
static_assert(saturatingSub(3, 10) == 0);

namespace {

QString fixture(const QString &name)
{
    return QStringLiteral(LIFELINE_TEST_DATA) + u"/metrics/"_s + name;
}

QByteArray readFixture(const QString &name)
{
    QFile f(fixture(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(fixture(name)));
    return f.readAll();
}

// Puts a fixture in a fake proc root under the name the kernel uses.
bool install(const QTemporaryDir &root, const QString &fixtureName, const QString &as)
{
    QFile::remove(root.filePath(as));
    return QFile::copy(fixture(fixtureName), root.filePath(as));
}

// VmRSS of /proc/PID/status, in bytes.
qint64 vmRss(qint64 pid)
{
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    }
    return -1;
}

struct FakeProcess
{
    ProcInfo info;
    int fds = 0;
};

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private slots:
    void processCpu_data();
    void processCpu();
    void cpuUsageBaseline();
    void parseStat_data();
    void parseStat();
    void systemCpuFromFixtures_data();
    void systemCpuFromFixtures();
    void memInfo_data();
    void memInfo();
    void loadAvg_data();
    void loadAvg();
    void missingProcFiles();
    void diskUsageDedupes();
    void treeSampleNoSpikes();
    void treeSampleLiveDemoBackend();
    void treeSampleLiveCpu();
    void memoryLimitReason_data();
    void memoryLimitReason();
    void memoryLimitOnFirstSample();
    void memoryLimitForDuration();
    void memoryLimitLive();
    void cpuLimitAfterDuration();
    void cpuLimitLive();
    void samplerTimerFeedsHistory();
    void unwatchedServicesAtIdleRate();
    void watchedOrLimitedKeepsTimerAtFullRate();

private:
    std::unique_ptr<QProcess> startDemoBackend(const QStringList &extra);
};

void TestMetrics::processCpu_data()
{
    QTest::addColumn<quint64>("prevTicks");
    QTest::addColumn<qint64>("prevMs");
    QTest::addColumn<quint64>("ticks");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<qint64>("hz");
    QTest::addColumn<double>("expected");
    QTest::newRow("one full core") << quint64(0) << qint64(0) << quint64(100) << qint64(1000) << qint64(100)
                                   << 100.0;
    QTest::newRow("half a core") << quint64(1000) << qint64(5000) << quint64(1050) << qint64(6000)
                                 << qint64(100) << 50.0;
    QTest::newRow("two cores") << quint64(0) << qint64(0) << quint64(400) << qint64(2000) << qint64(100)
                               << 200.0;
    QTest::newRow("250 Hz kernel") << quint64(0) << qint64(0) << quint64(125) << qint64(500) << qint64(250)
                                   << 100.0;
    QTest::newRow("idle") << quint64(500) << qint64(1000) << quint64(500) << qint64(2000) << qint64(100)
                          << 0.0;
    QTest::newRow("counter backwards (pid reuse)")
        << quint64(100000) << qint64(0) << quint64(10) << qint64(1000) << qint64(100) << 0.0;
    QTest::newRow("no time passed") << quint64(0) << qint64(1000) << quint64(100) << qint64(1000)
                                    << qint64(100) << 0.0;
    QTest::newRow("time backwards") << quint64(0) << qint64(2000) << quint64(100) << qint64(1000)
                                    << qint64(100) << 0.0;
    QTest::newRow("no tick rate") << quint64(0) << qint64(0) << quint64(100) << qint64(1000) << qint64(0)
                                  << 0.0;
}

void TestMetrics::processCpu()
{
    QFETCH(quint64, prevTicks);
    QFETCH(qint64, prevMs);
    QFETCH(quint64, ticks);
    QFETCH(qint64, nowMs);
    QFETCH(qint64, hz);
    QFETCH(double, expected);
    QCOMPARE(processCpuPercent(prevTicks, prevMs, ticks, nowMs, hz), expected);
}

void TestMetrics::cpuUsageBaseline()
{
    CpuUsage u(100);
    QVERIFY(!u.hasBaseline());
    QCOMPARE(u.update(5000, 10'000), 0.0); // a long-running process is not a spike
    QVERIFY(u.hasBaseline());
    QCOMPARE(u.update(5025, 11'000), 25.0);
    QCOMPARE(u.update(10, 12'000), 0.0); // went backwards: 0, and a new baseline
    QCOMPARE(u.update(110, 13'000), 100.0);
}

void TestMetrics::parseStat_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<quint64>("user");
    QTest::addColumn<quint64>("system");
    QTest::addColumn<quint64>("idle");
    QTest::addColumn<quint64>("iowait");
    QTest::addColumn<quint64>("steal");
    QTest::addColumn<int>("cores");
    QTest::newRow("captured") << u"stat-real"_s << true << quint64(27332) << quint64(6243) << quint64(95402)
                              << quint64(336) << quint64(40) << 2;
    QTest::newRow("no trailing newline") << u"stat-2-no-newline"_s << true << quint64(160) << quint64(70)
                                         << quint64(900) << quint64(70) << quint64(0) << 2;
    QTest::newRow("old kernel, 4 columns") << u"stat-old-kernel"_s << true << quint64(10) << quint64(30)
                                           << quint64(40) << quint64(0) << quint64(0) << 1;
    QTest::newRow("no cpu line") << u"stat-no-cpu"_s << false << quint64(0) << quint64(0) << quint64(0)
                                 << quint64(0) << quint64(0) << 0;
}

void TestMetrics::parseStat()
{
    QFETCH(QString, file);
    QFETCH(bool, valid);
    const std::optional<CpuTimes> t = parseProcStatCpu(readFixture(file));
    QTEST(parseProcStatCpuCount(readFixture(file)), "cores");
    QCOMPARE(t.has_value(), valid);
    if (!valid)
        return;
    QTEST(t->user, "user");
    QTEST(t->system, "system");
    QTEST(t->idle, "idle");
    QTEST(t->iowait, "iowait");
    QTEST(t->steal, "steal");
}

void TestMetrics::systemCpuFromFixtures_data()
{
    QTest::addColumn<QString>("first");
    QTest::addColumn<QString>("second");
    QTest::addColumn<double>("expected");
    // busy 60+20, idle 100+20
    QTest::newRow("normal, second without newline") << u"stat-1"_s << u"stat-2-no-newline"_s << 40.0;
    // user +50, system/iowait backwards (0), idle +50
    QTest::newRow("some counters backwards") << u"stat-1"_s << u"stat-partly-backwards"_s << 50.0;
    QTest::newRow("all counters backwards") << u"stat-1"_s << u"stat-all-backwards"_s << 0.0;
    QTest::newRow("unchanged") << u"stat-1"_s << u"stat-1"_s << 0.0;
}

void TestMetrics::systemCpuFromFixtures()
{
    QFETCH(QString, first);
    QFETCH(QString, second);
    QFETCH(double, expected);
    QTemporaryDir root;
    QVERIFY(install(root, first, u"stat"_s));
    QVERIFY(install(root, u"meminfo-real"_s, u"meminfo"_s));
    QVERIFY(install(root, u"loadavg-real"_s, u"loadavg"_s));
    SystemSampler sampler(root.path()); // the first reading is the baseline
    QVERIFY(install(root, second, u"stat"_s));
    const SystemSample s = sampler.sample();
    QVERIFY(s.cpuValid);
    QCOMPARE(s.cpuPercent, expected);
}

void TestMetrics::memInfo_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<qint64>("available");
    QTest::addColumn<double>("memoryPercent");
    QTest::addColumn<double>("swapPercent");
    QTest::newRow("captured") << u"meminfo-real"_s << 24684084LL * 1024 << 23560984LL * 1024
                              << (24684084.0 - 23560984.0) * 100.0 / 24684084.0 << 0.0;
    QTest::newRow("no trailing newline, swap in use")
        << u"meminfo-no-newline"_s << 1000000LL * 1024 << 250000LL * 1024 << 75.0 << 25.0;
    QTest::newRow("old kernel without MemAvailable")
        << u"meminfo-old-kernel"_s << 2000000LL * 1024 << 1000000LL * 1024 << 50.0 << 0.0;
}

void TestMetrics::memInfo()
{
    QFETCH(QString, file);
    QTemporaryDir root;
    QVERIFY(install(root, file, u"meminfo"_s));
    SystemSampler sampler(root.path());
    const SystemSample s = sampler.sample();
    QVERIFY(s.memoryValid);
    QTEST(s.mem.totalBytes, "total");
    QTEST(s.mem.availableBytes, "available");
    QFETCH(double, memoryPercent);
    QFETCH(double, swapPercent);
    QVERIFY2(qAbs(s.memoryPercent - memoryPercent) < 1e-9, qPrintable(QString::number(s.memoryPercent)));
    QCOMPARE(s.swapPercent, swapPercent);
    QVERIFY(!s.cpuValid); // no stat file in this root
}

void TestMetrics::loadAvg_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<double>("one");
    QTest::addColumn<double>("fifteen");
    QTest::newRow("captured") << u"loadavg-real"_s << true << 3.39 << 0.48;
    QTest::newRow("no trailing newline") << u"loadavg-no-newline"_s << true << 1.5 << 0.25;
    QTest::newRow("garbage") << u"loadavg-garbage"_s << false << 0.0 << 0.0;
}

void TestMetrics::loadAvg()
{
    QFETCH(QString, file);
    QFETCH(bool, valid);
    QTemporaryDir root;
    QVERIFY(install(root, file, u"loadavg"_s));
    SystemSampler sampler(root.path());
    const SystemSample s = sampler.sample();
    QCOMPARE(s.loadValid, valid);
    if (valid) {
        QTEST(s.load.one, "one");
        QTEST(s.load.fifteen, "fifteen");
    }
}

void TestMetrics::missingProcFiles()
{
    QTemporaryDir root;
    SystemSampler sampler(root.path() + u"/nothing-here"_s);
    const SystemSample s = sampler.sample();
    QVERIFY(!s.cpuValid);
    QVERIFY(!s.memoryValid);
    QVERIFY(!s.loadValid);
    QVERIFY(s.disks.isEmpty());
    QCOMPARE(s.diskPercent, 0.0);
}

void TestMetrics::diskUsageDedupes()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(u"a/b"_s));
    const QStringList paths{dir.path(), dir.filePath(u"a/b"_s), u"/"_s, dir.filePath(u"missing"_s)};
    QStringList roots;
    for (const QString &p : paths.first(3)) {
        const QString r = QStorageInfo(p).rootPath();
        if (!roots.contains(r))
            roots.append(r);
    }
    DiskProbe probe;
    probe.probe(paths);
    QTRY_VERIFY_WITH_TIMEOUT(std::none_of(paths.cbegin(), paths.cend(),
                                          [&](const QString &p) { return probe.reading(p).takenMs < 0; }),
                             10000);
    QVERIFY(!probe.reading(dir.filePath(u"missing"_s)).figures);
    const QList<DiskUsage> disks = diskUsage(paths, probe);
    QCOMPARE(disks.size(), roots.size());
    QCOMPARE(disks.first().path, dir.path());
    QCOMPARE(disks.first().rootPath, QStorageInfo(dir.path()).rootPath());
    for (const DiskUsage &d : disks) {
        QVERIFY(d.totalBytes > 0);
        QVERIFY(d.percent >= 0 && d.percent <= 100);
    }
    SystemSampler sampler;
    SystemSample s = sampler.sample();
    setDiskFigures(s, paths, probe);
    QVERIFY(!s.diskUnavailable);
    QCOMPARE(s.disks.size(), roots.size());
    double worst = 0;
    for (const DiskUsage &d : s.disks)
        worst = std::max(worst, d.percent);
    QCOMPARE(s.diskPercent, worst);
    QVERIFY(s.cpuValid);
    QVERIFY(s.memoryValid);
    QVERIFY(s.memoryPercent > 0 && s.memoryPercent < 100);
}

void TestMetrics::treeSampleNoSpikes()
{
    QHash<pid_t, FakeProcess> procs;
    auto add = [&](pid_t pid, quint64 start, quint64 ticks, qint64 rss, int threads, int fds,
                   char state = 'S') {
        FakeProcess p;
        p.info.pid = pid;
        p.info.startTime = start;
        p.info.utime = ticks / 2;
        p.info.stime = ticks - ticks / 2;
        p.info.rssBytes = rss;
        p.info.threads = threads;
        p.info.state = state;
        p.fds = fds;
        procs.insert(pid, p);
    };
    TreeSampler sampler(
        [&](pid_t pid) -> std::optional<ProcInfo> {
            const auto it = procs.constFind(pid);
            return it == procs.cend() ? std::nullopt : std::optional<ProcInfo>(it->info);
        },
        [&](pid_t pid) { return procs.value(pid).fds; }, 100);

    add(100, 1, 1'000'000, 10'000'000, 4, 10); // has been running for hours
    TreeSample s = sampler.sample({100}, 0);
    QCOMPARE(s.cpuPercent, 0.0); // baseline only
    QCOMPARE(s.rssBytes, 10'000'000);
    QCOMPARE(s.threads, 4);
    QCOMPARE(s.openFds, 10);
    QCOMPARE(s.processes, 1);

    add(100, 1, 1'000'050, 12'000'000, 4, 11);
    add(200, 7, 5'000'000, 1'000'000, 1, 3); // joins the tree with a long history
    s = sampler.sample({100, 200, 300 /* gone */, 100 /* listed twice */}, 1000);
    QCOMPARE(s.cpuPercent, 50.0); // 200 adds nothing the first time it is seen
    QCOMPARE(s.rssBytes, 13'000'000);
    QCOMPARE(s.threads, 5);
    // fd folders are listed for new processes and every FdEvery passes only:
    // 100 still counts its 10 from the first pass, 200 is new and counted.
    QCOMPARE(s.openFds, 13);
    QCOMPARE(s.processes, 2);

    add(100, 99, 20, 2'000'000, 1, 3); // pid 100 reused by a new process: counter far lower
    add(200, 7, 5'000'100, 1'000'000, 1, 3);
    add(400, 9, 0, 0, 0, 0, 'Z'); // zombies are not counted
    s = sampler.sample({100, 200, 400}, 2000);
    QCOMPARE(s.cpuPercent, 100.0); // only 200's real delta; never garbage from the reused pid
    QCOMPARE(s.processes, 2);
    QCOMPARE(sampler.trackedProcesses(), 2);

    add(100, 99, 120, 2'000'000, 1, 3);
    s = sampler.sample({100}, 3000);
    QCOMPARE(s.cpuPercent, 100.0);
    QCOMPARE(sampler.trackedProcesses(), 1); // 200 left the tree and was forgotten

    // A changed fd count shows up within FdEvery passes.
    add(100, 99, 120, 2'000'000, 1, 42);
    bool seen = false;
    for (int i = 0; i < TreeSampler::FdEvery && !seen; ++i)
        seen = sampler.sample({100}, 4000 + i * 1000).openFds == 42;
    QVERIFY(seen);
}

std::unique_ptr<QProcess> TestMetrics::startDemoBackend(const QStringList &extra)
{
    auto p = std::make_unique<QProcess>();
    p->setProgram(QStringLiteral(LIFELINE_DEMO_BACKEND));
    p->setArguments(QStringList{u"--port"_s, QString::number(freePort()), u"--name"_s, u"metrics-test"_s} +
                    extra);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->setStandardOutputFile(QProcess::nullDevice());
    p->start();
    return p;
}

void TestMetrics::treeSampleLiveDemoBackend()
{
    const std::unique_ptr<QProcess> backend = startDemoBackend({u"--leak"_s, u"20"_s});
    QVERIFY(backend->waitForStarted(5000));
    const pid_t pid = pid_t(backend->processId());
    TreeSampler sampler;
    auto rss = [&] { return sampler.sample({pid}, Clock::system()->nowMs()).rssBytes; };
    // Past exec() and the dynamic loader, where RSS changes by the microsecond.
    QTRY_VERIFY_WITH_TIMEOUT(rss() > 5'000'000, 10'000);

    const TreeSample s = sampler.sample({pid}, Clock::system()->nowMs());
    const qint64 status = vmRss(pid);
    QCOMPARE(s.processes, 1);
    QVERIFY(s.threads >= 1);
    QVERIFY(s.openFds >= 3); // stdin/stdout/stderr at least, plus the listening socket
    QVERIFY2(qAbs(double(s.rssBytes - status)) <= 0.10 * double(status),
             qPrintable(u"sampled %1, VmRSS %2"_s.arg(s.rssBytes).arg(status)));

    // --leak 20 touches 20 MB a second: the tree's RSS grows.
    const qint64 first = s.rssBytes;
    QTRY_VERIFY_WITH_TIMEOUT(rss() > first + 15'000'000, 10'000);
    const TreeSample later = sampler.sample({pid}, Clock::system()->nowMs());
    const qint64 status2 = vmRss(pid);
    QVERIFY2(qAbs(double(later.rssBytes - status2)) <= 0.10 * double(status2),
             qPrintable(u"sampled %1, VmRSS %2"_s.arg(later.rssBytes).arg(status2)));

    backend->terminate();
    QVERIFY(backend->waitForFinished(10'000));
    QCOMPARE(sampler.sample({pid}, Clock::system()->nowMs()).processes, 0);
}

void TestMetrics::treeSampleLiveCpu()
{
    QProcess busy;
    busy.start(u"/bin/sh"_s, {u"-c"_s, u"while :; do :; done"_s});
    QVERIFY(busy.waitForStarted(5000));
    const pid_t pid = pid_t(busy.processId());
    TreeSampler sampler;
    qint64 lastMs = Clock::system()->nowMs();
    double lastCpu = sampler.sample({pid}, lastMs).cpuPercent;
    QCOMPARE(lastCpu, 0.0); // first sight
    // The kernel's own account of the same interval, read next to each
    // sample: utime + stime (fields 14 and 15 of /proc/PID/stat).
    const auto ticksOf = [pid] {
        QFile f(u"/proc/%1/stat"_s.arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            return qint64(-1);
        const QByteArray stat = f.readAll();
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        return fields.size() > 12 ? fields.at(11).toLongLong() + fields.at(12).toLongLong() : qint64(-1);
    };
    const double msPerTick = 1000.0 / double(::sysconf(_SC_CLK_TCK));
    qint64 lastTicks = ticksOf();
    double kernelCpu = 0;
    // QTRY_* evaluates the expression again right after it held: sample at
    // most every 200 ms so each figure covers a real interval.
    auto cpu = [&] {
        const qint64 now = Clock::system()->nowMs();
        if (now - lastMs >= 200) {
            lastCpu = sampler.sample({pid}, now).cpuPercent;
            const qint64 ticks = ticksOf();
            kernelCpu = double(ticks - lastTicks) * msPerTick * 100.0 / double(now - lastMs);
            lastTicks = ticks;
            lastMs = now;
        }
        return lastCpu;
    };
    // A spinning shell uses up to a whole core; on a loaded machine it gets
    // whatever share it gets. Whatever that is, the sampler must agree with
    // the kernel's figure over the same interval (within a tick or two).
    QTRY_VERIFY_WITH_TIMEOUT(cpu() > 1.0 && qAbs(lastCpu - kernelCpu) <= std::max(5.0, 0.15 * kernelCpu),
                             10'000);
    QVERIFY2(cpu() < 110.0, qPrintable(QString::number(cpu()))); // one thread: at most one core
    busy.kill();
    QVERIFY(busy.waitForFinished(5000));
}

void TestMetrics::memoryLimitReason_data()
{
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<qint64>("rss");
    QTest::addColumn<QString>("unit");
    QTest::addColumn<qint64>("forMs");
    QTest::addColumn<QString>("reason");
    QTest::newRow("bytes: MB") << 500'000'000LL << 612'000'000LL << QString() << 0LL
                               << u"memory 612 MB > limit 500 MB"_s;
    QTest::newRow("rounded") << 500'000'000LL << 612'499'999LL << u"MB"_s << 0LL
                             << u"memory 612 MB > limit 500 MB"_s;
    QTest::newRow("small limit") << 1'500'000LL << 2'000'000LL << u"MB"_s << 0LL
                                 << u"memory 2 MB > limit 1.5 MB"_s;
    QTest::newRow("MiB as written") << 100LL * 1024 * 1024 << 152LL * 1024 * 1024 << u"MiB"_s << 0LL
                                    << u"memory 152 MiB > limit 100 MiB"_s;
    QTest::newRow("GiB") << (1LL << 30) << (3LL << 29) << u"GiB"_s << 0LL
                         << u"memory 1.5 GiB > limit 1 GiB"_s;
    QTest::newRow("with a duration") << 100LL * 1024 * 1024 << 152LL * 1024 * 1024 << u"MiB"_s << 2000LL
                                     << u"memory 152 MiB > limit 100 MiB for 2s"_s;
}

void TestMetrics::memoryLimitReason()
{
    QFETCH(qint64, limit);
    QFETCH(qint64, rss);
    QFETCH(QString, unit);
    QFETCH(qint64, forMs);
    QTEST(MetricsSampler::memoryLimitReason(limit, rss, unit, std::chrono::milliseconds(forMs)), "reason");
}

void TestMetrics::memoryLimitOnFirstSample()
{
    qint64 apiRss = 612'000'000;
    MetricsSampler sampler(nullptr);
    sampler.setProcessReader(
        [&](pid_t pid) -> std::optional<ProcInfo> {
            ProcInfo i;
            i.pid = pid;
            i.state = 'S';
            i.startTime = 1;
            i.threads = 1;
            i.rssBytes = pid == 10 ? apiRss : 1'000'000;
            return i;
        },
        [](pid_t) { return 0; }, 100);
    sampler.setServiceTreeProvider([] {
        return QHash<QString, QList<pid_t>>{{u"api"_s, {10}}, {u"worker"_s, {20}}};
    });
    sampler.setMemoryLimit(u"api"_s, 500'000'000);
    sampler.setMemoryLimit(u"worker"_s, 500'000'000); // under its limit: never fires
    QSignalSpy exceeded(&sampler, &MetricsSampler::memoryLimitExceeded);
    QSignalSpy sampled(&sampler, &MetricsSampler::sampled);

    // memory_limit_for = 0: the first sample over the limit, as Monit and PM2 do it.
    sampler.sampleNow();
    QCOMPARE(exceeded.size(), 1);
    QCOMPARE(exceeded.at(0).at(0).toString(), u"api"_s);
    QCOMPARE(exceeded.at(0).at(1).toString(), u"memory 612 MB > limit 500 MB"_s);
    QCOMPARE(sampled.size(), 1);
    QCOMPARE(sampler.lastService(u"api"_s)->rssBytes, 612'000'000);
    QVERIFY(!sampler.lastService(u"nobody"_s));

    apiRss = 400'000'000;
    sampler.sampleNow();
    QCOMPARE(exceeded.size(), 1);
    apiRss = 700'000'000;
    sampler.sampleNow();
    QCOMPARE(exceeded.size(), 2);
    QCOMPARE(exceeded.at(1).at(1).toString(), u"memory 700 MB > limit 500 MB"_s);

    // Removing the limit stops it.
    sampler.setMemoryLimit(u"api"_s, 0);
    for (int i = 0; i < 4; ++i)
        sampler.sampleNow();
    QCOMPARE(exceeded.size(), 2);
}

void TestMetrics::memoryLimitForDuration()
{
    ManualClock clock;
    qint64 apiRss = 0;
    MetricsSampler sampler(nullptr);
    sampler.setClock(&clock);
    sampler.setProcessReader(
        [&](pid_t pid) -> std::optional<ProcInfo> {
            ProcInfo i;
            i.pid = pid;
            i.state = 'S';
            i.startTime = 1;
            i.threads = 1;
            i.rssBytes = apiRss;
            return i;
        },
        [](pid_t) { return 0; }, 100);
    sampler.setServiceTreeProvider([] { return QHash<QString, QList<pid_t>>{{u"api"_s, {10}}}; });
    const qint64 mib = 1024 * 1024;
    sampler.setMemoryLimit(u"api"_s, 100 * mib, std::chrono::seconds(2), u"MiB"_s);
    QSignalSpy exceeded(&sampler, &MetricsSampler::memoryLimitExceeded);
    const auto step = [&](qint64 rss) {
        clock.advance(std::chrono::milliseconds(250));
        apiRss = rss;
        sampler.sampleNow();
    };

    // A spike of 1.75 s over the limit, then back under: no restart.
    for (int i = 0; i < 8; ++i)
        step(150 * mib);
    step(90 * mib);
    QCOMPARE(exceeded.size(), 0);

    // Over from the next sample on: fires on the sample 2 s after the first over it.
    step(152 * mib); // the first sample over
    for (int i = 0; i < 7; ++i)
        step(152 * mib);
    QCOMPARE(exceeded.size(), 0); // 1.75 s
    step(152 * mib);              // 2 s
    QCOMPARE(exceeded.size(), 1);
    QCOMPARE(exceeded.at(0).at(1).toString(), u"memory 152 MiB > limit 100 MiB for 2s"_s);
}

void TestMetrics::memoryLimitLive()
{
    const std::unique_ptr<QProcess> backend = startDemoBackend({u"--leak"_s, u"20"_s});
    QVERIFY(backend->waitForStarted(5000));
    const pid_t pid = pid_t(backend->processId());
    QTRY_VERIFY_WITH_TIMEOUT(vmRss(pid) > 5'000'000, 10'000); // past exec() and Qt's start-up
    MetricsSampler sampler(nullptr);
    sampler.setServiceTreeProvider([pid] { return QHash<QString, QList<pid_t>>{{u"leaky"_s, {pid}}}; });
    sampler.setMemoryLimit(u"leaky"_s, 1024 * 1024, std::chrono::milliseconds(0),
                           u"MiB"_s); // any live Qt program is above 1 MiB
    QSignalSpy exceeded(&sampler, &MetricsSampler::memoryLimitExceeded);
    sampler.sampleNow(); // the first sample over it is enough
    QCOMPARE(exceeded.size(), 1);
    QCOMPARE(exceeded.at(0).at(0).toString(), u"leaky"_s);
    const QString reason = exceeded.at(0).at(1).toString();
    QVERIFY2(QRegularExpression(u"^memory \\d+(\\.\\d)? MiB > limit 1 MiB$"_s).match(reason).hasMatch(),
             qPrintable(reason));
    QVERIFY(sampler.lastService(u"leaky"_s)->rssBytes > 1'000'000);
    backend->kill();
    QVERIFY(backend->waitForFinished(5000));
}

void TestMetrics::cpuLimitAfterDuration()
{
    ManualClock clock;
    quint64 apiTicks = 0; // 100 ticks per second: +95 per 1 s sample = 95 %
    quint64 apiPerSample = 95;
    MetricsSampler sampler(nullptr);
    sampler.setClock(&clock);
    sampler.setProcessReader(
        [&](pid_t pid) -> std::optional<ProcInfo> {
            ProcInfo i;
            i.pid = pid;
            i.state = 'R';
            i.startTime = 1;
            i.threads = 1;
            i.utime = pid == 10 ? apiTicks : 0;
            return i;
        },
        [](pid_t) { return 0; }, 100);
    sampler.setServiceTreeProvider([] {
        return QHash<QString, QList<pid_t>>{{u"api"_s, {10}}, {u"idle"_s, {20}}};
    });
    sampler.setCpuLimit(u"api"_s, 90, std::chrono::seconds(3));
    sampler.setCpuLimit(u"idle"_s, 90, std::chrono::seconds(3)); // at 0 %: never fires
    QSignalSpy exceeded(&sampler, &MetricsSampler::cpuLimitExceeded);
    const auto step = [&] {
        clock.advance(std::chrono::seconds(1));
        apiTicks += apiPerSample;
        sampler.sampleNow();
    };

    sampler.sampleNow(); // baseline: no CPU figure yet
    step();              // over since t=1 s
    step();
    step();
    QCOMPARE(exceeded.size(), 0); // 2 s over: not yet
    step();                       // 3 s over
    QCOMPARE(exceeded.size(), 1);
    QCOMPARE(exceeded.at(0).at(0).toString(), u"api"_s);
    QCOMPARE(exceeded.at(0).at(1).toString(), u"cpu limit 90% exceeded for 3s (95%)"_s);

    // A sample at or under the limit starts the count again.
    step();
    step();
    apiPerSample = 50;
    step();
    apiPerSample = 99;
    step();
    step();
    step();
    QCOMPARE(exceeded.size(), 1);
    step();
    QCOMPARE(exceeded.size(), 2);
    QCOMPARE(exceeded.at(1).at(1).toString(), u"cpu limit 90% exceeded for 3s (99%)"_s);

    // Removing the limit stops it.
    sampler.setCpuLimit(u"api"_s, 0, std::chrono::seconds(3));
    for (int i = 0; i < 6; ++i)
        step();
    QCOMPARE(exceeded.size(), 2);
}

// A real busy loop (a whole core when it runs alone; the limit is low so
// that a busy CI machine still gives it more), through the whole path: config -> Fleet -> sampler ->
// restart with the reason, under the restart policy.
void TestMetrics::cpuLimitLive()
{
    QTemporaryDir dir;
    const QByteArray toml =
        "[settings]\nstate_dir = \"" + dir.path().toUtf8() +
        "/state\"\nsample_interval = \"200ms\"\n\n"
        "[[service]]\nname = \"spin\"\ncommand = [\"/bin/sh\", \"-c\", \"while :; do :; done\"]\n"
        "cpu_limit = 20\ncpu_limit_for = \"1s\"\nrestart_delay = \"0s\"\nstop_timeout = \"2s\"\n";
    const LoadResult r = ConfigLoader::loadString(toml, dir.filePath(u"lifeline.toml"_s));
    for (const Diagnostic &d : r.errors)
        qWarning("%s", qPrintable(d.toString()));
    QVERIFY(r.ok());
    QCOMPARE(r.config->services.at(0).cpuLimit, 20.0);
    TestEngine engine(*r.config);
    Fleet &fleet = engine.fleet();
    ServiceSupervisor *spin = fleet.service(u"spin"_s);
    fleet.boot();
    QTRY_COMPARE_WITH_TIMEOUT(spin->state(), ServiceState::Running, 5000);
    const pid_t first = spin->pid();
    QTRY_VERIFY_WITH_TIMEOUT(spin->restartReason().startsWith(u"cpu limit 20% exceeded for 1s ("_s), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(spin->state() == ServiceState::Running && spin->pid() != first, 10000);
    QSignalSpy stopped(&fleet, &Fleet::allStopped);
    fleet.stopAll();
    if (!fleet.isAllStopped())
        QVERIFY(stopped.wait(10000));
}

void TestMetrics::samplerTimerFeedsHistory()
{
    QTemporaryDir dir;
    MetricsHistory history(dir.path());
    MetricsSampler sampler(&history);
    sampler.setInterval(std::chrono::milliseconds(50));
    sampler.setDiskPaths({dir.path()});
    const pid_t self = pid_t(QCoreApplication::applicationPid());
    sampler.setServiceTreeProvider([self] { return QHash<QString, QList<pid_t>>{{u"self"_s, {self}}}; });
    QSignalSpy sampled(&sampler, &MetricsSampler::sampled);
    sampler.start();
    QVERIFY(sampler.isActive());
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 5000);
    // Disk figures come from a worker thread: wait for them, then one more
    // tick so the history holds them too.
    QTRY_VERIFY_WITH_TIMEOUT(!sampler.lastSystem().disks.isEmpty(), 10000);
    const qsizetype ticks = sampled.size();
    QTRY_VERIFY_WITH_TIMEOUT(sampled.size() > ticks, 5000);
    sampler.stop();
    const qint64 last = sampled.last().at(0).toLongLong();
    QVERIFY(qAbs(last - QDateTime::currentMSecsSinceEpoch()) < 60'000); // wall clock, for the history

    const SystemSample sys = sampler.lastSystem();
    QVERIFY(sys.cpuValid);
    QVERIFY(sys.memoryValid);
    QCOMPARE(sys.disks.size(), 1);
    const std::optional<TreeSample> me = sampler.lastService(u"self"_s);
    QVERIFY(me);
    QCOMPARE(me->processes, 1);
    QVERIFY(me->rssBytes > 0);

    const qint64 from = last - 60'000;
    const int everyMs = 60'001; // one bucket per millisecond: no decimation
    QVERIFY(history.series(QString(), u"memory"_s, from, last, everyMs).size() >= 3);
    QVERIFY(history.series(QString(), u"cpu"_s, from, last, everyMs).size() >= 2);
    QVERIFY(!history.series(QString(), u"disk"_s, from, last, everyMs).isEmpty());
    const QList<QPointF> rss = history.series(u"self"_s, u"rss"_s, from, last, everyMs);
    QVERIFY(rss.size() >= 3);
    QCOMPARE(rss.last().y(), double(me->rssBytes));
}

// Nobody looks and no limit: a service's tree is read once per idle interval
// (the history's 10 s bucket); a service with a limit at every tick.
void TestMetrics::unwatchedServicesAtIdleRate()
{
    ManualClock clock;
    QHash<pid_t, int> reads;
    MetricsSampler sampler(nullptr);
    sampler.setClock(&clock);
    sampler.setProcessReader(
        [&](pid_t pid) -> std::optional<ProcInfo> {
            ++reads[pid];
            ProcInfo i;
            i.pid = pid;
            i.state = 'S';
            i.startTime = 1;
            i.threads = 1;
            i.rssBytes = 1'000'000;
            return i;
        },
        [](pid_t) { return 0; }, 100);
    sampler.setServiceTreeProvider([] {
        return QHash<QString, QList<pid_t>>{{u"limited"_s, {10}}, {u"idle"_s, {20}}};
    });
    sampler.setInterval(std::chrono::seconds(1));
    sampler.setMemoryLimit(u"limited"_s, 500'000'000);
    sampler.setWatched(false);
    QCOMPARE(sampler.idleInterval(), std::chrono::milliseconds(10'000));

    sampler.sampleNow(); // the first pass reads everything
    QCOMPARE(reads.value(10), 1);
    QCOMPARE(reads.value(20), 1);
    for (int i = 1; i < 10; ++i) {
        clock.advance(std::chrono::seconds(1));
        sampler.sampleNow();
        QCOMPARE(sampler.lastPassServices(), QStringList{u"limited"_s});
    }
    QCOMPARE(reads.value(10), 10);
    QCOMPARE(reads.value(20), 1);
    QVERIFY(sampler.lastService(u"idle"_s)); // its last figures stand in between
    clock.advance(std::chrono::seconds(1));
    sampler.sampleNow(); // 10 s after the first: everything again
    QCOMPARE(reads.value(10), 11);
    QCOMPARE(reads.value(20), 2);

    // The window shows the figures: every service at every tick.
    sampler.setWatched(true);
    for (int i = 0; i < 3; ++i) {
        clock.advance(std::chrono::seconds(1));
        sampler.sampleNow();
    }
    QCOMPARE(reads.value(20), 5);
    QCOMPARE(reads.value(10), 14);
}

void TestMetrics::watchedOrLimitedKeepsTimerAtFullRate()
{
    MetricsSampler sampler(nullptr);
    sampler.setInterval(std::chrono::seconds(1));
    QVERIFY(sampler.isWatched()); // a sampler alone: someone uses every figure
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(1'000));
    sampler.setWatched(false);
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(10'000));
    sampler.setCpuLimit(u"api"_s, 90, std::chrono::seconds(5));
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(1'000));
    sampler.setCpuLimit(u"api"_s, 0, std::chrono::seconds(5));
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(10'000));
    sampler.setMemoryLimit(u"api"_s, 100'000'000);
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(1'000));
    sampler.setMemoryLimit(u"api"_s, 0);
    sampler.setWatched(true);
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(1'000));

    // Short intervals (tests, 250 ms setups): a tenth of the rate.
    sampler.setInterval(std::chrono::milliseconds(100));
    sampler.setWatched(false);
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(1'000));
    sampler.setInterval(std::chrono::seconds(30));
    QCOMPARE(sampler.timerInterval(), std::chrono::milliseconds(30'000));
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
