// HttpResponseParser on its own: every answer is fed whole, and again one
// byte at a time (a socket may cut anywhere), and must read the same.
#include "health/httpresponseparser.h"

#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;
using State = HttpResponseParser::State;

class TestHttpResponseParser : public QObject
{
    Q_OBJECT

private:
    static constexpr qint64 kCap = 64;

    // Feeds RAW in pieces of CHUNK bytes (0: all at once), then EOF if asked.
    static HttpResponseParser parse(const QByteArray &raw, qsizetype chunk, bool eof)
    {
        HttpResponseParser p(kCap);
        if (chunk == 0) {
            p.feed(raw);
        } else {
            for (qsizetype i = 0; i < raw.size() && p.state() == State::Reading; i += chunk)
                p.feed(raw.constData() + i, std::min(chunk, raw.size() - i));
        }
        if (eof)
            p.finishAtEof();
        return p;
    }

private slots:
    void answers_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("eof");   // the peer closes after RAW
        QTest::addColumn<int>("state");  // State
        QTest::addColumn<int>("status"); // when Done (or Failed after the head)
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("error"); // a part of error() when Failed
        QTest::addColumn<bool>("tooLarge");

        const int done = int(State::Done);
        const int failed = int(State::Failed);
        const int reading = int(State::Reading);

        QTest::newRow("content-length") << "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nokay"_ba << false
                                        << done << 200 << "okay"_ba << QString() << false;
        QTest::newRow("bytes after the answer ignored")
            << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE"_ba << false << done << 200 << "ok"_ba
            << QString() << false;
        QTest::newRow("bare LF line ends") << "HTTP/1.0 503 Service Unavailable\nContent-Length: 2\n\nno"_ba
                                           << false << done << 503 << "no"_ba << QString() << false;
        QTest::newRow("no reason phrase")
            << "HTTP/1.1 204\r\n\r\n"_ba << false << done << 204 << QByteArray() << QString() << false;
        QTest::newRow("header names any case") << "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:   3  \r\n\r\nabc"_ba
                                               << false << done << 200 << "abc"_ba << QString() << false;
        QTest::newRow("100 continue skipped")
            << "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"_ba << false
            << done << 200 << "x"_ba << QString() << false;
        QTest::newRow("until close") << "HTTP/1.1 200 OK\r\n\r\n{\"status\":\"ok\"}"_ba << true << done << 200
                                     << "{\"status\":\"ok\"}"_ba << QString() << false;
        QTest::newRow("until close, not closed yet") << "HTTP/1.1 200 OK\r\n\r\npartial"_ba << false
                                                     << reading << 200 << "partial"_ba << QString() << false;
        QTest::newRow("chunked") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "4\r\n{\"st\r\nB;ext=1\r\natus\":\"ok\"}\r\n0\r\nX-Trailer: 1\r\n\r\n"_ba
                                 << false << done << 200 << "{\"status\":\"ok\"}"_ba << QString() << false;
        QTest::newRow("chunked, upper-case hex")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
               "A\r\n0123456789\r\n0\r\n\r\n"_ba
            << false << done << 200 << "0123456789"_ba << QString() << false;
        QTest::newRow("empty content-length") << "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"_ba << false
                                              << done << 200 << QByteArray() << QString() << false;

