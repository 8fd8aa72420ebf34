// Webhooks delivered to a real local HTTP receiver, and command sinks run as
// real processes.
#include "alertreceiver.h"

#include "alerts/alertsinks.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using namespace lifeline;

namespace {

AlertNotice sampleNotice()
{
    AlertNotice n;
    n.key = u"fatal:api"_s;
    n.severity = AlertSeverity::Critical;
    n.service = u"api"_s;
    n.title = u"api gave up: manual intervention required"_s;
    n.text = u"api stopped restarting (fatal): crashed: exit code 3"_s;
    n.state = AlertState::Firing;
    n.timeMs = 1'700'000'000'000;
    return n;
}

AlertWebhookSpec webhook(const QString &url, AlertWebhookSpec::Format format = AlertWebhookSpec::Format::Json)
{
    AlertWebhookSpec w;
    w.url = url;
    w.format = format;
    w.timeout = 30s;
    w.retries = 0;
    return w;
}

} // namespace

class TstAlertSinks : public QObject
{
    Q_OBJECT

private slots:
    void jsonFormat()
    {
        AlertReceiver receiver;
        AlertsSpec spec;
        AlertWebhookSpec w = webhook(receiver.url());
        w.headers = {{u"Authorization"_s, u"Bearer s3cret"_s}};
        spec.webhooks = {w};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        sinks.deliver(sampleNotice());
        QVERIFY(delivered.wait(10'000));
        QCOMPARE(receiver.requests.size(), 1);
        const ReceivedRequest &r = receiver.requests.first();
        QCOMPARE(r.method, "POST");
        QCOMPARE(r.path, "/hook");
        QCOMPARE(r.headers.value("content-type"), "application/json");
        QCOMPARE(r.headers.value("authorization"), "Bearer s3cret");
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(o.value(u"key"_s).toString(), u"fatal:api"_s);
        QCOMPARE(o.value(u"severity"_s).toString(), u"critical"_s);
        QCOMPARE(o.value(u"service"_s).toString(), u"api"_s);
        QCOMPARE(o.value(u"title"_s).toString(), sampleNotice().title);
        QCOMPARE(o.value(u"text"_s).toString(), sampleNotice().text);
        QCOMPARE(o.value(u"state"_s).toString(), u"firing"_s);
        QCOMPARE(o.value(u"time"_s).toString(), u"2023-11-14T22:13:20.000Z"_s);
        // The sink's name never shows the path, which often is the secret.
        QCOMPARE(delivered.first().at(0).toString(),
                 u"webhook http://127.0.0.1:%1"_s.arg(QUrl(receiver.url()).port()));
    }

    void slackAndDiscordFormats()
    {
        AlertReceiver receiver;
        AlertsSpec spec;
        spec.webhooks = {webhook(receiver.url(u"/slack"_s), AlertWebhookSpec::Format::Slack),
                         webhook(receiver.url(u"/discord"_s), AlertWebhookSpec::Format::Discord)};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        AlertNotice n = sampleNotice();
        n.text = QString(3000, u'z');
        sinks.deliver(n);
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, 10'000);
        for (const ReceivedRequest &r : std::as_const(receiver.requests)) {
            const QJsonObject o = QJsonDocument::fromJson(r.body).object();
            QCOMPARE(o.size(), 1);
            QCOMPARE(r.headers.value("content-type"), "application/json");
            if (r.path == "/slack") {
                QVERIFY(o.value(u"text"_s).toString().startsWith(u"[critical] api gave up"_s));
                QVERIFY(o.value(u"text"_s).toString().endsWith(n.text));
            } else {
                QCOMPARE(r.path, "/discord");
                QVERIFY(o.value(u"content"_s).toString().startsWith(u"[critical] api gave up"_s));
                QCOMPARE(o.value(u"content"_s).toString().size(), 2000);
            }
        }
    }

    void ntfyFormat()
    {
        AlertReceiver receiver;
        AlertsSpec spec;
        spec.webhooks = {webhook(receiver.url(u"/lifeline"_s), AlertWebhookSpec::Format::Ntfy)};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        sinks.deliver(sampleNotice());
        AlertNotice cleared = sampleNotice();
        cleared.state = AlertState::Cleared;
        cleared.text = u"api is starting again"_s;
        sinks.deliver(cleared);
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, 10'000);
        QCOMPARE(receiver.requests.size(), 2);
        const auto find = [&](const QByteArray &body) {
            for (const ReceivedRequest &r : std::as_const(receiver.requests))
                if (r.body == body)
                    return r;
            return ReceivedRequest{};
        };
        const ReceivedRequest firing = find(sampleNotice().text.toUtf8());
        QCOMPARE(firing.headers.value("title"), "[critical] api gave up: manual intervention required");
        QCOMPARE(firing.headers.value("priority"), "urgent");
        QCOMPARE(firing.headers.value("tags"), "rotating_light");
        QVERIFY(firing.headers.value("content-type").startsWith("text/plain"));
        const ReceivedRequest clearing = find("api is starting again");
        QCOMPARE(clearing.headers.value("priority"), "default");
        QCOMPARE(clearing.headers.value("tags"), "white_check_mark");
        QVERIFY(clearing.headers.value("title").startsWith("[cleared]"));
    }

    void hangingWebhookDelaysNothingElse()
    {
        AlertReceiver silent(AlertReceiver::Mode::Silent);
        AlertReceiver good;
        AlertsSpec spec;
        spec.webhooks = {webhook(silent.url()), webhook(good.url())};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        QElapsedTimer t;
        t.start();
        sinks.deliver(sampleNotice());
        AlertNotice second = sampleNotice();
        second.key = u"disk"_s;
        sinks.deliver(second);
        QTRY_COMPARE_WITH_TIMEOUT(good.requests.size(), 2, 10'000);
        QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), 2, 10'000);
        QVERIFY2(t.elapsed() < 10'000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(failed.size(), 0); // the silent one is still waiting (30 s timeout)
        QTRY_COMPARE_WITH_TIMEOUT(silent.requests.size(), 2, 10'000);
    }

    void retriesWithBackoff()
    {
        AlertReceiver flaky(AlertReceiver::Mode::FailOnce);
        AlertsSpec spec;
        AlertWebhookSpec w = webhook(flaky.url());
        w.retries = 2;
        spec.webhooks = {w};
        AlertSinks sinks(spec);
        sinks.setRetryDelayMs(50);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(sampleNotice());
        QVERIFY(delivered.wait(10'000));
        QCOMPARE(flaky.requests.size(), 2);
        QCOMPARE(failed.size(), 0);
    }

    void refusedAfterRetriesIsReported()
    {
        AlertReceiver refusing(AlertReceiver::Mode::Answer, 403);
        AlertsSpec spec;
        AlertWebhookSpec w = webhook(refusing.url());
        w.retries = 1;
        spec.webhooks = {w};
        AlertSinks sinks(spec);
        sinks.setRetryDelayMs(20);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(sampleNotice());
        QVERIFY(failed.wait(10'000));
        QCOMPARE(failed.first().at(2).toString(), u"HTTP 403 (after 2 attempts)"_s);
        QCOMPARE(refusing.requests.size(), 2);
    }

    void commandGetsTheAlertInItsEnvironment()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(u"alert.txt"_s);
        AlertsSpec spec;
        AlertCommandSpec c;
        c.argv = {u"/bin/sh"_s, u"-c"_s,
                  u"printf '%s|%s|%s|%s|%s|%s' \"$LIFELINE_ALERT_KEY\" \"$LIFELINE_ALERT_SEVERITY\" "
                  "\"$LIFELINE_ALERT_SERVICE\" \"$LIFELINE_ALERT_TITLE\" \"$LIFELINE_ALERT_TEXT\" "
                  "\"$LIFELINE_ALERT_STATE\" > \"$0\""_s,
                  out};
        spec.commands = {c};
        AlertSinks sinks(spec);
        QSignalSpy delivered(&sinks, &AlertSinks::delivered);
        sinks.deliver(sampleNotice());
        QVERIFY(delivered.wait(10'000));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const AlertNotice n = sampleNotice();
        QCOMPARE(QString::fromUtf8(f.readAll()),
                 u"fatal:api|critical|api|%1|%2|firing"_s.arg(n.title, n.text));
    }

    void failingCommandIsReported_data()
    {
        QTest::addColumn<QStringList>("argv");
        QTest::addColumn<QString>("expected");
        QTest::newRow("exit") << QStringList{u"/bin/sh"_s, u"-c"_s, u"echo 'token expired' >&2; exit 3"_s}
                              << u"exit code 3: token expired"_s;
        QTest::newRow("missing") << QStringList{u"/nonexistent/notify"_s}
                                 << u"cannot start /nonexistent/notify"_s;
        QTest::newRow("hangs") << QStringList{u"/bin/sh"_s, u"-c"_s, u"sleep 60 & sleep 60"_s}
                               << u"still running after 300ms, killed"_s;
    }

    void failingCommandIsReported()
    {
        QFETCH(QStringList, argv);
        QFETCH(QString, expected);
        AlertsSpec spec;
        AlertCommandSpec c;
        c.argv = argv;
        c.timeout = 300ms;
        spec.commands = {c};
        AlertSinks sinks(spec);
        QSignalSpy failed(&sinks, &AlertSinks::deliveryFailed);
        sinks.deliver(sampleNotice());
        QVERIFY(failed.wait(10'000));
        QCOMPARE(failed.first().at(0).toString(), u"command "_s + argv.first());
        QVERIFY2(failed.first().at(2).toString().startsWith(expected),
                 qPrintable(failed.first().at(2).toString()));
    }
};

QTEST_GUILESS_MAIN(TstAlertSinks)
#include "tst_alertsinks.moc"
