// MainWindow's promises to a person: closing never strands the app (hide to
// the tray only when there is one), the recovery button is wired, the banner
// says what is wrong in words, and the table answers a mouse the way it
// answers the keyboard. Clicks are real mouse events on the table's viewport
// at the row's visualRect; setting the current index in code is not a click.
#include "config/configloader.h"
#include "engine/engine.h"
#include "logview.h"
#include "mainwindow.h"
#include "menubarsupport.h"
#include "metrics/metricssampler.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"
#include "uistyle.h"

#include <QAction>
#include <QApplication>
#include <QChart>
#include <QDesktopServices>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLegend>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using namespace lifeline;
using namespace Qt::StringLiterals;

// Stands in for the desktop's opener (QDesktopServices::setUrlHandler).
class UrlCatcher : public QObject
{
    Q_OBJECT

public:
    QList<QUrl> urls;

public slots:
    void open(const QUrl &url) { urls << url; }
};

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

    // An action of the menu bar, found the way a person finds it.
    static QAction *menuAction(MainWindow &w, const QString &menu, const QString &text)
    {
        return menuBarAction(w, menu, text);
    }

    // The mean lightness of an icon's opaque pixels.
    static int inkLightness(const QImage &image)
    {
        qint64 sum = 0, n = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const QColor c = image.pixelColor(x, y);
                if (c.alpha() > 200) {
                    sum += c.lightness();
                    ++n;
                }
            }
        }
        return n ? int(sum / n) : 0;
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

    // Figures nobody sees are sampled at a tenth of the rate: showing the
    // window brings the engine's sampler to full rate, hiding, minimising or
    // closing it to the tray takes it back.
    void windowShownSetsTheSamplingRate()
    {
        TestEngine engine(config("sample_interval = \"100ms\"\n" + twoServices()));
        const MetricsSampler *sampler = engine.engine().sampler();
        QVERIFY(!sampler->isWatched());
        QCOMPARE(sampler->timerInterval(), std::chrono::milliseconds(1'000));

        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY(sampler->isWatched());
        QCOMPARE(sampler->timerInterval(), std::chrono::milliseconds(100));

        w.hide();
        QTRY_VERIFY(!sampler->isWatched());
        QCOMPARE(sampler->timerInterval(), std::chrono::milliseconds(1'000));

        w.showNormal();
        QTRY_VERIFY(sampler->isWatched());
        w.showMinimized();
        QTRY_VERIFY(!sampler->isWatched());
        w.showNormal();
        QTRY_VERIFY(sampler->isWatched());

        w.setHideOnClose(true); // closing goes to the tray
        w.close();
        QTRY_VERIFY(!sampler->isWatched());
        QCOMPARE(sampler->timerInterval(), std::chrono::milliseconds(1'000));
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
        QVERIFY2(w.banner()->styleSheet().contains(UiStyle::severityTextColor(-1, w.palette()).name()),
                 qPrintable(w.banner()->styleSheet()));
        QVERIFY(!w.banner()->styleSheet().contains(UiStyle::severityColor(0).name()));
    }

    // --- the desktop application: menus, shortcuts, remembered layout ---

    void servicesMenuFollowsTheSelection()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QStringList perService{QStringLiteral("Start"), QStringLiteral("Restart"),
                                     QStringLiteral("Open log file"), QStringLiteral("Edit service…"),
                                     QStringLiteral("Remove service…")};
        for (const QString &text : perService)
            QVERIFY2(!menuAction(w, QStringLiteral("Services"), text)->isEnabled(), qPrintable(text));
        QVERIFY(!menuAction(w, QStringLiteral("Services"), QStringLiteral("Stop"))->isEnabled());
        for (const QString &text :
             {QStringLiteral("Start all"), QStringLiteral("Stop all"), QStringLiteral("Restart all")})
            QVERIFY2(menuAction(w, QStringLiteral("Services"), text)->isEnabled(), qPrintable(text));
        QVERIFY(menuAction(w, QStringLiteral("View"), QStringLiteral("System overview"))->isChecked());

        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        for (const QString &text : perService)
            QVERIFY2(menuAction(w, QStringLiteral("Services"), text)->isEnabled(), qPrintable(text));
        // Stopped: nothing to stop.
        QVERIFY(!menuAction(w, QStringLiteral("Services"), QStringLiteral("Stop"))->isEnabled());
        QVERIFY(!menuAction(w, QStringLiteral("View"), QStringLiteral("System overview"))->isChecked());

        // View > System overview goes back to the machine, with nothing selected.
        menuAction(w, QStringLiteral("View"), QStringLiteral("System overview"))->trigger();
        QCOMPARE(w.selectedService(), nullptr);
        QVERIFY(w.detailPane()->showsSystemOverview());
        QVERIFY(!menuAction(w, QStringLiteral("Services"), QStringLiteral("Open log file"))->isEnabled());
    }

    void startAllAndStopAllFromTheMenu()
    {
        TestEngine engine(
            config("[[service]]\nname = \"a\"\ncommand = [\"sleep\", \"30\"]\nautostart = false\n"
                   "[[service]]\nname = \"b\"\ncommand = [\"sleep\", \"30\"]\nautostart = false\n"));
        Fleet &fleet = engine.fleet();
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        menuAction(w, QStringLiteral("Services"), QStringLiteral("Start all"))->trigger();
        QTRY_COMPARE(fleet.service(QStringLiteral("a"))->state(), ServiceState::Running);
        QTRY_COMPARE(fleet.service(QStringLiteral("b"))->state(), ServiceState::Running);
        menuAction(w, QStringLiteral("Services"), QStringLiteral("Stop all"))->trigger();
        QTRY_COMPARE(fleet.service(QStringLiteral("a"))->state(), ServiceState::Stopped);
        QTRY_COMPARE(fleet.service(QStringLiteral("b"))->state(), ServiceState::Stopped);
    }

    void conventionalShortcuts()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QSignalSpy quit(&w, &MainWindow::quitRequested);
        QSignalSpy settings(&w, &MainWindow::settingsRequested);
        QTest::keyClick(&w, Qt::Key_Q, Qt::ControlModifier);
        QCOMPARE(quit.size(), 1);
        QTest::keyClick(&w, Qt::Key_Comma, Qt::ControlModifier);
        QCOMPARE(settings.size(), 1);

        UrlCatcher opened;
        QDesktopServices::setUrlHandler(QStringLiteral("file"), &opened, "open");
        QTest::keyClick(&w, Qt::Key_F1);
        QDesktopServices::unsetUrlHandler(QStringLiteral("file"));
        QCOMPARE(opened.urls.size(), 1);
        QCOMPARE(QFileInfo(opened.urls.constFirst().toLocalFile()).fileName(), QStringLiteral("README.md"));

        // The odd ones are gone: Ctrl+S saves and Ctrl+T opens a tab elsewhere.
        for (const QAction *a : w.findChildren<QAction *>()) {
            for (const QKeySequence &odd :
                 {QKeySequence(Qt::CTRL | Qt::Key_S), QKeySequence(Qt::CTRL | Qt::Key_T),
                  QKeySequence(Qt::CTRL | Qt::Key_L)})
                QVERIFY2(!a->shortcuts().contains(odd), qPrintable(a->text()));
        }
    }

    void deleteAsksThenStopsAndRemovesTheService()
    {
        const QByteArray services =
            "[[service]]\nname = \"a\"\ncommand = [\"sleep\", \"30\"]\nautostart = false\n"
            "[[service]]\nname = \"b\"\ncommand = [\"true\"]\nautostart = false\n";
        const QString path = m_dir.filePath(QStringLiteral("lifeline.toml"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("[settings]\nstate_dir = \"" + m_dir.path().toUtf8() + "/state\"\n" + services);
        file.close();
        TestEngine engine(config(services), {.liveReload = true});
        Fleet &fleet = engine.fleet();
        MainWindow w(engine.client());
        w.show();
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        fleet.start(QStringLiteral("a"));
        QTRY_COMPARE(fleet.service(QStringLiteral("a"))->state(), ServiceState::Running);

        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        QTest::keyClick(w.table(), Qt::Key_Delete);
        auto *box = w.findChild<QMessageBox *>(QStringLiteral("removeServiceDialog"));
        QVERIFY(box);
        QTRY_VERIFY(box->isVisible()); // open(), not exec(): we got here
        QVERIFY2(box->text().contains(QStringLiteral("stopped now")), qPrintable(box->text()));
        QVERIFY(box->text().contains(path));
        auto *remove = box->findChild<QPushButton *>(QStringLiteral("stopAndRemove"));
        QVERIFY(remove);
        QTest::mouseClick(remove, Qt::LeftButton);

        // What the dialog said: gone from the file, and stopped at once.
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY2(!text.contains("name = \"a\""), text.constData());
        QVERIFY(text.contains("name = \"b\""));
        QTRY_VERIFY_WITH_TIMEOUT(!fleet.service(QStringLiteral("a")), 15000);
        QTRY_COMPARE(w.model()->rowCount(), 1);
    }

    void deleteOutsideTheTableRemovesNothing()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        // The log's search field, and the read-only events view (where a
        // window-wide Delete would reach the remove action).
        auto *search = w.detailPane()->findChild<QLineEdit *>();
        QVERIFY(search);
        for (QWidget *field :
             {static_cast<QWidget *>(search), static_cast<QWidget *>(w.detailPane()->eventsView())}) {
            w.detailPane()->tabs()->setCurrentWidget(
                field == search ? static_cast<QWidget *>(w.detailPane()->logView()) : field);
            QTest::mouseClick(field == search ? field : w.detailPane()->eventsView()->viewport(),
                              Qt::LeftButton);
            QTRY_VERIFY(field->hasFocus());
            QTest::keyClick(field, Qt::Key_Delete);
            QVERIFY(!w.findChild<QMessageBox *>(QStringLiteral("removeServiceDialog")));
        }
    }

    void layoutIsRestoredAtTheNextStart()
    {
        TestEngine engine(config(twoServices()));
        QList<int> sizes;
        {
            MainWindow w(engine.client());
            w.setHideOnClose(true);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            w.resize(1013, 655);
            auto *splitter = w.findChild<QSplitter *>();
            splitter->setSizes({140, 400});
            sizes = splitter->sizes();
            QTabBar *bar = w.detailPane()->tabs()->tabBar();
            QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(ServiceDetailPane::HealthTab).center());
            QCOMPARE(w.detailPane()->tabs()->currentIndex(), int(ServiceDetailPane::HealthTab));
            w.close();
        }
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.size(), QSize(1013, 655));
        QCOMPARE(w.findChild<QSplitter *>()->sizes(), sizes);
        QCOMPARE(w.detailPane()->tabs()->currentIndex(), int(ServiceDetailPane::HealthTab));
    }

    void firstCloseToTheTraySaysSoOnce()
    {
        TestEngine engine(config(twoServices()));
        {
            MainWindow w(engine.client());
            w.setHideOnClose(true);
            QSignalSpy told(&w, &MainWindow::firstClosedToTray);
            for (int i = 0; i < 2; ++i) {
                w.show();
                QVERIFY(QTest::qWaitForWindowExposed(&w));
                w.close();
                QVERIFY(!w.isVisible());
            }
            QCOMPARE(told.size(), 1);
            QVERIFY(told.at(0).at(0).toString().contains(QStringLiteral("tray")));
        }
        MainWindow again(engine.client()); // the next start remembers it was said
        again.setHideOnClose(true);
        QSignalSpy told(&again, &MainWindow::firstClosedToTray);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        again.close();
        QCOMPARE(told.size(), 0);
    }

    void withoutAnOpenerTheBannerNamesThePath()
    {
        // The offscreen platform opens nothing (as a desktop without xdg-open):
        // QDesktopServices::openUrl answers false.
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        menuAction(w, QStringLiteral("Services"), QStringLiteral("Open log file"))->trigger();
        const QString log = engine.client()->service(QStringLiteral("a"))->logPath();
        QVERIFY2(w.banner()->text().contains(log), qPrintable(w.banner()->text()));
        menuAction(w, QStringLiteral("Services"), QStringLiteral("Open log folder"))->trigger();
        QVERIFY2(w.banner()->text().contains(engine.client()->stateDir() + QStringLiteral("/logs")),
                 qPrintable(w.banner()->text()));
    }

    void fileMenuOpensTheConfigAndItsFolder()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        UrlCatcher opened;
        QDesktopServices::setUrlHandler(QStringLiteral("file"), &opened, "open");
        menuAction(w, QStringLiteral("File"), QStringLiteral("Open config…"))->trigger();
        menuAction(w, QStringLiteral("File"), QStringLiteral("Reveal config in folder"))->trigger();
        QDesktopServices::unsetUrlHandler(QStringLiteral("file"));
        QCOMPARE(opened.urls.size(), 2);
        QCOMPARE(opened.urls.at(0).toLocalFile(), engine.client()->config().path);
        QCOMPARE(opened.urls.at(1).toLocalFile(), m_dir.path());
    }

    void aboutNamesVersionQtConfigAndStateDir()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        menuAction(w, QStringLiteral("Help"), QStringLiteral("About Lifeline"))->trigger();
        auto *box = w.findChild<QMessageBox *>(QStringLiteral("aboutDialog"));
        QVERIFY(box);
        QTRY_VERIFY(box->isVisible());
        const QString text = box->text();
        for (const QString &part : {QStringLiteral(LIFELINE_VERSION), QString::fromLatin1(qVersion()),
                                    engine.client()->config().path, engine.client()->stateDir()})
            QVERIFY2(text.contains(part), qPrintable(part + QStringLiteral(" not in ") + text));
        box->close();
    }

    void viewRangesDriveTheCharts()
    {
        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        menuAction(w, QStringLiteral("View"), QStringLiteral("Last 1 h"))->trigger();
        QCOMPARE(w.detailPane()->range(), ChartRange::OneHour);
        QVERIFY(w.detailPane()->rangeButton(ChartRange::OneHour)->isChecked());
        // The buttons above the charts move the menu's check too.
        QTest::mouseClick(w.detailPane()->rangeButton(ChartRange::SevenDays), Qt::LeftButton);
        QCOMPARE(w.detailPane()->range(), ChartRange::SevenDays);
        QVERIFY(menuAction(w, QStringLiteral("View"), QStringLiteral("Last 7 d"))->isChecked());
        QVERIFY(!menuAction(w, QStringLiteral("View"), QStringLiteral("Last 1 h"))->isChecked());
    }

    void darkPaletteIconsAndTextStayReadable()
    {
        const QPalette before = QApplication::palette();
        // A dark theme as a platform theme or qt6ct would set it.
        QPalette dark;
        const QList<std::pair<QPalette::ColorRole, QColor>> roles{
            {QPalette::Window, QColor(0x2b, 0x2b, 0x2b)},
            {QPalette::WindowText, QColor(0xee, 0xee, 0xee)},
            {QPalette::Base, QColor(0x1e, 0x1e, 0x1e)},
            {QPalette::AlternateBase, QColor(0x26, 0x26, 0x26)},
            {QPalette::Text, QColor(0xee, 0xee, 0xee)},
            {QPalette::Button, QColor(0x35, 0x35, 0x35)},
            {QPalette::ButtonText, QColor(0xee, 0xee, 0xee)},
            {QPalette::Highlight, QColor(0x3d, 0x7a, 0xc6)},
            {QPalette::HighlightedText, QColor(0xff, 0xff, 0xff)},
            {QPalette::ToolTipBase, QColor(0x35, 0x35, 0x35)},
            {QPalette::ToolTipText, QColor(0xee, 0xee, 0xee)},
            {QPalette::PlaceholderText, QColor(0x99, 0x99, 0x99)},
            {QPalette::Light, QColor(0x50, 0x50, 0x50)},
            {QPalette::Midlight, QColor(0x40, 0x40, 0x40)},
            {QPalette::Mid, QColor(0x30, 0x30, 0x30)},
            {QPalette::Dark, QColor(0x20, 0x20, 0x20)},
            {QPalette::Shadow, QColor(0x10, 0x10, 0x10)}};
        for (const auto &[role, color] : roles)
            dark.setColor(role, color);
        QApplication::setPalette(dark);
        auto restore = qScopeGuard([&] { QApplication::setPalette(before); });

        TestEngine engine(config(twoServices()));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // Drawn in the palette's text colour, from the vector at 2x.
        const QPixmap pm = w.stopAction()->icon().pixmap(QSize(16, 16), 2.0);
        QCOMPARE(pm.size(), QSize(32, 32));
        QVERIFY(inkLightness(pm.toImage()) > 200);
        const QLabel *command = w.detailPane()->commandLabel();
        const int contrast = command->palette().color(QPalette::WindowText).lightness() -
                             command->palette().color(QPalette::Window).lightness();
        QVERIFY2(contrast > 90, qPrintable(QString::number(contrast)));
        // The charts too: no white plot in a dark window.
        for (MetricsChart *chart : w.detailPane()->charts()) {
            QCOMPARE(chart->chart()->backgroundBrush().color(), dark.color(QPalette::Base));
            QCOMPARE(chart->chart()->legend()->labelColor(), dark.color(QPalette::Text));
        }
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
