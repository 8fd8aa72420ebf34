// bench/sampler.cpp — cost of the metrics pipeline (run by bench/run-more.sh).
//
//   lifeline-bench-sampler --backends FILE --dir DIR [--passes 200] [--days 7] [--services 20]
//                          [--own-children 20]
//
// 1. One sampling pass: MetricsSampler::sampleNow() over the services whose
//    pids FILE lists (one per line; each was started in its own session with
//    LIFELINE_SERVICE_ID=bench/bN, like a supervisor starts them), the tree
//    provider being ProcFs::serviceTrees (a full /proc pass each time, as
//    Fleet did before TreeTracker), history on disk in DIR. Then the same with
//    the provider calling TreeTracker::trees() (incremental passes, a full one
//    every 30th call), this process a subreaper as Fleet is, with
//    `own-children` idle children of its own (Fleet has one lifeline-logger
//    per service) that the tracker reads every pass; each result is checked
//    against a full pass.
// 2. History inserts: `days` of 10 s samples for `services` services (the 4
//    metrics a service records: cpu, rss, threads, fds) appended with
//    synthetic time stamps and flushed every simulated hour; points/s.
// 3. series() queries over 24 h and 7 d at 1000 points on that history.
// Prints a markdown fragment on stdout; progress on stderr.
#include "benchutil.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "platform/procfs.h"
#include "platform/treetracker.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

namespace {

double msSince(const QElapsedTimer &t)
{
    return static_cast<double>(t.nsecsElapsed()) / 1e6;
}

QString fileSize(const QString &path)
{
    qint64 bytes = QFileInfo(path).size();
    for (const QString &suffix : {u"-wal"_s, u"-shm"_s})
        bytes += QFileInfo(path + suffix).size();
    return fmt(static_cast<double>(bytes) / 1e6, 1) + u" MB"_s;
}

// The kernel's floor for one pass: open + read + close of /proc/PID/stat and
// a stat(2) of /proc/PID for every process, plain libc, no parsing. Returns
// the number of processes read.
int rawProcPass()
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    char path[300]; // "/proc/" + d_name (up to 255) + "/stat"
    char buf[1024];
    while (const dirent *e = readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        const ssize_t got = ::read(fd, buf, sizeof buf);
        ::close(fd);
        std::snprintf(path, sizeof path, "/proc/%s", e->d_name);
        struct stat st;
        if (got > 0 && ::stat(path, &st) == 0)
            ++n;
    }
    closedir(d);
    return n;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption backendsOpt(u"backends"_s, u"File with one service pid per line."_s, u"FILE"_s);
    const QCommandLineOption dirOpt(u"dir"_s, u"Scratch directory."_s, u"DIR"_s);
    const QCommandLineOption passesOpt(u"passes"_s, u"Sampling passes."_s, u"N"_s, u"200"_s);
    const QCommandLineOption daysOpt(u"days"_s, u"Days of history to fill."_s, u"N"_s, u"7"_s);
    const QCommandLineOption servicesOpt(u"services"_s, u"Services in the history."_s, u"N"_s, u"20"_s);
    const QCommandLineOption ownOpt(
        u"own-children"_s, u"Idle children of our own during the tracker passes."_s, u"N"_s, u"20"_s);
    parser.addOptions({backendsOpt, dirOpt, passesOpt, daysOpt, servicesOpt, ownOpt});
    parser.addHelpOption();
    parser.process(app);
    if (!parser.isSet(backendsOpt) || !parser.isSet(dirOpt)) {
        note(u"--backends and --dir are required"_s);
        return 2;
    }
    const int passes = parser.value(passesOpt).toInt();
    const int days = parser.value(daysOpt).toInt();
    const int services = parser.value(servicesOpt).toInt();
    const int ownChildren = parser.value(ownOpt).toInt();
    const QString dir = parser.value(dirOpt);

