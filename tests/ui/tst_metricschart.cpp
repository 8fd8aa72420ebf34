// MetricsChart as a person reads it: round ticks, no line across a hole in
// the history, restart and exit markers both visible with what happened on
// hover, the value under the cursor, the memory_limit line following an
// edit of the file, "data since" on a young history, and the machine in
// absolute figures. Real engine, real demo backend, real files.
#include "config/configloader.h"
#include "engine/engineclient.h"
#include "metrics/metricshistory.h"
#include "metrics/systemsampler.h"
#include "metricschart.h"
#include "servicedetailpane.h"

#include "testsupport.h"

#include <QCategoryAxis>
#include <QDateTimeAxis>
#include <QFile>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>
#include <QValueAxis>

#include <csignal>
#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

QByteArray serviceToml(const QString &stateDir, const QByteArray &memoryLimit, bool autostart)
{
    return "[settings]\n"
           "state_dir = \"" +
           stateDir.toUtf8() +
           "\"\n"
           "sample_interval = \"1s\"\n\n"
           "[[service]]\n"
           "name = \"api\"\n"
           "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
           QByteArray::number(freePort()) + "\"]\n" + (autostart ? "" : "autostart = false\n") +
           "restart = \"always\"\n"
           "restart_delay = \"300ms\"\n"
           "stop_timeout = \"2s\"\n"
           "memory_limit = \"" +
           memoryLimit + "\"\n";
}

// Where a point of `series` is drawn, in the chart's viewport.
QPoint viewportPos(MetricsChart *chart, const QPointF &value, QAbstractSeries *series)
{
    return chart->mapFromScene(chart->chart()->mapToScene(chart->chart()->mapToPosition(value, series)));
}

// Counts the paint events of the widget it is installed on.
class PaintCounter final : public QObject
{
public:
    int count = 0;
    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() == QEvent::Paint)
            ++count;
        return false;
    }
};

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

} // namespace

