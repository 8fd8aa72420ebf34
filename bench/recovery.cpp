// bench/recovery.cpp — wall time of an emergency recovery of the demo stack
// (run by bench/run-more.sh).
//
//   lifeline-bench-recovery --config FILE --backend PATH --port P [--runs 5] [--bare 10]
//
// FILE is resources/demo/lifeline.toml with a private state_dir and free
// ports (run-more.sh writes it); PATH must find lifeline-demo-backend.
// 1. The services' own start and stop: `bare` times, lifeline-demo-backend
//    --port P is spawned alone and GET /health is tried every 2 ms until it
//    answers 200 (spawn -> ready), then it gets SIGTERM (-> exit).
// 2. A Fleet on FILE boots, and once every service is running and healthy,
//    `runs` recoveries run back to back: Recovery::start -> finished, with
//    the report's step durations; each must end ok.
#include "recovery/recovery.h"
#include "benchutil.h"
#include "config/configloader.h"
#include "engine/engine.h"
#include "health/healthmonitor.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <map>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

namespace {

double msSince(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

// One blocking GET (bench code: nothing else runs meanwhile).
bool healthOk(quint16 port)
{
    QTcpSocket s;
    s.connectToHost(u"127.0.0.1"_s, port);
    if (!s.waitForConnected(200))
        return false;
    s.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray reply;
    while (s.waitForReadyRead(500))
        reply += s.readAll();
    reply += s.readAll();
    return reply.startsWith("HTTP/1.1 200");
}

bool allHealthy(const Fleet &fleet)
{
    for (const ServiceSupervisor *s : fleet.services()) {
        if (s->state() != ServiceState::Running)
            return false;
        if (s->health() && s->health()->health() != Health::Healthy)
            return false;
    }
    return true;
}

// Runs the event loop until pred() or the timeout; false on timeout.
template<typename Pred>
bool waitFor(Pred pred, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (pred() || t.elapsed() > timeoutMs)
            loop.quit();
    });
    poll.start(5);
    if (!pred())
        loop.exec();
    return pred();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    qRegisterMetaType<RecoveryStep>();
    qRegisterMetaType<RecoveryReport>();
    QCommandLineParser parser;
    const QCommandLineOption configOpt(u"config"_s, u"Demo configuration."_s, u"FILE"_s);
    const QCommandLineOption backendOpt(u"backend"_s, u"lifeline-demo-backend."_s, u"PATH"_s);
    const QCommandLineOption portOpt(u"port"_s, u"Free port for the bare runs."_s, u"P"_s);
    const QCommandLineOption runsOpt(u"runs"_s, u"Recoveries."_s, u"N"_s, u"5"_s);
    const QCommandLineOption bareOpt(u"bare"_s, u"Bare start/stop measurements."_s, u"N"_s, u"10"_s);
    parser.addOptions({configOpt, backendOpt, portOpt, runsOpt, bareOpt});
    parser.addHelpOption();
    parser.process(app);
    const int runs = parser.value(runsOpt).toInt();
    const int bare = parser.value(bareOpt).toInt();
    const auto port = quint16(parser.value(portOpt).toUInt());

