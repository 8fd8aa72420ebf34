// bench/health_scale.cpp — 200 HTTP health checks in one process (run by
// bench/run-more.sh).
//
//   lifeline-bench-health_scale --ports P1,P2,... --server-logs L1,L2,...
//       [--checks 200] [--seconds 60] [--interval-ms 1000] [--warmup 5]
//
// Creates `checks` HealthMonitor objects (as a Fleet does: one shared
// QNetworkAccessManager, which plain http:// checks do not need), check i
// polling http://127.0.0.1:P/health/i (P = ports[i % #ports]) every
// interval, their start() staggered evenly over one interval (as services
// that did not all start in the same millisecond). After `warmup` seconds a
// window of `seconds` opens: this process's CPU (utime + stime from
// /proc/self/stat), its RSS once a second, every HealthResult::latencyMs
// recorded in the window, and the servers' own timing of the same requests
// (the demo backend logs "GET /health/N 200 0.1ms" per request; the lines
// written during the window are read from the logs given).
#include "benchutil.h"
#include "health/healthmonitor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QRegularExpression>
#include <QTimer>

#include <memory>
#include <vector>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption portsOpt(u"ports"_s, u"Backend ports, comma separated."_s, u"LIST"_s);
    const QCommandLineOption logsOpt(u"server-logs"_s, u"Backend stdout logs, comma separated."_s, u"LIST"_s);
    const QCommandLineOption checksOpt(u"checks"_s, u"Health checks."_s, u"N"_s, u"200"_s);
    const QCommandLineOption secondsOpt(u"seconds"_s, u"Measured window."_s, u"S"_s, u"60"_s);
    const QCommandLineOption intervalOpt(u"interval-ms"_s, u"Probe interval."_s, u"MS"_s, u"1000"_s);
    const QCommandLineOption warmupOpt(u"warmup"_s, u"Seconds before the window."_s, u"S"_s, u"5"_s);
    parser.addOptions({portsOpt, logsOpt, checksOpt, secondsOpt, intervalOpt, warmupOpt});
    parser.addHelpOption();
    parser.process(app);

    QList<quint16> ports;
    for (const QString &p : parser.value(portsOpt).split(u',', Qt::SkipEmptyParts))
        ports.append(quint16(p.toUInt()));
    const QStringList logs = parser.value(logsOpt).split(u',', Qt::SkipEmptyParts);
    if (ports.isEmpty()) {
        note(u"--ports is required"_s);
        return 2;
    }
    const int checks = parser.value(checksOpt).toInt();
    const int seconds = parser.value(secondsOpt).toInt();
    const int intervalMs = parser.value(intervalOpt).toInt();
    const int warmup = parser.value(warmupOpt).toInt();

    QNetworkAccessManager nam;
    std::vector<std::unique_ptr<HealthMonitor>> monitors;
    bool inWindow = false;
    QList<double> latencies;
    int okInWindow = 0, failedInWindow = 0;
    QHash<QString, int> failureReasons;
    for (int i = 0; i < checks; ++i) {
        HealthSpec spec;
        spec.kind = HealthSpec::Kind::Http;
        spec.url = u"http://127.0.0.1:%1/health/%2"_s.arg(ports[i % ports.size()]).arg(i);
        spec.interval = Millis(intervalMs);
        spec.timeout = Millis(5000);
        spec.startPeriod = Millis(0);
        auto m = std::make_unique<HealthMonitor>(spec, &nam);
        m->setServiceName(u"check"_s + QString::number(i));
        QObject::connect(m.get(), &HealthMonitor::resultAdded, &app, [&](const HealthResult &r) {
            if (!inWindow)
                return;
            latencies.append(double(r.latencyMs));
            if (r.ok) {
                ++okInWindow;
            } else {
                ++failedInWindow;
                ++failureReasons[r.reason];
            }
        });
        HealthMonitor *raw = m.get();
        QTimer::singleShot(i * intervalMs / checks, &app, [raw] { raw->start(); });
        monitors.push_back(std::move(m));
    }

    QList<qint64> logOffsets;
    qint64 ticks0 = 0;
    QElapsedTimer window;
    QList<double> rssMib;
    QTimer rssTimer;
    QObject::connect(&rssTimer, &QTimer::timeout, &app, [&] { rssMib.append(double(rssKib()) / 1024); });

    QTimer::singleShot(warmup * 1000, &app, [&] {
        for (const QString &l : logs)
            logOffsets.append(QFile(l).size());
        ticks0 = selfCpuTicks();
        window.start();
        inWindow = true;
        rssTimer.start(1000);
        note(u"window open (%1 s)"_s.arg(seconds));
    });
    double cpuPercent = 0, wallS = 0;
    qint64 ticks = 0;
    int skipped = 0, inFlight = 0;
    QTimer::singleShot((warmup + seconds) * 1000, &app, [&] {
        inWindow = false;
        ticks = selfCpuTicks() - ticks0;
        wallS = double(window.nsecsElapsed()) / 1e9;
        cpuPercent = 100.0 * double(ticks) / double(clockTicks()) / wallS;
        rssTimer.stop();
        for (const auto &m : monitors) {
            skipped += m->skippedTicks();
            inFlight += m->probeInFlight() ? 1 : 0;
        }
        app.quit();
    });
    app.exec();
    for (const auto &m : monitors)
        m->stop();

    // The servers' own timing of the requests answered during the window.
    static const QRegularExpression re(u"GET /health/\\d+ (\\d+) ([0-9.]+)ms"_s);
    QList<double> serverMs;
    for (int i = 0; i < logs.size(); ++i) {
        QFile f(logs[i]);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        f.seek(logOffsets.value(i));
        const QString text = QString::fromUtf8(f.readAll());
        auto it = re.globalMatch(text);
        while (it.hasNext())
            serverMs.append(it.next().captured(2).toDouble());
    }

    const Stats lat = summarize(latencies);
    const Stats srv = summarize(serverMs);
    const Stats rss = summarize(rssMib);
    const double rate = double(latencies.size()) / wallS;
    out(u"### 200 HTTP health checks in one process (`lifeline-bench-health_scale`)"_s);
    out(QString());
    out(u"%1 `HealthMonitor`s (plain `http://`: each probe one GET on a `QTcpSocket` in the main thread), "
        u"check *i* polling "
        "`http://127.0.0.1:P/health/i` every %2 ms, spread over %3 `lifeline-demo-backend`s "
        "(%4 paths each), starts staggered over one interval; %5 s warm-up, then a %6 s window "
        "(%7 s measured)."_s.arg(checks)
            .arg(intervalMs)
            .arg(ports.size())
            .arg(checks / ports.size())
            .arg(warmup)
            .arg(seconds)
            .arg(fmt(wallS, 1)));
    out(QString());
    out(u"| measured | value |"_s);
    out(u"| --- | ---: |"_s);
    out(u"| probes completed in the window | %1 (%2/s; %3 ok, %4 failed) |"_s.arg(latencies.size())
            .arg(fmt(rate, 1))
            .arg(okInWindow)
            .arg(failedInWindow));
    out(u"| ticks skipped (a probe still in flight), whole run | %1 |"_s.arg(skipped));
    out(u"| CPU of the process (utime + stime) | **%1 % of one core** (%2 ticks / %3 s) |"_s
            .arg(fmt(cpuPercent, 2))
            .arg(ticks)
            .arg(fmt(wallS, 1)));
    out(u"| CPU per probe | %1 ms |"_s.arg(fmt(rate > 0 ? 10.0 * cpuPercent / rate : 0, 3)));
    out(u"| RSS of the process: median / max | %1 / %2 MiB (peak VmHWM %3 MiB) |"_s.arg(
        fmt(rss.median, 1), fmt(rss.max, 1), fmt(double(rssKib(u"self"_s, true)) / 1024, 1)));
    out(QString());
    out(u"| latency (ms) | n | median | p95 | min | max | mean |"_s);
    out(u"| --- | ---: | ---: | ---: | ---: | ---: | ---: |"_s);
    out(u"| `HealthResult::latencyMs` (whole probe, integer ms) | "_s + statCells(lat, 1) + u" |"_s);
    out(u"| server's own timing (first byte read to reply written) | "_s + statCells(srv, 2) + u" |"_s);
    if (!failureReasons.isEmpty()) {
        out(QString());
        QStringList reasons;
        for (auto it = failureReasons.cbegin(); it != failureReasons.cend(); ++it)
            reasons << u"\"%1\" x%2"_s.arg(it.key()).arg(it.value());
        out(u"Failures: "_s + reasons.join(u", "_s) + u"."_s);
    }
    out(QString());
    std::fprintf(stderr,
                 "SUMMARY health cpu_percent=%s probes_per_s=%s latency_median_ms=%s latency_p95_ms=%s "
                 "server_median_ms=%s failed=%d rss_max_mib=%s\n",
                 qPrintable(fmt(cpuPercent)), qPrintable(fmt(rate, 1)), qPrintable(fmt(lat.median, 1)),
                 qPrintable(fmt(lat.p95, 1)), qPrintable(fmt(srv.median, 2)), failedInWindow,
                 qPrintable(fmt(rss.max, 1)));
    return 0;
}
