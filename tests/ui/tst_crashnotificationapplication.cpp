// The crash notification leads to its record: the desktop app (engine on its
// own thread, window, tray) sees a service crash, the tray shows the
// notice, and clicking it (QSystemTrayIcon::messageClicked, emitted as the
// tray does; offscreen there is no tray to click) opens the window at that
// service's Crashes tab with that crash's record shown.
#include "application.h"
#include "config/configloader.h"
#include "crashesview.h"
#include "servicedetailpane.h"
#include "testsupport.h"

#include <QPlainTextEdit>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestCrashNotification : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void clickingTheNoticeOpensTheRecord()
    {
        const quint16 port = freePort();
        const QString base = m_dir.filePath(u"c"_s);
        const LoadResult loaded = ConfigLoader::loadString(
            "[settings]\nstate_dir = \"" + base.toUtf8() +
                "/state\"\non_exit = \"stop\"\n"
                "[[service]]\nname = \"idle\"\ncommand = [\"sleep\", \"60\"]\nautostart = false\n"
                "[[service]]\nname = \"api\"\nrestart = \"never\"\n"
                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                QByteArray::number(port) + "\", \"--crash-after\", \"300ms\", \"--exit-code\", \"6\"]\n",
            base + u".toml"_s);
        QVERIFY(loaded.ok());
        Application app(*loaded.config, true);
        QSignalSpy shown(app.tray(), &TrayController::notificationShown);
        QSignalSpy recorded(app.engine(), &EngineClient::crashRecorded);
        app.start(base + u".sock"_s);
        QVERIFY(recorded.wait(20000));
        const qint64 id = recorded.at(0).at(0).value<CrashSummary>().id;
        QTRY_VERIFY(!shown.isEmpty());
        const auto notice = shown.last().at(0).value<TrayController::Notification>();
        QCOMPARE(notice.service, u"api"_s);
        QVERIFY(notice.aboutCrash);

        app.window()->selectService(u"idle"_s);
        emit app.tray()->trayIcon()->messageClicked();

        QTRY_VERIFY(app.window()->isVisible());
        ServiceDetailPane *pane = app.window()->detailPane();
        QTRY_COMPARE(pane->service() ? pane->service()->name() : QString(), u"api"_s);
        QCOMPARE(pane->tabs()->currentIndex(), int(ServiceDetailPane::CrashesTab));
        CrashesView *view = pane->crashesView();
        QTRY_VERIFY2(
            view->shownRecord() && view->shownRecord()->id == id,
            qPrintable(u"%1 listed, current %2, text %3"_s.arg(view->list()->topLevelItemCount())
                           .arg(view->list()->currentItem() ? view->list()->currentItem()->text(0) : u"-"_s)
                           .arg(view->text()->toPlainText().left(200))));
        QVERIFY(view->text()->toPlainText().contains(u"ERROR: crashing as asked (exit code 6)"_s));
        QVERIFY(QTest::qWaitFor([&] { return app.engine()->isAllStopped(); }, 15000));
    }
};

QTEST_MAIN(TestCrashNotification)
#include "tst_crashnotificationapplication.moc"