class TestMetricsChart : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestEngine> m_engine;

    void startEngine(bool autostart, EngineOptions options = {.liveReload = false})
    {
        const QString path = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u".toml"_s);
        const QString state = m_dir.filePath(u"state-"_s + QString::fromLatin1(QTest::currentTestFunction()));
        QVERIFY(writeFile(path, serviceToml(state, "150MB", autostart)));
        const LoadResult r = ConfigLoader::loadFile(path);
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        QVERIFY(r.ok());
        m_engine = std::make_unique<TestEngine>(*r.config, options);
        m_engine->fleet().boot();
    }

    // Redraws `chart` from the history now and waits for the answer (and
    // for the one it asks again, when the history is younger than the range).
    static bool redraw(MetricsChart *chart)
    {
        const int before = chart->refreshCount();
        chart->refresh();
        return QTest::qWaitFor(
            [chart, before] { return chart->refreshCount() > before && !chart->isRefreshPending(); }, 5000);
    }

    static QString hoverAt(MetricsChart *chart, const QPoint &pos)
    {
        QTest::mouseMove(chart->viewport(), pos);
        return QToolTip::isVisible() ? QToolTip::text() : QString();
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void cleanup()
    {
        QToolTip::hideText();
        if (m_engine)
            QVERIFY(stopFleet(m_engine->fleet()));
        m_engine.reset();
    }

    void niceTickValues_data()
    {
        QTest::addColumn<double>("min");
        QTest::addColumn<double>("max");
        QTest::addColumn<int>("intervals");
        QTest::addColumn<QList<double>>("ticks");
        QTest::addColumn<int>("decimals");
        // Before: 0, 3, 5, 8, 10 and 0, 63, 125, 188, 250.
        QTest::newRow("0..10") << 0.0 << 10.0 << 5 << QList<double>{0, 2, 4, 6, 8, 10} << 0;
        QTest::newRow("0..250") << 0.0 << 250.0 << 5 << QList<double>{0, 50, 100, 150, 200, 250} << 0;
        QTest::newRow("0..188 rounds up") << 0.0 << 188.0 << 4 << QList<double>{0, 50, 100, 150, 200} << 0;
        QTest::newRow("percent") << 0.0 << 100.0 << 5 << QList<double>{0, 20, 40, 60, 80, 100} << 0;
        QTest::newRow("0..11 in 5") << 0.0 << 11.0 << 5 << QList<double>{0, 5, 10, 15} << 0;
        QTest::newRow("3..97 widened") << 3.0 << 97.0 << 5 << QList<double>{0, 20, 40, 60, 80, 100} << 0;
        QTest::newRow("fractions") << 0.0 << 0.37 << 4 << QList<double>{0, 0.1, 0.2, 0.3, 0.4} << 1;
        QTest::newRow("below zero") << -7.0 << 13.0 << 4 << QList<double>{-10, -5, 0, 5, 10, 15} << 0;
        QTest::newRow("big") << 0.0 << 7300.0 << 5 << QList<double>{0, 2000, 4000, 6000, 8000} << 0;
        QTest::newRow("empty range") << 0.0 << 0.0 << 5 << QList<double>{0, 0.2, 0.4, 0.6, 0.8, 1} << 1;
        QTest::newRow("one interval") << 0.0 << 3.0 << 1 << QList<double>{0, 5} << 0;
    }

    void niceTickValues()
    {
        QFETCH(double, min);
        QFETCH(double, max);
        QFETCH(int, intervals);
        QFETCH(QList<double>, ticks);
        QFETCH(int, decimals);
        const NiceTicks t = niceTicks(min, max, intervals);
        const QList<double> values = t.values();
        QCOMPARE(values.size(), ticks.size());
        for (qsizetype i = 0; i < ticks.size(); ++i)
            QVERIFY2(qAbs(values.at(i) - ticks.at(i)) < 1e-9,
                     qPrintable(u"tick %1: %2, expected %3"_s.arg(i).arg(values.at(i)).arg(ticks.at(i))));
        QCOMPARE(t.count(), ticks.size());
        QCOMPARE(t.decimals(), decimals);
    }

    void niceTimeTickValues_data()
    {
        QTest::addColumn<qint64>("from");
        QTest::addColumn<qint64>("to");
        QTest::addColumn<int>("maxTicks");
        QTest::addColumn<qint64>("utcOffset");
        QTest::addColumn<qint64>("step");
        QTest::addColumn<QStringList>("ticks"); // UTC
        QTest::addColumn<QString>("format");
        const auto at = [](int day, const char *time) {
            return QDateTime(QDate(2026, 11, day),
                             QTime::fromString(QString::fromLatin1(time), u"HH:mm:ss"_s), Qt::UTC)
                .toMSecsSinceEpoch();
        };
        constexpr qint64 minute = 60'000;
        constexpr qint64 hour = 60 * minute;
        QTest::newRow("30 s") << at(28, "10:02:37") << at(28, "10:03:07") << 6 << qint64(0) << qint64(5000)
                              << QStringList{u"10:02:40"_s, u"10:02:45"_s, u"10:02:50"_s,
                                             u"10:02:55"_s, u"10:03:00"_s, u"10:03:05"_s}
                              << u"HH:mm:ss"_s;
        QTest::newRow("5 min") << at(28, "10:02:37") << at(28, "10:07:37") << 6 << qint64(0) << minute
                               << QStringList{u"10:03:00"_s, u"10:04:00"_s, u"10:05:00"_s, u"10:06:00"_s,
                                              u"10:07:00"_s}
                               << u"HH:mm"_s;
        QTest::newRow("1 h") << at(28, "09:07:37") << at(28, "10:07:37") << 6 << qint64(0) << 10 * minute
                             << QStringList{u"09:10:00"_s, u"09:20:00"_s, u"09:30:00"_s,
                                            u"09:40:00"_s, u"09:50:00"_s, u"10:00:00"_s}
                             << u"HH:mm"_s;
        QTest::newRow("1 h, narrow") << at(28, "09:07:37") << at(28, "10:07:37") << 3 << qint64(0)
                                     << 30 * minute << QStringList{u"09:30:00"_s, u"10:00:00"_s}
                                     << u"HH:mm"_s;
        QTest::newRow("24 h") << at(27, "10:07:37") << at(28, "10:07:37") << 6 << qint64(0) << 6 * hour
                              << QStringList{u"12:00:00"_s, u"18:00:00"_s, u"00:00:00"_s, u"06:00:00"_s}
                              << u"HH:mm"_s;
        // Local hours east of UTC by 5:30: local 18:00, 00:00, 06:00, 12:00.
        QTest::newRow("24 h at +05:30")
            << at(27, "10:07:37") << at(28, "10:07:37") << 6 << 5 * hour + 30 * minute << 6 * hour
            << QStringList{u"12:30:00"_s, u"18:30:00"_s, u"00:30:00"_s, u"06:30:00"_s} << u"HH:mm"_s;
        QTest::newRow("7 d") << at(21, "10:07:37") << at(28, "10:07:37") << 8 << qint64(0) << 24 * hour
                             << QStringList(7, u"00:00:00"_s) << u"ddd d"_s;
        QTest::newRow("a young 7 d") << at(28, "10:02:37") << at(28, "10:07:37") << 6 << qint64(0) << minute
                                     << QStringList{u"10:03:00"_s, u"10:04:00"_s, u"10:05:00"_s,
                                                    u"10:06:00"_s, u"10:07:00"_s}
                                     << u"HH:mm"_s;
    }

    void niceTimeTickValues()
    {
        QFETCH(qint64, from);
        QFETCH(qint64, to);
        QFETCH(int, maxTicks);
        QFETCH(qint64, utcOffset);
        const TimeTicks t = niceTimeTicks(from, to, maxTicks, utcOffset);
        QTEST(t.stepMs, "step");
        QStringList ticks;
        for (const qint64 tick : t.ticks)
            ticks << QDateTime::fromMSecsSinceEpoch(tick, Qt::UTC).toString(u"HH:mm:ss"_s);
        QTEST(ticks, "ticks");
        QTEST(t.format, "format");
        QVERIFY(t.ticks.size() <= maxTicks);
    }

    void splitKeepsTheWidestGaps()
    {
        const QList<QPointF> points{{0, 1}, {1, 1}, {2, 1}, {10, 1}, {11, 1}, {13, 1}, {40, 1}};
        QCOMPARE(splitAtGaps(points, 1.5, 10),
                 (QList<QList<QPointF>>{{{0, 1}, {1, 1}, {2, 1}}, {{10, 1}, {11, 1}}, {{13, 1}}, {{40, 1}}}));
        // Two runs at most: only the widest hole (13 -> 40) stays open.
        QCOMPARE(splitAtGaps(points, 1.5, 2),
                 (QList<QList<QPointF>>{{{0, 1}, {1, 1}, {2, 1}, {10, 1}, {11, 1}, {13, 1}}, {{40, 1}}}));
        QCOMPARE(splitAtGaps({}, 1.5, 10), QList<QList<QPointF>>{});
        QCOMPARE(splitAtGaps(points, 100, 10).size(), 1);
    }

    // A service down for a minute in the last five: two runs, none across
    // the hole; hovering shows the value and time, and "no data" in the hole.
    void noLineAcrossAHoleAndHoverShowsValues()
    {
        startEngine(false);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 holeFrom = now - 180'000;
        const qint64 holeTo = now - 120'000;
        MetricsHistory *history = m_engine->fleet().history();
        for (qint64 t = now - 400'000; t < now; t += 1000) {
            if (t < holeFrom || t > holeTo)
                history->append(u"ghost"_s, u"cpu"_s, t, 42);
        }
        MetricsChart chart(m_engine->client());
        chart.addSeries(u"ghost"_s, u"cpu"_s, u"CPU %"_s, Qt::blue);
        chart.setUnit(u"%"_s);
        chart.setAutoValueRange(10);
        chart.resize(900, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QVERIFY(redraw(&chart));
        QVERIFY(redraw(&chart)); // the second with the laid-out plot width

        const QList<QLineSeries *> runs = chart.runsOf(0);
        QCOMPARE(runs.size(), 2);
        QVERIFY(chart.gapMs() < 60'000);
        for (QLineSeries *run : runs) {
            const QList<QPointF> points = run->points();
            QVERIFY(!points.isEmpty());
            const bool before = points.first().x() < holeFrom;
            for (qsizetype i = 0; i < points.size(); ++i) {
                QCOMPARE(points.at(i).x() < holeFrom, before); // no run crosses the hole
                if (i > 0)
                    QVERIFY(points.at(i).x() - points.at(i - 1).x() <= chart.gapMs());
            }
        }
        QCOMPARE(chart.dataSeries().size(), 1);     // one legend entry, however many runs
        QCOMPARE(chart.dataSinceText(), QString()); // the history is older than the range

        // Round ticks: 42 -> 0..50 in tens.
        QCOMPARE(chart.valueAxis()->min(), 0.0);
        QCOMPARE(chart.valueAxis()->max(), 50.0);
        QCOMPARE(chart.valueAxis()->tickCount(), 6);
        QCOMPARE(chart.valueAxis()->labelFormat(), u"%.0f"_s);
        // Round times along the bottom: whole minutes over five minutes.
        const QStringList times = chart.timeLabels()->categoriesLabels();
        QVERIFY2(times.size() >= 4, qPrintable(times.join(u' ')));
        for (const QString &label : times)
            QVERIFY2(QTime::fromString(label, u"HH:mm"_s).isValid(), qPrintable(times.join(u' ')));

        const qint64 at = now - 60'000;
        const QString text = hoverAt(&chart, viewportPos(&chart, QPointF(double(at), 20), runs.last()));
        QVERIFY2(text.contains(u"CPU %: 42.0 %"_s), qPrintable(text));
        // The time under the cursor, to the pixel (a pixel is under a second here).
        const QTime shown = QTime::fromString(text.section(u'\n', 0, 0), u"HH:mm:ss"_s);
        QVERIFY2(shown.isValid(), qPrintable(text));
        QVERIFY(qAbs(shown.secsTo(QDateTime::fromMSecsSinceEpoch(at).time())) <= 2);
        const QString inHole =
            hoverAt(&chart, viewportPos(&chart, QPointF(double(now - 150'000), 20), runs.last()));
        QVERIFY2(inHole.contains(u"CPU %: no data"_s), qPrintable(inHole));
        QCOMPARE(chart.hoverTextAt(QPoint(2, 2)), QString()); // outside the plot
        QTest::mouseMove(chart.viewport(), QPoint(2, 2));
        QTRY_VERIFY(!QToolTip::isVisible());
    }

    // A real crash: the exit and the restart it causes a moment later are
    // both drawn, in different shapes, colours and rows, and each says what
    // happened when hovered.
    void restartAndExitMarkersBothShow()
    {
        startEngine(true);
        EngineClient *client = m_engine->client();
        ServiceView *api = client->service(u"api"_s);
        QTRY_VERIFY_WITH_TIMEOUT(api->state() == ServiceState::Running && api->pid() > 0, 10000);
        const pid_t first = api->pid();
        QCOMPARE(::kill(first, SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(api->state() == ServiceState::Running && api->pid() != first, 10000);

        MetricsChart chart(client);
        chart.addSeries(u"api"_s, u"cpu"_s, u"CPU %"_s, Qt::blue);
        chart.setEventService(u"api"_s);
        chart.resize(900, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QVERIFY(redraw(&chart));
        QVERIFY(redraw(&chart));

        QScatterSeries *exits = chart.exitMarkers();
        QScatterSeries *restarts = chart.restartMarkers();
        QCOMPARE(exits->count(), 1);
        QCOMPARE(restarts->count(), 1);
        QVERIFY(exits->markerShape() != restarts->markerShape());
        QVERIFY(exits->color() != restarts->color());
        const QPoint exitPos = viewportPos(&chart, exits->at(0), exits);
        const QPoint restartPos = viewportPos(&chart, restarts->at(0), restarts);
        QVERIFY2(qAbs(exitPos.y() - restartPos.y()) >= exits->markerSize(), "the rows overlap");

        const QString exitText = hoverAt(&chart, exitPos);
        QVERIFY2(exitText.startsWith(u"exited "_s), qPrintable(exitText));
        QVERIFY2(exitText.contains(u"SIGKILL"_s), qPrintable(exitText));
        const QString restartText = hoverAt(&chart, restartPos);
        QVERIFY2(restartText.startsWith(u"restarted "_s), qPrintable(restartText));
        // "restarted 14:02:11 — ...": the time the marker stands at.
        const QString time =
            QDateTime::fromMSecsSinceEpoch(qint64(restarts->at(0).x())).toString(u"HH:mm:ss"_s);
        QVERIFY2(restartText.contains(time), qPrintable(restartText));
    }

    // memory_limit edited in the file: the line moves without reselecting.
    void limitLineFollowsConfigEdit()
    {
        startEngine(false, {.liveReload = true});
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 600);
        pane.setService(m_engine->client()->service(u"api"_s));
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        MetricsChart *memory = pane.memoryChart();
        QCOMPARE(memory->limit().value_or(-1), 150.0);

        QSignalSpy applied(m_engine->client(), &EngineClient::reloadApplied);
        const QString path = m_engine->client()->config().path;
        const QString state = m_engine->client()->stateDir();
        QFile in(path);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray toml = in.readAll();
        in.close();
        toml.replace("memory_limit = \"150MB\"", "memory_limit = \"300MB\"");
        QVERIFY(writeFile(path, toml));
        QVERIFY(applied.wait(10000));
        QTRY_COMPARE(memory->limit().value_or(-1), 300.0);
        QCOMPARE(memory->limitSeries()->name(), u"memory_limit 300 MB"_s);
        QTRY_VERIFY(memory->limitSeries()->count() == 2 && memory->limitSeries()->at(0).y() == 300.0);
        QVERIFY(memory->valueAxis()->max() >= 300.0);
    }

    // A history minutes old: the long ranges start where it starts, and say so.
    void youngHistorySaysDataSince()
    {
        startEngine(false);
        QSignalSpy sampled(m_engine->client(), &EngineClient::sampled);
        QVERIFY(sampled.wait(5000));
        const auto first = m_engine->fleet().history()->firstSampleMs(QString(), u"memory"_s);
        QVERIFY(first.has_value());

        MetricsChart chart(m_engine->client());
        chart.addSeries(QString(), u"memory"_s, u"memory %"_s, Qt::blue);
        chart.resize(900, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const QString expected =
            u"data since "_s + QDateTime::fromMSecsSinceEpoch(*first).toString(u"HH:mm"_s);
        for (ChartRange range : {ChartRange::OneHour, ChartRange::OneDay, ChartRange::SevenDays}) {
            chart.setRange(range);
            QVERIFY(redraw(&chart));
            QCOMPARE(chart.dataSinceText(), expected);
            QCOMPARE(chart.timeLabels()->titleText(), expected); // what a person reads
            QCOMPARE(chart.timeAxis()->min().toMSecsSinceEpoch(), *first);
            // At the samples' own rate, not as one 5 min bucket of a week's view.
            const QList<QPointF> points = chart.dataSeries().value(0)->points();
            QVERIFY(!points.isEmpty());
            QVERIFY(points.first().x() >= double(*first));
            QVERIFY2(chart.timeAxis()->max().toMSecsSinceEpoch() - points.last().x() < 5000,
                     qPrintable(chartRangeLabel(range)));
        }

        MetricsChart empty(m_engine->client()); // a series never sampled
        empty.addSeries(u"nobody"_s, u"cpu"_s, u"CPU %"_s, Qt::blue);
        empty.resize(600, 300);
        empty.show();
        QVERIFY(QTest::qWaitForWindowExposed(&empty));
        QVERIFY(redraw(&empty));
        QCOMPARE(empty.dataSinceText(), u"no data yet"_s);
    }

    void longRangesRedrawOncePerBucketNotPerSample()
    {
        startEngine(false);
        // A week of history: the 7-day view's buckets are ~13 min wide.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        MetricsHistory *history = m_engine->fleet().history();
        for (qint64 t = now - chartRangeMs(ChartRange::SevenDays) + 60'000; t < now; t += 3'600'000)
            history->append(QString(), u"memory"_s, t, 40);
        history->flush();

        MetricsChart chart(m_engine->client());
        chart.addSeries(QString(), u"memory"_s, u"memory %"_s, Qt::blue);
        chart.resize(900, 300);
        chart.setRange(ChartRange::SevenDays);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QVERIFY(redraw(&chart));
        const int before = chart.refreshCount();
        QSignalSpy sampled(m_engine->client(), &EngineClient::sampled);
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 10000);
        QVERIFY(!chart.isRefreshPending());
        QCOMPARE(chart.refreshCount(), before); // nothing on screen could have moved

        // The 5 min view moves a pixel or more per sample: it follows each one.
        chart.setRange(ChartRange::FiveMinutes);
        QTRY_VERIFY(!chart.isRefreshPending());
        const int fiveMin = chart.refreshCount();
        sampled.clear();
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 3, 10000);
        QTRY_VERIFY(chart.refreshCount() >= fiveMin + 2);
    }

    void systemFiguresInWords()
    {
        SystemSample s;
        QCOMPARE(systemFiguresText(s), QString()); // nothing known, nothing said
        s.cpuValid = true;
        s.cpuPercent = 65;
        s.cpuCores = 2;
        s.memoryValid = true;
        s.mem.totalBytes = 24'000'000'000;
        s.mem.availableBytes = 18'900'000'000;
        DiskUsage d;
        d.rootPath = u"/"_s;
        d.totalBytes = 500'000'000'000;
        d.availableBytes = 120'000'000'000;
        s.disks = {d};
        QCOMPARE(systemFiguresText(s), u"CPU 1.3 of 2 cores busy \u00b7 memory 5.1 GB used of 24 GB \u00b7 "
                                       u"disk 120 GB free of 500 GB on /"_s);
        s.cpuCores = 1;
        s.cpuPercent = 50;
        s.memoryValid = false;
        s.disks.first().unavailable = true;
        QCOMPARE(systemFiguresText(s),
                 u"CPU 0.5 of 1 core busy \u00b7 disk 120 GB free of 500 GB on / (last known)"_s);
    }

    // The system overview of a real machine: cores, GB and free disk in the title.
    void systemChartShowsAbsoluteFigures()
    {
        startEngine(false);
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 600);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(pane.showsSystemOverview());
        MetricsChart *system = pane.systemChart();
        QTRY_VERIFY_WITH_TIMEOUT(
            system->title().contains(u"cores busy"_s) || system->title().contains(u"core busy"_s), 10000);
        QVERIFY2(system->title().startsWith(u"This machine \u2014 CPU "_s), qPrintable(system->title()));
        QVERIFY2(system->title().contains(u" used of "_s), qPrintable(system->title()));
        const SystemSample sample = m_engine->client()->lastUsage().system;
        QVERIFY(system->title().contains(u"of %1 core"_s.arg(sample.cpuCores)));
    }

    // The overview as the window first shows it, with a full 5 min range:
    // each sample is one redraw and one repaint (series, axes and title
    // together, not the series and then the rest), and the round times
    // under the chart are laid out anew only when they move (every minute).
    void overviewRepaintsOncePerSample()
    {
        startEngine(false);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        MetricsHistory *history = m_engine->fleet().history();
        for (qint64 t = now - 10 * 60'000; t < now; t += 1000) {
            for (const QString &metric : {u"cpu"_s, u"memory"_s, u"disk"_s})
                history->append(QString(), metric, t, 20);
        }
        history->flush();
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 600);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        MetricsChart *system = pane.systemChart();
        QTRY_VERIFY_WITH_TIMEOUT(system->title().contains(u" busy"_s), 10000);
        QTRY_VERIFY(!system->isRefreshPending());

        PaintCounter paints;
        system->viewport()->installEventFilter(&paints);
        const int draws = system->refreshCount();
        const int rebuilds = system->timeLabelRebuilds();
        QSignalSpy sampled(m_engine->client(), &EngineClient::sampled);
        QTRY_VERIFY_WITH_TIMEOUT(sampled.size() >= 4, 15000);
        QTRY_VERIFY(!system->isRefreshPending());
        const int redraws = system->refreshCount() - draws;
        QVERIFY2(redraws >= 3, qPrintable(QString::number(redraws))); // the chart moves with the samples
        QVERIFY2(paints.count <= redraws + 1,
                 qPrintable(u"%1 paints for %2 redraws"_s.arg(paints.count).arg(redraws)));
        QVERIFY2(system->timeLabelRebuilds() - rebuilds <= 1,
                 qPrintable(QString::number(system->timeLabelRebuilds() - rebuilds)));
    }
};

QTEST_MAIN(TestMetricsChart)
#include "tst_metricschart.moc"
