// bench/startstop.cpp — start-all to the last service healthy, and stop-all
// to the last service gone, as `lifeline --headless` runs a configuration.
//
//   lifeline-bench-startstop --config FILE [--runs 5]
//
// Each run: the configuration is loaded and an Engine built on this thread,
// as headless mode does; t0 is taken before the load. Start-all = t0 to the
// last service's first Healthy verdict (every service must have a health
// check). Stop-all = Fleet::stopAll() to Fleet::allStopped(), i.e. every
// process tree has exited and been reaped. Prints "STARTSTOP start_ms
// stop_ms" per run on stdout and progress on stderr; bench/startstop.sh
// compares it with PM2 and supervisord.
#include "benchutil.h"
#include "config/configloader.h"
#include "engine/engine.h"
#include "health/healthresult.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSet>
#include <QTimer>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

namespace {

struct Run
{
    double startMs = -1;
    double stopMs = -1;
};

std::optional<Run> oneRun(const QString &configPath)
{
    QElapsedTimer clock;
    clock.start();
    const LoadResult loaded = ConfigLoader::loadFile(configPath);
    if (!loaded.ok()) {
        note(u"configuration refused: "_s + loaded.errors.first().message);
        return std::nullopt;
    }
    Engine engine(*loaded.config, {.liveReload = false});
    engine.initialize();
    Fleet &fleet = *engine.fleet();
    const qsizetype total = fleet.services().size();
    QSet<QString> healthy;
    Run run;
    QEventLoop loop;
    QObject::connect(&fleet, &Fleet::serviceHealthChanged, &loop, [&](const QString &name, Health h) {
        if (h != Health::Healthy || healthy.contains(name))
            return;
        healthy.insert(name);
        if (healthy.size() == total) {
            run.startMs = double(clock.nsecsElapsed()) / 1e6;
            loop.quit();
        }
    });
    QTimer::singleShot(60'000, &loop, &QEventLoop::quit);
    fleet.boot();
    loop.exec();

    QEventLoop stopped;
    QObject::connect(&fleet, &Fleet::allStopped, &stopped, &QEventLoop::quit);
    QTimer::singleShot(60'000, &stopped, &QEventLoop::quit);
    QElapsedTimer stopClock;
    stopClock.start();
    fleet.stopAll();
    if (!fleet.isAllStopped())
        stopped.exec();
    if (fleet.isAllStopped())
        run.stopMs = double(stopClock.nsecsElapsed()) / 1e6;
    if (run.startMs < 0 || run.stopMs < 0) {
        note(u"run timed out: %1 of %2 healthy, all stopped: %3"_s.arg(healthy.size())
                 .arg(total)
                 .arg(fleet.isAllStopped() ? u"yes"_s : u"no"_s));
        return std::nullopt;
    }
    return run;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption configOpt(u"config"_s, u"Configuration file."_s, u"FILE"_s);
    const QCommandLineOption runsOpt(u"runs"_s, u"Runs."_s, u"N"_s, u"5"_s);
    parser.addOptions({configOpt, runsOpt});
    parser.addHelpOption();
    parser.process(app);
    if (!parser.isSet(configOpt)) {
        note(u"--config FILE is required"_s);
        return 2;
    }
    const int runs = parser.value(runsOpt).toInt();
    for (int i = 0; i < runs; ++i) {
        const std::optional<Run> r = oneRun(parser.value(configOpt));
        if (!r)
            return 1;
        note(u"run %1/%2: start-all %3 ms, stop-all %4 ms"_s.arg(i + 1).arg(runs).arg(fmt(r->startMs, 1),
                                                                                      fmt(r->stopMs, 1)));
        out(u"STARTSTOP %1 %2"_s.arg(fmt(r->startMs, 3), fmt(r->stopMs, 3)));
    }
    return 0;
}
