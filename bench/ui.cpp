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
//
//   lifeline-bench-ui --merged-log [--seconds 10] [--lines-per-s 50000]
//                     [--run-lines 5] [--logger PATH] [--no-index]
//
// 5. The merged log view's cost: a writer thread floods a real lifeline-logger
//    (two pipes, with its order index unless --no-index) at lines-per-s,
//    switching between stdout and stderr every run-lines lines (0: stdout
//    only); a LogView on the two files polls every 250 ms and each tick
//    (read, merge, draw) is timed. Also the logger's CPU over the window,
//    from /proc (--logger: another build of it, e.g. one without --index).
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
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextDocument>
#include <QTimer>

#include <atomic>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

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

// utime + stime of a process, in clock ticks.
qint64 cpuTicks(qint64 pid)
{
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? fields[11].toLongLong() + fields[12].toLongLong() : -1;
}

int mergedLog(const QCommandLineParser &parser, const QCommandLineOption &secondsOpt,
              const QCommandLineOption &rateOpt, const QCommandLineOption &runOpt,
              const QCommandLineOption &loggerOpt, const QCommandLineOption &noIndexOpt)
{
    const int seconds = parser.value(secondsOpt).toInt();
    const int rate = parser.value(rateOpt).toInt();
    const int runLines = parser.value(runOpt).toInt();
    const QString loggerPath = parser.isSet(loggerOpt)
                                   ? parser.value(loggerOpt)
                                   : QCoreApplication::applicationDirPath() + u"/lifeline-logger"_s;
    QTemporaryDir dir;
    const QString out = dir.filePath(u"flood.log"_s);
    const QString err = dir.filePath(u"flood.err.log"_s);
    int outPipe[2];
    int errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0)
        return 1;
    QProcess logger;
    logger.setChildProcessModifier([&] {
        ::dup2(outPipe[0], 0);
        ::dup2(errPipe[0], 3);
    });
    QStringList args{u"--out"_s,      out,           u"--err"_s,     err,
                     u"--max-size"_s, u"10000000"_s, u"--backups"_s, u"2"_s};
    if (!parser.isSet(noIndexOpt))
        args += {u"--index"_s, LogTailer::orderIndexPath(out)};
    logger.start(loggerPath, args);
    if (!logger.waitForStarted(5000)) {
        note(u"cannot start "_s + loggerPath);
        return 1;
    }
    ::close(outPipe[0]);
    ::close(errPipe[0]);

    // The service: every 10 ms the lines due, in runs of runLines per stream,
    // one write(2) per run (a service's stdio flushing its buffer).
    std::atomic<bool> stop = false;
    std::thread writer([&] {
        QElapsedTimer clock;
        clock.start();
        qint64 written = 0;
        bool toErr = false;
        const QByteArray pad = " bench line lorem ipsum dolor sit amet consectetur adipiscing\n";
        while (!stop) {
            const qint64 due = clock.nsecsElapsed() * rate / 1'000'000'000;
            while (written < due) {
                QByteArray run;
                const qint64 n = std::min<qint64>(runLines > 0 ? runLines : 500, due - written);
                for (qint64 k = 0; k < n; ++k)
                    run += QByteArray::number(++written) + pad;
                const int fd = toErr ? errPipe[1] : outPipe[1];
                for (qsizetype done = 0; done < run.size();) {
                    const ssize_t w = ::write(fd, run.constData() + done, size_t(run.size() - done));
                    if (w <= 0)
                        break;
                    done += w;
                }
                if (runLines > 0)
                    toErr = !toErr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::close(outPipe[1]);
        ::close(errPipe[1]);
    });

    LogView view;
    view.resize(1100, 700);
    view.setFiles(out, err);
    view.show();
    pause(500);
    // The bench drives the ticks itself, to time each one.
    view.tailer()->setInterval(3'600'000);
    QList<double> tickMs;
    QTimer ticks;
    ticks.setInterval(LogTailer::kDefaultIntervalMs);
    QObject::connect(&ticks, &QTimer::timeout, &view, [&] {
        QElapsedTimer t;
        t.start();
        view.tailer()->pollNow();
        tickMs.push_back(msSince(t));
    });
    const qint64 cpuBefore = cpuTicks(logger.processId());
    QElapsedTimer window;
    window.start();
    ticks.start();
    pause(seconds * 1000);
    ticks.stop();
    const double windowS = msSince(window) / 1000;
    const qint64 cpuAfter = cpuTicks(logger.processId());
    stop = true;
    writer.join();
    logger.waitForFinished(30000);

    const Stats st = summarize(tickMs);
    double busy = 0;
    for (double ms : tickMs)
        busy += ms;
    const double loggerCpu = double(cpuAfter - cpuBefore) / double(sysconf(_SC_CLK_TCK)) / windowS * 100;
    const QFileInfo index(LogTailer::orderIndexPath(out));
    // rate run-lines index? ticks p50 p99 worst gui-busy-% logger-cpu-% index-bytes bytes-read bytes-skipped
    // blocks
    std::printf("MERGEDLOG %d %d %d %lld %.2f %.2f %.2f %.2f %.2f %lld %lld %lld %d\n", rate, runLines,
                parser.isSet(noIndexOpt) ? 0 : 1, qint64(st.n), st.median, percentile(tickMs, 0.99), st.max,
                busy / (windowS * 10), loggerCpu, index.exists() ? index.size() : 0,
                view.tailer()->bytesRead(), view.tailer()->bytesSkipped(),
                view.editor()->document()->blockCount());
    std::fflush(stdout);
    return 0;
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
    const QCommandLineOption mergedOpt(u"merged-log"_s, u"Measure the merged log view alone."_s);
    const QCommandLineOption rateOpt(u"lines-per-s"_s, u"Merged log: flood rate."_s, u"N"_s, u"50000"_s);
    const QCommandLineOption runOpt(
        u"run-lines"_s, u"Merged log: lines per stream switch (0: stdout only)."_s, u"N"_s, u"5"_s);
    const QCommandLineOption loggerOpt(u"logger"_s, u"Merged log: the lifeline-logger to run."_s, u"PATH"_s);
    const QCommandLineOption noIndexOpt(u"no-index"_s, u"Merged log: run the logger without --index."_s);
    parser.addOptions({configOpt, firstOpt, redrawsOpt, secondsOpt, tickOpt, floodOpt, treeOpt, capOpt,
                       hiddenOpt, mergedOpt, rateOpt, runOpt, loggerOpt, noIndexOpt});
    parser.addHelpOption();
    parser.process(app);
    if (parser.isSet(mergedOpt))
        return mergedLog(parser, secondsOpt, rateOpt, runOpt, loggerOpt, noIndexOpt);

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
