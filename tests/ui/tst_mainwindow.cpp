// MainWindow's promises to a person: closing never strands the app (hide to
// the tray only when there is one), the recovery button is wired, and the
// banner says what is wrong in words.
#include "config/configloader.h"
#include "mainwindow.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QAction>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;

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

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void closeWithoutTrayQuits()
    {
        Fleet fleet(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(&fleet);
        w.setHideOnClose(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy quit(&w, &MainWindow::quitRequested);
        QVERIFY(w.close());
        QCOMPARE(quit.size(), 1);
    }

    void closeWithTrayHides()
    {
        Fleet fleet(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(&fleet);
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
        Fleet fleet(config("[[service]]\nname = \"a\"\ncommand = [\"true\"]\nautostart = false\n"));
        MainWindow w(&fleet);
        QSignalSpy spy(&w, &MainWindow::emergencyRecoveryRequested);
        QTest::mouseClick(w.recoveryButton(), Qt::LeftButton);
        QCOMPARE(spy.size(), 1);
        w.recoveryAction()->trigger();
        QCOMPARE(spy.size(), 2);
        QCOMPARE(w.recoveryAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    }

    void bannerNamesWhatNeedsAPerson()
    {
        Fleet fleet(config("[[service]]\nname = \"broken\"\ncommand = [\"/bin/sh\", \"-c\", \"exit 3\"]\n"
                           "restart_delay = \"0s\"\nmax_restarts = 1\n"));
        MainWindow w(&fleet);
        fleet.boot();
        QTRY_COMPARE(fleet.service(QStringLiteral("broken"))->state(), ServiceState::Fatal);
        QVERIFY2(w.banner()->text().startsWith(QStringLiteral("broken needs attention")),
                 qPrintable(w.banner()->text()));
        w.showNotice(QStringLiteral("Configuration not reloaded"), 2);
        QVERIFY(w.banner()->text().contains(QStringLiteral("Configuration not reloaded")));
        fleet.stop(QStringLiteral("broken"));
        QTRY_VERIFY(w.banner()->text().contains(QStringLiteral("0 of 1 services running")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