    // ---- 1. the service alone ---------------------------------------------------
    QList<double> readyMs, stopMs;
    for (int i = 0; i < bare; ++i) {
        QProcess p;
        p.setProgram(parser.value(backendOpt));
        p.setArguments({u"--port"_s, QString::number(port), u"--name"_s, u"bare"_s});
        p.setStandardOutputFile(QProcess::nullDevice());
        p.setStandardErrorFile(QProcess::nullDevice());
        QElapsedTimer t;
        t.start();
        p.start();
        bool ok = false;
        while (t.elapsed() < 10'000 && p.state() != QProcess::NotRunning) {
            if ((ok = healthOk(port)))
                break;
            QThread::msleep(2);
        }
        if (!ok) {
            note(u"bare lifeline-demo-backend on port %1 never answered /health"_s.arg(port));
            p.kill();
            p.waitForFinished(5000);
            return 1;
        }
        readyMs.append(msSince(t));
        t.start();
        p.terminate();
        p.waitForFinished(10'000);
        stopMs.append(msSince(t));
    }
    const Stats ready = summarize(readyMs);
    const Stats stopped = summarize(stopMs);
    note(u"bare: ready %1 ms, stop %2 ms"_s.arg(fmt(ready.median), fmt(stopped.median)));

    // ---- 2. recoveries ------------------------------------------------------------
    const LoadResult loaded = ConfigLoader::loadFile(parser.value(configOpt));
    if (!loaded.ok()) {
        for (const Diagnostic &d : loaded.errors)
            note(d.toString());
        return 2;
    }
    // As headless mode runs it: the whole engine, on this thread.
    Engine engine(*loaded.config, {.liveReload = false});
    engine.initialize();
    Fleet &fleet = *engine.fleet();
    // Lifeline's view of each start: spawn (started) -> first Healthy.
    QHash<QString, QElapsedTimer> spawnedAt;
    QHash<QString, QList<double>> spawnToHealthy;
    for (ServiceSupervisor *s : fleet.services()) {
        QObject::connect(s, &ServiceSupervisor::started, &app,
                         [&, s](pid_t) { spawnedAt[s->name()].start(); });
    }
    QObject::connect(&fleet, &Fleet::serviceHealthChanged, &app, [&](const QString &name, Health h) {
        if (h == Health::Healthy && spawnedAt.contains(name) && spawnedAt[name].isValid()) {
            spawnToHealthy[name].append(msSince(spawnedAt[name]));
            spawnedAt[name].invalidate();
        }
    });
    QElapsedTimer bootTimer;
    bootTimer.start();
    fleet.boot();
    if (!waitFor([&] { return allHealthy(fleet); }, 60'000)) {
        note(u"the demo stack did not become healthy within 60 s"_s);
        fleet.stopAll();
        waitFor([&] { return fleet.isAllStopped(); }, 30'000);
        return 1;
    }
    const double bootMs = msSince(bootTimer);
    spawnToHealthy.clear(); // keep the recoveries' starts only

    Recovery &recovery = *engine.recovery();
    QList<double> totalMs, reportMs;
    std::map<int, QList<double>> stepMs;
    QStringList stepTitles;
    QString failure;
    for (int r = 0; r < runs && failure.isEmpty(); ++r) {
        std::optional<RecoveryReport> report;
        QMetaObject::Connection c = QObject::connect(&recovery, &Recovery::finished, &app,
                                                     [&](const RecoveryReport &rep) { report = rep; });
        QElapsedTimer t;
        t.start();
        QString error;
        if (!recovery.start(RecoveryOptions{}, &error)) {
            failure = u"Recovery::start failed: "_s + error;
            break;
        }
        waitFor([&] { return report.has_value(); }, 120'000);
        const double wall = msSince(t);
        QObject::disconnect(c);
        if (!report) {
            failure = u"recovery %1 did not finish within 120 s"_s.arg(r + 1);
            break;
        }
        if (!report->ok) {
            failure = u"recovery %1: "_s.arg(r + 1) + report->summary();
            break;
        }
        totalMs.append(wall);
        reportMs.append(double(report->durationMs));
        stepTitles.clear();
        for (int i = 0; i < report->steps.size(); ++i) {
            stepMs[i].append(double(report->steps[i].durationMs));
            stepTitles << report->steps[i].title;
        }
        note(u"recovery %1: %2 ms"_s.arg(r + 1).arg(fmt(wall, 0)));
    }
    fleet.stopAll();
    waitFor([&] { return fleet.isAllStopped(); }, 30'000);
    if (!failure.isEmpty()) {
        note(failure);
        return 1;
    }

    const Stats total = summarize(totalMs);
    // Start and stop are serial along depends_on (worker after api, and the
    // reverse when stopping); flaky runs beside them.
    const double ownStart = 2 * ready.median;
    const double ownStop = 2 * stopped.median;
    out(u"### Emergency recovery of the demo stack (`lifeline-bench-recovery`)"_s);
    out(QString());
    out(u"`resources/demo/lifeline.toml` (api, worker depending on api, flaky; private `state_dir`, free "
        "ports), all running and healthy (boot took %1 ms), then %2 recoveries back to back, each "
        "`Recovery::start()` -> `finished` with `report.ok`. Milliseconds."_s.arg(fmt(bootMs, 0))
            .arg(total.n));
    out(QString());
    out(u"| step | n | median | p95 | min | max | mean |"_s);
    out(u"| --- | ---: | ---: | ---: | ---: | ---: | ---: |"_s);
    for (const auto &[index, values] : stepMs)
        out(u"| %1. %2 | "_s.arg(index + 1).arg(stepTitles.value(index)) + statCells(summarize(values), 0) +
            u" |"_s);
    out(u"| report `durationMs` | "_s + statCells(summarize(reportMs), 0) + u" |"_s);
    out(u"| **wall, start -> finished** | "_s + statCells(total, 0) + u" |"_s);
    out(QString());
    out(u"The service alone (%1 times, `lifeline-demo-backend` without Lifeline, GET /health every 2 ms):"_s
            .arg(ready.n));
    out(QString());
    out(u"| the service's own | n | median | p95 | min | max | mean |"_s);
    out(u"| --- | ---: | ---: | ---: | ---: | ---: | ---: |"_s);
    out(u"| spawn -> first 200 on /health | "_s + statCells(ready, 1) + u" |"_s);
    out(u"| SIGTERM -> exit | "_s + statCells(stopped, 1) + u" |"_s);
    for (auto it = spawnToHealthy.cbegin(); it != spawnToHealthy.cend(); ++it)
        out(u"| under Lifeline, %1: spawn -> Healthy verdict | "_s.arg(it.key()) +
            statCells(summarize(it.value()), 1) + u" |"_s);
    out(QString());
    out(u"Lifeline's overhead = wall median %1 - the services' own start on the critical path "
        "(api then worker: 2 x %2) = **%3 ms**; counting the services' own stop as theirs too "
        "(2 x %4): %5 ms."_s.arg(fmt(total.median, 0), fmt(ready.median, 1), fmt(total.median - ownStart, 0),
                                 fmt(stopped.median, 1), fmt(total.median - ownStart - ownStop, 0)));
    out(QString());
    std::fprintf(stderr, "SUMMARY recovery wall_median_ms=%s overhead_ms=%s own_ready_ms=%s\n",
                 qPrintable(fmt(total.median, 0)), qPrintable(fmt(total.median - ownStart, 0)),
                 qPrintable(fmt(ready.median, 1)));
    return 0;
}
