// The diagnostic report: secrets of the configuration masked with its
// layout kept, and every section filled from a scripted history of real
// demo backends (one crashes, one check fails), built by a running engine
// and again from state_dir alone once it has stopped.
#include "config/configloader.h"
#include "diagnostics/configmask.h"
#include "diagnostics/diagnosticreport.h"
#include "health/healthmonitor.h"
#include "metrics/metricshistory.h"
#include "metrics/metricssampler.h"
#include "supervise/fleet.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// The text of one "## " section, without its heading.
QString section(const QString &report, const QString &title)
{
    const QString heading = u"\n## "_s + title + u'\n';
    const qsizetype start = report.indexOf(heading);
    if (start < 0)
        return {};
    const qsizetype end = report.indexOf(u"\n## "_s, start + heading.size());
    return report.mid(start + heading.size(), end < 0 ? -1 : end - start - heading.size());
}

QStringList headings(const QString &report)
{
    QStringList out;
    for (const QString &line : report.split(u'\n')) {
        if (line.startsWith(u"## "_s))
            out << line.mid(3);
    }
    return out;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestDiagnosticReport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void maskKeepsLayoutAndHidesSecrets()
    {
        QFile fixture(QStringLiteral(LIFELINE_TEST_DATA "/config/report-secrets.toml"));
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const QByteArray toml = fixture.readAll();
        const MaskedConfig m = maskConfigSecrets(toml);
        QVERIFY2(!m.allValues, qPrintable(m.note));
        for (const char *secret : {"tok-123", "8000\", API", "pa55word", "hc-secret", "hunter2", "dbpass",
                                   "line one", "XXXXSECRET", "T000", "abc.def", "COUNT = 5"})
            QVERIFY2(!m.text.contains(QString::fromUtf8(secret)), secret);
        // Comments, keys, order and the values that are no secret stay.
        for (const char *kept :
             {"# Lifeline configuration of the shop", "# where logs go", "# inline env",
              "# the worker's environment", "env = { PORT = \"***\", API_TOKEN = \"***\" }",
              "env_file_note = \"kept\"", "ports = [8000]", "https://deploy:***@git.example.com/repo.git",
              "/health?token=***&verbose=1", "db_password = \"***\"", "DATABASE_URL = \"***\"",
              "MULTI = \"***\"", "COUNT = \"***\"", "url = \"https://hooks.slack.com/***\"",
              "Authorization = \"***\"", "Accept = \"application/json\"", "format = \"slack\""})
            QVERIFY2(m.text.contains(QString::fromUtf8(kept)), kept);
        QCOMPARE(m.masked, 10);
        // Only the multi-line string lost lines.
        QCOMPARE(m.text.count(u'\n'), QString::fromUtf8(toml).count(u'\n') - 2);
    }

    void maskCountsCodePointsNotBytes()
    {
        const MaskedConfig m = maskConfigSecrets("name = \"caf\xC3\xA9 \xF0\x9F\x9A\x80\" # \xC3\xA9\n"
                                                 "env = { K = \"v\xC3\xA9\xF0\x9F\x9A\x80x\" } # after\n");
        QVERIFY(!m.allValues);
        QCOMPARE(m.text, QString::fromUtf8("name = \"caf\xC3\xA9 \xF0\x9F\x9A\x80\" # \xC3\xA9\n"
                                           "env = { K = \"***\" } # after\n"));
    }

    void maskEverythingWhenTheFileDoesNotParse()
    {
        const MaskedConfig m = maskConfigSecrets("# broken on purpose\n[service\nname = \"api\"\n"
                                                 "env = { TOKEN = \"abc\" \nx = \"\"\"\nsecret body\n");
        QVERIFY(m.allValues);
        QVERIFY(m.note.contains(u"does not parse"_s));
        QVERIFY(m.text.contains(u"# broken on purpose"_s));
        QVERIFY(m.text.contains(u"name = \"***\""_s));
        QVERIFY(!m.text.contains(u"abc"_s));
        QVERIFY(!m.text.contains(u"secret body"_s));
    }

    void maskUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("wholePath");
        QTest::addColumn<QString>("masked");
        QTest::newRow("plain") << u"http://127.0.0.1:8000/health"_s << false
                               << u"http://127.0.0.1:8000/health"_s;
        QTest::newRow("user:pass") << u"https://bob:pw@h.example/x"_s << false
                                   << u"https://bob:***@h.example/x"_s;
        QTest::newRow("token as user")
            << u"https://ghp_abc@github.com/o/r"_s << false << u"https://***@github.com/o/r"_s;
        QTest::newRow("query") << u"https://h/x?api_key=1&page=2#top"_s << false
                               << u"https://h/x?api_key=***&page=2#top"_s;
        QTest::newRow("webhook") << u"https://discord.com/api/webhooks/1/abc"_s << true
                                 << u"https://discord.com/***"_s;
        QTest::newRow("not a url") << u"python3 main.py"_s << false << u"python3 main.py"_s;
    }

    void maskUrls()
    {
        QFETCH(QString, url);
        QFETCH(bool, wholePath);
        QFETCH(QString, masked);
        QCOMPARE(maskUrlSecrets(url, wholePath), masked);
    }

    void reportOfAScriptedHistory()
    {
        const quint16 apiPort = freePort();
        const quint16 workerPort = freePort();
        const QString base = m_dir.filePath(u"scripted"_s);
        const QString stateDir = base + u"/state"_s;
        const QByteArray demo = LIFELINE_DEMO_BACKEND;
        const QByteArray toml = "# the shop's backends\n[settings]\nstate_dir = \"" + stateDir.toUtf8() +
                                "\"\nsample_interval = \"200ms\"\n\n"
                                "[[service]]\nname = \"api\"\ncommand = [\"" +
                                demo + "\", \"--port\", \"" + QByteArray::number(apiPort) +
                                "\"]\nenv = { API_TOKEN = \"s3cr3t-token-value\" }  # never in a report\n"
                                "stop_timeout = \"2s\"\n[service.health]\nurl = \"http://127.0.0.1:" +
                                QByteArray::number(apiPort) +
                                "/health\"\ninterval = \"200ms\"\n\n"
                                "[[service]]\nname = \"worker\"\ncommand = [\"" +
                                demo + "\", \"--port\", \"" + QByteArray::number(workerPort) +
                                "\", \"--unhealthy-after\", \"500ms\", \"--crash-after\", \"2500ms\", "
                                "\"--exit-code\", \"3\"]\nrestart_delay = \"300ms\"\nstop_timeout = \"2s\"\n"
                                "[service.health]\nurl = \"http://127.0.0.1:" +
                                QByteArray::number(workerPort) +
                                "/health\"\ninterval = \"200ms\"\nfailures = 2\n"
                                "[service.env]\nDB_PASSWORD = \"hunter2-password\"\n";
        const QString configPath = base + u"/lifeline.toml"_s;
        QVERIFY(writeFile(configPath, toml));
        QVERIFY(writeFile(stateDir + u"/recovery/20260101-120000.txt"_s,
                          "recovery succeeded in 4.2s: 2 services running and healthy\n"));
        const LoadResult loaded = ConfigLoader::loadFile(configPath);
        QVERIFY(loaded.ok());

        QString live;
        {
            TestEngine engine(*loaded.config);
            engine.engine().setReportProviders(
                {.errorSignatures = {},
                 .crashRecords = [] { return u"### worker\n\ncrash record 7"_s; },
                 .alerts = [] { return QString(); }});
            engine.engine().boot();
            ServiceSupervisor *worker = engine.fleet().service(u"worker"_s);
            // Unhealthy first, then the crash and the restart after it.
            QTRY_VERIFY_WITH_TIMEOUT(worker->restarts() >= 1, 20000);
            QTRY_COMPARE_WITH_TIMEOUT(worker->state(), ServiceState::Running, 10000);
            QTRY_COMPARE_WITH_TIMEOUT(engine.fleet().service(u"api"_s)->health()->health(), Health::Healthy,
                                      10000);
            QTRY_VERIFY_WITH_TIMEOUT(engine.fleet().sampler()->lastService(u"api"_s).has_value(), 10000);

            live = engine.engine().diagnosticReport();
            const QString reportPath = stateDir + u"/reports/first.md"_s;
            QSignalSpy written(&engine.engine(), &Engine::reportWritten);
            engine.engine().writeReport(reportPath);
            QCOMPARE(written.size(), 1);
            QCOMPARE(written.first().at(1).toString(), QString());
            QFile saved(reportPath);
            QVERIFY(saved.open(QIODevice::ReadOnly));
            QCOMPARE(headings(QString::fromUtf8(saved.readAll())), DiagnosticReport::sectionTitles());
            QVERIFY(stopFleet(engine.fleet()));
        }

        QCOMPARE(headings(live), DiagnosticReport::sectionTitles());
        QVERIFY(live.startsWith(u"# Lifeline diagnostic report\n"_s));
        QVERIFY(live.contains(u"- Lifeline: running"_s));
        // Local time with its zone: 2026-11-28T14:05:00+01:00 or ...Z.
        QVERIFY(
            QRegularExpression(u"Generated: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)"_s)
                .match(live)
                .hasMatch());

        const QString machine = section(live, u"Lifeline and machine"_s);
        QVERIFY(machine.contains(QStringLiteral(LIFELINE_VERSION)));
        QVERIFY(machine.contains(u"| CPUs |"_s));
        QVERIFY(machine.contains(u"| Kernel |"_s));

        const QString services = section(live, u"Services"_s);
        QVERIFY2(QRegularExpression(u"\\| api \\| running \\| \\d+ \\|"_s).match(services).hasMatch(),
                 qPrintable(services));
        QVERIFY2(QRegularExpression(u"\\| worker \\| running \\| \\d+ \\|.*\\| exit code 3 \\| 3 \\|"_s)
                     .match(services)
                     .hasMatch(),
                 qPrintable(services));

        const QString restarts = section(live, u"Restart history"_s);
        const QString workerHistory = restarts.mid(restarts.indexOf(u"### worker"_s));
        QVERIFY2(workerHistory.contains(u"| exit |"_s) && workerHistory.contains(u"exit code 3"_s),
                 qPrintable(restarts));
        QVERIFY(workerHistory.contains(u"| restart |"_s));
        QVERIFY(restarts.contains(u"### api"_s));

        const QString health = section(live, u"Recent health failures"_s);
        QVERIFY2(QRegularExpression(u"\\| worker \\| became unhealthy"_s).match(health).hasMatch(),
                 qPrintable(health));
        QVERIFY(health.contains(u"| api | HTTP http://127.0.0.1:%1/health | healthy |"_s.arg(apiPort)));

        QCOMPARE(section(live, u"Top error signatures"_s).trimmed(), u"None recorded."_s);
        QCOMPARE(section(live, u"Alerts"_s).trimmed(), u"None recorded."_s);
        QVERIFY(section(live, u"Latest crash records"_s).contains(u"crash record 7"_s));

        const QString resources = section(live, u"Resources"_s);
        QVERIFY2(resources.contains(u"| api memory (RSS) | "_s) && resources.contains(u"| Machine CPU |"_s),
                 qPrintable(resources));
        QVERIFY(QRegularExpression(u"\\| api memory \\(RSS\\) \\| [\\d.]+ [KMG]B \\|"_s)
                    .match(resources)
                    .hasMatch());

        QVERIFY(section(live, u"Last recovery report"_s)
                    .contains(u"```\nrecovery succeeded in 4.2s: 2 services running and healthy\n```"_s));

        const QString config = section(live, u"Configuration"_s);
        QVERIFY(config.contains(u"```toml\n# the shop's backends\n"_s));
        QVERIFY(config.contains(u"env = { API_TOKEN = \"***\" }  # never in a report"_s));
        QVERIFY(config.contains(u"DB_PASSWORD = \"***\""_s));
        QVERIFY(!live.contains(u"s3cr3t-token-value"_s));
        QVERIFY(!live.contains(u"hunter2-password"_s));

        // The same state_dir with no Lifeline: what the last run recorded.
        const QString offline = DiagnosticReport::buildOffline(*loaded.config);
        QCOMPARE(headings(offline), DiagnosticReport::sectionTitles());
        QVERIFY(offline.contains(u"- Lifeline: **not running**"_s));
        QVERIFY(section(offline, u"Services"_s).contains(u"| worker | unknown (Lifeline not running) |"_s));
        QVERIFY(section(offline, u"Restart history"_s).contains(u"exit code 3"_s));
        QVERIFY(section(offline, u"Recent health failures"_s).contains(u"became unhealthy"_s));
        QVERIFY(QRegularExpression(u"\\| api memory \\(RSS\\) \\| - \\| [\\d.]+ [KMG]B \\|"_s)
                    .match(section(offline, u"Resources"_s))
                    .hasMatch());
        QCOMPARE(section(offline, u"Crash records"_s), QString());
        QCOMPARE(section(offline, u"Latest crash records"_s).trimmed(), u"None recorded."_s);
        QVERIFY(!offline.contains(u"hunter2-password"_s));
    }
};

QTEST_GUILESS_MAIN(TestDiagnosticReport)
#include "tst_diagnosticreport.moc"
