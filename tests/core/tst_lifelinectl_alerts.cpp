// Alerts end to end: a real `lifeline --headless` with real children, a
// webhook received by a local HTTP server, a failing command sink, and
// `lifelinectl alerts` / `lifelinectl maintenance` over the control socket.
#include "alertreceiver.h"

#include "control/controlpaths.h"

#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TstLifelinectlAlerts : public QObject
{
    Q_OBJECT

    QTemporaryDir m_runtime;
    QTemporaryDir m_dir;
    QString m_config;
    AlertReceiver m_receiver;
    HeadlessProcess m_lifeline;

    QStringList ctlArgs(const QStringList &args) const { return QStringList{u"--config"_s, m_config} + args; }

    QJsonObject alertsJson()
    {
        const CtlRun r = runLifelinectl(ctlArgs({u"alerts"_s, u"--json"_s}));
        if (r.exitCode != 0)
            qWarning("alerts --json: %s", qPrintable(r.err));
        return QJsonDocument::fromJson(r.out.toUtf8()).object();
    }

    static bool hasKey(const QJsonArray &list, const QString &key, const QString &state = QString())
    {
        return std::any_of(list.begin(), list.end(), [&](const QJsonValue &v) {
            return v.toObject().value(u"key"_s).toString() == key &&
                   (state.isEmpty() || v.toObject().value(u"state"_s).toString() == state);
        });
    }

    static bool windowFor(const QJsonObject &alerts, const QString &service)
    {
        const QJsonArray windows = alerts.value(u"maintenance"_s).toArray();
        return std::any_of(windows.begin(), windows.end(), [&](const QJsonValue &v) {
            return v.toObject().value(u"service"_s).toString() == service;
        });
    }

private slots:
    void initTestCase()
    {
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        const quint16 port = freePort();
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
            "\"\non_exit = \"stop\"\n"
            "\n[alerts]\ncooldown = \"1h\"\n"
            "\n[[alerts.webhook]]\nurl = \"" +
            m_receiver.url().toUtf8() +
            "\"\nformat = \"json\"\n"
            "\n[[alerts.command]]\nargv = [\"/bin/sh\", \"-c\", \"echo no route >&2; exit 7\"]\n"
            "\n[[service]]\nname = \"api\"\n"
            "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(port) +
            "\", \"--ready-after\", \"2s\"]\nstop_timeout = \"3s\"\n"
            "[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"200ms\"\nstart_period = \"0s\"\nfailures = 1\n"
            "\n[[service]]\nname = \"flaky\"\n"
            "command = [\"/bin/sh\", \"-c\", \"exit 3\"]\nrestart_delay = \"100ms\"\n"
            "max_restarts = 1\nrestart_window = \"1m\"\n";
        m_config = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(m_config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(toml);
        f.close();
        m_lifeline.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, m_config});
        QVERIFY(m_lifeline.process.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(runLifelinectl(ctlArgs({u"status"_s})).exitCode == 0, 10'000);
    }

    void fatalServiceAlertsThroughEverySink()
    {
        // The webhook hears of it ...
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(m_receiver.requests.cbegin(), m_receiver.requests.cend(),
                                             [](const ReceivedRequest &r) {
                                                 const QJsonObject o =
                                                     QJsonDocument::fromJson(r.body).object();
                                                 return o.value(u"key"_s).toString() == u"fatal:flaky"_s &&
                                                        o.value(u"severity"_s).toString() == u"critical"_s &&
                                                        o.value(u"state"_s).toString() == u"firing"_s;
                                             }),
                                 15'000);
        // ... `alerts` lists it firing, and the failing command sink is on record, not fatal.
        QJsonObject alerts;
        QTRY_VERIFY_WITH_TIMEOUT(hasKey((alerts = alertsJson()).value(u"history"_s).toArray(),
                                        u"fatal:flaky"_s, u"delivery_failed"_s),
                                 10'000);
        QVERIFY(hasKey(alerts.value(u"firing"_s).toArray(), u"fatal:flaky"_s));
        const QJsonArray history = alerts.value(u"history"_s).toArray();
        const auto failure = std::find_if(history.begin(), history.end(), [](const QJsonValue &v) {
            return v.toObject().value(u"state"_s).toString() == u"delivery_failed"_s;
        });
        QVERIFY2(failure->toObject().value(u"text"_s).toString().contains(u"exit code 7: no route"_s),
                 qPrintable(failure->toObject().value(u"text"_s).toString()));
        QFile log(m_dir.filePath(u"state/lifeline.log"_s));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(log.readAll().contains("could not be delivered by command /bin/sh: exit code 7"));

        const CtlRun text = runLifelinectl(ctlArgs({u"alerts"_s}));
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.startsWith(u"Firing:\n"_s), qPrintable(text.out));
        QVERIFY2(text.out.contains(u"critical flaky: flaky gave up"_s), qPrintable(text.out));
        QVERIFY(text.out.contains(u"Recent:\n"_s));

        const CtlRun one = runLifelinectl(ctlArgs({u"alerts"_s, u"api"_s, u"--json"_s}));
        QCOMPARE(one.exitCode, 0);
        QVERIFY(!hasKey(QJsonDocument::fromJson(one.out.toUtf8()).object().value(u"firing"_s).toArray(),
                        u"fatal:flaky"_s));
    }

    // Every alert about api the webhook heard firing, it has also heard cleared.
    bool apiAlertsAllCleared() const
    {
        QHash<QString, bool> open;
        for (const ReceivedRequest &r : m_receiver.requests) {
            const QJsonObject o = QJsonDocument::fromJson(r.body).object();
            if (o.value(u"service"_s).toString() == u"api"_s)
                open[o.value(u"key"_s).toString()] = o.value(u"state"_s).toString() == u"firing"_s;
        }
        return std::none_of(open.cbegin(), open.cend(), [](bool firing) { return firing; });
    }

    void restartOpensAWindowThatClosesWhenHealthy()
    {
        QTRY_VERIFY_WITH_TIMEOUT(
            runLifelinectl(ctlArgs({u"health"_s, u"api"_s})).out.contains(u": healthy"_s), 15'000);
        // api answers only after 2 s, so its start may have raised "unhealthy":
        // its clear is delivered on its own time, and is not the restart's.
        QTRY_VERIFY_WITH_TIMEOUT(apiAlertsAllCleared(), 15'000);
        const qsizetype before = m_receiver.requests.size();
        QCOMPARE(runLifelinectl(ctlArgs({u"restart"_s, u"api"_s})).exitCode, 0);
        // The window opened for the restart ends when api is healthy again,
        // and nothing about api reached the webhook meanwhile.
        QTRY_VERIFY_WITH_TIMEOUT(!windowFor(alertsJson(), u"api"_s), 15'000);
        QVERIFY(runLifelinectl(ctlArgs({u"health"_s, u"api"_s})).out.contains(u": healthy"_s));
        for (qsizetype i = before; i < m_receiver.requests.size(); ++i)
            QVERIFY2(!m_receiver.requests.at(i).body.contains("\"service\":\"api\""),
                     m_receiver.requests.at(i).body.constData());
    }

    void maintenanceFromTheCommandLine()
    {
        const CtlRun open = runLifelinectl(ctlArgs({u"maintenance"_s, u"all"_s, u"30m"_s}));
        QCOMPARE(open.exitCode, 0);
        QVERIFY2(open.out.startsWith(u"maintenance all: alerts suppressed until "_s), qPrintable(open.out));
        const QJsonObject alerts = alertsJson();
        QVERIFY(windowFor(alerts, u"all"_s));
        const QJsonObject w = alerts.value(u"maintenance"_s).toArray().first().toObject();
        QVERIFY(w.value(u"remaining_s"_s).toInt() > 29 * 60);
        QVERIFY(!w.value(u"until_healthy"_s).toBool());

        const CtlRun off = runLifelinectl(ctlArgs({u"maintenance"_s, u"all"_s, u"off"_s}));
        QCOMPARE(off.exitCode, 0);
        QCOMPARE(off.out.trimmed(), u"maintenance all: ended"_s);
        QVERIFY(!windowFor(alertsJson(), u"all"_s));

        const CtlRun unknown = runLifelinectl(ctlArgs({u"maintenance"_s, u"nosuch"_s, u"5m"_s}));
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains(u"unknown service \"nosuch\""_s), qPrintable(unknown.err));
        const CtlRun bad = runLifelinectl(ctlArgs({u"maintenance"_s, u"api"_s, u"soon"_s}));
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(u"\"soon\" is not a duration"_s), qPrintable(bad.err));
    }

    void nothingRunning()
    {
        QTemporaryDir other;
        const CtlRun r = runLifelinectl({u"--config"_s, other.filePath(u"none.toml"_s), u"alerts"_s});
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains(u"no Lifeline is running"_s), qPrintable(r.err));
    }

    void cleanupTestCase()
    {
        m_lifeline.process.terminate();
        QVERIFY(m_lifeline.process.waitForFinished(15'000));
    }
};

QTEST_GUILESS_MAIN(TstLifelinectlAlerts)
#include "tst_lifelinectl_alerts.moc"
