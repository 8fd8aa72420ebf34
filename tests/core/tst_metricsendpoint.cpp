// The Prometheus endpoint of a real Engine with real services, scraped over
// HTTP on 127.0.0.1 and read line by line the way Prometheus reads it.
#include "config/configloader.h"
#include "config/configwriter.h"
#include "control/statusjson.h"
#include "engine/engine.h"
#include "health/healthmonitor.h"
#include "metrics/metricsendpoint.h"
#include "metrics/metricssampler.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

struct Sample
{
    QString name;
    QHash<QString, QString> labels;
    QString value;
};

struct Scrape
{
    QHash<QString, QString> types; // family -> type
    QList<Sample> samples;
    QStringList problems; // what Prometheus would refuse or a reader would misread

    QList<Sample> of(const QString &name, const QString &service = QString()) const
    {
        QList<Sample> out;
        for (const Sample &s : samples) {
            if (s.name == name && (service.isEmpty() || s.labels.value(u"service"_s) == service))
                out << s;
        }
        return out;
    }
    QString value(const QString &name, const QString &service) const
    {
        const QList<Sample> found = of(name, service);
        return found.size() == 1 ? found.first().value : u"<%1 samples>"_s.arg(found.size());
    }
};

// Label values, undoing \\, \" and \n; nullopt on anything else.
std::optional<QHash<QString, QString>> parseLabels(const QString &text)
{
    QHash<QString, QString> labels;
    qsizetype i = 0;
    static const QRegularExpression name(u"\\G([a-zA-Z_][a-zA-Z0-9_]*)=\""_s);
    while (i < text.size()) {
        const QRegularExpressionMatch m = name.match(text, i);
        if (!m.hasMatch())
            return std::nullopt;
        i = m.capturedEnd();
        QString value;
        for (;;) {
            if (i >= text.size())
                return std::nullopt;
            const QChar c = text.at(i++);
            if (c == u'"')
                break;
            if (c == u'\n')
                return std::nullopt;
            if (c != u'\\') {
                value += c;
                continue;
            }
            if (i >= text.size())
                return std::nullopt;
            const QChar e = text.at(i++);
            if (e == u'\\' || e == u'"')
                value += e;
            else if (e == u'n')
                value += u'\n';
            else
                return std::nullopt;
        }
        labels.insert(m.captured(1), value);
        if (i < text.size() && text.at(i) == u',')
            ++i;
    }
    return labels;
}

Scrape parseExposition(const QByteArray &body)
{
    Scrape out;
    QSet<QString> helped;
    static const QRegularExpression sampleLine(
        u"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (NaN|[+-]Inf|-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)$"_s);
    const QStringList lines = QString::fromUtf8(body).split(u'\n');
    if (!body.endsWith('\n'))
        out.problems << u"the body does not end with a newline"_s;
    for (const QString &line : lines) {
        if (line.isEmpty())
            continue;
        if (line.startsWith(u"# HELP "_s)) {
            helped.insert(line.section(u' ', 2, 2));
            continue;
        }
        if (line.startsWith(u"# TYPE "_s)) {
            const QString family = line.section(u' ', 2, 2);
            if (!helped.contains(family))
                out.problems << u"TYPE before HELP: "_s + line;
            if (out.types.contains(family))
                out.problems << u"second TYPE: "_s + line;
            out.types.insert(family, line.section(u' ', 3));
            continue;
        }
        const QRegularExpressionMatch m = sampleLine.match(line);
        if (!m.hasMatch()) {
            out.problems << u"not a sample: "_s + line;
            continue;
        }
        const auto labels = parseLabels(m.captured(2));
        if (!labels) {
            out.problems << u"bad labels: "_s + line;
            continue;
        }
        const QString family = m.captured(1);
        if (!out.types.contains(family) || !helped.contains(family))
            out.problems << u"sample without HELP and TYPE before it: "_s + line;
        out.samples << Sample{family, *labels, m.captured(3)};
    }
    for (auto it = out.types.cbegin(); it != out.types.cend(); ++it) {
        if (it.value() != u"counter"_s && it.value() != u"gauge"_s)
            out.problems << u"unexpected type "_s + it.value() + u" of "_s + it.key();
        if ((it.value() == u"counter"_s) != it.key().endsWith(u"_total"_s))
            out.problems << u"a counter ends in _total, and only a counter: "_s + it.key();
    }
    return out;
}

