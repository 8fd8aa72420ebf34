// bench/ui.cpp — the desktop window's speed (run by bench/run-more.sh, under
// QT_QPA_PLATFORM=offscreen or Xvfb).
//
//   lifeline-bench-ui --config FILE --first-paint-only
//   lifeline-bench-ui --config FILE --history DIR [--redraws 50] [--flood-seconds 20]
//                     [--seconds 120]
//
// FILE is the demo configuration (private state_dir, free ports), optionally
// with an extra service "flood" (autostart = false, lifeline-demo-backend
// --flood 50000). Measured, in order:
// 1. main() start -> the first QEvent::Paint of a widget of the main window
//    (Fleet + MainWindow built as the app does, fleet.boot(), show()).
// 2. (full run) MetricsChart::refresh() + repaint() for the 7-day range on the
//    history in DIR (20 services, 7 days of 10 s samples written by
//    lifeline-bench-sampler): one chart with a service's cpu (the detail
//    pane's case) and one with the cpu of all 20 services.
// 3. Lateness of a 10 ms QTimer for flood-seconds with nothing special going
//    on, then while "flood" writes 50 000 lines/s with its Log tab visible.
// 4. VmRSS of the process once the run has lasted `seconds` since main().
#include "benchutil.h"
#include "config/configloader.h"
#include "logview.h"
#include "mainwindow.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "metricschart.h"
#include "servicedetailpane.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTextBlock>
#include <QTextDocument>
#include <QTimer>

using namespace lifeline;
using namespace lifeline::bench;
using namespace Qt::StringLiterals;

namespace {

QElapsedTimer g_sinceMain;

double msSince(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

class FirstPaint final : public QObject
{
public:
    explicit FirstPaint(QWidget *window)
        : m_window(window)
    {}
    double ms = -1;
    double frameDoneMs = -1; // the event-loop pass that delivered the first paint has ended
    QString widget;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (ms < 0 && event->type() == QEvent::Paint) {
            auto *w = qobject_cast<QWidget *>(watched);
            if (w && w->window() == m_window) {
                ms = msSince(g_sinceMain);
                widget = QString::fromLatin1(w->metaObject()->className());
                QTimer::singleShot(0, this, [this] { frameDoneMs = msSince(g_sinceMain); });
            }
        }
        return false;
    }

private:
    QWidget *m_window;
};

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

void pause(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

struct Lateness
{
    QList<double> ms;      // every tick's lateness
    int over16 = 0;        // ticks late by more than 16 ms
    int over16Sampler = 0; // ... whose interval held a sampler pass (and the charts' refresh after it)
};

// Lateness of every tick of a 10 ms precise timer over `ms`, and which of
// the late ticks had the metrics sampler's pass (MetricsSampler::sampled,
// on which the visible charts refresh) in their interval.
Lateness timerLateness(int ms, MetricsSampler *sampler)
{
    Lateness result;
    QElapsedTimer since;
    QTimer timer;
    bool samplerRan = false;
    const auto c = QObject::connect(sampler, &MetricsSampler::sampled, &timer, [&] { samplerRan = true; });
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(10);
    QObject::connect(&timer, &QTimer::timeout, &timer, [&] {
        const double late = std::max(0.0, msSince(since) - 10.0);
        result.ms.append(late);
        if (late > 16) {
            ++result.over16;
            result.over16Sampler += samplerRan ? 1 : 0;
        }
        samplerRan = false;
        since.start();
    });
    since.start();
    timer.start();
    pause(ms);
    timer.stop();
    QObject::disconnect(c);
    return result;
}

} // namespace

int main(int argc, char *argv[])
{
    g_sinceMain.start();
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"lifeline-bench-ui"_s);
    QApplication::setOrganizationName(u"lifeline-bench"_s);
    QCommandLineParser parser;
    const QCommandLineOption configOpt(u"config"_s, u"Demo configuration."_s, u"FILE"_s);
    const QCommandLineOption firstOpt(u"first-paint-only"_s, u"Only measure the first paint."_s);
    const QCommandLineOption historyOpt(u"history"_s, u"State dir holding a filled history.sqlite."_s,
                                        u"DIR"_s);
    const QCommandLineOption redrawsOpt(u"redraws"_s, u"Chart redraws."_s, u"N"_s, u"50"_s);
    const QCommandLineOption floodOpt(u"flood-seconds"_s, u"Lateness window."_s, u"S"_s, u"20"_s);
    const QCommandLineOption secondsOpt(u"seconds"_s, u"Run length for the RSS figure."_s, u"S"_s, u"120"_s);
    parser.addOptions({configOpt, firstOpt, historyOpt, redrawsOpt, floodOpt, secondsOpt});
    parser.addHelpOption();
    parser.process(app);

