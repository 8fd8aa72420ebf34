// The Crashes tab of the detail pane, driven with the mouse: the tab, the
// list of a real service's crash records, the record shown whole, and
// "Copy as Markdown" putting it on the clipboard.
#include "config/configloader.h"
#include "crashesview.h"
#include "servicedetailpane.h"
#include "testsupport.h"

#include <QApplication>
#include <QClipboard>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestCrashesView : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void listSelectAndCopy()
    {
        const quint16 port = freePort();
        const LoadResult loaded = ConfigLoader::loadString(
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                "\"\n[[service]]\nname = \"api\"\nrestart = \"never\"\n"
                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                QByteArray::number(port) + "\", \"--crash-after\", \"200ms\", \"--exit-code\", \"4\"]\n",
            u"t.toml"_s);
        QVERIFY(loaded.ok());
        TestEngine engine(*loaded.config);
        EngineClient *client = engine.client();
        QSignalSpy recorded(client, &EngineClient::crashRecorded);
        // Two crashes, one after the other.
        for (int i = 1; i <= 2; ++i) {
            client->start(u"api"_s);
            QVERIFY(recorded.wait(15000));
            QCOMPARE(recorded.size(), i);
        }
        const qint64 older = recorded.at(0).at(0).value<CrashSummary>().id;
        const qint64 newer = recorded.at(1).at(0).value<CrashSummary>().id;
        QVERIFY(newer > older);

        ServiceDetailPane pane(client);
        pane.resize(1000, 600);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        pane.setService(client->service(u"api"_s));
        QTabBar *bar = pane.tabs()->tabBar();
        QCOMPARE(bar->tabText(ServiceDetailPane::CrashesTab), u"Crashes"_s);
        QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(ServiceDetailPane::CrashesTab).center());
        QCOMPARE(pane.tabs()->currentIndex(), int(ServiceDetailPane::CrashesTab));

        CrashesView *view = pane.crashesView();
        QTreeWidget *list = view->list();
        QTRY_COMPARE(list->topLevelItemCount(), 2);
        QVERIFY(list->topLevelItem(0)->text(1) == u"crash"_s);
        QCOMPARE(list->topLevelItem(0)->text(2), u"exit code 4"_s);
        QCOMPARE(view->copyButton()->isEnabled(), false);

        // The older one, second in the list (newest first).
        const QModelIndex second = list->model()->index(1, 0);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualRect(second).center());
        QTRY_VERIFY(view->shownRecord() && view->shownRecord()->id == older);
        const QString md = view->text()->toPlainText();
        QVERIFY(md.startsWith(u"## Crash of api at "_s));
        QVERIFY(md.contains(u"ERROR: crashing as asked (exit code 4)"_s));
        QVERIFY(view->text()->isReadOnly());

        QGuiApplication::clipboard()->clear();
        QVERIFY(view->copyButton()->isEnabled());
        QTest::mouseClick(view->copyButton(), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), view->shownRecord()->toMarkdown());
        QCOMPARE(QGuiApplication::clipboard()->text(), md);

        // The newer one.
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                          list->visualRect(list->model()->index(0, 0)).center());
        QTRY_VERIFY(view->shownRecord() && view->shownRecord()->id == newer);

        // A third crash shows up in the open list by itself, the selection kept.
        client->start(u"api"_s);
        QVERIFY(recorded.wait(15000));
        QTRY_COMPARE(list->topLevelItemCount(), 3);
        QCOMPARE(view->shownRecord()->id, newer);
        QCOMPARE(list->currentItem()->data(0, Qt::UserRole).toLongLong(), newer);

        // Another service (none selected): nothing listed.
        pane.setService(nullptr);
        QCOMPARE(list->topLevelItemCount(), 0);
        QVERIFY(!view->copyButton()->isEnabled());
    }
};

QTEST_MAIN(TestCrashesView)
#include "tst_crashesview.moc"