struct Response
{
    int status = 0;
    QString contentType;
    QByteArray body;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
};

Response get(const QString &url)
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkReply *reply = nam.get(QNetworkRequest(QUrl(url)));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    Response r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toString();
    r.body = reply->readAll();
    r.error = reply->error();
    reply->deleteLater();
    return r;
}

} // namespace

class TestMetricsEndpoint : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_configs = 0;

    // A healthy demo backend, a service that crashes until it is fatal, one
    // never started; `metrics` is the [metrics] table, if any.
    QString writeConfig(const QByteArray &metrics, const QString &path = QString())
    {
        const quint16 port = freePort();
        const QString base = m_dir.filePath(u"c%1"_s.arg(++m_configs));
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + base.toUtf8() + "/state\"\nsample_interval = \"200ms\"\n\n" +
            metrics +
            "\n[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
            QByteArray::number(port) +
            "\"]\nstop_timeout = \"2s\"\n"
            "[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"200ms\"\n\n"
            "[[service]]\nname = \"crashy\"\ncommand = [\"sh\", \"-c\", \"exit 3\"]\n"
            "restart_delay = \"50ms\"\nbackoff_factor = 1.0\nmax_restarts = 2\n\n"
            "[[service]]\nname = \"idle\"\ncommand = [\"sleep\", \"60\"]\nautostart = false\n";
        QFile f(path.isEmpty() ? base + u".toml"_s : path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(toml) != toml.size())
            return {};
        return f.fileName();
    }

    static Config load(const QString &path)
    {
        LoadResult r = ConfigLoader::loadFile(path);
        if (!r.ok())
            qWarning("%s", qUtf8Printable(r.errors.first().toString()));
        return r.ok() ? *r.config : Config{};
    }

    static QByteArray listenAt(quint16 port)
    {
        return "[metrics]\nlisten = \"127.0.0.1:" + QByteArray::number(port) + "\"\n";
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void scrapeFollowsTheFormatAndMatchesStatus()
    {
        const quint16 port = freePort();
        QVERIFY(port);
        const Config config = load(writeConfig(listenAt(port)));
        QCOMPARE(config.metrics.address(), u"127.0.0.1:%1"_s.arg(port));
        TestEngine engine(config);
        QVERIFY(engine.engine().metricsEndpoint() && engine.engine().metricsEndpoint()->isListening());
        Fleet &fleet = engine.fleet();
        fleet.start(u"api"_s);
        fleet.start(u"crashy"_s);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.service(u"api"_s)->health() &&
                                     fleet.service(u"api"_s)->health()->health() == Health::Healthy,
                                 15000);
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"crashy"_s)->state(), ServiceState::Fatal, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(fleet.sampler()->lastService(u"api"_s).has_value(), 5000);

        const Response r = get(u"http://127.0.0.1:%1/metrics"_s.arg(port));
        QCOMPARE(r.error, QNetworkReply::NoError);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.contentType, u"text/plain; version=0.0.4; charset=utf-8"_s);
        const Scrape scrape = parseExposition(r.body);
        QVERIFY2(scrape.problems.isEmpty(), qPrintable(scrape.problems.join(u'\n')));

        const QHash<QString, QString> expectedTypes{
            {u"lifeline_build_info"_s, u"gauge"_s},
            {u"lifeline_service_up"_s, u"gauge"_s},
            {u"lifeline_service_state"_s, u"gauge"_s},
            {u"lifeline_service_restarts_total"_s, u"counter"_s},
            {u"lifeline_service_health"_s, u"gauge"_s},
            {u"lifeline_service_health_latency_seconds"_s, u"gauge"_s},
            {u"lifeline_service_cpu_seconds_total"_s, u"counter"_s},
            {u"lifeline_service_rss_bytes"_s, u"gauge"_s},
            {u"lifeline_service_last_exit_code"_s, u"gauge"_s},
            {u"lifeline_system_cpu_usage_ratio"_s, u"gauge"_s},
            {u"lifeline_system_memory_used_bytes"_s, u"gauge"_s},
            {u"lifeline_system_memory_total_bytes"_s, u"gauge"_s},
            {u"lifeline_system_disk_used_bytes"_s, u"gauge"_s},
            {u"lifeline_system_disk_free_bytes"_s, u"gauge"_s},
            {u"lifeline_samples_total"_s, u"counter"_s},
            {u"lifeline_health_probes_total"_s, u"counter"_s},
            {u"lifeline_alerts_firing"_s, u"gauge"_s},
            {u"lifeline_crash_records_total"_s, u"counter"_s},
        };
        QCOMPARE(scrape.types, expectedTypes);

        // The figures that do not move between two reads match `status --json`.
        const QJsonArray status = statusJson(fleet).value(u"services"_s).toArray();
        QCOMPARE(status.size(), 3);
        for (const QJsonValue &v : status) {
            const QJsonObject s = v.toObject();
            const QString name = s.value(u"name"_s).toString();
            QCOMPARE(scrape.value(u"lifeline_service_up"_s, name),
                     s.value(u"pid"_s).isNull() ? u"0"_s : u"1"_s);
            QCOMPARE(scrape.value(u"lifeline_service_restarts_total"_s, name),
                     QString::number(s.value(u"restarts"_s).toInteger()));
            const QList<Sample> states = scrape.of(u"lifeline_service_state"_s, name);
            QCOMPARE(states.size(), 7);
            for (const Sample &st : states)
                QCOMPARE(st.value,
                         st.labels.value(u"state"_s) == s.value(u"state"_s).toString() ? u"1"_s : u"0"_s);
            const QJsonValue exit = s.value(u"last_exit_code"_s);
            if (exit.isNull())
                QVERIFY(scrape.of(u"lifeline_service_last_exit_code"_s, name).isEmpty());
            else
                QCOMPARE(scrape.value(u"lifeline_service_last_exit_code"_s, name),
                         QString::number(exit.toInteger()));
            const QString health = s.value(u"health"_s).toString();
            if (health == u"unknown"_s)
                QVERIFY(scrape.of(u"lifeline_service_health"_s, name).isEmpty());
            else
                QCOMPARE(scrape.value(u"lifeline_service_health"_s, name),
                         health == u"healthy"_s ? u"1"_s : u"0"_s);
        }
        QCOMPARE(scrape.value(u"lifeline_service_last_exit_code"_s, u"crashy"_s), u"3"_s);
        QCOMPARE(scrape.value(u"lifeline_service_restarts_total"_s, u"crashy"_s), u"2"_s);
        QCOMPARE(scrape.value(u"lifeline_crash_records_total"_s, u"api"_s), u"0"_s);
        // Each of crashy's three exits left a crash record (written once its output is read).
        const auto crashRecords = [&] {
            return parseExposition(get(u"http://127.0.0.1:%1/metrics"_s.arg(port)).body)
                .value(u"lifeline_crash_records_total"_s, u"crashy"_s);
        };
        QTRY_COMPARE_WITH_TIMEOUT(crashRecords(), u"3"_s, 10000);
        QCOMPARE(scrape.value(u"lifeline_service_health"_s, u"api"_s), u"1"_s);
        QVERIFY(scrape.value(u"lifeline_service_health_latency_seconds"_s, u"api"_s).toDouble() >= 0);
        QVERIFY(scrape.value(u"lifeline_service_rss_bytes"_s, u"api"_s).toLongLong() > 0);
        QCOMPARE(scrape.value(u"lifeline_service_rss_bytes"_s, u"idle"_s), u"0"_s);
        QVERIFY(scrape.of(u"lifeline_service_cpu_seconds_total"_s, u"idle"_s).isEmpty());
        QCOMPARE(scrape.of(u"lifeline_service_cpu_seconds_total"_s, u"api"_s).size(), 1);

        const auto single = [&scrape](const QString &name) {
            const QList<Sample> found = scrape.of(name);
            return found.size() == 1 ? found.first().value.toDouble() : -1.0;
        };
        QVERIFY(single(u"lifeline_samples_total"_s) >= 1);
        QVERIFY(single(u"lifeline_health_probes_total"_s) >= 1);
        QVERIFY(single(u"lifeline_system_memory_total_bytes"_s) > 0);
        QVERIFY(single(u"lifeline_system_memory_used_bytes"_s) > 0);
        const QList<Sample> disks = scrape.of(u"lifeline_system_disk_free_bytes"_s);
        QVERIFY(std::any_of(disks.cbegin(), disks.cend(), [&](const Sample &d) {
            return d.labels.value(u"path"_s) == config.settings.stateDir;
        }));

        // Counters only go up between scrapes.
        const double probes = single(u"lifeline_health_probes_total"_s);
        QTRY_VERIFY_WITH_TIMEOUT(parseExposition(get(u"http://127.0.0.1:%1/metrics"_s.arg(port)).body)
                                         .of(u"lifeline_health_probes_total"_s)
                                         .value(0)
                                         .value.toDouble() > probes,
                                 10000);

        QCOMPARE(get(u"http://127.0.0.1:%1/other"_s.arg(port)).status, 404);
        QVERIFY(stopFleet(fleet));
    }

    // Service names cannot hold a quote or a backslash (they name files),
    // but label values such as paths can: the escaping is tested directly
    // and through the parser Prometheus' rules are written into above.
    void labelValuesAndHelpAreEscaped()
    {
        const QString weird = u"we\"ird\\name\nline"_s;
        QCOMPARE(escapeLabelValue(weird), u"we\\\"ird\\\\name\\nline"_s);
        QCOMPARE(escapeLabelValue(u"plain-name.1"_s), u"plain-name.1"_s);
        QCOMPARE(escapeHelp(u"a \\ b\nc \"q\""_s), u"a \\\\ b\\nc \"q\""_s);
        const auto parsed = parseLabels(u"path=\""_s + escapeLabelValue(weird) + u"\",service=\"x\""_s);
        QVERIFY(parsed);
        QCOMPARE(parsed->value(u"path"_s), weird);
        QCOMPARE(parsed->value(u"service"_s), u"x"_s);
    }

    void notListeningWhenOff()
    {
        const quint16 port = freePort();
        QVERIFY(port);
        // The same file with the key commented out: the endpoint is off by default.
        const Config config =
            load(writeConfig("[metrics]\n# listen = \"127.0.0.1:" + QByteArray::number(port) + "\"\n"));
        QVERIFY(!config.metrics.enabled());
        TestEngine engine(config);
        QVERIFY(!engine.engine().metricsEndpoint());
        QVERIFY(!portAnswers(port));
        // Nothing holds the port either: it can be bound.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, port));
    }

    void listenRule_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("address"); // empty: refused
        QTest::addColumn<bool>("loopback");
        QTest::newRow("explicit loopback") << u"127.0.0.1:9464"_s << u"127.0.0.1:9464"_s << true;
        QTest::newRow("bare port") << u"9464"_s << u"127.0.0.1:9464"_s << true;
        QTest::newRow("colon port") << u":9464"_s << u"127.0.0.1:9464"_s << true;
        QTest::newRow("localhost") << u"localhost:9464"_s << u"127.0.0.1:9464"_s << true;
        QTest::newRow("ipv6 loopback") << u"[::1]:9464"_s << u"[::1]:9464"_s << true;
        QTest::newRow("all ipv4") << u"0.0.0.0:9464"_s << u"0.0.0.0:9464"_s << false;
        QTest::newRow("all ipv6") << u"[::]:9464"_s << u"[::]:9464"_s << false;
        QTest::newRow("lan address") << u"192.168.1.20:9464"_s << u"192.168.1.20:9464"_s << false;
        QTest::newRow("host name") << u"example.org:9464"_s << QString() << false;
        QTest::newRow("ipv6 without brackets") << u"::1:9464"_s << QString() << false;
        QTest::newRow("no port") << u"127.0.0.1"_s << QString() << false;
        QTest::newRow("port 0") << u"127.0.0.1:0"_s << QString() << false;
        QTest::newRow("port too big") << u"127.0.0.1:70000"_s << QString() << false;
        QTest::newRow("empty") << QString() << QString() << false;
    }

    void listenRule()
    {
        QFETCH(QString, text);
        QFETCH(QString, address);
        QFETCH(bool, loopback);
        const QByteArray toml = "[metrics]\n  listen = \"" + text.toUtf8() + "\"\n";
        const LoadResult r = ConfigLoader::loadString(toml, u"/x/lifeline.toml"_s);
        if (address.isEmpty()) {
            QVERIFY(!r.ok());
            // FILE:LINE:COL of the value, naming the key.
            QVERIFY2(
                r.errors.first().toString().startsWith(u"/x/lifeline.toml:2:12: error: metrics: listen: "_s),
                qPrintable(r.errors.first().toString()));
            return;
        }
        QVERIFY2(r.ok(), qPrintable(r.errors.value(0).toString()));
        QCOMPARE(r.config->metrics.address(), address);
        QCOMPARE(r.config->metrics.pos.line, 2);
        QCOMPARE(MetricsEndpoint::exposureWarning(r.config->metrics).isEmpty(), loopback);
    }

    void unknownMetricsKeyIsNamed()
    {
        const LoadResult r = ConfigLoader::loadString("[metrics]\nlisten_on = \"9464\"\n", u"/x/l.toml"_s);
        QStringList texts;
        for (const Diagnostic &d : r.errors + r.warnings)
            texts << d.toString();
        QVERIFY2(std::any_of(texts.cbegin(), texts.cend(),
                             [](const QString &t) {
                                 return t.startsWith(u"/x/l.toml:2:1: "_s) && t.contains(u"listen_on"_s) &&
                                        t.contains(u"listen"_s);
                             }),
                 qPrintable(texts.join(u'\n')));
    }

    // The settings dialog and the service editor rewrite the file: [metrics]
    // stays as written, and loads to the same endpoint.
    void configWriterKeepsTheMetricsTable()
    {
        const QString path = writeConfig("[metrics]\nlisten = \"9464\"   # loopback\n");
        QVERIFY(!path.isEmpty());
        QVERIFY(load(path).metrics.enabled());
        QString error;
        QVERIFY2(ConfigWriter::setOnExit(path, OnExit::Stop, &error), qPrintable(error));
        ServiceSpec extra;
        extra.name = u"extra"_s;
        extra.command = {u"sleep"_s, u"5"_s};
        QVERIFY2(ConfigWriter::addService(path, extra, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("[metrics]\nlisten = \"9464\"   # loopback\n"));
        const Config after = load(path);
        QCOMPARE(after.metrics.address(), u"127.0.0.1:9464"_s);
        QCOMPARE(after.settings.onExit, OnExit::Stop);
        QVERIFY(after.service(u"extra"_s));
    }

    // An address anyone on the network can reach is opened only when written
    // so, and said out loud when it is.
    void nonLoopbackBindIsWarned()
    {
        const quint16 port = freePort();
        QVERIFY(port);
        const Config config =
            load(writeConfig("[metrics]\nlisten = \"0.0.0.0:" + QByteArray::number(port) + "\"\n"));
        QVERIFY(config.metrics.enabled());
        const QString warning =
            u"metrics endpoint listens on 0.0.0.0:%1: anyone on the network can read it"_s.arg(port);
        QTest::ignoreMessage(QtWarningMsg, qPrintable(warning));
        TestEngine engine(config);
        QVERIFY(engine.engine().metricsEndpoint()->isListening());
        QCOMPARE(get(u"http://127.0.0.1:%1/metrics"_s.arg(port)).status, 200);
        const auto logged = [&config] {
            QFile log(config.settings.stateDir + u"/lifeline.log"_s);
            return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(logged().contains(warning), 5000);
    }

    void takenPortIsNamedAndTheEngineRuns()
    {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        const quint16 port = squatter.serverPort();
        const Config config = load(writeConfig(listenAt(port)));
        QTest::ignoreMessage(
            QtWarningMsg,
            QRegularExpression(
                u"^metrics endpoint cannot listen on 127\\.0\\.0\\.1:%1: .*in use"_s.arg(port)));
        TestEngine engine(config);
        QVERIFY(engine.engine().fleet());
        QVERIFY(!engine.engine().metricsEndpoint()->isListening());
        engine.fleet().start(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(engine.fleet().service(u"api"_s)->state(), ServiceState::Running, 15000);
        QVERIFY(stopFleet(engine.fleet()));
    }

    // Changing, then removing `listen` in the file moves, then closes the endpoint.
    void liveReloadMovesAndClosesTheEndpoint()
    {
        const quint16 first = freePort();
        const QString path = writeConfig(listenAt(first));
        TestEngine engine(load(path), EngineOptions{.liveReload = true});
        QCOMPARE(get(u"http://127.0.0.1:%1/metrics"_s.arg(first)).status, 200);

        QSignalSpy applied(&engine.engine(), &Engine::reloadApplied);
        QTcpServer hold; // keeps the second port free of anything else until the file names it
        QVERIFY(hold.listen(QHostAddress::LocalHost, 0));
        const quint16 second = hold.serverPort();
        hold.close();
        QVERIFY(!writeConfig(listenAt(second), path).isEmpty());
        QVERIFY(applied.wait(10000));
        QVERIFY2(applied.last().at(0).toString().contains(u"metrics endpoint changed"_s),
                 qPrintable(applied.last().at(0).toString()));
        QCOMPARE(get(u"http://127.0.0.1:%1/metrics"_s.arg(second)).status, 200);
        QVERIFY(!portAnswers(first));

        QVERIFY(!writeConfig(QByteArray(), path).isEmpty());
        QVERIFY(applied.wait(10000));
        QVERIFY(!engine.engine().metricsEndpoint());
        QVERIFY(!portAnswers(second));
    }

    // The dashboard imports as-is and draws only what the endpoint serves.
    void grafanaDashboardUsesServedMetrics()
    {
        QFile file(QStringLiteral(LIFELINE_TEST_DATA) + u"/../../packaging/grafana-dashboard.json"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
        QVERIFY2(!doc.isNull(), qPrintable(error.errorString()));
        const QJsonObject dashboard = doc.object();
        QVERIFY(!dashboard.value(u"title"_s).toString().isEmpty());
        const QJsonArray inputs = dashboard.value(u"__inputs"_s).toArray();
        QCOMPARE(inputs.size(), 1);
        QCOMPARE(inputs.first().toObject().value(u"name"_s).toString(), u"DS_PROMETHEUS"_s);
        QCOMPARE(inputs.first().toObject().value(u"pluginId"_s).toString(), u"prometheus"_s);

        // What a scrape of an engine serves (HELP and TYPE come even without samples).
        const Config config = load(writeConfig(QByteArray()));
        TestEngine engine(config);
        const QStringList served =
            parseExposition(renderMetrics(engine.fleet(), LifelineCounters{})).types.keys();

        static const QRegularExpression metric(u"\\blifeline_[a-z_]+"_s);
        QSet<QString> used;
        const QJsonArray panels = dashboard.value(u"panels"_s).toArray();
        QVERIFY(panels.size() >= 5);
        for (const QJsonValue &p : panels) {
            const QJsonObject panel = p.toObject();
            if (panel.value(u"type"_s).toString() == u"row"_s)
                continue;
            QCOMPARE(panel.value(u"datasource"_s).toObject().value(u"uid"_s).toString(),
                     u"${DS_PROMETHEUS}"_s);
            const QJsonArray targets = panel.value(u"targets"_s).toArray();
            QVERIFY2(!targets.isEmpty(), qPrintable(panel.value(u"title"_s).toString()));
            for (const QJsonValue &t : targets) {
                const QString expr = t.toObject().value(u"expr"_s).toString();
                auto it = metric.globalMatch(expr);
                QVERIFY2(it.hasNext(), qPrintable(expr));
                while (it.hasNext()) {
                    const QString name = it.next().captured();
                    QVERIFY2(served.contains(name), qPrintable(name + u" in "_s + expr));
                    used.insert(name);
                }
            }
        }
        for (const char *needed :
             {"lifeline_service_up", "lifeline_service_state", "lifeline_service_restarts_total",
              "lifeline_service_rss_bytes", "lifeline_service_cpu_seconds_total",
              "lifeline_service_health_latency_seconds"})
            QVERIFY2(used.contains(QString::fromLatin1(needed)), needed);
    }
};

QTEST_GUILESS_MAIN(TestMetricsEndpoint)
#include "tst_metricsendpoint.moc"
