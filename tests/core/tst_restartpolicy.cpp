// The restart rules on a manual clock: no test here sleeps.
#include "supervise/exitstatus.h"
#include "supervise/restartpolicy.h"
#include "util/clock.h"

#include <QTest>

#include <csignal>

using namespace lifeline;
using namespace std::chrono_literals;

class TestRestartPolicy : public QObject
{
    Q_OBJECT

private slots:
    void neverPolicyLeavesDown()
    {
        ServiceSpec spec;
        spec.restart = RestartPolicy::Never;
        RestartTracker t(spec);
        QCOMPARE(t.onExit(ExitStatus::exited(1), false, 0), RestartTracker::Verdict::LeaveDown);
        // A health or memory restart is a decision of a check, not of the policy.
        QCOMPARE(t.onExit(ExitStatus::exited(0), true, 0), RestartTracker::Verdict::Restart);
    }

    void onFailureRestartsOnlyFailures_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("code");
        QTest::addColumn<bool>("restarts");
        QTest::newRow("clean exit") << int(ExitStatus::Kind::Exited) << 0 << false;
        QTest::newRow("exit 3") << int(ExitStatus::Kind::Exited) << 3 << true;
        QTest::newRow("SIGKILL") << int(ExitStatus::Kind::Signaled) << SIGKILL << true;
        QTest::newRow("SIGSEGV") << int(ExitStatus::Kind::Signaled) << SIGSEGV << true;
        QTest::newRow("unknown (adopted)") << int(ExitStatus::Kind::Unknown) << 0 << true;
    }
    void onFailureRestartsOnlyFailures()
    {
        QFETCH(int, kind);
        QFETCH(int, code);
        QFETCH(bool, restarts);
        ServiceSpec spec;
        spec.restart = RestartPolicy::OnFailure;
        RestartTracker t(spec);
        const ExitStatus st{ExitStatus::Kind(kind), code};
        QCOMPARE(t.onExit(st, false, 0) == RestartTracker::Verdict::Restart, restarts);
    }

    void alwaysRestartsCleanExit()
    {
        ServiceSpec spec;
        spec.restart = RestartPolicy::Always;
        RestartTracker t(spec);
        QCOMPARE(t.onExit(ExitStatus::exited(0), false, 0), RestartTracker::Verdict::Restart);
    }

    void backoffGrowsAndCaps()
    {
        ServiceSpec spec;
        spec.restart = RestartPolicy::Always;
        spec.restartDelay = 1000ms;
        spec.backoffFactor = 2.0;
        spec.backoffMax = 5000ms;
        spec.maxRestarts = 100;
        RestartTracker t(spec);
        ManualClock clock;
        const QList<qint64> expected{1000, 2000, 4000, 5000, 5000};
        for (qint64 want : expected) {
            QCOMPARE(t.onExit(ExitStatus::exited(1), false, clock.nowMs()), RestartTracker::Verdict::Restart);
            QCOMPARE(t.delay().count(), want);
            clock.advance(10ms);
        }
    }

    void zeroDelayStaysZero()
    {
        ServiceSpec spec;
        spec.restartDelay = 0ms;
        RestartTracker t(spec);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(t.onExit(ExitStatus::exited(1), false, i), RestartTracker::Verdict::Restart);
            QCOMPARE(t.delay().count(), 0);
        }
    }

    void crashLoopGoesFatal()
    {
        ServiceSpec spec;
        spec.maxRestarts = 3;
        spec.restartWindow = 60s;
        RestartTracker t(spec);
        ManualClock clock;
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(t.onExit(ExitStatus::exited(3), false, clock.nowMs()), RestartTracker::Verdict::Restart);
            clock.advance(1s);
        }
        QCOMPARE(t.restartsInWindow(clock.nowMs()), 3);
        QCOMPARE(t.onExit(ExitStatus::exited(3), false, clock.nowMs()), RestartTracker::Verdict::Fatal);
    }

    void oldRestartsLeaveTheWindow()
    {
        ServiceSpec spec;
        spec.maxRestarts = 2;
        spec.restartWindow = 60s;
        RestartTracker t(spec);
        ManualClock clock;
        QCOMPARE(t.onExit(ExitStatus::exited(3), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        QCOMPARE(t.onExit(ExitStatus::exited(3), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        clock.advance(61s);
        QCOMPARE(t.restartsInWindow(clock.nowMs()), 0);
        QCOMPARE(t.onExit(ExitStatus::exited(3), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        QCOMPARE(t.totalRestarts(), 3);
    }

    void stableRunResetsCountAndBackoff()
    {
        ServiceSpec spec;
        spec.maxRestarts = 2;
        spec.restartWindow = 3600s;
        spec.stableAfter = 60s;
        spec.restartDelay = 1000ms;
        spec.backoffFactor = 3.0;
        spec.backoffMax = 100s;
        RestartTracker t(spec);
        ManualClock clock;
        QCOMPARE(t.onExit(ExitStatus::exited(1), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        QCOMPARE(t.onExit(ExitStatus::exited(1), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        QCOMPARE(t.delay().count(), 3000);
        const qint64 since = clock.nowMs();
        clock.advance(59s);
        t.noteRunning(since, clock.nowMs());
        QCOMPARE(t.restartsInWindow(clock.nowMs()), 2); // not yet stable
        clock.advance(1s);
        t.noteRunning(since, clock.nowMs());
        QCOMPARE(t.restartsInWindow(clock.nowMs()), 0);
        QCOMPARE(t.onExit(ExitStatus::exited(1), false, clock.nowMs()), RestartTracker::Verdict::Restart);
        QCOMPARE(t.delay().count(), 1000); // backoff starts over too
    }

    void exitDescriptions_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("shell");
        QTest::newRow("clean") << int(ExitStatus::Kind::Exited) << 0 << QStringLiteral("exited cleanly (0)")
                               << 0;
        QTest::newRow("code 3") << int(ExitStatus::Kind::Exited) << 3 << QStringLiteral("exit code 3") << 3;
        QTest::newRow("kill") << int(ExitStatus::Kind::Signaled) << 9
                              << QStringLiteral("killed by SIGKILL (9)") << 137;
        QTest::newRow("segv") << int(ExitStatus::Kind::Signaled) << 11
                              << QStringLiteral("killed by SIGSEGV (11) — crashed") << 139;
        QTest::newRow("adopted") << int(ExitStatus::Kind::Unknown) << 0
                                 << QStringLiteral("exit code unknown (adopted)") << -1;
    }
    void exitDescriptions()
    {
        QFETCH(int, kind);
        QFETCH(int, code);
        QFETCH(QString, text);
        QFETCH(int, shell);
        const ExitStatus st{ExitStatus::Kind(kind), code};
        QCOMPARE(st.describe(), text);
        QCOMPARE(st.shellCode(), shell);
    }
};

QTEST_APPLESS_MAIN(TestRestartPolicy)
#include "tst_restartpolicy.moc"
