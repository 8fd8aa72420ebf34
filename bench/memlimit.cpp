// bench/memlimit.cpp — memory limit reaction: from the moment a service's RSS
// crosses memory_limit to the SIGTERM Lifeline sends it.
//
//   lifeline-bench-memlimit [--backend PATH] [--runs 20] [--interval-ms 250]
//                           [--limit-mb 60] [--leak 100] [--limit-for 0s]
//
// Each run: a Fleet with one service, lifeline-demo-backend --leak MB_PER_S,
// memory_limit = "LIMITMB" (+ up to one sampling period of leak, spread over
// the runs), sample_interval = INTERVAL. This process reads
// the backend's VmRSS from /proc/PID/status every millisecond (its own
// precise timer, beside the Fleet's); t0 = the first read above the limit.
// t1 = the Fleet's state change to stopping, the moment the stop signal went
// to the process group; t2 = the service's exit seen by the Fleet. Prints a
// markdown fragment on stdout (median, p95, min, max of t1 - t0 and t2 - t0);
// progress on stderr.
#include "benchutil.h"
#include "config/configloader.h"
#include "engine/engine.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

namespace {

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

struct Run
{
    double toStop = -1; // ms from the crossing to the stop signal
    double toExit = -1; // ms from the crossing to the exit seen by the Fleet
};

std::optional<Run> oneRun(const QString &backend, const QString &stateDir, int intervalMs, int limitMb,
                          double leak, const QString &limitFor)
{
    const QString toml = u"[settings]\nstate_dir = \"%1\"\nsample_interval = \"%2ms\"\n"
                         "[[service]]\nname = \"leaky\"\n"
                         "command = [\"%3\", \"--port\", \"%4\", \"--leak\", \"%5\"]\n"
                         "memory_limit = \"%6MB\"\nmemory_limit_for = \"%7\"\n"
                         "restart_delay = \"60s\"\nstop_timeout = \"5s\"\n"_s.arg(stateDir)
                             .arg(intervalMs)
                             .arg(backend)
                             .arg(freePort())
                             .arg(leak)
                             .arg(limitMb)
                             .arg(limitFor);
    const LoadResult loaded = ConfigLoader::loadString(toml.toUtf8(), stateDir + u"/bench.toml"_s);
    if (!loaded.ok()) {
        note(u"configuration refused: "_s + loaded.errors.first().message);
        return std::nullopt;
    }
    const qint64 limit = qint64(limitMb) * 1'000'000;
    // As headless mode runs it: the whole engine, on this thread.
    Engine engine(*loaded.config, {.liveReload = false});
    engine.initialize();
    Fleet &fleet = *engine.fleet();
    ServiceSupervisor *s = fleet.service(u"leaky"_s);
    QElapsedTimer clock;
    clock.start();
    qint64 crossedNs = -1;
    Run run;
    QEventLoop loop;
    QTimer poll;
    poll.setTimerType(Qt::PreciseTimer);
    poll.setInterval(1);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (crossedNs >= 0 || s->state() != ServiceState::Running || s->pid() <= 0)
            return;
        if (rssKib(QString::number(s->pid())) * 1024 > limit)
            crossedNs = clock.nsecsElapsed();
    });
    QObject::connect(&fleet, &Fleet::serviceStateChanged, &loop,
                     [&](const QString &, ServiceState, ServiceState to) {
                         if (crossedNs < 0)
                             return;
                         const double ms = double(clock.nsecsElapsed() - crossedNs) / 1e6;
                         if (to == ServiceState::Stopping && run.toStop < 0)
                             run.toStop = ms;
                         else if (to != ServiceState::Stopping && run.toStop >= 0 && run.toExit < 0) {
                             run.toExit = ms;
                             loop.quit();
                         }
                     });
    QTimer::singleShot(30'000, &loop, &QEventLoop::quit);
    poll.start();
    fleet.boot();
    loop.exec();
    poll.stop();

    QEventLoop stopped;
    QObject::connect(&fleet, &Fleet::allStopped, &stopped, &QEventLoop::quit);
    QTimer::singleShot(15'000, &stopped, &QEventLoop::quit);
    fleet.stopAll();
    if (!fleet.isAllStopped())
        stopped.exec();
    if (run.toStop < 0 || run.toExit < 0) {
        note(u"run timed out (restart reason: %1)"_s.arg(s->restartReason()));
        return std::nullopt;
    }
    note(u"  %1 ms to SIGTERM, %2 ms to exit: %3"_s.arg(fmt(run.toStop, 1), fmt(run.toExit, 1),
                                                        s->restartReason()));
    return run;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption backendOpt(u"backend"_s, u"lifeline-demo-backend."_s, u"PATH"_s);
    const QCommandLineOption runsOpt(u"runs"_s, u"Runs."_s, u"N"_s, u"20"_s);
    const QCommandLineOption intervalOpt(u"interval-ms"_s, u"sample_interval."_s, u"MS"_s, u"250"_s);
    const QCommandLineOption limitOpt(u"limit-mb"_s, u"memory_limit in MB."_s, u"MB"_s, u"60"_s);
    const QCommandLineOption leakOpt(u"leak"_s, u"The backend's --leak (MiB/s)."_s, u"RATE"_s, u"100"_s);
    const QCommandLineOption forOpt(u"limit-for"_s, u"memory_limit_for."_s, u"DUR"_s, u"0s"_s);
    parser.addOptions({backendOpt, runsOpt, intervalOpt, limitOpt, leakOpt, forOpt});
    parser.addHelpOption();
    parser.process(app);
    const QString backend = parser.isSet(backendOpt)
                                ? parser.value(backendOpt)
                                : QCoreApplication::applicationDirPath() + u"/lifeline-demo-backend"_s;
    const int runs = parser.value(runsOpt).toInt();
    const int intervalMs = parser.value(intervalOpt).toInt();
    const int limitMb = parser.value(limitOpt).toInt();
    const double leak = parser.value(leakOpt).toDouble();
    const QString limitFor = parser.value(forOpt);

    QList<double> toStop;
    QList<double> toExit;
    for (int i = 0; i < runs; ++i) {
        QTemporaryDir dir;
        note(u"run %1/%2"_s.arg(i + 1).arg(runs));
        // The sampler's timer and the leak both start at boot, so one fixed
        // limit would be crossed at about the same phase of the sampling
        // period every run. Limits spread over one period's worth of leak
        // make the crossing fall evenly across it.
        const int spreadMb = int(leak * 1.048576 * intervalMs / 1000.0);
        const int limitMbNow = limitMb + (runs > 1 ? spreadMb * i / runs : 0);
        if (const std::optional<Run> r =
                oneRun(backend, dir.path(), intervalMs, limitMbNow, leak, limitFor)) {
            toStop.append(r->toStop);
            toExit.append(r->toExit);
        }
    }
    if (toStop.isEmpty())
        return 1;
    out(u"Memory limit reaction: `lifeline-demo-backend --leak %1` (MiB/s) under `memory_limit` from "
        u"\"%2MB\" up over one sampling period's leak, "
        "`memory_limit_for = \"%3\"`, `sample_interval = \"%4ms\"`; t0 = first 1 ms read of "
        "VmRSS above the limit.\n"_s.arg(leak)
            .arg(limitMb)
            .arg(limitFor)
            .arg(intervalMs));
    out(u"| ms from crossing | n | median | p95 | min | max | mean |"_s);
    out(u"|---|---|---|---|---|---|---|"_s);
    out(u"| to SIGTERM | "_s + statCells(summarize(toStop), 1) + u" |"_s);
    out(u"| to exit | "_s + statCells(summarize(toExit), 1) + u" |"_s);
    return 0;
}
