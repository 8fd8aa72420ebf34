// The window on a bad day for the engine: another process holds the history
// database's write lock, so every event the engine records (a stop, a start)
// waits out SQLite's busy timeout (5 s) before it gives up. The engine waits
// on its own thread; the window keeps answering a person's clicks, and shows
// the stop once the engine is through.
#include "application.h"
#include "config/configloader.h"
#include "engine/engine.h"
#include "metrics/metricshistory.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "testsupport.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestHostileGui : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    // The longest the GUI thread went without running a 10 ms timer, over `ms`.
    static qint64 worstGapDuring(int ms)
    {
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0;
        qint64 worst = 0;
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(10);
        QObject::connect(&timer, &QTimer::timeout, &timer, [&] {
            const qint64 now = clock.elapsed();
            worst = std::max(worst, now - last);
            last = now;
        });
        timer.start();
        QTest::qWait(ms); // the measuring window itself, not a synchronisation
        return std::max(worst, clock.elapsed() - last);
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void windowAnswersWhileTheHistoryIsLocked()
    {
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir.path().toUtf8() +
                                "/state\"\nsample_interval = \"200ms\"\non_exit = \"stop\"\n\n"
                                "[[service]]\nname = \"a\"\ncommand = [\"sleep\", \"60\"]\n"
                                "[[service]]\nname = \"b\"\ncommand = [\"sleep\", \"60\"]\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        QVERIFY(r.ok());
        Application app(*r.config, false);
        app.start(QString());
        MainWindow *w = app.window();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        QTRY_COMPARE_WITH_TIMEOUT(app.engine()->service(u"a"_s)->state(), ServiceState::Running, 10000);
        QTRY_VERIFY(app.host()->engine()->history() != nullptr);
        const QString database = app.host()->engine()->history()->databasePath();
        QVERIFY(QFile::exists(database));

        // Another process's connection takes the write lock and keeps it.
        {
            QSqlDatabase locker = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"locker"_s);
            locker.setDatabaseName(database);
            QVERIFY2(locker.open(), qPrintable(locker.lastError().text()));
            QSqlQuery q(locker);
            QVERIFY2(q.exec(u"BEGIN IMMEDIATE"_s), qPrintable(q.lastError().text()));

            // A person stops a: the engine records the stop, and waits on the lock.
            QTest::mouseClick(w->table()->viewport(), Qt::LeftButton, {},
                              w->table()->visualRect(w->table()->model()->index(0, 0)).center());
            QCOMPARE(w->detailPane()->service(), app.engine()->service(u"a"_s));
            w->stopAction()->trigger();

            // ... while the window goes on answering at once.
            const qint64 worst = worstGapDuring(2000);
            QVERIFY2(worst < 1000, qPrintable(u"the GUI thread stalled for %1 ms"_s.arg(worst)));
            QTest::mouseClick(w->table()->viewport(), Qt::LeftButton, {},
                              w->table()->visualRect(w->table()->model()->index(1, 0)).center());
            QCOMPARE(w->detailPane()->service(), app.engine()->service(u"b"_s));

            QVERIFY(q.exec(u"ROLLBACK"_s));
            q.finish();
            locker.close();
        }
        QSqlDatabase::removeDatabase(u"locker"_s);

        // The engine through, the window shows the stop.
        QTRY_COMPARE_WITH_TIMEOUT(app.engine()->service(u"a"_s)->state(), ServiceState::Stopped, 30000);
        QCOMPARE(app.engine()->service(u"b"_s)->state(), ServiceState::Running);
        QVERIFY(stopFleet(*app.engine()));
    }
};

QTEST_MAIN(TestHostileGui)
#include "tst_hostile_gui.moc"
