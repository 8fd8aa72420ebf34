// The Errors tab: a real child's errors reach the tab through the engine and
// the client, a click on a row shows its whole sample, and the trend columns
// paint counts per bucket.
#include "config/configloader.h"
#include "errorsview.h"
#include "servicedetailpane.h"

#include "testsupport.h"

#include <QHeaderView>
#include <QPlainTextEdit>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestErrorsView : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void clickingARowShowsItsWholeSample()
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
            "\"\n[[service]]\nname = \"app\"\nstop_timeout = \"2s\"\n"
            "command = [\"/bin/sh\", \"-c\", \"echo 'ERROR cache 7 cold'; "
            "printf 'Traceback (most recent call last):\\\\n  File \\\"/a.py\\\", line 3, in go\\\\n"
            "KeyError: 42\\\\n' >&2; exec sleep 600\"]\n";
        const LoadResult loaded = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        QVERIFY2(loaded.ok(), qPrintable(loaded.errors.value(0).toString()));
        TestEngine engine(*loaded.config);
        ServiceDetailPane pane(engine.client());
        pane.resize(900, 600);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        pane.setService(engine.client()->service(u"app"_s));

        QTabBar *bar = pane.tabs()->tabBar();
        QCOMPARE(pane.tabs()->tabText(ServiceDetailPane::ErrorsTab), u"Errors"_s);
        QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(ServiceDetailPane::ErrorsTab).center());
        QCOMPARE(pane.tabs()->currentWidget(), pane.errorsView());

        engine.fleet().start(u"app"_s);
        QTableView *table = pane.errorsView()->table();
        QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), 2, 15000);
        QVERIFY(pane.errorsView()->sampleView()->toPlainText().isEmpty());

        // Whichever row is the traceback: click it, and then the other one.
        const auto rowOf = [table](const QString &prefix) {
            for (int r = 0; r < table->model()->rowCount(); ++r) {
                if (table->model()
                        ->index(r, ErrorsModel::SignatureColumn)
                        .data()
                        .toString()
                        .startsWith(prefix))
                    return r;
            }
            return -1;
        };
        const int traceback = rowOf(u"KeyError: <n>"_s);
        QVERIFY(traceback >= 0);
        const QModelIndex cell = table->model()->index(traceback, ErrorsModel::SignatureColumn);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(cell).center());
        QCOMPARE(pane.errorsView()->sampleView()->toPlainText(),
                 u"Traceback (most recent call last):\n  File \"/a.py\", line 3, in go\nKeyError: 42"_s);
        const QModelIndex other = table->model()->index(rowOf(u"ERROR cache"_s), ErrorsModel::CountColumn);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(other).center());
        QCOMPARE(pane.errorsView()->sampleView()->toPlainText(), u"ERROR cache 7 cold"_s);
        QCOMPARE(table->model()->index(other.row(), ErrorsModel::CountColumn).data().toLongLong(), 1);
        QVERIFY(stopFleet(engine.fleet()));
    }

    void trendColumnsCountPerBucketAndPaint()
    {
        const qint64 now = 1'800'000'000'000;
        ErrorSignature s;
        s.id = u"abc"_s;
        s.text = u"ERROR x"_s;
        s.count = 6;
        s.firstSeenMs = now - 3 * 3600'000;
        s.lastSeenMs = now - 60'000;
        s.perMinute.insert((now - 60'000) / 60'000, 4);       // in the last 5 minutes
        s.perMinute.insert((now - 30 * 60'000) / 60'000, 1);  // half an hour ago
        s.perMinute.insert((now - 3 * 3600'000) / 60'000, 1); // three hours ago: the day only
        ErrorsView view;
        view.setWallClock([now] { return now; });
        view.model()->setSignatures({s});
        const QList<int> hour =
            view.model()->index(0, ErrorsModel::HourColumn).data(ErrorsModel::TrendRole).value<QList<int>>();
        QCOMPARE(hour.size(), 12);
        QCOMPARE(hour.last(), 4);
        QCOMPARE(std::accumulate(hour.begin(), hour.end(), 0), 5);
        const QList<int> day =
            view.model()->index(0, ErrorsModel::DayColumn).data(ErrorsModel::TrendRole).value<QList<int>>();
        QCOMPARE(day.size(), 24);
        QCOMPARE(std::accumulate(day.begin(), day.end(), 0), 6);
        QCOMPARE(view.model()->index(0, ErrorsModel::LastSeenColumn).data().toString(), u"1 min ago"_s);

        // The bars are painted: the hour cell's last bucket has the bar colour, its first none.
        view.resize(700, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTableView *table = view.table();
        const QRect rect = table->visualRect(view.model()->index(0, ErrorsModel::HourColumn));
        const QImage image = table->viewport()->grab().toImage();
        const QColor bar = table->palette().link().color();
        const auto hasBar = [&](int x0, int x1) {
            for (int x = x0; x < x1; ++x) {
                for (int y = rect.top(); y <= rect.bottom(); ++y) {
                    if (image.pixelColor(x, y) == bar)
                        return true;
                }
            }
            return false;
        };
        const int bucket = rect.width() / 12;
        QVERIFY(hasBar(rect.right() - bucket, rect.right()));
        QVERIFY(!hasBar(rect.left() + 4, rect.left() + bucket));
    }
};

QTEST_MAIN(TestErrorsView)
#include "tst_errorsview.moc"
