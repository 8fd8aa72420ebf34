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
#include "uistyle.h"

#include <QAction>
#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace lifeline;
using namespace Qt::StringLiterals;

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

    // ---- the table: sorting, fitted columns, the all-stopped banner ----------

    static void clickHeader(MainWindow &w, int column)
    {
        QHeaderView *header = w.table()->horizontalHeader();
        const QPoint at(header->sectionViewportPosition(column) + header->sectionSize(column) / 2,
                        header->height() / 2);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
    }

    static QStringList shownOrder(MainWindow &w)
    {
        QStringList names;
        const QAbstractItemModel *m = w.table()->model();
        for (int row = 0; row < m->rowCount(); ++row)
            names << m->index(row, ServiceTableModel::Name).data().toString();
        return names;
    }

    void headerClickSortsAndRowsStillMeanTheirService()
    {
        TestEngine engine(
            config("[[service]]\nname = \"c\"\ncommand = [\"true\"]\nautostart = false\n"
                   "[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"
                   "[[service]]\nname = \"b\"\ncommand = [\"sleep\", \"30\"]\nautostart = false\n"));
        auto *client = engine.client();
        MainWindow w(client);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(shownOrder(w), (QStringList{u"c"_s, u"a"_s, u"b"_s})); // the configuration's order

        clickHeader(w, ServiceTableModel::Name);
        QCOMPARE(shownOrder(w), (QStringList{u"a"_s, u"b"_s, u"c"_s}));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        VERIFY_SHOWS(w, client->service(u"a"_s));
        // The action drives the clicked service, not the model's row 0 (c).
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        VERIFY_SHOWS(w, client->service(u"b"_s));
        w.startAction()->trigger();
        QTRY_COMPARE(engine.fleet().service(u"b"_s)->state(), ServiceState::Running);
        QCOMPARE(engine.fleet().service(u"c"_s)->state(), ServiceState::Stopped);

        // Descending: the selection stays with b wherever its row went.
        clickHeader(w, ServiceTableModel::Name);
        QCOMPARE(shownOrder(w), (QStringList{u"c"_s, u"b"_s, u"a"_s}));
        QCOMPARE(w.selectedService(), client->service(u"b"_s));
        QCOMPARE(w.table()->selectionModel()->selectedRows().constFirst().row(), 1);
        QCOMPARE(w.detailPane()->service(), client->service(u"b"_s));
        rightClick(w, 2);
        QTRY_VERIFY(qobject_cast<QMenu *>(QApplication::activePopupWidget()));
        VERIFY_SHOWS(w, client->service(u"a"_s));
        QApplication::activePopupWidget()->close();
        QTRY_VERIFY(!QApplication::activePopupWidget());
        w.selectService(u"c"_s);
        QCOMPARE(w.table()->selectionModel()->selectedRows().constFirst().row(), 0);
        VERIFY_SHOWS(w, client->service(u"c"_s));

        // By state: the running one first, as a state, not as text.
        clickHeader(w, ServiceTableModel::State);
        QTRY_COMPARE(shownOrder(w).constFirst(), u"b"_s);

        // A third click on a header gives the configuration's order back.
        clickHeader(w, ServiceTableModel::Name);
        clickHeader(w, ServiceTableModel::Name);
        clickHeader(w, ServiceTableModel::Name);
        QCOMPARE(shownOrder(w), (QStringList{u"c"_s, u"a"_s, u"b"_s}));
        QVERIFY(stopFleet(*client));
    }

    void columnsFitTheirTextAndLowPriorityOnesHideWhenNarrow()
    {
        TestEngine engine(
            config("[[service]]\nname = \"api\"\ncommand = [\"true\"]\nautostart = false\n"
                   "memory_limit = \"150MB\"\ncpu_limit = 90\n"
                   "[[service]]\nname = \"worker\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(engine.client());
        w.resize(1280, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        ServiceTableView *table = w.table();
        const QFontMetrics fm = table->fontMetrics();
        QVERIFY(table->columnWidth(ServiceTableModel::Memory) > fm.horizontalAdvance(u"137.6 MB / 150 MB"_s));
        QVERIFY(table->columnWidth(ServiceTableModel::Cpu) > fm.horizontalAdvance(u"188.8 % / 90 %"_s));
        const auto hidden = [table] {
            QList<int> columns;
            for (int c = 0; c < ServiceTableModel::ColumnCount; ++c) {
                if (table->isColumnHidden(c))
                    columns << c;
            }
            return columns;
        };
        QCOMPARE(hidden(), QList<int>{});
        QTRY_VERIFY(!table->horizontalScrollBar()->isVisible());
        // Just wide enough: every column, and no scrolling sideways; a little
        // narrower: the low-priority ones hide.
        const int chrome = w.width() - table->viewport()->width();
        w.resize(table->widthForAllColumns() + chrome + 2, 700);
        QTRY_COMPARE(table->viewport()->width(), table->widthForAllColumns() + 2);
        QCOMPARE(hidden(), QList<int>{});
        QTRY_VERIFY(!table->horizontalScrollBar()->isVisible());
        w.resize(table->widthForAllColumns() + chrome - 2, 700);
        QTRY_COMPARE(hidden(),
                     (QList<int>{ServiceTableModel::Pid, ServiceTableModel::Uptime, ServiceTableModel::Cpu}));
        QTRY_VERIFY(!table->horizontalScrollBar()->isVisible());
        qInfo("the low-priority columns hide below a %d px window", table->widthForAllColumns() + chrome);

        w.resize(w.minimumWidth(), 700);
        QTRY_COMPARE(hidden(),
                     (QList<int>{ServiceTableModel::Pid, ServiceTableModel::Uptime, ServiceTableModel::Cpu}));
        QTRY_VERIFY(!table->horizontalScrollBar()->isVisible());

        w.resize(1280, 700);
        QTRY_COMPARE(hidden(), QList<int>{});
        QVERIFY(table->columnWidth(ServiceTableModel::Pid) > fm.horizontalAdvance(u"4194304"_s));
    }

    void allStoppedIsNeutral()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        QCOMPARE(w.banner()->text(), u"0 of 2 running · all stopped"_s);
        QVERIFY2(w.banner()->styleSheet().contains(UiStyle::severityColor(-1).name()),
                 qPrintable(w.banner()->styleSheet()));
        QVERIFY(!w.banner()->styleSheet().contains(UiStyle::severityColor(0).name()));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
