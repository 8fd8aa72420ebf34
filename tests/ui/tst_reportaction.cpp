// Help → "Create diagnostic report…", driven from the menu bar: the report
// lands under state_dir/reports/ (LIFELINE_NO_DIALOGS: no file dialog), the
// banner says where, and the box that follows opens its folder; a folder
// that cannot be written is reported, not a crash.
#include "config/configloader.h"
#include "diagnostics/diagnosticreport.h"
#include "mainwindow.h"
#include "menubarsupport.h"
#include "reportaction.h"
#include "testsupport.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestReportAction : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Config config(const QString &stateDir)
    {
        const QString path = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(path);
        const QByteArray toml = "[settings]\nstate_dir = \"" + stateDir.toUtf8() +
                                "\"\n[[service]]\nname = \"api\"\ncommand = [\"true\"]\nautostart = false\n"
                                "env = { PASSWORD = \"pw-in-env\" }\n";
        if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
            return {};
        f.close();
        const LoadResult r = ConfigLoader::loadFile(path);
        return r.ok() ? *r.config : Config{};
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        qputenv("LIFELINE_NO_DIALOGS", "1");
    }

    void menuItemSavesTheReportAndOpensItsFolder()
    {
        const QString stateDir = m_dir.filePath(u"state"_s);
        TestEngine engine(config(stateDir));
        MainWindow w(engine.client());
        w.show();
        QList<QUrl> opened;
        w.reportAction()->setFolderOpener([&opened](const QUrl &url) {
            opened << url;
            return true;
        });

        menuBarAction(w, u"Help"_s, u"Create diagnostic report…"_s)->trigger();

        const QDir reports(stateDir + u"/reports"_s);
        QTRY_COMPARE_WITH_TIMEOUT(reports.entryList({u"lifeline-report-*.md"_s}, QDir::Files).size(), 1,
                                  10000);
        QFile report(
            reports.filePath(reports.entryList({u"lifeline-report-*.md"_s}, QDir::Files).constFirst()));
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(report.readAll());
        QVERIFY(text.startsWith(u"# Lifeline diagnostic report\n"_s));
        QVERIFY(text.contains(u"PASSWORD = \"***\""_s));
        QVERIFY(!text.contains(u"pw-in-env"_s));

        QTRY_VERIFY(w.reportAction()->offer() != nullptr);
        QMessageBox *box = w.reportAction()->offer();
        QTRY_VERIFY(box->isVisible());
        QVERIFY(box->text().contains(report.fileName()));
        QVERIFY(w.banner()->text().contains(u"Diagnostic report saved to"_s));
        auto *open = box->findChild<QPushButton *>(u"openReportFolder"_s);
        QVERIFY(open);
        QTest::mouseClick(open, Qt::LeftButton);
        QCOMPARE(opened, QList<QUrl>{QUrl::fromLocalFile(reports.absolutePath())});
    }

    void aFolderThatCannotBeMadeIsReported()
    {
        // state_dir/reports cannot be created: a file sits where the folder would.
        const QString stateDir = m_dir.filePath(u"blocked"_s);
        QVERIFY(QDir().mkpath(stateDir));
        QFile blocker(stateDir + u"/reports"_s);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        TestEngine engine(config(stateDir));
        MainWindow w(engine.client());
        w.show();
        menuBarAction(w, u"Help"_s, u"Create diagnostic report…"_s)->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.banner()->text().contains(u"cannot write the report to"_s), 10000);
        QVERIFY(w.banner()->text().contains(stateDir + u"/reports"_s));
        QVERIFY(!w.reportAction()->offer());
    }
};

QTEST_MAIN(TestReportAction)
#include "tst_reportaction.moc"
