// The alert rules, cooldowns, clearing and maintenance windows on a
// ManualClock; the history in a real SQLite file; the [alerts] table.
#include "alerts/alertcenter.h"
#include "config/configloader.h"

#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using namespace lifeline;

class TstAlertCenter : public QObject
{
    Q_OBJECT

    struct Rig
    {
        explicit Rig(const AlertsSpec &spec = {})
            : center(spec, &clock, &history)
            , spy(&center, &AlertCenter::notify)
        {}
        ManualClock clock;
        AlertHistory history{QString()};
        AlertCenter center;
        QSignalSpy spy;

        AlertNotice notice(qsizetype i) const { return spy.at(i).at(0).value<AlertNotice>(); }
        AlertNotice last() const { return notice(spy.size() - 1); }
    };

private slots:
    void restartsFireOnceRepeatAfterCooldownAndClear()
    {
        Rig r;
        for (int i = 0; i < 3; ++i)
            r.center.noteRestartScheduled(u"api"_s);
        QCOMPARE(r.spy.size(), 0);
        r.center.noteRestartScheduled(u"api"_s);
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().key, u"restarts:api"_s);
        QCOMPARE(r.last().severity, AlertSeverity::Warning);
        QCOMPARE(r.last().state, AlertState::Firing);
        r.center.noteRestartScheduled(u"api"_s);
        r.clock.advance(10min);
        r.center.tick();
        QCOMPARE(r.spy.size(), 1); // within the cooldown: nothing again
        r.clock.advance(21min);
        r.center.tick();
        QCOMPARE(r.spy.size(), 2); // still so after the cooldown
        QVERIFY(r.last().text.contains(u"still so"_s));
        r.clock.advance(30min); // the restarts age out of the hour
        r.center.tick();
        QCOMPARE(r.spy.size(), 3);
        QCOMPARE(r.last().state, AlertState::Cleared);
        QVERIFY2(r.last().text.contains(u"at most 3"_s), qPrintable(r.last().text));
        QVERIFY(r.center.firing().isEmpty());
    }

    void fatalIsCriticalAndClearsOnStart()
    {
        Rig r;
        r.center.noteFatal(u"api"_s, u"crashed: exit code 3"_s);
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().severity, AlertSeverity::Critical);
        QVERIFY(r.last().text.contains(u"exit code 3"_s));
        r.center.noteFatal(u"api"_s, u"again"_s);
        QCOMPARE(r.spy.size(), 1);
        r.center.noteStarted(u"api"_s);
        QCOMPARE(r.spy.size(), 2);
        QCOMPARE(r.last().state, AlertState::Cleared);
        QCOMPARE(r.last().key, u"fatal:api"_s);
    }

    void unhealthyAfterMoreThanNChecks()
    {
        AlertsSpec spec;
        spec.unhealthyChecks = 2;
        Rig r(spec);
        r.center.noteHealthCheck(u"api"_s, false, 1, u"HTTP 503"_s);
        r.center.noteHealthCheck(u"api"_s, false, 2, u"HTTP 503"_s);
        QCOMPARE(r.spy.size(), 0);
        r.center.noteHealthCheck(u"api"_s, false, 3, u"HTTP 503"_s);
        r.center.noteHealthCheck(u"api"_s, false, 4, u"HTTP 503"_s);
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().severity, AlertSeverity::Critical);
        QVERIFY(r.last().text.contains(u"HTTP 503"_s));
        r.center.noteHealthCheck(u"api"_s, true, 0, QString());
        QCOMPARE(r.spy.size(), 2);
        QCOMPARE(r.last().state, AlertState::Cleared);
        QVERIFY(r.last().text.contains(u"healthy again"_s));
    }

    void machineMemoryAndDiskEscalateAndClear()
    {
        Rig r;
        r.center.noteMachine(91.0, 50.0);
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().key, u"memory"_s);
        QCOMPARE(r.last().severity, AlertSeverity::Warning);
        QVERIFY(r.last().service.isEmpty());
        r.center.noteMachine(92.0, 50.0);
        QCOMPARE(r.spy.size(), 1);
        r.center.noteMachine(96.0, 93.0); // memory escalates, disk begins
        QCOMPARE(r.spy.size(), 3);
        QCOMPARE(r.notice(1).severity, AlertSeverity::Critical);
        QCOMPARE(r.notice(2).key, u"disk"_s);
        QCOMPARE(r.notice(2).severity, AlertSeverity::Warning);
        r.center.noteMachine(40.0, std::nullopt); // disk unknown: left as it is
        QCOMPARE(r.spy.size(), 4);
        QCOMPARE(r.last().key, u"memory"_s);
        QCOMPARE(r.last().state, AlertState::Cleared);
        r.center.noteMachine(40.0, 80.0);
        QCOMPARE(r.spy.size(), 5);
        QCOMPARE(r.last().key, u"disk"_s);
        QCOMPARE(r.last().state, AlertState::Cleared);
    }

    void serviceOverPartOfItsMemoryLimit()
    {
        Rig r;
        r.center.noteServiceMemory(u"api"_s, 70'000'000, 100'000'000);
        QCOMPARE(r.spy.size(), 0);
        r.center.noteServiceMemory(u"api"_s, 85'000'000, 100'000'000);
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().key, u"memory:api"_s);
        QVERIFY2(r.last().text.contains(u"100 MB"_s), qPrintable(r.last().text));
        r.center.noteServiceMemory(u"api"_s, 86'000'000, 100'000'000);
        QCOMPARE(r.spy.size(), 1);
        r.center.noteServiceMemory(u"api"_s, 50'000'000, 100'000'000);
        QCOMPARE(r.spy.size(), 2);
        QCOMPARE(r.last().state, AlertState::Cleared);
    }

    void recurringErrorWithinWindow()
    {
        AlertsSpec spec;
        spec.errorCount = 3;
        spec.errorWindow = 60s;
        Rig r(spec);
        const QString sig = u"KeyError: 'user_<str>'"_s;
        for (int i = 0; i < 3; ++i) {
            r.center.noteErrorOccurrence(u"api"_s, sig, r.clock.nowMs());
            r.clock.advance(1s);
        }
        r.center.noteErrorOccurrence(u"api"_s, u"another signature"_s, r.clock.nowMs());
        QCOMPARE(r.spy.size(), 0);
        r.center.noteErrorOccurrence(u"api"_s, sig, r.clock.nowMs());
        QCOMPARE(r.spy.size(), 1);
        QVERIFY(r.last().key.startsWith(u"errors:api:"_s));
        QVERIFY(r.last().text.contains(sig));
        r.center.noteErrorOccurrence(u"api"_s, sig, r.clock.nowMs());
        QCOMPARE(r.spy.size(), 1);
        r.clock.advance(61s);
        r.center.tick();
        QCOMPARE(r.spy.size(), 2);
        QCOMPARE(r.last().state, AlertState::Cleared);
    }

    void logsDroppingAndRecoveryFailed()
    {
        Rig r;
        r.center.noteLogsDropping(u"api"_s, u"/state/logs/api.log"_s, u"No space left on device"_s);
        QCOMPARE(r.last().key, u"logs:api"_s);
        QCOMPARE(r.last().severity, AlertSeverity::Warning);
        r.center.noteLogsResumed(u"api"_s);
        QCOMPARE(r.last().state, AlertState::Cleared);
        r.center.noteRecoveryFinished(false, u"recovery failed at step 7"_s);
        QCOMPARE(r.last().key, u"recovery"_s);
        QCOMPARE(r.last().severity, AlertSeverity::Critical);
        r.center.noteRecoveryFinished(true, u"recovery succeeded"_s);
        QCOMPARE(r.last().state, AlertState::Cleared);
        QCOMPARE(r.spy.size(), 4);
    }

    void flappingIsSentOncePerCooldown()
    {
        Rig r;
        r.center.fire(u"x"_s, AlertSeverity::Warning, u"api"_s, u"t"_s, u"text"_s);
        r.center.clear(u"x"_s);
        QCOMPARE(r.spy.size(), 2);
        r.center.fire(u"x"_s, AlertSeverity::Warning, u"api"_s, u"t"_s, u"text"_s);
        r.center.clear(u"x"_s);
        r.center.fire(u"x"_s, AlertSeverity::Warning, u"api"_s, u"t"_s, u"text"_s);
        QCOMPARE(r.spy.size(), 2); // on record, not sent
        QCOMPARE(r.history.recent(100).size(), 5);
        r.clock.advance(31min);
        r.center.tick();
        QCOMPARE(r.spy.size(), 3);
        QCOMPARE(r.last().state, AlertState::Firing);
    }

    void lifelineWindowSuppressesUntilHealthy()
    {
        Rig r;
        r.center.openMaintenance(u"api"_s, u"restarted by you"_s);
        QVERIFY(r.center.inMaintenance(u"api"_s));
        QVERIFY(!r.center.inMaintenance(u"worker"_s));
        QVERIFY(!r.center.inMaintenance(QString()));
        for (int i = 1; i <= 5; ++i)
            r.center.noteHealthCheck(u"api"_s, false, i, u"connection refused"_s);
        r.center.noteFatal(u"worker"_s, u"crashed"_s); // another service is not in the window
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().service, u"worker"_s);
        const QList<AlertNotice> history = r.history.recent(10, u"api"_s);
        QCOMPARE(history.first().state, AlertState::Suppressed);
        QCOMPARE(history.first().key, u"unhealthy:api"_s);
        r.center.noteHealthCheck(u"api"_s, true, 0, QString());
        r.center.noteSettled(u"api"_s);
        QCOMPARE(r.spy.size(), 1); // never sent, so no clearing goes out either
        QCOMPARE(r.history.recent(1, u"api"_s).first().state, AlertState::Cleared);
        QVERIFY(!r.center.inMaintenance(u"api"_s));
        QVERIFY(r.center.maintenance().isEmpty());
        for (int i = 1; i <= 4; ++i)
            r.center.noteHealthCheck(u"api"_s, false, i, u"HTTP 503"_s);
        QCOMPARE(r.spy.size(), 2); // the window has ended
        QCOMPARE(r.last().key, u"unhealthy:api"_s);
    }

    void lifelineWindowEndsAfterItsMaximum()
    {
        AlertsSpec spec;
        spec.maintenanceMax = 5min;
        Rig r(spec);
        r.center.openMaintenance(u"api"_s, u"update"_s);
        r.center.noteFatal(u"api"_s, u"crashed"_s);
        QCOMPARE(r.spy.size(), 0);
        r.clock.advance(4min);
        r.center.tick();
        QCOMPARE(r.spy.size(), 0);
        r.clock.advance(1min);
        r.center.tick();
        QCOMPARE(r.spy.size(), 1); // still firing when the window ends: sent now
        QCOMPARE(r.last().key, u"fatal:api"_s);
    }

    void personWindowForEverythingAndOff()
    {
        Rig r;
        r.center.openMaintenanceFor(u"all"_s, 30 * 60'000, u"paused from the tray"_s);
        QVERIFY(r.center.inMaintenance(QString()));
        QVERIFY(r.center.inMaintenance(u"api"_s));
        r.center.noteMachine(99.0, std::nullopt);
        r.center.noteSettled(u"api"_s); // a person's window does not end with health
        QCOMPARE(r.spy.size(), 0);
        QVERIFY(r.center.firing().constFirst().suppressed);
        QVERIFY(r.center.closeMaintenance(u"all"_s));
        QCOMPARE(r.spy.size(), 1);
        QCOMPARE(r.last().key, u"memory"_s);
        QVERIFY(!r.center.closeMaintenance(u"all"_s));
        const QJsonObject json = r.center.toJson();
        QCOMPARE(json.value(u"firing"_s).toArray().size(), 1);
        QCOMPARE(json.value(u"firing"_s).toArray().at(0).toObject().value(u"suppressed"_s).toBool(), false);
    }

    void disabledSendsNothing()
    {
        AlertsSpec spec;
        spec.enabled = false;
        Rig r(spec);
        r.center.noteFatal(u"api"_s, u"x"_s);
        QCOMPARE(r.spy.size(), 0);
    }

    void historyIsKeptInSqliteAndCapped()
    {
        QTemporaryDir dir;
        {
            AlertHistory history(dir.path());
            QVERIFY2(history.isPersistent(), qPrintable(history.lastWarning()));
            for (int i = 0; i < AlertHistory::kMaxRows + 150; ++i) {
                AlertNotice n{u"k%1"_s.arg(i), AlertSeverity::Warning, u"api"_s, u"t"_s,
                              u"x"_s,          AlertState::Firing,     1000 + i, 0};
                history.add(n);
            }
        }
        AlertHistory again(dir.path());
        const QList<AlertNotice> recent = again.recent(3);
        QCOMPARE(recent.size(), 3);
        QCOMPARE(recent.first().key, u"k%1"_s.arg(AlertHistory::kMaxRows + 149));
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"check"_s);
        db.setDatabaseName(dir.filePath(u"alerts.sqlite"_s));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(u"SELECT count(*) FROM alerts"_s) && q.next());
        QVERIFY2(q.value(0).toInt() <= AlertHistory::kMaxRows + 100, qPrintable(q.value(0).toString()));
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"check"_s);
    }

    void historyInABrokenFileStaysInMemory()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath(u"alerts.sqlite"_s));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        AlertHistory history(dir.path());
        QVERIFY(!history.isPersistent());
        QVERIFY2(history.lastWarning().contains(u"alerts.sqlite"_s), qPrintable(history.lastWarning()));
        AlertNotice n{u"k"_s, AlertSeverity::Warning, QString(), u"t"_s, u"x"_s, AlertState::Firing, 1, 0};
        history.add(n);
        QCOMPARE(history.recent(5).size(), 1);
    }

    void alertsTableIsLoaded()
    {
        const QByteArray toml = "\n"
                                "[alerts]\n"
                                "cooldown = \"10m\"\n"
                                "restarts_per_hour = 5\n"
                                "unhealthy_checks = 4\n"
                                "memory_percent = 85\n"
                                "error_count = 20\n"
                                "error_window = \"2m\"\n"
                                "maintenance_max = \"20m\"\n"
                                "\n"
                                "[[alerts.webhook]]\n"
                                "url = \"http://127.0.0.1:9/hook\"\n"
                                "format = \"ntfy\"\n"
                                "headers = { Authorization = \"Bearer abc\" }\n"
                                "timeout = \"3s\"\n"
                                "retries = 1\n"
                                "\n"
                                "[[alerts.command]]\n"
                                "argv = [\"notify-send\", \"Lifeline\"]\n"
                                "\n";
        const LoadResult r = ConfigLoader::loadString(toml, u"/tmp/l.toml"_s);
        QVERIFY2(r.config, qPrintable(r.errors.isEmpty() ? QString() : r.errors.first().toString()));
        const AlertsSpec &a = r.config->alerts;
        QCOMPARE(a.cooldown, 10min);
        QCOMPARE(a.restartsPerHour, 5);
        QCOMPARE(a.unhealthyChecks, 4);
        QCOMPARE(a.memoryPercent, 85.0);
        QCOMPARE(a.errorCount, 20);
        QCOMPARE(a.errorWindow, 2min);
        QCOMPARE(a.maintenanceMax, 20min);
        QCOMPARE(a.webhooks.size(), 1);
        QCOMPARE(a.webhooks.first().format, AlertWebhookSpec::Format::Ntfy);
        QCOMPARE(a.webhooks.first().headers.first().first, u"Authorization"_s);
        QCOMPARE(a.webhooks.first().timeout, 3s);
        QCOMPARE(a.webhooks.first().retries, 1);
        QCOMPARE(a.commands.first().argv, (QStringList{u"notify-send"_s, u"Lifeline"_s}));
    }

    void alertsTableErrorsNameTheLine_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<QString>("expected");
        QTest::newRow("format")
            << QByteArray("[alerts]\n[[alerts.webhook]]\nurl = \"http://h/x\"\nformat = \"xml\"\n")
            << u"l.toml:4:10: alerts.webhook[0]: format: expected one of json, slack"_s;
        QTest::newRow("url") << QByteArray("[[alerts.webhook]]\nurl = \"ftp://h/x\"\n")
                             << u"l.toml:2:7: alerts.webhook[0]: url: expected an http:// or https://"_s;
        QTest::newRow("no url") << QByteArray("[[alerts.webhook]]\nformat = \"json\"\n")
                                << u"l.toml:1:1: alerts.webhook[0]: url: missing"_s;
        QTest::newRow("percent") << QByteArray("[alerts]\ndisk_percent = 150\n")
                                 << u"l.toml:2:16: alerts: alerts.disk_percent: must be between 1 and 100"_s;
        QTest::newRow("critical below") << QByteArray("[alerts]\nmemory_percent = 97\n")
                                        << u"alerts.memory_critical_percent: 95 % must not be below"_s;
        QTest::newRow("argv") << QByteArray("[[alerts.command]]\nargv = []\n")
                              << u"l.toml:2:8: alerts.command[0]: argv: must not be empty"_s;
        QTest::newRow("header")
            << QByteArray("[[alerts.webhook]]\nurl = \"http://h/\"\nheaders = { X = \"a\\nb\" }\n")
            << u"headers.X: not a valid HTTP header"_s;
        QTest::newRow("cooldown") << QByteArray("[alerts]\ncooldown = \"soon\"\n")
                                  << u"l.toml:2:12: alerts"_s;
    }

    void alertsTableErrorsNameTheLine()
    {
        QFETCH(QByteArray, toml);
        QFETCH(QString, expected);
        const LoadResult r = ConfigLoader::loadString(toml, u"/tmp/l.toml"_s);
        QVERIFY(!r.config);
        const QString text = r.errors.first().toString().remove(u"error: "_s);
        QVERIFY2(text.contains(expected), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(TstAlertCenter)
#include "tst_alertcenter.moc"
