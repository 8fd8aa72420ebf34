// Webhook endpoints that misbehave: a 10 MB answer, an answer trickled a
// byte a second, a reset, a host that does not resolve. Each ends in bounded
// time with a clear reason, and none holds up a good webhook.
#include "alertreceiver.h"

#include "alerts/alertsinks.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using namespace lifeline;

namespace {

AlertNotice notice()
{
    AlertNotice n;
    n.key = u"disk"_s;
    n.title = u"disk at 97.0 %"_s;
    n.text = u"disk is at 97.0 %"_s;
    n.timeMs = 1'700'000'000'000;
    return n;
}

AlertWebhookSpec webhook(const QString &url, std::chrono::milliseconds timeout = 2s)
{
    AlertWebhookSpec w;
    w.url = url;
    w.timeout = timeout;
    w.retries = 0;
    return w;
}

} // namespace

class TstHostileAlerts : public QObject
{
    Q_OBJECT

private slots:
    void hugeAnswerIsNotRead()
    {
        AlertReceiver huge(AlertReceiver::Mode::Huge);
        AlertsSpec spec;
        spec.webhooks = {webhook(huge.url(), 20s)};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(notice());
        QVERIFY(delivered.wait(15'000)); // the status was 200: delivered, the body never mattered
        QCOMPARE(failed.size(), 0);
    }

    void trickledAnswerIsCutOffAtTheTimeout()
    {
        AlertReceiver trickle(AlertReceiver::Mode::Trickle);
        AlertReceiver good;
        AlertsSpec spec;
        spec.webhooks = {webhook(trickle.url(), 2s), webhook(good.url())};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        QElapsedTimer t;
        t.start();
        sinks.deliver(notice());
        QVERIFY(delivered.wait(10'000));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        // A byte a second would take 38 s; the deadline covers the whole answer.
        QVERIFY2(t.elapsed() < 10'000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(failed.first().at(2).toString(), u"no complete answer within 2s"_s);
    }

    void resetIsReportedAfterRetries()
    {
        AlertReceiver reset(AlertReceiver::Mode::Reset);
        AlertsSpec spec;
        AlertWebhookSpec w = webhook(reset.url());
        w.retries = 2;
        spec.webhooks = {w};
        AlertSinks sinks(spec);
        sinks.setRetryDelayMs(20);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(notice());
        QVERIFY(failed.wait(15'000));
        QVERIFY2(failed.first().at(2).toString().endsWith(u"(after 3 attempts)"_s),
                 qPrintable(failed.first().at(2).toString()));
        // Qt's network layer may resend once itself on a closed connection.
        QVERIFY(reset.requests.size() >= 3);
    }

    void unresolvableHost()
    {
        AlertsSpec spec;
        spec.webhooks = {webhook(u"http://lifeline-test.invalid/hook"_s, 5s)};
        AlertSinks sinks(spec);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(notice());
        QVERIFY(failed.wait(15'000));
        QCOMPARE(failed.first().at(0).toString(), u"webhook http://lifeline-test.invalid"_s);
        QVERIFY(!failed.first().at(2).toString().isEmpty());
    }

    void endlessStreamOfAlertsIsBounded()
    {
        AlertReceiver silent(AlertReceiver::Mode::Silent);
        AlertsSpec spec;
        spec.webhooks = {webhook(silent.url(), 30s)};
        AlertSinks sinks(spec);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        for (int i = 0; i < AlertSinks::kMaxPending + 5; ++i)
            sinks.deliver(notice());
        // Beyond the limit at once, without waiting for the hanging ones.
        QCOMPARE(failed.size(), 5);
        QVERIFY(failed.first().at(2).toString().contains(u"still waiting"_s));
    }
};

QTEST_GUILESS_MAIN(TstHostileAlerts)
#include "tst_hostile_alerts.moc"
