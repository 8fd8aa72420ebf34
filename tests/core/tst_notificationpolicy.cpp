// NotificationPolicy on a ManualClock: the rate limit, grouping, pause and
// the hold while the tray menu is open.
#include "alerts/notificationpolicy.h"

#include <QTest>

#include <chrono>

using namespace lifeline;
using namespace std::chrono_literals;
using Policy = NotificationPolicy;

namespace {

Policy::Event crash(const QString &service, int n = 0)
{
    return {service, QStringLiteral("crashed"), QStringLiteral("%1 crashed #%2").arg(service).arg(n), 1,
            Policy::Priority::Normal};
}

Policy::Event fatal(const QString &service)
{
    return {service, QStringLiteral("gave up"), service + QStringLiteral(" gave up"), 2,
            Policy::Priority::Urgent};
}

} // namespace

class TestNotificationPolicy : public QObject
{
    Q_OBJECT

private slots:
    void oneBalloonPerServicePerMinuteThenASummary()
    {
        ManualClock clock;
        Policy policy(&clock);
        const auto first = policy.offer(crash(QStringLiteral("flaky"), 1));
        QVERIFY(first);
        QVERIFY(!first->isSummary());
        QCOMPARE(first->newest().last.text, QStringLiteral("flaky crashed #1"));

        // Four more crashes 12 s apart: all held.
        for (int i = 2; i <= 5; ++i) {
            clock.advance(12s);
            QVERIFY(!policy.offer(crash(QStringLiteral("flaky"), i)));
        }
        // Another service is not held back by flaky.
        QVERIFY(policy.offer(crash(QStringLiteral("api"))));
        QVERIFY(policy.due().isEmpty()); // 48 s since flaky's balloon
        QVERIFY(policy.hasHeld());

        clock.advance(12s); // a minute since the first balloon
        const QList<Policy::Balloon> due = policy.due();
        QCOMPARE(due.size(), 1);
        const Policy::Balloon &b = due.first();
        QCOMPARE(b.service, QStringLiteral("flaky"));
        QVERIFY(b.isSummary());
        QCOMPARE(b.groups.size(), 1);
        QCOMPARE(b.newest().count, 4);
        QCOMPARE(b.newest().last.text, QStringLiteral("flaky crashed #5"));
        QCOMPARE(b.newest().lastAtMs - b.newest().firstAtMs, 36000);
        QVERIFY(!policy.hasHeld());
        QVERIFY(policy.due().isEmpty());

        // The summary started a new minute.
        clock.advance(1s);
        QVERIFY(!policy.offer(crash(QStringLiteral("flaky"), 6)));
        clock.advance(59s);
        QCOMPARE(policy.due().size(), 1);
    }

    void groupsKeepKindsApartNewestLast()
    {
        ManualClock clock;
        Policy policy(&clock);
        QVERIFY(policy.offer(crash(QStringLiteral("api"))));
        clock.advance(1s);
        QVERIFY(!policy.offer(crash(QStringLiteral("api"))));
        clock.advance(1s);
        QVERIFY(!policy.offer({QStringLiteral("api"), QStringLiteral("recovered"),
                               QStringLiteral("api recovered"), 0, Policy::Priority::Normal}));
        clock.advance(1min);
        const QList<Policy::Balloon> due = policy.due();
        QCOMPARE(due.size(), 1);
        QCOMPARE(due.first().groups.size(), 2);
        QCOMPARE(due.first().groups.at(0).last.kind, QStringLiteral("crashed"));
        QCOMPARE(due.first().newest().last.kind, QStringLiteral("recovered"));
        QVERIFY(due.first().isSummary());
    }

    void urgentAlwaysGetsThroughAndSupersedesWhatWasHeld()
    {
        ManualClock clock;
        Policy policy(&clock);
        QVERIFY(policy.offer(crash(QStringLiteral("flaky"))));
        QVERIFY(!policy.offer(crash(QStringLiteral("flaky"))));
        const auto f = policy.offer(fatal(QStringLiteral("flaky")));
        QVERIFY(f);
        QCOMPARE(f->newest().last.text, QStringLiteral("flaky gave up"));
        QVERIFY(!policy.hasHeld());

        policy.pauseFor(3600'000);
        QVERIFY(policy.isPaused());
        QVERIFY(policy.offer(fatal(QStringLiteral("other"))));
        QVERIFY(policy.offer(
            {{}, QStringLiteral("recovery"), QStringLiteral("recovery done"), 0, Policy::Priority::Urgent}));
    }

    void pauseHoldsUntilItEnds()
    {
        ManualClock clock;
        Policy policy(&clock);
        policy.pauseFor(3600'000);
        QCOMPARE(policy.pausedUntilMs(), clock.nowMs() + 3600'000);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(!policy.offer(crash(QStringLiteral("flaky"), i)));
            clock.advance(10min);
        }
        QVERIFY(!policy.offer(crash(QStringLiteral("api"))));
        QVERIFY(!policy.offer(
            {{}, QStringLiteral("note"), QStringLiteral("about Lifeline"), 0, Policy::Priority::Normal}));
        QVERIFY(policy.due().isEmpty());
        clock.advance(30min); // 1 h since the pause
        QVERIFY(!policy.isPaused());
        const QList<Policy::Balloon> due = policy.due();
        QCOMPARE(due.size(), 3); // one per source, in the order they first spoke
        QCOMPARE(due.at(0).service, QStringLiteral("flaky"));
        QCOMPARE(due.at(0).newest().count, 3);
        QCOMPARE(due.at(1).service, QStringLiteral("api"));
        QCOMPARE(due.at(2).service, QString());

        // Resuming by hand lets the next one through at once.
        policy.pauseFor(3600'000);
        QVERIFY(!policy.offer(crash(QStringLiteral("db"))));
        policy.resume();
        QVERIFY(!policy.isPaused());
        QCOMPARE(policy.due().size(), 1);
    }

    void menuOpenHoldsEverythingUrgentToo()
    {
        ManualClock clock;
        Policy policy(&clock);
        policy.setMenuOpen(true);
        QVERIFY(!policy.offer(crash(QStringLiteral("api"))));
        QVERIFY(!policy.offer(fatal(QStringLiteral("flaky"))));
        clock.advance(5min);
        QVERIFY(policy.due().isEmpty());
        policy.setMenuOpen(false);
        const QList<Policy::Balloon> due = policy.due();
        QCOMPARE(due.size(), 2);
        QCOMPARE(due.at(0).newest().last.text, QStringLiteral("flaky gave up"));
        QCOMPARE(due.at(1).service, QStringLiteral("api"));
    }

    void clearForgetsWhatWasHeld()
    {
        ManualClock clock;
        Policy policy(&clock);
        QVERIFY(policy.offer(crash(QStringLiteral("api"))));
        QVERIFY(!policy.offer(crash(QStringLiteral("api"))));
        policy.clear();
        QVERIFY(!policy.hasHeld());
        clock.advance(2min);
        QVERIFY(policy.due().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestNotificationPolicy)
#include "tst_notificationpolicy.moc"
