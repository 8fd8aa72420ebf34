// RecoveryDialog offscreen, over a real Fleet with a real demo backend: the
// plan shows the PIDs, the consent checkbox is off by default, "Recover now"
// runs the steps with live progress whose ticks keep a pace on the clock,
// closing the window mid-run does not stop the recovery, and the result
// gives the summary first, Open report / Copy, and a wrapped report.
#include "config/configloader.h"
#include "recovery/recovery.h"
#include "recoverydialog.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/clock.h"

#include "testsupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPointer>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QUrl>

#include <functional>
#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// Every text of a tree, depth first, one line per row.
QString treeText(const QTreeWidget *tree)
{
    QString out;
    std::function<void(const QTreeWidgetItem *)> walk = [&](const QTreeWidgetItem *item) {
        for (int c = 0; c < item->columnCount(); ++c)
            out += item->text(c) + u" | "_s;
        out += u'\n';
        for (int i = 0; i < item->childCount(); ++i)
            walk(item->child(i));
    };
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        walk(tree->topLevelItem(i));
    return out;
}

} // namespace

class TestRecoveryDialog : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<TestEngine> m_engine;
    Fleet *m_fleet = nullptr; // the engine's, on this thread
    quint16 m_port = 0;

    // One service with a health check, booted and healthy.
    void bootFleet(const QByteArray &recovery = "[recovery]\nverify_timeout = \"10s\"\n")
    {
        m_port = freePort();
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir->path().toUtf8() +
                                "/state\"\n[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                                "\", \"--port\", \"" +
                                QByteArray::number(m_port) + "\"]\nports = [" + QByteArray::number(m_port) +
                                "]\nstop_timeout = \"2s\"\n[service.health]\nurl = \"http://127.0.0.1:" +
                                QByteArray::number(m_port) +
                                "/health\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\n" + recovery;
        const QString path = m_dir->filePath(u"lifeline.toml"_s);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(toml);
        f.close();
        LoadResult r = ConfigLoader::loadFile(path);
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        QVERIFY(r.config);
        m_engine = std::make_unique<TestEngine>(*r.config);
        m_fleet = &m_engine->fleet();
        m_fleet->boot();
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Running, 10000);
    }

    ServiceSupervisor *api() const { return m_fleet->service(u"api"_s); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void cleanup()
    {
        if (m_fleet) {
            QSignalSpy stopped(m_fleet, &Fleet::allStopped);
            m_fleet->stopAll();
            if (!m_fleet->isAllStopped())
                QVERIFY(stopped.wait(10000));
        }
        m_fleet = nullptr;
        m_engine.reset();
        m_dir.reset();
    }

    void planShowsPidsAndConsentIsOffByDefault()
    {
        bootFleet();
        const pid_t pid = api()->pid();
        Recovery &rec = *m_engine->engine().recovery();
        RecoveryDialog dlg(m_engine->client());
        dlg.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dlg));
        QCOMPARE(dlg.currentPage(), int(RecoveryDialog::PlanPage));
        // The engine looks at /proc and answers.
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        const QString plan = treeText(dlg.planView());
        QVERIFY2(plan.contains(u"PID %1"_s.arg(pid)), qPrintable(plan));
        QVERIFY2(plan.contains(u"will be stopped"_s), qPrintable(plan));
        QVERIFY(plan.contains(u"Logs to back up"_s));
        QVERIFY(!dlg.consentBox()->isChecked());
        QVERIFY(dlg.recoverButton()->isEnabled());
        QVERIFY(!rec.isRunning()); // showing the plan runs nothing

        // A holder of a port the service needs (stopped first, so the port is free).
        QSignalSpy stopped(m_fleet, &Fleet::allStopped);
        m_fleet->stopAll();
        QVERIFY(stopped.wait(10000));
        QProcess holder;
        holder.start(QStringLiteral(LIFELINE_DEMO_BACKEND), {u"--port"_s, QString::number(m_port)});
        QVERIFY(holder.waitForStarted(5000));
        QTRY_VERIFY_WITH_TIMEOUT(rec.plan().hasForeignPortHolders(), 5000);
        dlg.refreshPlan();
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        const QString withHolder = treeText(dlg.planView());
        QVERIFY2(withHolder.contains(u"PID %1"_s.arg(holder.processId())), qPrintable(withHolder));
        QVERIFY(withHolder.contains(u"only if you agree"_s));
        QVERIFY(dlg.consentBox()->isEnabled());
        QVERIFY(!dlg.consentBox()->isChecked()); // still off: the person has to tick it
        holder.kill();
        holder.waitForFinished(5000);
    }

    void recoverNowShowsLiveProgressAndResult()
    {
        // A leftover with a very long name, for the report to wrap.
        bootFleet("[recovery]\nverify_timeout = \"10s\"\nclean = [\"tmp/*.lock\"]\n");
        const QString longName = QString(220, u'x') + u".lock"_s;
        QVERIFY(QDir().mkpath(m_dir->filePath(u"state/tmp"_s)));
        QFile lock(m_dir->filePath(u"state/tmp/"_s + longName));
        QVERIFY(lock.open(QIODevice::WriteOnly));
        lock.close();
        const pid_t oldPid = api()->pid();
        Recovery &rec = *m_engine->engine().recovery();
        RecoveryDialog dlg(m_engine->client());
        QList<QUrl> opened;
        bool openerWorks = true;
        dlg.setReportOpener([&](const QUrl &url) {
            opened.append(url);
            return openerWorks;
        });
        dlg.resize(700, 560);
        dlg.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dlg));
        QSignalSpy finished(&rec, &Recovery::finished);
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        QTest::mouseClick(dlg.recoverButton(), Qt::LeftButton);
        QTRY_VERIFY(rec.isRunning());
        QTRY_COMPARE(dlg.currentPage(), int(RecoveryDialog::ProgressPage));
        QCOMPARE(dlg.progressView()->topLevelItemCount(), RecoveryStep::Count);
        // Live: a step is seen running before the run ends, and the bar moves.
        QTRY_COMPARE_WITH_TIMEOUT(dlg.progressView()->topLevelItem(0)->text(1), u"ok"_s, 10000);
        QVERIFY(dlg.progressBar()->value() >= 1);
        if (finished.isEmpty())
            QVERIFY(finished.wait(20000));
        const auto report = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(report.toText()));
        QTRY_COMPARE(dlg.currentPage(), int(RecoveryDialog::ResultPage));
        QCOMPARE(dlg.progressBar()->value(), RecoveryStep::Count);
        for (int i = 0; i < RecoveryStep::Count; ++i) {
            QVERIFY(dlg.progressView()->topLevelItem(i)->text(1) != u"pending"_s);
            QVERIFY(!dlg.progressView()->topLevelItem(i)->text(2).isEmpty()); // its own time
        }
        // The stop step lists the PID it stopped.
        QVERIFY(treeText(dlg.progressView()).contains(u"PID %1"_s.arg(oldPid)));

        // The summary first, then the buttons, then the report.
        QVERIFY(dlg.resultLabel()->text().contains(u"succeeded"_s));
        const auto top = [&](QWidget *w) { return w->mapTo(&dlg, QPoint(0, 0)).y(); };
        QVERIFY(top(dlg.resultLabel()) < top(dlg.openReportButton()));
        QCOMPARE(top(dlg.copyButton()), top(dlg.openReportButton()));
        QVERIFY(top(dlg.openReportButton()) < top(dlg.reportView()));
        // Grouped by step, wrapped: the long name does not scroll sideways.
        const QString text = dlg.reportView()->toPlainText();
        QVERIFY2(text.contains(u"1. Stop every service"_s) && text.contains(u"End state"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(longName), qPrintable(text));
        QCOMPARE(dlg.reportView()->horizontalScrollBar()->maximum(), 0);
        QVERIFY(dlg.reportView()->document()->size().width() <= dlg.reportView()->viewport()->width());

        // Copy puts the report's text on the clipboard.
        QGuiApplication::clipboard()->clear();
        QTest::mouseClick(dlg.copyButton(), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), report.toText());

        QVERIFY(dlg.openReportButton()->isEnabled());
        QSignalSpy open(&dlg, &RecoveryDialog::reportOpenRequested);
        QTest::mouseClick(dlg.openReportButton(), Qt::LeftButton);
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.at(0).at(0).toString(), rec.lastReportPath());
        QCOMPARE(opened, QList<QUrl>{QUrl::fromLocalFile(rec.lastReportPath())});
        QVERIFY(dlg.openNoticeLabel()->isHidden());
        QVERIFY(QFile::exists(rec.lastReportPath()));
        // Without an application to open it, the dialog says where it is.
        openerWorks = false;
        QTest::mouseClick(dlg.openReportButton(), Qt::LeftButton);
        QVERIFY(dlg.openNoticeLabel()->isVisible());
        QVERIFY2(dlg.openNoticeLabel()->text().contains(rec.lastReportPath()),
                 qPrintable(dlg.openNoticeLabel()->text()));
        QTRY_VERIFY(api()->pid() != oldPid);
    }

    void ticksAreShownInOrderAtAPaceAPersonCanFollow()
    {
        bootFleet();
        ManualClock clock;
        Recovery &rec = *m_engine->engine().recovery();
        RecoveryDialog dlg(m_engine->client());
        dlg.setClock(&clock);
        QList<std::pair<int, qint64>> ticks;
        connect(&dlg, &RecoveryDialog::stepTicked, &dlg, [&](int index, qint64 atMs) {
            ticks.append({index, atMs});
        });
        dlg.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dlg));
        QSignalSpy finished(&rec, &Recovery::finished);
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        QTest::mouseClick(dlg.recoverButton(), Qt::LeftButton);
        QVERIFY(finished.wait(20000));
        // The run is over, but the clock has not moved: the first step is
        // shown running, none is ticked yet, the result waits.
        QTRY_COMPARE(dlg.progressView()->topLevelItem(0)->text(1), u"running"_s);
        QVERIFY(ticks.isEmpty());
        QCOMPARE(dlg.currentPage(), int(RecoveryDialog::ProgressPage));
        const qint64 start = clock.nowMs();
        for (int i = 0; i < RecoveryStep::Count; ++i) {
            clock.advance(std::chrono::milliseconds(RecoveryDialog::kTickPaceMs - 1));
            QTest::qWait(0);
            QCOMPARE(ticks.size(), i); // not a millisecond early
            clock.advance(std::chrono::milliseconds(1));
            QTRY_COMPARE(ticks.size(), i + 1);
            QCOMPARE(ticks.at(i).first, i);
            QCOMPARE(ticks.at(i).second, start + (i + 1) * RecoveryDialog::kTickPaceMs);
            QCOMPARE(dlg.progressView()->topLevelItem(i)->text(1), u"ok"_s);
            if (i + 1 < RecoveryStep::Count)
                QCOMPARE(dlg.progressView()->topLevelItem(i + 1)->text(1), u"running"_s);
        }
        QTRY_COMPARE(dlg.currentPage(), int(RecoveryDialog::ResultPage));
    }

    void closingTheWindowDoesNotStopTheRecovery()
    {
        bootFleet();
        const pid_t oldPid = api()->pid();
        Recovery &rec = *m_engine->engine().recovery();
        QSignalSpy finished(&rec, &Recovery::finished);
        QPointer<RecoveryDialog> dlg = new RecoveryDialog(m_engine->client());
        dlg->setAttribute(Qt::WA_DeleteOnClose);
        dlg->show();
        QVERIFY(QTest::qWaitForWindowExposed(dlg));
        QTRY_VERIFY(dlg->recoverButton()->isEnabled());
        QTest::mouseClick(dlg->recoverButton(), Qt::LeftButton);
        QTRY_VERIFY(rec.isRunning());
        // Mid-run: the first step has begun, the run is far from over.
        QTRY_VERIFY_WITH_TIMEOUT(dlg->progressView()->topLevelItemCount() > 0 &&
                                     dlg->progressView()->topLevelItem(0)->text(1) != u"pending"_s,
                                 5000);
        QCOMPARE(finished.count(), 0);
        dlg->close();
        QTRY_VERIFY(dlg.isNull()); // deleted
        QVERIFY(rec.isRunning());
        QVERIFY(finished.wait(20000));
        const auto report = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(report.toText()));
        QTRY_COMPARE(api()->state(), ServiceState::Running);
        QVERIFY(api()->pid() != oldPid);

        // A dialog opened during a run shows its progress, not a new plan;
        // and a second click cannot start a second run.
        QVERIFY(rec.start());
        QTRY_VERIFY(m_engine->client()->isRecoveryRunning());
        RecoveryDialog again(m_engine->client());
        QCOMPARE(again.currentPage(), int(RecoveryDialog::ProgressPage));
        QCOMPARE(again.progressView()->topLevelItemCount(), RecoveryStep::Count);
        QVERIFY(finished.wait(20000));
        QTRY_COMPARE(again.currentPage(), int(RecoveryDialog::ResultPage));
    }

    void refusedStartIsShownOnThePlanPage()
    {
        bootFleet();
        Recovery other(m_fleet); // e.g. a second Lifeline's, through the same state_dir lock
        RecoveryDialog dlg(m_engine->client());
        QSignalSpy finished(&other, &Recovery::finished);
        QTRY_VERIFY(dlg.recoverButton()->isEnabled());
        QVERIFY(other.start());
        QTest::mouseClick(dlg.recoverButton(), Qt::LeftButton);
        QTRY_VERIFY(!dlg.planErrorLabel()->isHidden());
        QCOMPARE(dlg.currentPage(), int(RecoveryDialog::PlanPage));
        QVERIFY2(dlg.planErrorLabel()->text().contains(u"already running"_s),
                 qPrintable(dlg.planErrorLabel()->text()));
        QVERIFY(finished.wait(20000));
    }
};

QTEST_MAIN(TestRecoveryDialog)
#include "tst_recoverydialog.moc"
