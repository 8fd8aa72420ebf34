// HealthParser: HTTP status + body -> verdict, as a table.
#include "health/healthparser.h"

#include <QJsonArray>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(lifeline::ProbeError)

class TestHealthParser : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void keepsBackendReport();
    void customExpectedRange();
};

void TestHealthParser::parse_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<ProbeError>("error");
    QTest::addColumn<QString>("reason");

    const auto None = ProbeError::None;
    QTest::newRow("healthy json") << 200 << QByteArray(R"({"status":"healthy"})") << true << None
                                  << u"HTTP 200"_s;
    QTest::newRow("ok") << 200 << QByteArray(R"({"status":"ok"})") << true << None << u"HTTP 200"_s;
    QTest::newRow("pass") << 200 << QByteArray(R"({"status":"pass"})") << true << None << u"HTTP 200"_s;
    QTest::newRow("UP, upper case, spaces")
        << 200 << QByteArray(R"({"status":" UP "})") << true << None << u"HTTP 200"_s;
    QTest::newRow("empty body") << 200 << QByteArray() << true << None << u"HTTP 200"_s;
    QTest::newRow("204 no content") << 204 << QByteArray() << true << None << u"HTTP 204"_s;
    QTest::newRow("json without status")
        << 200 << QByteArray(R"({"uptime":3})") << true << None << u"HTTP 200"_s;
    QTest::newRow("json array") << 200 << QByteArray("[1,2]") << true << None << u"HTTP 200"_s;
    QTest::newRow("plain text OK") << 200 << QByteArray("OK\n") << true << None
                                   << u"HTTP 200, body is not JSON"_s;
    QTest::newRow("broken json") << 200 << QByteArray(R"({"status":)") << true << None
                                 << u"HTTP 200, body is not JSON"_s;
    QTest::newRow("html on 302 in range")
        << 302 << QByteArray("<html></html>") << true << None << u"HTTP 302, body is not JSON"_s;
    QTest::newRow("unknown status word") << 200 << QByteArray(R"({"status":"sleepy"})") << true << None
                                         << u"HTTP 200, unrecognised status \"sleepy\""_s;
    QTest::newRow("status not a string")
        << 200 << QByteArray(R"({"status":1})") << true << None << u"HTTP 200"_s;

    QTest::newRow("unhealthy") << 200 << QByteArray(R"({"status":"unhealthy"})") << false
                               << ProbeError::ReportedUnhealthy << u"backend reports \"unhealthy\""_s;
    QTest::newRow("fail") << 200 << QByteArray(R"({"status":"fail"})") << false
                          << ProbeError::ReportedUnhealthy << u"backend reports \"fail\""_s;
    QTest::newRow("down") << 200 << QByteArray(R"({"status":"down"})") << false
                          << ProbeError::ReportedUnhealthy << u"backend reports \"down\""_s;
    QTest::newRow("error with message")
        << 200 << QByteArray(R"({"status":"error","message":"database unreachable"})") << false
        << ProbeError::ReportedUnhealthy << u"backend reports \"error\": database unreachable"_s;
    QTest::newRow("degraded") << 200 << QByteArray(R"({"status":"degraded"})") << false
                              << ProbeError::ReportedDegraded << u"backend reports \"degraded\""_s;
    QTest::newRow("warn") << 200 << QByteArray(R"({"status":"warn"})") << false
                          << ProbeError::ReportedDegraded << u"backend reports \"warn\""_s;

    QTest::newRow("503 json") << 503 << QByteArray(R"({"status":"unhealthy"})") << false
                              << ProbeError::BadStatus << u"HTTP 503"_s;
    QTest::newRow("503 says healthy")
        << 503 << QByteArray(R"({"status":"healthy"})") << false << ProbeError::BadStatus << u"HTTP 503"_s;
    QTest::newRow("500 text") << 500 << QByteArray("Internal Server Error") << false << ProbeError::BadStatus
                              << u"HTTP 500"_s;
    QTest::newRow("404") << 404 << QByteArray() << false << ProbeError::BadStatus << u"HTTP 404"_s;
    QTest::newRow("199 below range") << 199 << QByteArray() << false << ProbeError::BadStatus
                                     << u"HTTP 199"_s;
}

void TestHealthParser::parse()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    QFETCH(ProbeError, error);
    QFETCH(QString, reason);

    const HealthParser::Verdict v = HealthParser::parse(status, body, 200, 399);
    QCOMPARE(v.ok, ok);
    QCOMPARE(v.error, error);
    QCOMPARE(v.reason, reason);
}

void TestHealthParser::keepsBackendReport()
{
    const QByteArray body = R"({"status":"healthy","system":{"cpu_percent":12.5,"memory_percent":40,
        "disk_percent":71},"health_checks":{"db":"ok"},"services":{"redis":"up"},"database":"connected"})";
    const HealthParser::Verdict v = HealthParser::parse(200, body, 200, 399);
    QVERIFY(v.ok);
    QCOMPARE(v.report.value("system"_L1).toObject().value("cpu_percent"_L1).toDouble(), 12.5);
    QCOMPARE(v.report.value("system"_L1).toObject().value("disk_percent"_L1).toInt(), 71);
    QCOMPARE(v.report.value("health_checks"_L1).toObject().value("db"_L1).toString(), u"ok"_s);
    QCOMPARE(v.report.value("services"_L1).toObject().value("redis"_L1).toString(), u"up"_s);
    QCOMPARE(v.report.value("database"_L1).toString(), u"connected"_s);

    // The report is kept for failures too: that is when a person reads it.
    const HealthParser::Verdict bad =
        HealthParser::parse(503, R"({"status":"unhealthy","database":"timeout"})", 200, 399);
    QVERIFY(!bad.ok);
    QCOMPARE(bad.report.value("database"_L1).toString(), u"timeout"_s);

    QVERIFY(HealthParser::parse(200, "not json", 200, 399).report.isEmpty());
}

void TestHealthParser::customExpectedRange()
{
    // expect_status = 200: a redirect is then a failure.
    QCOMPARE(HealthParser::parse(301, {}, 200, 200).error, ProbeError::BadStatus);
    QVERIFY(HealthParser::parse(200, {}, 200, 200).ok);
    // expect_status = "200-499": a 401 from an auth-protected health page is fine.
    QVERIFY(HealthParser::parse(401, {}, 200, 499).ok);
    QVERIFY(!HealthParser::parse(500, {}, 200, 499).ok);
}

QTEST_APPLESS_MAIN(TestHealthParser)
#include "tst_healthparser.moc"
