// ServiceDetailPane against a real Fleet: a demo backend with an HTTP health
// check and a memory limit, a second service without either, real samples
// and a history filled for seven days.
#include "config/configloader.h"
#include "health/healthmonitor.h"
#include "healthview.h"
#include "logs/eventlog.h"
#include "logview.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "metricschart.h"
#include "servicedetailpane.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDateTimeAxis>
#include <QDir>
#include <QLabel>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>
#include <QValueAxis>

#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

qint64 axisSpanMs(const MetricsChart *chart)
{
    return chart->timeAxis()->max().toMSecsSinceEpoch() - chart->timeAxis()->min().toMSecsSinceEpoch();
}

} // namespace

class TestDetailPane : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestEngine> m_engine;
    Fleet *m_fleet = nullptr; // the engine's, on this thread
    quint16 m_port = 0;

    // As the pane sees them.
    ServiceView *api() const { return m_engine->client()->service(u"api"_s); }
    ServiceView *worker() const { return m_engine->client()->service(u"worker"_s); }

    // Waits for `n` more samples to reach the client, and for the charts'
    // questions to the history that they set off to be answered.
    bool waitTicks(int n)
    {
        EngineClient *client = m_engine->client();
        QSignalSpy spy(client, &EngineClient::sampled);
        for (int i = 0; i < n; ++i) {
            if (!spy.wait(5000))
                return false;
        }
        return QTest::qWaitFor([client] { return client->pendingQueries() == 0; }, 5000);
    }

    // Seven days of history at one point a minute, the last hour every 2 s,
    // the last 5 minutes every 100 ms: far more points than any plot is wide.
    void fillHistory()
    {
        MetricsHistory *h = m_fleet->history();
        const qint64 now = QDateTime::currentMSecsSinceEpoch() - 2000;
        auto add = [h](qint64 t) {
            const double wave = double((t / 1000) % 97);
            h->append(u"api"_s, u"cpu"_s, t, wave);
            h->append(u"api"_s, u"rss"_s, t, (50 + wave) * 1e6);
            h->append(QString(), u"cpu"_s, t, wave);
            h->append(QString(), u"memory"_s, t, 40 + wave / 4);
            h->append(QString(), u"disk"_s, t, 60);
        };
        qint64 t = now - 7LL * 24 * 3'600'000 + 60'000;
        for (; t < now - 3'600'000; t += 60'000)
            add(t);
        for (; t < now - 300'000; t += 2'000)
            add(t);
        for (; t < now; t += 100)
            add(t);
        h->flush();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ServiceState>();
        qRegisterMetaType<HealthResult>();
    }

    void init()
    {
        m_port = freePort();
        const QByteArray port = QByteArray::number(m_port);
        const QByteArray toml = "[settings]\n"
                                "state_dir = \"" +
                                m_dir.path().toUtf8() + "/state-" + QTest::currentTestFunction() +
                                "\"\n"
                                "sample_interval = \"200ms\"\n\n"
                                "[[service]]\n"
                                "name = \"api\"\n"
                                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                port +
                                "\"]\n"
                                "memory_limit = \"500MB\"\n"
                                "cpu_limit = 95\n"
                                "stop_timeout = \"2s\"\n"
                                "[service.health]\n"
                                "url = \"http://127.0.0.1:" +
                                port +
                                "/health\"\n"
                                "interval = \"200ms\"\n"
                                "timeout = \"150ms\"\n\n"
                                "[[service]]\n"
                                "name = \"worker\"\n"
                                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                QByteArray::number(freePort()) +
                                "\"]\n"
                                "stop_timeout = \"2s\"\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        QVERIFY(r.ok());
        m_engine = std::make_unique<TestEngine>(*r.config);
        m_fleet = &m_engine->fleet();
        m_fleet->boot();
        QTRY_VERIFY_WITH_TIMEOUT(
            api()->state() == ServiceState::Running && worker()->state() == ServiceState::Running, 10000);
    }

    void cleanup()
    {
        if (!m_fleet)
            return;
        QSignalSpy stopped(m_fleet, &Fleet::allStopped);
        m_fleet->stopAll();
        if (!m_fleet->isAllStopped())
            QVERIFY(stopped.wait(15000));
        m_fleet = nullptr;
        m_engine.reset();
    }

    void chartsHoldBoundedPointsForEveryRange()
    {
        fillHistory();
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(!pane.showsSystemOverview());
        QVERIFY(waitTicks(3));

        QLineSeries *cpu = pane.cpuChart()->dataSeries().value(0);
        QLineSeries *rss = pane.memoryChart()->dataSeries().value(0);
        QLineSeries *disk = pane.diskChart()->dataSeries().value(0);
        QVERIFY(cpu && rss && disk);
        QVERIFY(cpu->count() > 0);
        QVERIFY(rss->count() > 0);
        QVERIFY(disk->count() > 0);
        // RSS is shown in MB: the demo backend is more than 1 MB and far below 10 GB.
        QVERIFY2(rss->at(rss->count() - 1).y() > 1 && rss->at(rss->count() - 1).y() < 10'000,
                 qPrintable(QString::number(rss->at(rss->count() - 1).y())));

        for (ChartRange range :
             {ChartRange::FiveMinutes, ChartRange::OneHour, ChartRange::OneDay, ChartRange::SevenDays}) {
            pane.setRange(range);
            QVERIFY(waitTicks(1));
            for (MetricsChart *chart : {pane.cpuChart(), pane.memoryChart(), pane.diskChart()}) {
                const qsizetype count = chart->dataSeries().value(0)->count();
                const int width = chart->plotWidth();
                QVERIFY2(width > 50 && width < 1100, qPrintable(QString::number(width)));
                QVERIFY2(count > width / 4,
                         qPrintable(u"%1: %2 points"_s.arg(chart->chart()->title()).arg(count)));
                QVERIFY2(count <= 2 * width,
                         qPrintable(u"%1, %2: %3 points for %4 px"_s
                                        .arg(chart->chart()->title(), chartRangeLabel(range))
                                        .arg(count)
                                        .arg(width)));
            }
        }
    }

    void memoryLimitLineOnlyWhenConfigured()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.show();
        pane.setService(api());
        QVERIFY(waitTicks(1));
        QVERIFY(pane.memoryChart()->limit().has_value());
        QCOMPARE(*pane.memoryChart()->limit(), 500.0); // MB
        QLineSeries *limit = pane.memoryChart()->limitSeries();
        QVERIFY(limit);
        QCOMPARE(limit->count(), 2);
        QCOMPARE(limit->at(0).y(), 500.0);
        QCOMPARE(limit->pen().style(), Qt::DashLine);
        QCOMPARE(limit->name(), u"memory_limit 500 MB"_s);
        // The axis makes room for the line.
        QVERIFY(pane.memoryChart()->valueAxis()->max() >= 500);

        // The CPU chart shows cpu_limit the same way.
        QCOMPARE(pane.cpuChart()->limit(), std::optional<double>(95.0));
        QVERIFY(pane.cpuChart()->limitSeries());
        QCOMPARE(pane.cpuChart()->limitSeries()->name(), u"cpu_limit 95% for 1m"_s);

        pane.setService(worker());
        QVERIFY(!pane.memoryChart()->limitSeries());
        QVERIFY(!pane.memoryChart()->limit().has_value());
        QVERIFY(!pane.cpuChart()->limit().has_value());
    }

    void switchingRangesChangesTheAxis()
    {
        fillHistory(); // a younger one starts the axis at its first sample (tst_metricschart)
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setRange(ChartRange::OneHour); // default from a setter, before showing
        pane.setService(api());
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(pane.rangeButton(ChartRange::OneHour)->isChecked());
        // Drawn when the history answers.
        QTRY_VERIFY(qAbs(axisSpanMs(pane.cpuChart()) - 3'600'000) < 2000);

        pane.rangeButton(ChartRange::SevenDays)->click();
        QCOMPARE(pane.range(), ChartRange::SevenDays);
        for (MetricsChart *chart : pane.charts()) {
            if (chart->isVisible())
                QTRY_VERIFY(qAbs(axisSpanMs(chart) - 7LL * 24 * 3'600'000) < 2000);
        }
        pane.setRange(ChartRange::FiveMinutes);
        QVERIFY(pane.rangeButton(ChartRange::FiveMinutes)->isChecked());
        QVERIFY(!pane.rangeButton(ChartRange::SevenDays)->isChecked());
        QTRY_VERIFY(qAbs(axisSpanMs(pane.memoryChart()) - 300'000) < 2000);
        // Ticks move the window forward (once a bucket's worth of time has passed).
        const QDateTime before = pane.cpuChart()->timeAxis()->max();
        QVERIFY(waitTicks(2));
        QTRY_VERIFY(pane.cpuChart()->timeAxis()->max() > before);
    }

    void nothingSelectedShowsTheSystemOverview()
    {
        // In the app the pane is inside the shown window: the system figures
        // are sampled at full rate (unwatched: every 10th tick).
        m_engine->engine().setWindowShown(true);
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.show();
        pane.setService(nullptr);
        QVERIFY(pane.showsSystemOverview());
        QVERIFY(pane.systemChart()->isVisible());
        QVERIFY(!pane.cpuChart()->isVisible());
        QCOMPARE(pane.titleLabel()->text(), u"System overview"_s);
        QCOMPARE(pane.systemChart()->dataSeries().size(), 3);
        QVERIFY(waitTicks(3));
        for (QLineSeries *s : pane.systemChart()->dataSeries())
            QVERIFY2(s->count() > 0, qPrintable(s->name()));
        QCOMPARE(pane.systemChart()->valueAxis()->max(), 100.0);
        QVERIFY(pane.healthView()->showsPlaceholder());
        // The log of Lifeline itself.
        QCOMPARE(pane.logView()->outPath(), m_fleet->eventLog()->path());
    }

    void hiddenPaneDoesNotRedraw()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.show();
        QVERIFY(waitTicks(2));
        MetricsChart *chart = pane.cpuChart();
        const int drawn = chart->refreshCount();
        QVERIFY(drawn > 0);
        const QList<QPointF> before = chart->dataSeries().value(0)->points();
        const QDateTime axisEnd = chart->timeAxis()->max();

        pane.hide(); // the window went to the tray
        QVERIFY(waitTicks(3));
        QCOMPARE(chart->refreshCount(), drawn);
        QCOMPARE(chart->dataSeries().value(0)->points(), before);
        QCOMPARE(chart->timeAxis()->max(), axisEnd);
        QVERIFY(chart->isRefreshPending());

        const QDateTime shownAt = QDateTime::fromMSecsSinceEpoch(QDateTime::currentMSecsSinceEpoch());
        pane.show(); // catches up at once, without waiting for a tick: it asks now
        QVERIFY(m_engine->client()->pendingQueries() > 0);
        QTRY_VERIFY(chart->refreshCount() >= drawn + 1);
        QVERIFY(shownAt > axisEnd);
        QVERIFY(chart->timeAxis()->max() >= shownAt); // the axis ends now, not where it was hidden
        QTRY_VERIFY(!chart->isRefreshPending());

        // Another tab in front: the charts are hidden too.
        pane.tabs()->setCurrentIndex(ServiceDetailPane::LogTab);
        const int onLogTab = chart->refreshCount();
        QVERIFY(waitTicks(2));
        QCOMPARE(chart->refreshCount(), onLogTab);
    }

    void healthViewShowsResultsAsTheyCome()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.tabs()->setCurrentIndex(ServiceDetailPane::HealthTab);
        pane.show();
        HealthView *view = pane.healthView();
        QVERIFY(!view->showsPlaceholder());
        QCOMPARE(view->service(), api());
        const int rows = view->table()->rowCount();
        QSignalSpy results(m_fleet->service(u"api"_s)->health(), &HealthMonitor::resultAdded);
        QVERIFY(results.wait(5000));
        QVERIFY(results.wait(5000));
        QTRY_COMPARE(view->table()->rowCount(), rows + int(results.size()));
        // Newest first.
        const HealthResult last = results.last().at(0).value<HealthResult>();
        QCOMPARE(view->table()->item(0, HealthView::ResultColumn)->text(), last.ok ? u"ok"_s : u"fail"_s);
        QCOMPARE(view->table()->item(0, HealthView::StatusColumn)->text(), QString::number(last.httpStatus));
        QCOMPARE(view->table()->item(0, HealthView::LatencyColumn)->text(), QString::number(last.latencyMs));
        QVERIFY(last.ok);
        QCOMPARE(last.httpStatus, 200);
        // The backend's own report, as a tree.
        QVERIFY(view->reportTree()->topLevelItemCount() > 0);
        const QList<QTreeWidgetItem *> status = view->reportTree()->findItems(u"status"_s, Qt::MatchExactly);
        QCOMPARE(status.size(), 1);
        QCOMPARE(status.first()->text(1), last.report.value(u"status"_s).toString());
        QVERIFY(view->summaryLabel()->text().contains(u"healthy"_s));

        // A service without a health check.
        pane.setService(worker());
        QVERIFY(view->showsPlaceholder());
        QVERIFY(view->placeholder()->text().contains(u"No health check configured"_s));
        QCOMPARE(view->table()->rowCount(), 0);
    }

    void healthRowsAreBounded()
    {
        HealthView view;
        ServiceSnapshot snap;
        snap.spec.name = u"api"_s;
        snap.health = HealthSnapshot{};
        HealthResult r;
        r.ok = true;
        r.httpStatus = 200;
        for (int i = 0; i < HealthView::kMaxRows + 50; ++i) {
            r.latencyMs = i;
            r.timeMs = 1'000'000 + i;
            snap.health->results.append(r);
        }
        ServiceView service(snap);
        view.setService(&service);
        QCOMPARE(view.table()->rowCount(), HealthView::kMaxRows);
        QCOMPARE(view.table()->item(0, HealthView::LatencyColumn)->text(),
                 QString::number(HealthView::kMaxRows + 49));
        QVERIFY(view.reportTree()->topLevelItem(0)->text(0).contains(u"no JSON report"_s));

        // The next snapshot brings one more: only it is added, on top.
        r.latencyMs = 9999;
        r.timeMs = 2'000'000;
        snap.health->results.append(r);
        service.update(snap);
        QCOMPARE(view.table()->rowCount(), HealthView::kMaxRows);
        QCOMPARE(view.table()->item(0, HealthView::LatencyColumn)->text(), u"9999"_s);
        QCOMPARE(view.table()->item(1, HealthView::LatencyColumn)->text(),
                 QString::number(HealthView::kMaxRows + 49));
    }

    void eventsTabShowsStartsAndLiveEvents()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.tabs()->setCurrentIndex(ServiceDetailPane::EventsTab);
        pane.show();
        const QString startText = u"started pid %1"_s.arg(api()->pid());
        QTRY_VERIFY2(pane.eventsView()->toPlainText().contains(startText),
                     qPrintable(pane.eventsView()->toPlainText()));
        QVERIFY(pane.eventsView()->toPlainText().contains(u"start"_s));
        QVERIFY(!pane.eventsView()->toPlainText().contains(u"pid %1"_s.arg(worker()->pid())));

        // Live: a restart of this service shows up, one of another does not.
        QSignalSpy logged(m_fleet, &Fleet::eventLogged);
        const int lines = pane.eventsView()->document()->blockCount();
        const pid_t apiBefore = api()->pid();
        const pid_t workerBefore = worker()->pid();
        m_fleet->restart(u"worker"_s);
        m_fleet->restart(u"api"_s);
        QTRY_VERIFY_WITH_TIMEOUT(api()->state() == ServiceState::Running && api()->pid() > 0 &&
                                     api()->pid() != apiBefore &&
                                     worker()->state() == ServiceState::Running &&
                                     worker()->pid() != workerBefore && worker()->pid() > 0,
                                 10000);
        QTRY_VERIFY(pane.eventsView()->toPlainText().contains(u"pid %1"_s.arg(api()->pid())));
        QVERIFY(pane.eventsView()->document()->blockCount() > lines);
        QVERIFY(!pane.eventsView()->toPlainText().contains(u"pid %1"_s.arg(worker()->pid())));
        QVERIFY(!logged.isEmpty());

        // The system overview lists every service's events, named.
        pane.setService(nullptr);
        QTRY_VERIFY(pane.eventsView()->toPlainText().contains(u"[worker]"_s));
        QVERIFY(pane.eventsView()->toPlainText().contains(u"[api]"_s));
    }

    void headerShowsTheService()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.setService(api());
        QCOMPARE(pane.titleLabel()->text(), u"api"_s);
        QVERIFY(pane.stateLabel()->text().contains(u"running"_s));
        QVERIFY(pane.stateLabel()->text().contains(QString::number(api()->pid())));
        QVERIFY(pane.commandLabel()->text().contains(QStringLiteral(LIFELINE_DEMO_BACKEND)));
        QSignalSpy changed(m_fleet, &Fleet::serviceStateChanged);
        m_fleet->stop(u"api"_s);
        QTRY_VERIFY_WITH_TIMEOUT(pane.stateLabel()->text().startsWith(u"stopped"_s), 10000);
    }

    void screenshot()
    {
        // Not a check: a picture for people to look at (path in the log).
        fillHistory();
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1100, 700);
        pane.setService(api());
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(waitTicks(4));
        pane.setRange(ChartRange::OneHour);
        const QString dir = qEnvironmentVariable("LIFELINE_SCREENSHOT_DIR", QDir::tempPath());
        QVERIFY(pane.grab().save(dir + u"/detail.png"_s));
        pane.tabs()->setCurrentIndex(ServiceDetailPane::HealthTab);
        QVERIFY(waitTicks(2));
        QVERIFY(pane.grab().save(dir + u"/detail-health.png"_s));
        pane.setService(nullptr);
        pane.tabs()->setCurrentIndex(ServiceDetailPane::ChartsTab);
        QVERIFY(waitTicks(1));
        QVERIFY(pane.grab().save(dir + u"/detail-system.png"_s));
        qInfo("screenshots in %s", qPrintable(dir));
    }
};

QTEST_MAIN(TestDetailPane)
#include "tst_detailpane.moc"