    QFile pidFile(parser.value(backendsOpt));
    if (!pidFile.open(QIODevice::ReadOnly)) {
        note(u"cannot read "_s + pidFile.fileName());
        return 1;
    }
    QList<TreeQuery> queries;
    for (const QByteArray &line : pidFile.readAll().split('\n')) {
        const pid_t pid = line.trimmed().toInt();
        if (pid <= 0)
            continue;
        const QString name = u"b"_s + QString::number(queries.size());
        queries.append(TreeQuery{name, pid, pid, "bench/" + name.toUtf8()});
    }

    // ---- 1. one sampling pass ---------------------------------------------------
    const int procsBefore = processCount();
    QList<double> passMs, treeMs;
    int sampledServices = 0;
    int treeProcesses = 0;
    double flushMs = 0;
    {
        const QString stateDir = dir + u"/sampler-state"_s;
        QDir().mkpath(stateDir);
        MetricsHistory history(stateDir);
        MetricsSampler sampler(&history);
        ProcFs proc;
        double lastTree = 0;
        sampler.setServiceTreeProvider([&] {
            QElapsedTimer t;
            t.start();
            auto trees = proc.serviceTrees(queries, "LIFELINE_SERVICE_ID");
            lastTree = msSince(t);
            return trees;
        });
        sampler.setDiskPaths({stateDir});
        for (int i = 0; i < 5; ++i) // baselines, marker cache, SQLite series ids
            sampler.sampleNow();
        for (int i = 0; i < passes; ++i) {
            QElapsedTimer t;
            t.start();
            sampler.sampleNow();
            passMs.append(msSince(t));
            treeMs.append(lastTree);
            // The real timer fires once a second; a short pause keeps the CPU
            // deltas meaningful without making the run long.
            usleep(10'000);
        }
        sampledServices = int(sampler.sampledServices().size());
        for (const QString &name : sampler.sampledServices())
            treeProcesses += sampler.lastService(name).value_or(TreeSample{}).processes;
        QElapsedTimer t;
        t.start();
        history.flush(); // what passes - the 5 s flush timer would have written
        flushMs = msSince(t);
    }
    const int procsAfter = processCount();
    QList<double> rawMs;
    int rawProcs = 0;
    for (int i = 0; i < passes; ++i) {
        QElapsedTimer t;
        t.start();
        rawProcs = rawProcPass();
        rawMs.append(msSince(t));
    }
    const Stats raw = summarize(rawMs);
    const Stats pass = summarize(passMs);
    const Stats tree = summarize(treeMs);
    note(u"sampling: median %1 ms over %2 passes"_s.arg(fmt(pass.median, 3)).arg(pass.n));

    // ---- 1b. the same with TreeTracker, as Fleet uses it ------------------------
    becomeSubreaper(); // as Fleet is; without it the tracker only does full passes
    QList<QProcess *> children;
    for (int i = 0; i < ownChildren; ++i) {
        auto *child = new QProcess;
        child->start(u"sleep"_s, {u"600"_s});
        children.append(child);
    }
    for (QProcess *child : std::as_const(children))
        child->waitForStarted(10000);
    const int procsTracker = processCount();
    // Every other pass comes after a thread was created (a pid handed out, as
    // on a busy machine), so the tracker reads the trees; in between nothing
    // was created and it answers from the last result (a quiet tick).
    QList<double> trackerPassMs, busyPassMs, quietPassMs, incTreeMs, fullTreeMs, quietTreeMs;
    int identical = 0, compared = 0;
    bool incrementalPossible = false;
    {
        const QString stateDir = dir + u"/sampler-state-tracker"_s;
        QDir().mkpath(stateDir);
        MetricsHistory history(stateDir);
        MetricsSampler sampler(&history);
        TreeTracker tracker("LIFELINE_SERVICE_ID");
        const ProcFs reference;
        double lastTree = 0;
        bool lastFull = false;
        bool lastQuiet = false;
        QHash<QString, QList<pid_t>> lastTrees;
        sampler.setServiceTreeProvider([&] {
            QElapsedTimer t;
            t.start();
            auto trees = tracker.trees(queries);
            lastTree = msSince(t);
            lastFull = tracker.lastWasFullPass();
            lastQuiet = tracker.lastWasQuiet();
            lastTrees = trees;
            return trees;
        });
        sampler.setDiskPaths({stateDir});
        for (int i = 0; i < 5; ++i)
            sampler.sampleNow();
        for (int i = 0; i < passes; ++i) {
            if (i % 2 == 1)
                std::thread([] {}).join();
            QElapsedTimer t;
            t.start();
            sampler.sampleNow();
            const double ms = msSince(t);
            trackerPassMs.append(ms);
            (lastFull ? fullTreeMs : lastQuiet ? quietTreeMs : incTreeMs).append(lastTree);
            if (!lastFull)
                (lastQuiet ? quietPassMs : busyPassMs).append(ms);
            // Not timed: the answer must be the full pass's at the same moment.
            ++compared;
            identical += lastTrees == reference.serviceTrees(queries, "LIFELINE_SERVICE_ID") ? 1 : 0;
            usleep(10'000);
        }
        incrementalPossible = tracker.incrementalPossible();
        history.flush();
    }
    for (QProcess *child : std::as_const(children)) {
        child->kill();
        child->waitForFinished(5000);
        delete child;
    }
    const Stats trackerPass = summarize(trackerPassMs);
    const Stats incTree = summarize(incTreeMs);
    const Stats quietTree = summarize(quietTreeMs);
    const Stats busyPass = summarize(busyPassMs);
    const Stats quietPass = summarize(quietPassMs);
    const Stats fullTree = summarize(fullTreeMs);
    note(u"sampling with TreeTracker: median %1 ms, %2 of %3 results identical to a full pass"_s
             .arg(fmt(trackerPass.median, 3))
             .arg(identical)
             .arg(compared));
    if (!incrementalPossible)
        note(u"warning: TreeTracker could not pass incrementally (no children files or not a subreaper)"_s);

    // ---- 2. history inserts -----------------------------------------------------
    const QString histDir = dir + u"/history-fill"_s;
    QDir().mkpath(histDir);
    // "now" is fixed at the start of the fill, on a 10 s boundary; real time so
    // that lifeline-bench-ui can chart the same file over the last 7 days.
    const qint64 now = QDateTime::currentMSecsSinceEpoch() / 10'000 * 10'000;
    const qint64 start = now - qint64(days) * 24 * 3'600'000;
    const QStringList metrics{u"cpu"_s, u"rss"_s, u"threads"_s, u"fds"_s};
    QStringList names;
    for (int s = 0; s < services; ++s)
        names << u"svc"_s + QString::number(s);
    qint64 points = 0;
    double appendMs = 0, flushTotalMs = 0;
    QList<double> hourFlushMs;
    QList<double> q24, q7;
    qsizetype q24Points = 0, q7Points = 0;
    QString dbSize;
    qint64 oldestStored = 0;
    {
        MetricsHistory history(histDir);
        history.setNowFunction([&] { return now; });
        history.setFlushInterval(std::chrono::hours(24)); // only our own flushes
        QRandomGenerator rng(42);
        const qint64 step = 10'000;
        const qint64 perFlush = 3'600'000;
        QElapsedTimer total;
        total.start();
        for (qint64 chunk = start; chunk < now; chunk += perFlush) {
            QElapsedTimer a;
            a.start();
            for (qint64 t = chunk; t < std::min(chunk + perFlush, now); t += step) {
                for (const QString &name : std::as_const(names)) {
                    history.append(name, metrics[0], t, rng.bounded(100.0));
                    history.append(name, metrics[1], t, 50e6 + rng.bounded(10e6));
                    history.append(name, metrics[2], t, 8);
                    history.append(name, metrics[3], t, 20 + rng.bounded(5));
                    points += 4;
                }
            }
            appendMs += msSince(a);
            QElapsedTimer f;
            f.start();
            history.flush();
            hourFlushMs.append(msSince(f));
            flushTotalMs += hourFlushMs.last();
        }
        note(u"filled %1 points in %2 s"_s.arg(points).arg(fmt((appendMs + flushTotalMs) / 1000, 1)));
        dbSize = fileSize(history.databasePath());
        const auto stored = history.buckets(names[0], metrics[0], HistoryTier::TenSeconds, 0, now);
        oldestStored = stored.isEmpty() ? 0 : stored.first().timeMs;

        // ---- 3. queries ---------------------------------------------------------
        for (int round = 0; round < 3; ++round) {
            for (const QString &name : std::as_const(names)) {
                for (const QString &metric : {metrics[0], metrics[1]}) {
                    QElapsedTimer t;
                    t.start();
                    q24Points = history.series(name, metric, now - 24 * 3'600'000LL, now, 1000).size();
                    q24.append(msSince(t));
                    t.start();
                    q7Points = history.series(name, metric, now - 7 * 24 * 3'600'000LL, now, 1000).size();
                    q7.append(msSince(t));
                }
            }
        }
    }
    const double fillSeconds = (appendMs + flushTotalMs) / 1000;
    const Stats hf = summarize(hourFlushMs);
    const Stats s24 = summarize(q24);
    const Stats s7 = summarize(q7);

    // ---- report -----------------------------------------------------------------
    out(u"### Sampling pass, history inserts and queries (`lifeline-bench-sampler`)"_s);
    out(QString());
    out(u"One `MetricsSampler::sampleNow()` with %1 services (each a `lifeline-demo-backend` in its own "
        "session, its tree found from its pid, group and `LIFELINE_SERVICE_ID` marker), history on disk, "
        "%2 processes on the machine (%3 after). %4 passes, 10 ms apart, after 5 warm-up passes; first with "
        "a full `ProcFs::serviceTrees` pass for the trees every time, then with `TreeTracker` as Fleet "
        "uses it. Milliseconds."_s.arg(queries.size())
            .arg(procsBefore)
            .arg(procsAfter)
            .arg(pass.n));
    out(QString());
    out(u"| measured | n | median | p95 | min | max | mean |"_s);
    out(u"| --- | ---: | ---: | ---: | ---: | ---: | ---: |"_s);
    out(u"| whole pass (`sampleNow()`), trees by a full /proc pass every time | "_s + statCells(pass, 3) +
        u" |"_s);
    out(u"| of which the tree provider (`serviceTrees`, one /proc pass) | "_s + statCells(tree, 3) + u" |"_s);
    out(u"| whole pass (`sampleNow()`) with `TreeTracker` (a full pass every %1th call) | "_s.arg(
            TreeTracker(QByteArray()).fullPassEvery()) +
        statCells(trackerPass, 3) + u" |"_s);
    out(u"| whole pass with `TreeTracker`, after a pid was handed out (trees read incrementally) | "_s +
        statCells(busyPass, 3) + u" |"_s);
    out(u"| whole pass with `TreeTracker`, quiet tick (no pid handed out: last result, members re-checked) | "_s +
        statCells(quietPass, 3) + u" |"_s);
    out(u"| of which the tree provider, incremental passes | "_s + statCells(incTree, 3) + u" |"_s);
    out(u"| of which the tree provider, quiet ticks | "_s + statCells(quietTree, 3) + u" |"_s);
    out(u"| of which the tree provider, full passes | "_s + statCells(fullTree, 3) + u" |"_s);
    out(u"| for scale: the kernel's floor, open+read+close of every /proc/PID/stat and stat(/proc/PID) "
        "in plain C (%1 processes) | "_s.arg(rawProcs) +
        statCells(raw, 3) + u" |"_s);
    out(QString());
    out(u"The `TreeTracker` rows: this process a subreaper, with %1 idle children of its own (as Fleet has a "
        "`lifeline-logger` per service), %2 processes on the machine; every result was compared with a "
        "full pass right after it (not timed): %3 of %4 identical."_s.arg(ownChildren)
            .arg(procsTracker)
            .arg(identical)
            .arg(compared));
    out(QString());
    out(u"Sampled %1 services, %2 processes in their trees; the %3 passes left %4 ms of SQLite writing "
        "to one `flush()` (the 5 s flush timer's job, not part of a pass)."_s.arg(sampledServices)
            .arg(treeProcesses)
            .arg(pass.n)
            .arg(fmt(flushMs, 2)));
    out(QString());
    out(u"History fill: %1 days of 10 s samples for %2 services x 4 metrics = %3 points appended with "
        "synthetic time stamps (`setNowFunction` fixed at the end), `flush()` after every simulated hour "
        "(%4 flushes)."_s.arg(days)
            .arg(services)
            .arg(points)
            .arg(hourFlushMs.size()));
    out(QString());
    out(u"| measured | value |"_s);
    out(u"| --- | ---: |"_s);
    out(u"| append + flush, overall | %1 points/s (%2 s) |"_s.arg(fmt(double(points) / fillSeconds, 0),
                                                                  fmt(fillSeconds, 1)));
    out(u"| `append()` alone | %1 points/s |"_s.arg(fmt(double(points) / (appendMs / 1000), 0)));
    out(u"| `flush()` of one hour (%1 points): median / p95 / max | %2 / %3 / %4 ms |"_s
            .arg(services * 4 * 360)
            .arg(fmt(hf.median), fmt(hf.p95), fmt(hf.max)));
    out(u"| database after the fill (with -wal) | %1 |"_s.arg(dbSize));
    out(u"| oldest 10 s bucket still stored (of %1 days) | %2 days back |"_s.arg(days).arg(
        fmt(double(now - oldestStored) / 86'400'000.0, 2)));
    out(QString());
    out(u"`series(service, metric, from, now, 1000)` on that history, cpu and rss of every service, "
        "3 rounds. Milliseconds."_s);
    out(QString());
    out(u"| range | points returned | n | median | p95 | min | max | mean |"_s);
    out(u"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"_s);
    out(u"| 24 h | %1 | "_s.arg(q24Points) + statCells(s24, 3) + u" |"_s);
    out(u"| 7 d | %1 | "_s.arg(q7Points) + statCells(s7, 3) + u" |"_s);
    out(QString());
    // Machine-readable lines for run-more.sh's summary.
    std::fprintf(
        stderr,
        "SUMMARY sampler pass_median_ms=%s pass_p95_ms=%s tree_median_ms=%s procs=%d raw_median_ms=%s\n",
        qPrintable(fmt(pass.median, 3)), qPrintable(fmt(pass.p95, 3)), qPrintable(fmt(tree.median, 3)),
        procsBefore, qPrintable(fmt(raw.median, 3)));
    std::fprintf(stderr,
                 "SUMMARY tracker tracker_pass_median_ms=%s tracker_pass_p95_ms=%s tracker_inc_median_ms=%s "
                 "tracker_inc_p95_ms=%s tracker_full_calls=%lld tracker_identical=%d/%d "
                 "tracker_quiet_pass_median_ms=%s tracker_quiet_tree_median_ms=%s\n",
                 qPrintable(fmt(busyPass.median, 3)), qPrintable(fmt(busyPass.p95, 3)),
                 qPrintable(fmt(incTree.median, 3)), qPrintable(fmt(incTree.p95, 3)),
                 static_cast<long long>(fullTree.n), identical, compared,
                 qPrintable(fmt(quietPass.median, 3)), qPrintable(fmt(quietTree.median, 3)));
    std::fprintf(stderr, "SUMMARY history points_per_s=%s q24_median_ms=%s q7_median_ms=%s q7_p95_ms=%s\n",
                 qPrintable(fmt(double(points) / fillSeconds, 0)), qPrintable(fmt(s24.median, 3)),
                 qPrintable(fmt(s7.median, 3)), qPrintable(fmt(s7.p95, 3)));
    return 0;
}
