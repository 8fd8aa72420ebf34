// The Alerts tab of the detail pane against a real engine: a service that
// gives up (a real child exiting 3) fires a critical alert, which the tab
// shows first and highlighted; clicking it shows all of its text.
#include "alertsview.h"
#include "config/configloader.h"
#include "servicedetailpane.h"

#include "testsupport.h"

#include <QLabel>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TstAlertsView : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<TestEngine> m_engine;

private slots:
    void initTestCase()
    {
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                                "\"\n\n[[service]]\nname = \"flaky\"\n"
                                "command = [\"/bin/sh\", \"-c\", \"exit 3\"]\nrestart_delay = \"100ms\"\n"
                                "max_restarts = 1\nrestart_window = \"1m\"\n"
                                "\n[[service]]\nname = \"calm\"\ncommand = [\"/bin/sleep\", \"600\"]\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        QVERIFY(r.config);
        m_engine = std::make_unique<TestEngine>(*r.config);
        m_engine->client()->boot();
    }

    void cleanupTestCase()
    {
        QVERIFY(stopFleet(*m_engine->client()));
        m_engine.reset();
    }

    void firingAlertIsFirstHighlightedAndReadable()
    {
        ServiceDetailPane pane(m_engine->client());
        pane.resize(1000, 600);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QTRY_VERIFY(m_engine->client()->service(u"flaky"_s));
        pane.setService(m_engine->client()->service(u"flaky"_s));

        QTabBar *bar = pane.tabs()->tabBar();
        QCOMPARE(bar->tabText(ServiceDetailPane::AlertsTab), u"Alerts"_s);
        QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(ServiceDetailPane::AlertsTab).center());
        QCOMPARE(pane.tabs()->currentWidget(), pane.alertsView());

        QTableWidget *table = pane.alertsView()->table();
        QTRY_VERIFY_WITH_TIMEOUT(pane.alertsView()->firingRows() >= 1, 15'000);
        QTableWidgetItem *title = table->item(0, AlertsView::TitleColumn);
        QCOMPARE(title->text(), u"flaky gave up: manual intervention required"_s);
        QCOMPARE(table->item(0, AlertsView::StateColumn)->text(), u"firing"_s);
        QCOMPARE(table->item(0, AlertsView::SeverityColumn)->text(), u"critical"_s);
        QVERIFY(title->font().bold());
        QVERIFY(title->background().style() != Qt::NoBrush);
        // The history below has the same alert, not highlighted.
        QVERIFY(table->rowCount() > pane.alertsView()->firingRows());
        QTableWidgetItem *past = table->item(pane.alertsView()->firingRows(), AlertsView::TitleColumn);
        QVERIFY(!past->font().bold());

        const QRect cell = table->visualItemRect(title);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QVERIFY2(pane.alertsView()->detailLabel()->text().contains(u"stopped restarting (fatal)"_s),
                 qPrintable(pane.alertsView()->detailLabel()->text()));

        // Another service's tab leaves flaky's alert out.
        pane.setService(m_engine->client()->service(u"calm"_s));
        QTRY_COMPARE(pane.alertsView()->firingRows(), 0);
    }
};

QTEST_MAIN(TstAlertsView)
#include "tst_alertsview.moc"
