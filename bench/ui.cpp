// bench/ui.cpp — the desktop window's speed, in the desktop app's shape: the
// Engine on its own thread (EngineHost::Threading::OwnThread), MainWindow and
// the charts reading only the EngineClient (run by bench/run-more.sh, under
// QT_QPA_PLATFORM=offscreen or Xvfb).
//
//   lifeline-bench-ui --config FILE --first-paint-only
//   lifeline-bench-ui --config FILE [--redraws 50] [--seconds 60] [--tick 10]
//                     [--flood flood] [--tree tree] [--history-cap BYTES] [--log-hidden]
//
// FILE's state_dir may hold a filled history.sqlite (20 services svc0..svc19,
// 7 days of 10 s samples, as lifeline-bench-sampler writes it). Measured:
// 1. main() start -> the first QEvent::Paint of a widget of the main window
//    (the window is shown when the engine says it is initialized, after
//    boot(), as Application does).
// 2. (full run) 7-day chart redraws through the client: refresh() asks, the
//    engine answers on its thread, the chart draws the answer, then layout +
//    viewport()->repaint(). One chart with svc0's cpu, one with all 20.
// 3. The GUI thread's lateness: a precise `tick` ms QTimer for `seconds`
//    while the service `flood` writes its lines with its Log tab shown, the
//    engine samples every service (one of them, `tree`, with hundreds of
//    processes in its tree) and its history, capped at `history-cap` bytes
//    (set just before the window, below the file's size), flushes and trims.
// 4. VmRSS of the process at the first paint and at the end.
#include "benchutil.h"
#include "config/configloader.h"
#include "engine/enginehost.h"
#include "logview.h"
#include "mainwindow.h"
#include "metricschart.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"

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

// The bench's own waits (never product code): a nested loop polled every 5 ms.
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

// Runs `work` on the engine's thread and waits for it: setup and readings
// outside the measured windows only.
template<typename F>
void onEngine(EngineHost &host, F work)
{
    QMetaObject::invokeMethod(host.engine(), work, Qt::BlockingQueuedConnection);
}

struct Lateness
{
    QList<double> ms;      // every tick's lateness
    int over16 = 0;        // ticks late by more than 16 ms
    int over16Sampled = 0; // ... whose interval held a sampled() (the table's update)
    int over16Log = 0;     // ... whose interval held a change of the log view's text
    int sampled = 0;       // sampled() signals that reached the GUI thread
};

// Lateness of every tick of a precise `tickMs` timer over `ms`.
Lateness timerLateness(int ms, int tickMs, EngineClient *client, QTextDocument *log)
{
    Lateness result;
    QElapsedTimer since;
    QTimer timer;
    bool sampledNow = false;
    bool logNow = false;
    QObject::connect(log, &QTextDocument::contentsChange, &timer, [&] { logNow = true; });
    QObject::connect(client, &EngineClient::sampled, &timer, [&] {
        sampledNow = true;
        ++result.sampled;
    });
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(tickMs);
    QObject::connect(&timer, &QTimer::timeout, &timer, [&] {
        const double late = std::max(0.0, msSince(since) - tickMs);
        result.ms.append(late);
        if (late > 16) {
            ++result.over16;
            result.over16Sampled += sampledNow ? 1 : 0;
            result.over16Log += logNow ? 1 : 0;
        }
        sampledNow = false;
        logNow = false;
        since.start();
    });
    since.start();
    timer.start();
    pause(ms);
    timer.stop();
    return result;
}

// Processes in the tree under pid (pid itself included), from /proc children files.
int treeSize(pid_t pid)
{
    int n = 0;
    QList<QString> todo{QString::number(pid)};
    while (!todo.isEmpty()) {
        const QString p = todo.takeLast();
        ++n;
        QFile f(u"/proc/"_s + p + u"/task/"_s + p + u"/children"_s);
        if (f.open(QIODevice::ReadOnly))
            for (const QByteArray &c : f.readAll().split(' '))
                if (!c.trimmed().isEmpty())
                    todo.append(QString::fromLatin1(c.trimmed()));
    }
    return n;
}

} // namespace