    const LoadResult loaded = ConfigLoader::loadFile(parser.value(configOpt));
    if (!loaded.ok()) {
        for (const Diagnostic &d : loaded.errors)
            note(d.toString());
        return 2;
    }
    Fleet fleet(*loaded.config);
    MainWindow window(&fleet);
    FirstPaint firstPaint(&window);
    app.installEventFilter(&firstPaint);
    fleet.boot();
    window.show();
    const bool painted = waitFor([&] { return firstPaint.frameDoneMs >= 0; }, 30'000);
    app.removeEventFilter(&firstPaint);
    const double rssAtPaintMib = double(rssKib()) / 1024;

    auto stopAndReturn = [&](int code) {
        window.hide();
        fleet.stopAll();
        waitFor([&] { return fleet.isAllStopped(); }, 30'000);
        return code;
    };
    if (!painted) {
        note(u"the main window was not painted within 30 s"_s);
        return stopAndReturn(1);
    }
    if (parser.isSet(firstOpt)) {
        std::printf("FIRSTPAINT %.2f %s %.1f %.2f\n", firstPaint.ms, qPrintable(firstPaint.widget),
                    rssAtPaintMib, firstPaint.frameDoneMs);
        return stopAndReturn(0);
    }
    const int redraws = parser.value(redrawsOpt).toInt();
    const int floodSeconds = parser.value(floodOpt).toInt();
    const int seconds = parser.value(secondsOpt).toInt();

    // ---- 2. chart redraw --------------------------------------------------------
    QList<double> oneRefresh, onePaint, oneQuery, allRefresh, allPaint, allQuery;
    qsizetype onePoints = 0, allPoints = 0;
    int chartWidth = 0;
    {
        MetricsHistory history(parser.value(historyOpt));
        if (!history.isPersistent()) {
            note(u"no history in "_s + parser.value(historyOpt));
            return stopAndReturn(1);
        }
        // refresh() replaces the series; the chart lays itself out on posted
        // events, and the viewport paints the scene: all three are timed.
        auto measure = [&](MetricsChart &chart, QList<double> &refreshMs, QList<double> &paintMs,
                           QList<double> &queryMs, qsizetype &points) {
            chart.resize(900, 300); // about the detail pane's chart size at 1280x800
            chart.setRange(ChartRange::SevenDays);
            chart.show();
            waitFor([&] { return chart.isVisible(); }, 5000);
            pause(50);
            const int width = chart.plotWidth();
            for (int i = 0; i < redraws; ++i) {
                QElapsedTimer t;
                t.start();
                chart.refresh();
                refreshMs.append(msSince(t));
                QCoreApplication::sendPostedEvents();
                chart.viewport()->repaint(); // synchronous: the scene is rendered now
                paintMs.append(msSince(t));
                // The history's share: the same queries on their own.
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                t.start();
                for (int k = 0; k < chart.dataSeries().size(); ++k)
                    history.series(u"svc"_s + QString::number(k), u"cpu"_s,
                                   now - chartRangeMs(ChartRange::SevenDays), now, width);
                queryMs.append(msSince(t));
            }
            points = 0;
            for (const auto *s : chart.dataSeries())
                points += s->count();
            chartWidth = width;
            chart.hide();
        };
        MetricsChart one(&history, nullptr);
        one.setUnit(u"%"_s);
        one.setAutoValueRange(1.0);
        one.addSeries(u"svc0"_s, u"cpu"_s, u"svc0"_s, Qt::blue);
        one.setEventService(u"svc0"_s);
        measure(one, oneRefresh, onePaint, oneQuery, onePoints);
        MetricsChart all(&history, nullptr);
        all.setUnit(u"%"_s);
        all.setAutoValueRange(1.0);
        for (int s = 0; s < 20; ++s)
            all.addSeries(u"svc"_s + QString::number(s), u"cpu"_s, u"svc"_s + QString::number(s),
                          QColor::fromHsv(s * 18, 200, 200));
        measure(all, allRefresh, allPaint, allQuery, allPoints);
    }
    note(u"redraw done"_s);

    // ---- 3. event-loop lateness ---------------------------------------------------
    waitFor(
        [&] {
            for (const ServiceSupervisor *s : fleet.services())
                if (s->spec().autostart && s->state() != ServiceState::Running)
                    return false;
            return true;
        },
        30'000);
    const Lateness quiet = timerLateness(floodSeconds * 1000, fleet.sampler());
    Lateness flood;
    qint64 shownLine = -1, producedLine = -1;
    int docChanges = 0;
    double floodWall = 0;
    const bool hasFlood = fleet.service(u"flood"_s) != nullptr;
    if (hasFlood) {
        fleet.start(u"flood"_s);
        waitFor([&] { return fleet.service(u"flood"_s)->state() == ServiceState::Running; }, 10'000);
        window.selectService(u"flood"_s);
        window.detailPane()->tabs()->setCurrentIndex(ServiceDetailPane::LogTab);
        QTextDocument *doc = window.detailPane()->logView()->editor()->document();
        QObject::connect(doc, &QTextDocument::contentsChange, &app, [&](int, int, int) { ++docChanges; });
        pause(1000); // the flood is on and the view follows it
        QElapsedTimer t;
        t.start();
        flood = timerLateness(floodSeconds * 1000, fleet.sampler());
        floodWall = msSince(t) / 1000;
        static const QRegularExpression re(u"flood line (\\d+)"_s);
        const QString last =
            doc->lastBlock().text().isEmpty() ? doc->lastBlock().previous().text() : doc->lastBlock().text();
        shownLine = re.match(last).captured(1).toLongLong();
        // The last complete line the service had written by then, from its log file.
        QFile log(fleet.service(u"flood"_s)->logPath());
        if (log.open(QIODevice::ReadOnly)) {
            log.seek(std::max<qint64>(0, log.size() - 4096));
            const QList<QByteArray> tail = log.readAll().split('\n');
            for (qsizetype k = tail.size() - 1; k >= 0 && producedLine < 0; --k) {
                const auto m = re.match(QString::fromUtf8(tail[k]));
                if (m.hasMatch() && tail[k].endsWith("amet"))
                    producedLine = m.captured(1).toLongLong();
            }
        }
        fleet.stop(u"flood"_s);
        waitFor([&] { return fleet.service(u"flood"_s)->state() != ServiceState::Running; }, 15'000);
        window.selectService(QString());
    }
    note(u"lateness done"_s);

    // ---- 4. RSS after `seconds` ---------------------------------------------------------
    QList<double> rssSeries;
    while (g_sinceMain.elapsed() < qint64(seconds) * 1000) {
        pause(int(std::min<qint64>(10'000, qint64(seconds) * 1000 - g_sinceMain.elapsed())));
        rssSeries.append(double(rssKib()) / 1024);
    }
    const double rssEnd = double(rssKib()) / 1024;
    const double ranS = double(g_sinceMain.elapsed()) / 1000;

    const Stats sOneR = summarize(oneRefresh), sOneP = summarize(onePaint);
    const Stats sAllR = summarize(allRefresh), sAllP = summarize(allPaint);
    const Stats sQuiet = summarize(quiet.ms), sFlood = summarize(flood.ms);
    std::printf("CHART one %s\nCHART onepaint %s\nCHART all %s\nCHART allpaint %s\n",
                qPrintable(statCells(sOneR, 2)), qPrintable(statCells(sOneP, 2)),
                qPrintable(statCells(sAllR, 2)), qPrintable(statCells(sAllP, 2)));
    std::printf("CHART onequery %s\nCHART allquery %s\n", qPrintable(statCells(summarize(oneQuery), 2)),
                qPrintable(statCells(summarize(allQuery), 2)));
    std::printf("CHARTINFO %lld %lld %d\n", qint64(onePoints), qint64(allPoints), chartWidth);
    std::printf("LATE quiet %s\nLATE flood %s\n", qPrintable(statCells(sQuiet, 2)),
                qPrintable(statCells(sFlood, 2)));
    std::printf("LATEINFO %d %d %d %d\n", quiet.over16, quiet.over16Sampler, flood.over16,
                flood.over16Sampler);
    std::printf("FLOODINFO %lld %lld %d %.1f %d\n", shownLine, producedLine, docChanges, floodWall,
                window.detailPane()->logView()->maximumLines());
    std::printf("RSS %.1f %.1f %.1f %.1f\n", rssAtPaintMib, rssEnd, summarize(rssSeries).max, ranS);
    std::printf("FIRSTPAINT %.2f %s %.1f %.2f\n", firstPaint.ms, qPrintable(firstPaint.widget), rssAtPaintMib,
                firstPaint.frameDoneMs);
    std::fflush(stdout);
    return stopAndReturn(0);
}