        QTest::newRow("content-length over the cap")
            << "HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n"_ba << false << failed << 200 << QByteArray()
            << u"over the limit"_s << true;
        QTest::newRow("until close over the cap")
            << "HTTP/1.1 200 OK\r\n\r\n"_ba + QByteArray(65, 'x') << false << failed << 200 << QByteArray()
            << u"over the limit"_s << true;
        QTest::newRow("chunk over the cap")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n"_ba + QByteArray(32, 'x') +
                   "\r\n21\r\n"
            << false << failed << 200 << QByteArray() << u"over the limit"_s << true;
        QTest::newRow("not HTTP") << "SSH-2.0-OpenSSH_9.2\r\n"_ba << false << failed << 0 << QByteArray()
                                  << u"not an HTTP response: \"SSH-2.0-OpenSSH_9.2\""_s << false;
        QTest::newRow("bad status code") << "HTTP/1.1 2x0 OK\r\n\r\n"_ba << false << failed << 0
                                         << QByteArray() << u"bad status line"_s << false;
        QTest::newRow("bad header line")
            << "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"_ba << false << failed << 200 << QByteArray()
            << u"bad header line: \"no colon here\""_s << false;
        QTest::newRow("folded header") << "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n\r\n"_ba << false << failed
                                       << 200 << QByteArray() << u"folded header line"_s << false;
        QTest::newRow("bad content-length")
            << "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"_ba << false << failed << 200 << QByteArray()
            << u"bad Content-Length: \"-1\""_s << false;
        QTest::newRow("bad chunk size")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"_ba << false << failed << 200
            << QByteArray() << u"bad chunk size: \"zz\""_s << false;
        // strtoll-style parsing would read these as 2, 2 and 0 (the last one ending the body early).
        QTest::newRow("chunk size with 0x prefix")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nok\r\n0\r\n\r\n"_ba << false
            << failed << 200 << QByteArray() << u"bad chunk size: \"0x2\""_s << false;
        QTest::newRow("chunk size with a sign")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nok\r\n0\r\n\r\n"_ba << false
            << failed << 200 << QByteArray() << u"bad chunk size: \"+2\""_s << false;
        QTest::newRow("chunk size -0")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-0\r\n\r\n"_ba << false << failed << 200
            << QByteArray() << u"bad chunk size: \"-0\""_s << false;
        QTest::newRow("chunk longer than its size")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"_ba << false
            << failed << 200 << QByteArray() << u"chunk data longer than its size"_s << false;
        QTest::newRow("closed in the body")
            << "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"_ba << true << failed << 200 << QByteArray()
            << u"connection closed in the middle of the answer"_s << false;
        QTest::newRow("closed in the head") << "HTTP/1.1 200 OK\r\nContent-Le"_ba << true << failed << 200
                                            << QByteArray() << u"connection closed in the middle"_s << false;
        QTest::newRow("closed without a word") << QByteArray() << true << failed << 0 << QByteArray()
                                               << u"connection closed without an answer"_s << false;
        QTest::newRow("head too large")
            << "HTTP/1.1 200 OK\r\nX-Big: "_ba + QByteArray(HttpResponseParser::MaxHeaderBytes, 'a') +
                   "\r\n\r\n"
            << false << failed << 200 << QByteArray() << u"response headers larger than 64 KiB"_s << false;
    }

    void answers()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, eof);
        QFETCH(int, state);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QString, error);
        QFETCH(bool, tooLarge);
        for (const qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(7)}) {
            const HttpResponseParser p = parse(raw, chunk, eof);
            const QByteArray where =
                "fed in pieces of " + QByteArray::number(chunk) + ": " + p.error().toUtf8();
            QVERIFY2(int(p.state()) == state, where.constData());
            QVERIFY2(p.status() == status, where.constData());
            if (p.state() != State::Failed)
                QVERIFY2(p.body() == body, where.constData());
            QVERIFY2(p.error().contains(error), where.constData());
            QVERIFY2(p.error().isEmpty() == error.isEmpty(), where.constData());
            QVERIFY2(p.tooLarge() == tooLarge, where.constData());
        }
    }

    void headersReadByName()
    {
        HttpResponseParser p(kCap);
        QCOMPARE(
            p.feed(
                "HTTP/1.1 302 Found\r\nLocation: /a\r\nlocation: /b\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"_ba),
            State::Done);
        QCOMPARE(p.status(), 302);
        QCOMPARE(p.header("LOCATION"), "/b"_ba); // the last one counts
        QCOMPARE(p.header("x-empty"), QByteArray());
        QCOMPARE(p.header("missing"), QByteArray());
    }

    void feedAfterTheEndChangesNothing()
    {
        HttpResponseParser p(kCap);
        QCOMPARE(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"_ba), State::Done);
        QCOMPARE(p.feed("HTTP/1.1 500 No\r\n\r\n"_ba), State::Done);
        QCOMPARE(p.finishAtEof(), State::Done);
        QCOMPARE(p.status(), 200);
        QCOMPARE(p.body(), "x"_ba);
        QVERIFY(!p.keepsConnection()); // whatever came after is not ours to read
    }

    // Whether the connection may carry the next request, fed whole and by
    // the byte.
    void keepsConnection_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("eof");
        QTest::addColumn<bool>("keeps");
        QTest::newRow("1.1 with a length")
            << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"_ba << false << true;
        QTest::newRow("1.1 chunked")
            << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"_ba << false
            << true;
        QTest::newRow("1.1 no body") << "HTTP/1.1 204 No Content\r\n\r\n"_ba << false << true;
        QTest::newRow("Connection: close")
            << "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 2\r\n\r\n{}"_ba << false
            << false;
        QTest::newRow("1.0") << "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"_ba << false << false;
        QTest::newRow("body until the close") << "HTTP/1.1 200 OK\r\n\r\n{}"_ba << true << false;
        QTest::newRow("bytes after the answer")
            << "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n"_ba << false << false;
        QTest::newRow("unfinished") << "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}"_ba << false << false;
        QTest::newRow("failed") << "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"_ba << false << false;
    }
    void keepsConnection()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, eof);
        QFETCH(bool, keeps);
        QCOMPARE(parse(raw, 0, eof).keepsConnection(), keeps);
        HttpResponseParser bytewise(kCap); // every byte, also those after the answer
        for (char c : raw)
            bytewise.feed(&c, 1);
        if (eof)
            bytewise.finishAtEof();
        QCOMPARE(bytewise.keepsConnection(), keeps);
        QVERIFY(bytewise.sawBytes());
        QVERIFY(!HttpResponseParser(kCap).sawBytes());
    }
};

QTEST_APPLESS_MAIN(TestHttpResponseParser)
#include "tst_httpresponseparser.moc"