int main(int argc, char *argv[])
{
    g_sinceMain.start();
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"lifeline-bench-ui"_s);
    QApplication::setOrganizationName(u"lifeline-bench"_s);
    QCommandLineParser parser;
    const QCommandLineOption configOpt(u"config"_s, u"Configuration."_s, u"FILE"_s);
    const QCommandLineOption firstOpt(u"first-paint-only"_s, u"Only measure the first paint."_s);
    const QCommandLineOption redrawsOpt(u"redraws"_s, u"Chart redraws."_s, u"N"_s, u"50"_s);
    const QCommandLineOption secondsOpt(u"seconds"_s, u"Lateness window."_s, u"S"_s, u"60"_s);
    const QCommandLineOption tickOpt(u"tick"_s, u"Timer interval for the lateness."_s, u"MS"_s, u"10"_s);
    const QCommandLineOption floodOpt(u"flood"_s, u"Service that floods its log."_s, u"NAME"_s, u"flood"_s);
    const QCommandLineOption treeOpt(u"tree"_s, u"Service with a large process tree."_s, u"NAME"_s,
                                     u"tree"_s);
    const QCommandLineOption capOpt(u"history-cap"_s, u"History size cap during the window."_s, u"BYTES"_s);
    const QCommandLineOption hiddenOpt(u"log-hidden"_s,
                                       u"Control run: the flood runs, its Log tab is not shown."_s);
    parser.addOptions(
        {configOpt, firstOpt, redrawsOpt, secondsOpt, tickOpt, floodOpt, treeOpt, capOpt, hiddenOpt});
    parser.addHelpOption();
    parser.process(app);

    const LoadResult loaded = ConfigLoader::loadFile(parser.value(configOpt));
    if (!loaded.ok()) {
        for (const Diagnostic &d : loaded.errors)
            note(d.toString());
        return 2;
    }
    EngineHost host(*loaded.config, EngineHost::Threading::OwnThread);
    EngineClient *client = host.client();
    // Connected before any chart: runs before the chart draws an answer.
    QElapsedTimer askedAt;
    double answeredMs = -1;
    QObject::connect(client, &EngineClient::historyAnswered, &app,
                     [&](const HistoryAnswer &) { answeredMs = msSince(askedAt); });
    MainWindow window(client);
    // As Application: the table shows the sampler's figures.
    QObject::connect(client, &EngineClient::sampled, &window, [&] {
        for (const ServiceUsage &u : client->lastUsage().services)
            window.model()->setUsage(u.name, u.cpuPercent, u.rssBytes);
    });
    FirstPaint firstPaint(&window);
    app.installEventFilter(&firstPaint);
    QString initError;
    bool initDone = false, initOk = false;
    QObject::connect(client, &EngineClient::initialized, &window, [&](bool ok, const QString &error) {
        initDone = true;
        initOk = ok;
        initError = error;
        if (!ok)
            return;
        client->boot();
        window.show();
    });
    host.initialize();
    const bool painted =
        waitFor([&] { return firstPaint.frameDoneMs >= 0 || (initDone && !initOk); }, 60'000) && initOk;
    app.removeEventFilter(&firstPaint);
    const double rssAtPaintMib = double(rssKib()) / 1024;

    auto stopAndReturn = [&](int code) {
        window.hide();
        client->stopAll();
        waitFor([&] { return client->isAllStopped(); }, 30'000);
        return code;
    };
    if (!painted) {
        note(u"the main window was not painted within 60 s: "_s + initError);
        return stopAndReturn(1);
    }
    if (parser.isSet(firstOpt)) {
        std::printf("FIRSTPAINT %.2f %s %.1f %.2f\n", firstPaint.ms, qPrintable(firstPaint.widget),
                    rssAtPaintMib, firstPaint.frameDoneMs);
        return stopAndReturn(0);
    }
    const int redraws = parser.value(redrawsOpt).toInt();
    const int seconds = parser.value(secondsOpt).toInt();
    const int tickMs = parser.value(tickOpt).toInt();

    // ---- 2. chart redraw: ask -> answer -> drawn -> painted ------------------------
    struct Redraw
    {
        QList<double> answered, drawn, painted, gui; // gui: draw() + layout + repaint
        qsizetype points = 0;
    };
    Redraw one, all;
    int chartWidth = 0;
    auto measure = [&](MetricsChart &chart, Redraw &r) {
        chart.resize(900, 300); // about the detail pane's chart size at 1280x800
        chart.setRange(ChartRange::SevenDays);
        chart.show();
        waitFor([&] { return chart.isVisible() && !chart.isRefreshPending(); }, 30'000);
        pause(50);
        for (int i = 0; i < redraws; ++i) {
            // A sampled() refresh in flight would answer first: start from a quiet chart.
            waitFor([&] { return !chart.isRefreshPending(); }, 30'000);
            const int before = chart.refreshCount();
            answeredMs = -1;
            askedAt.start();
            // Connected after the chart's own handler: runs once the answer is drawn.
            QEventLoop drawnLoop;
            QObject::connect(client, &EngineClient::historyAnswered, &drawnLoop, [&] {
                if (chart.refreshCount() > before)
                    drawnLoop.quit();
            });
            QTimer::singleShot(30'000, &drawnLoop, &QEventLoop::quit);
            chart.refresh();
            if (chart.refreshCount() == before)
                drawnLoop.exec();
            const double drawnMs = msSince(askedAt);
            const double answeredAt = answeredMs;
            // The chart's layout only: a queued answer to a sampled() refresh must wait.
            QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
            chart.viewport()->repaint(); // synchronous: the scene is rendered now
            const double paintedMs = msSince(askedAt);
            r.answered.append(answeredAt);
            r.drawn.append(drawnMs);
            r.painted.append(paintedMs);
            r.gui.append(paintedMs - answeredAt);
        }
        r.points = 0;
        for (const auto *s : chart.dataSeries())
            r.points += s->count();
        chartWidth = chart.plotWidth();
        chart.hide();
    };
    {
        MetricsChart chart(client, nullptr);
        chart.setUnit(u"%"_s);
        chart.setAutoValueRange(1.0);
        chart.addSeries(u"svc0"_s, u"cpu"_s, u"svc0"_s, Qt::blue);
        chart.setEventService(u"svc0"_s);
        measure(chart, one);
    }
    {
        MetricsChart chart(client, nullptr);
        chart.setUnit(u"%"_s);
        chart.setAutoValueRange(1.0);
        for (int s = 0; s < 20; ++s)
            chart.addSeries(u"svc"_s + QString::number(s), u"cpu"_s, u"svc"_s + QString::number(s),
                            QColor::fromHsv(s * 18, 200, 200));
        measure(chart, all);
    }
    note(u"redraw done"_s);

    // ---- 3. GUI event-loop lateness ---------------------------------------------------
    waitFor(
        [&] {
            for (const ServiceView *s : client->services())
                if (s->spec().autostart && s->state() != ServiceState::Running)
                    return false;
            return true;
        },
        60'000);
    const QString treeName = parser.value(treeOpt);
    int treeProcs = 0;
    if (const ServiceView *tree = client->service(treeName)) {
        // The tree's command forks its children after it is Running.
        waitFor([&] { return tree->pid() > 0 && treeSize(tree->pid()) >= 500; }, 30'000);
        treeProcs = tree->pid() > 0 ? treeSize(tree->pid()) : 0;
    }
    qint64 historyBefore = 0, historyAfter = 0;
    const qint64 cap = parser.isSet(capOpt) ? parser.value(capOpt).toLongLong() : 0;
    onEngine(host, [&] {
        historyBefore = host.engine()->history()->databaseSizeBytes();
        if (cap > 0)
            host.engine()->history()->setMaxSizeBytes(cap);
    });
    const QString floodName = parser.value(floodOpt);
    qint64 shownLine = -1, producedLine = -1;
    int docChanges = 0;
    QTextDocument *doc = window.detailPane()->logView()->editor()->document();
    if (client->service(floodName)) {
        client->start(floodName);
        waitFor([&] { return client->service(floodName)->state() == ServiceState::Running; }, 10'000);
        if (!parser.isSet(hiddenOpt)) {
            window.selectService(floodName);
            window.detailPane()->tabs()->setCurrentIndex(ServiceDetailPane::LogTab);
        }
        QObject::connect(doc, &QTextDocument::contentsChange, &app, [&](int, int, int) { ++docChanges; });
        pause(1000); // the flood is on and the view follows it
    }
    QElapsedTimer windowTimer;
    windowTimer.start();
    const Lateness late = timerLateness(seconds * 1000, tickMs, client, doc);
    const double windowS = msSince(windowTimer) / 1000;
    onEngine(host, [&] { historyAfter = host.engine()->history()->databaseSizeBytes(); });
    if (const ServiceView *flood = client->service(floodName)) {
        static const QRegularExpression re(u"flood line (\\d+)"_s);
        const QString last =
            doc->lastBlock().text().isEmpty() ? doc->lastBlock().previous().text() : doc->lastBlock().text();
        shownLine = re.match(last).captured(1).toLongLong();
        // The last complete line the service had written by then, from its log file.
        QFile log(flood->logPath());
        if (log.open(QIODevice::ReadOnly)) {
            log.seek(std::max<qint64>(0, log.size() - 4096));
            const QList<QByteArray> tail = log.readAll().split('\n');
            for (qsizetype k = tail.size() - 1; k >= 0 && producedLine < 0; --k) {
                const auto m = re.match(QString::fromUtf8(tail[k]));
                if (m.hasMatch() && tail[k].endsWith("amet"))
                    producedLine = m.captured(1).toLongLong();
            }
        }
        client->stop(floodName);
        waitFor([&] { return client->service(floodName)->state() != ServiceState::Running; }, 15'000);
        window.selectService(QString());
    }
    note(u"lateness done"_s);
    const double rssEnd = double(rssKib()) / 1024;

    auto chartLines = [](const char *name, const Redraw &r) {
        std::printf("CHART %sanswered %s\nCHART %sdrawn %s\nCHART %spainted %s\nCHART %sgui %s\n", name,
                    qPrintable(statCells(summarize(r.answered), 2)), name,
                    qPrintable(statCells(summarize(r.drawn), 2)), name,
                    qPrintable(statCells(summarize(r.painted), 2)), name,
                    qPrintable(statCells(summarize(r.gui), 2)));
    };
    chartLines("one", one);
    chartLines("all", all);
    std::printf("CHARTINFO %lld %lld %d\n", qint64(one.points), qint64(all.points), chartWidth);
    // ticks p50 p90 p99 p99.9 worst mean over16 over16-with-sampled over16-with-log sampled window-s tick-ms
    const Stats ls = summarize(late.ms);
    std::printf("LATE %lld %.2f %.2f %.2f %.2f %.2f %.2f %d %d %d %d %.1f %d\n", qint64(ls.n), ls.median,
                percentile(late.ms, 0.90), percentile(late.ms, 0.99), percentile(late.ms, 0.999), ls.max,
                ls.mean, late.over16, late.over16Sampled, late.over16Log, late.sampled, windowS, tickMs);
    std::printf("SCENARIO %lld %d %lld %lld %lld\n", qint64(client->services().size()), treeProcs,
                historyBefore, cap, historyAfter);
    std::printf("FLOODINFO %lld %lld %d %d\n", shownLine, producedLine, docChanges,
                window.detailPane()->logView()->maximumLines());
    std::printf("RSS %.1f %.1f\n", rssAtPaintMib, rssEnd);
    std::printf("FIRSTPAINT %.2f %s %.1f %.2f\n", firstPaint.ms, qPrintable(firstPaint.widget), rssAtPaintMib,
                firstPaint.frameDoneMs);
    std::fflush(stdout);
    return stopAndReturn(0);
}
