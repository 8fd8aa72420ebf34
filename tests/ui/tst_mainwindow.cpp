// MainWindow's promises to a person: closing never strands the app (hide to
// the tray only when there is one), the recovery button is wired, the banner
// says what is wrong in words, and the table answers a mouse the way it
// answers the keyboard. Clicks are real mouse events on the table's viewport
// at the row's visualRect; setting the current index in code is not a click.
#include "config/configloader.h"
#include "mainwindow.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace lifeline;

// verifyShows() compares several things; a failure there ends the test too.
#define VERIFY_SHOWS(window, service)                                                                        \
    do {                                                                                                     \
        verifyShows(window, service);                                                                        \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)

class TestMainWindow : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    Config config(const QByteArray &services)
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.path().toUtf8() + "/state\"\n" + services;
        LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(QStringLiteral("lifeline.toml")));
        return r.config.value_or(Config{});
    }

    static QByteArray twoServices()
    {
        return "[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"
               "[[service]]\nname = \"b\"\ncommand = [\"true\"]\nautostart = false\n";
    }

    static QPoint rowCenter(MainWindow &w, int row)
    {
        return w.table()->visualRect(w.table()->model()->index(row, ServiceTableModel::Name)).center();
    }

    static void verifyShows(MainWindow &w, ServiceView *s)
    {
        QCOMPARE(w.selectedService(), s);
        QCOMPARE(w.detailPane()->service(), s);
        QCOMPARE(w.startAction()->isEnabled(), s != nullptr);
        QCOMPARE(w.restartAction()->isEnabled(), s != nullptr);
        QCOMPARE(w.editServiceAction()->isEnabled(), s != nullptr);
        QCOMPARE(w.removeServiceAction()->isEnabled(), s != nullptr);
    }

    // Right and double clicks go in where the platform's do, at the window
    // (QWindow overloads): Qt then makes the context-menu event after a right
    // press, and a double click is press, release, press, double-click, as
    // from a real mouse. (The QWidget overloads send neither.) The timer only
    // unblocks a menu opened with exec(), so that such a build fails here
    // instead of hanging.
    static void rightClick(MainWindow &w, int row)
    {
        QTimer::singleShot(5000, &w, [] {
            if (QWidget *popup = QApplication::activePopupWidget())
                popup->close();
        });
        QTest::mouseClick(w.windowHandle(), Qt::RightButton, {}, atRow(w, row));
    }

    static void doubleClick(MainWindow &w, int row)
    {
        QTest::mouseDClick(w.windowHandle(), Qt::LeftButton, {}, atRow(w, row));
    }

    static QPoint atRow(MainWindow &w, int row)
    {
        return w.table()->viewport()->mapTo(&w, rowCenter(w, row));
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void init()
    {
        QSettings().clear(); // no row remembered from an earlier test's window
    }

    void clickOnARowShowsThatService()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        VERIFY_SHOWS(w, nullptr);

        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("a")));

        // The keyboard and code take the same path as the mouse.
        QTest::keyClick(w.table(), Qt::Key_Down);
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
        w.selectService(QStringLiteral("a"));
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("a")));
        w.selectService(QString());
        VERIFY_SHOWS(w, nullptr);
    }

    void clickedServiceIsTheOneTheActionsDrive()
    {
        TestEngine engine(
            config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"
                   "[[service]]\nname = \"b\"\ncommand = [\"sleep\", \"30\"]\nautostart = false\n"));
        Fleet &fleet = engine.fleet();
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        w.startAction()->trigger();
        ServiceSupervisor *b = fleet.service(QStringLiteral("b"));
        QTRY_COMPARE(b->state(), ServiceState::Running);
        QCOMPARE(fleet.service(QStringLiteral("a"))->state(), ServiceState::Stopped);
        QTRY_VERIFY(w.stopAction()->isEnabled());
        QVERIFY(!w.startAction()->isEnabled());
        w.stopAction()->trigger();
        QTRY_COMPARE(b->state(), ServiceState::Stopped);
    }

    void rightClickOnARowOpensItsMenu()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("a")));

        // Another row: the menu is for that one, and the pane follows.
        rightClick(w, 1);
        QTRY_VERIFY(qobject_cast<QMenu *>(QApplication::activePopupWidget()));
        auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        QCOMPARE(menu->objectName(), QStringLiteral("serviceContextMenu"));
        QVERIFY(menu->actions().contains(w.startAction()));
        QVERIFY(menu->actions().contains(w.editServiceAction()));
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
        menu->close();
        QTRY_VERIFY(!QApplication::activePopupWidget());

        // The selected row: nothing resets to the overview.
        rightClick(w, 1);
        QTRY_VERIFY(QApplication::activePopupWidget());
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
        QApplication::activePopupWidget()->close();
        QTRY_VERIFY(!QApplication::activePopupWidget());
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
    }

    void doubleClickOnARowFocusesItsDetails()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        doubleClick(w, 1);
        VERIFY_SHOWS(w, engine.client()->service(QStringLiteral("b")));
        QTRY_VERIFY(w.detailPane()->hasFocus() || w.detailPane()->isAncestorOf(QApplication::focusWidget()));
    }

    void closeWithoutTrayQuits()
    {
        TestEngine engine(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(engine.client());
        w.setHideOnClose(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy quit(&w, &MainWindow::quitRequested);
        QVERIFY(!w.close()); // the app decides, and may be told to cancel
        QCOMPARE(quit.size(), 1);
    }

    void closeWithTrayHides()
    {
        TestEngine engine(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(engine.client());
        w.setHideOnClose(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy quit(&w, &MainWindow::quitRequested);
        QVERIFY(!w.close()); // refused: hidden instead
        QVERIFY(!w.isVisible());
        QCOMPARE(quit.size(), 0);
    }

    void recoveryButtonAndShortcutAreWired()
    {
        TestEngine engine(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(engine.client());
        QSignalSpy spy(&w, &MainWindow::emergencyRecoveryRequested);
        QTest::mouseClick(w.recoveryButton(), Qt::LeftButton);
        QCOMPARE(spy.size(), 1);
        w.recoveryAction()->trigger();
        QCOMPARE(spy.size(), 2);
        QCOMPARE(w.recoveryAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    }

    void bannerNamesWhatNeedsAPerson()
    {
        TestEngine engine(
            config("[[service]]\nname = \"broken\"\ncommand = [\"/bin/sh\", \"-c\", \"exit 3\"]\n"
                   "restart_delay = \"0s\"\nmax_restarts = 1\n"));
        Fleet &fleet = engine.fleet();
        MainWindow w(engine.client());
        fleet.boot();
        QTRY_COMPARE(fleet.service(QStringLiteral("broken"))->state(), ServiceState::Fatal);
        QTRY_VERIFY2(w.banner()->text().startsWith(QStringLiteral("broken needs attention")),
                     qPrintable(w.banner()->text()));
        w.showNotice(QStringLiteral("Configuration not reloaded"), 2);
        QVERIFY(w.banner()->text().contains(QStringLiteral("Configuration not reloaded")));
        fleet.stop(QStringLiteral("broken"));
        QTRY_VERIFY(w.banner()->text().contains(QStringLiteral("0 of 1 running · all stopped")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
