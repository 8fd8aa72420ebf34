// "Repair…" as a person uses it: select the row with the mouse, pick
// Services > Repair… (or the row's context menu), read what will run, click
// Run, watch the output arrive and read the result. Real processes, a real
// engine (TestEngine), real files.
#include "config/configloader.h"
#include "mainwindow.h"
#include "recovery/recovery.h"
#include "recoverydialog.h"
#include "repairdialog.h"
#include "servicetablemodel.h"
#include "servicetableview.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestRepairDialog : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Config config(const QByteArray &repair, const QByteArray &top = {}) const
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() + "\"\n" + top +
            "[[service]]\nname = \"plain\"\ncommand = [\"true\"]\nautostart = false\n"
            "[[service]]\nname = \"api\"\ncwd = \"" +
            m_dir.path().toUtf8() + "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(freePort()) + "\"]\nstop_timeout = \"3s\"\n" + repair;
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        if (!r.ok())
            qFatal("%s", qPrintable(r.errors.constFirst().toString()));
        return *r.config;
    }

    static QPoint rowCenter(MainWindow &w, int row)
    {
        return w.table()->visualRect(w.table()->model()->index(row, ServiceTableModel::Name)).center();
    }

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
        return nullptr;
    }

    static RepairDialog *openDialog(MainWindow &w)
    {
        QAction *repair = menuAction(w, u"Services"_s, u"Repair…"_s);
        if (!repair || !repair->isEnabled())
            return nullptr;
        repair->trigger();
        return w.findChild<RepairDialog *>();
    }

    QString order() const
    {
        QFile f(m_dir.filePath(u"order.txt"_s));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

private slots:
    void init() { QFile::remove(m_dir.filePath(u"order.txt"_s)); }

    void menuShowsWhatRunsAndRunsItOnClick()
    {
        TestEngine engine(
            config("[service.repair]\ntimeout = \"90s\"\nsteps = [[\"/bin/sh\", \"-c\", \"echo one >> "
                   "order.txt; echo first line\"], [\"/bin/sh\", \"-c\", \"echo two >> order.txt; "
                   "echo second line\"]]\n"));
        engine.fleet().boot();
        ServiceSupervisor *api = engine.fleet().service(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        // A service without steps: the action is there but off.
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 0));
        QTRY_COMPARE(w.selectedService()->name(), u"plain"_s);
        QVERIFY(menuAction(w, u"Services"_s, u"Repair…"_s));
        QVERIFY(!w.repairAction()->isEnabled());

        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        QTRY_COMPARE(w.selectedService()->name(), u"api"_s);
        RepairDialog *dialog = openDialog(w);
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));

        // Exactly what will run, before anything runs.
        QCOMPARE(dialog->stepsView()->topLevelItemCount(), 2);
        QCOMPARE(dialog->stepsView()->topLevelItem(0)->text(0),
                 u"1. /bin/sh -c 'echo one >> order.txt; echo first line'"_s);
        QCOMPARE(dialog->stepsView()->topLevelItem(1)->text(0),
                 u"2. /bin/sh -c 'echo two >> order.txt; echo second line'"_s);
        QVERIFY(dialog->planLabel()->text().contains(m_dir.path()));
        QVERIFY(dialog->planLabel()->text().contains(u"1m30s"_s));
        QVERIFY(order().isEmpty());
        QCOMPARE(api->state(), ServiceState::Running);

        QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
        QVERIFY(!dialog->runButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->resultLabel()->isVisible(), 20000);
        QVERIFY2(dialog->resultLabel()->text().startsWith(u"repair of api succeeded (2 steps"_s),
                 qPrintable(dialog->resultLabel()->text()));
        QVERIFY(
            dialog->resultLabel()->text().contains(u"Report: "_s + m_dir.filePath(u"state/repair/api-"_s)));
        const QString output = dialog->outputView()->toPlainText();
        QVERIFY2(output.contains(u"$ /bin/sh -c 'echo one >> order.txt; echo first line'\nfirst line\n"_s),
                 qPrintable(output));
        QVERIFY(output.contains(u"second line"_s));
        QVERIFY(dialog->stepsView()->topLevelItem(1)->text(1).startsWith(u"ok"_s));
        QCOMPARE(order(), u"one\ntwo\n"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        QVERIFY(dialog->runButton()->isEnabled()); // may run again
        dialog->close();
        QVERIFY(stopFleet(engine.fleet()));
    }

    void failureNamesTheStepAndLeavesItStopped()
    {
        TestEngine engine(config("[service.repair]\nsteps = [[\"false\"], [\"/bin/sh\", \"-c\", \"echo no >> "
                                 "order.txt\"]]\n"));
        engine.fleet().boot();
        ServiceSupervisor *api = engine.fleet().service(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        QTRY_COMPARE(w.selectedService()->name(), u"api"_s);

        // The row's context menu offers it too.
        QTimer::singleShot(5000, &w, [] {
            if (QWidget *popup = QApplication::activePopupWidget())
                popup->close();
        });
        QTest::mouseClick(w.windowHandle(), Qt::RightButton, {},
                          w.table()->viewport()->mapTo(&w, rowCenter(w, 1)));
        QTRY_VERIFY(qobject_cast<QMenu *>(QApplication::activePopupWidget()));
        auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        QVERIFY(menu->actions().contains(w.repairAction()));
        QVERIFY(w.repairAction()->isEnabled());
        menu->close();

        RepairDialog *dialog = openDialog(w);
        QVERIFY(dialog);
        QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->resultLabel()->isVisible(), 20000);
        QVERIFY2(dialog->resultLabel()->text().startsWith(
                     u"repair of api failed: step 1 of 2 `false` failed: exit code 1; api left stopped"_s),
                 qPrintable(dialog->resultLabel()->text()));
        QCOMPARE(dialog->stepsView()->topLevelItem(0)->text(1), u"failed: exit code 1"_s);
        QCOMPARE(dialog->stepsView()->topLevelItem(1)->text(1), u"not run"_s);
        QVERIFY(order().isEmpty());
        QCOMPARE(api->state(), ServiceState::Stopped);
        dialog->close();
    }

    static QString treeText(QTreeWidget *tree)
    {
        QStringList out;
        for (QTreeWidgetItemIterator it(tree); *it; ++it)
            out << (*it)->text(0);
        return out.join(u'\n');
    }

    // recovery.repair = true: the recovery window lists the steps before it
    // runs, and shows them as a step of its own.
    void recoveryDialogShowsTheRepairStep()
    {
        TestEngine engine(
            config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo r >> order.txt\"]]\n",
                   "[recovery]\nrepair = true\n"));
        RecoveryDialog dlg(engine.client());
        dlg.resize(700, 560);
        dlg.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dlg));
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        const QString plan = treeText(dlg.planView());
        QVERIFY2(plan.contains(u"Repair steps to run, while everything is stopped"_s), qPrintable(plan));
        QVERIFY(plan.contains(u"step 1 of 1: /bin/sh -c 'echo r >> order.txt'"_s));
        QSignalSpy finished(engine.engine().recovery(), &Recovery::finished);
        QTest::mouseClick(dlg.recoverButton(), Qt::LeftButton);
        QVERIFY(finished.wait(60000));
        QTRY_COMPARE(dlg.currentPage(), int(RecoveryDialog::ResultPage));
        QCOMPARE(dlg.progressView()->topLevelItemCount(), RecoveryStep::Count + 1);
        QCOMPARE(dlg.progressView()->topLevelItem(5)->text(0), u"6. Run repair steps"_s);
        QCOMPARE(dlg.progressView()->topLevelItem(5)->text(1), u"ok"_s);
        QCOMPARE(dlg.progressBar()->value(), dlg.progressBar()->maximum());
        QCOMPARE(order(), u"r\n"_s);
        QVERIFY(stopFleet(engine.fleet()));
    }

    // A step that floods: the dialog keeps its last kMaxOutputLines lines.
    void floodedOutputStaysBounded()
    {
        TestEngine engine(config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"seq 1 30000\"]]\n"));
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::mouseClick(w.table()->viewport(), Qt::LeftButton, {}, rowCenter(w, 1));
        QTRY_COMPARE(w.selectedService()->name(), u"api"_s);
        RepairDialog *dialog = openDialog(w);
        QVERIFY(dialog);
        QTest::mouseClick(dialog->runButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->resultLabel()->isVisible(), 30000);
        QVERIFY(dialog->resultLabel()->text().startsWith(u"repair of api succeeded"_s));
        QVERIFY(dialog->outputView()->blockCount() <= RepairDialog::kMaxOutputLines);
        QVERIFY(dialog->outputView()->toPlainText().endsWith(u"\n30000"_s));
        QVERIFY(stopFleet(engine.fleet()));
    }
};

QTEST_MAIN(TestRepairDialog)
#include "tst_repairdialog.moc"
