// The window's side of git updates: the table's badge while a service is
// behind its branch, and Services > Update, enabled only then, which applies it.
#include "config/configloader.h"
#include "mainwindow.h"
#include "servicetablemodel.h"
#include "servicetableview.h"
#include "testsupport.h"
#include "update/updater.h"

#include "gitfixture.h"

#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestUpdateAction : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static QAction *menuAction(MainWindow &w, const QString &menu, const QString &text)
    {
        const auto plain = [](QString s) { return s.remove(QLatin1Char('&')); };
        for (QAction *m : w.menuBar()->actions()) {
            if (!m->menu() || plain(m->text()) != menu)
                continue;
            for (QAction *a : m->menu()->actions()) {
                if (plain(a->text()) == text)
                    return a;
            }
        }
        qFatal("no %s > %s in the menu bar", qPrintable(menu), qPrintable(text));
    }

private slots:
    void updateFromTheServicesMenu()
    {
        GitFixture git;
        QVERIFY(git.create(m_dir.path()));
        const QByteArray toml = git.idleServiceToml();
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        QVERIFY(r.ok());
        TestEngine engine(*r.config);
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Updater *u = engine.engine().updater();
        QTRY_VERIFY_WITH_TIMEOUT(u->status(u"api"_s).checkedAtMs > 0 && !u->status(u"api"_s).isBusy(),
                                 20'000);

        const auto name = [&w] { return w.table()->model()->index(0, ServiceTableModel::Name); };
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, w.table()->visualRect(name()).center());
        QAction *update = menuAction(w, u"Services"_s, u"Update"_s);
        QVERIFY(!update->isEnabled()); // up to date
        QCOMPARE(name().data().toString(), u"api"_s);

        QVERIFY(git.push(u"v2"_s));
        QVERIFY(u->check(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(update->isEnabled(), 20'000);
        QCOMPARE(name().data().toString(), u"api  ↓1"_s);
        QVERIFY(name().data(Qt::ToolTipRole).toString().contains(u" v2"_s));

        QSignalSpy finished(engine.client(), &EngineClient::updateFinished);
        update->trigger();
        QVERIFY(finished.wait(20'000));
        QVERIFY2(finished[0][1].toBool(), qPrintable(finished[0][2].toString()));
        QCOMPARE(git.head(git.app), git.originHead());
        QTRY_COMPARE(name().data().toString(), u"api"_s);
        QVERIFY(!update->isEnabled());
    }
};

QTEST_MAIN(TestUpdateAction)
#include "tst_updateaction.moc"
