// Recurring-error tracking (core/errors): what counts as an error, how
// occurrences group into signatures, and the tracker following a real
// child's output and the files it writes itself, through rotation.
#include "config/configloader.h"
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "control/controlserver.h"
#include "engine/engine.h"
#include "errors/errordetector.h"
#include "errors/errorjson.h"
#include "errors/errortracker.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

QList<ErrorEvent> detect(const QStringList &lines, const QStringList &patterns = {}, bool defaults = true)
{
    QList<QRegularExpression> res;
    for (const QString &p : patterns)
        res.append(QRegularExpression(p));
    ErrorDetector d(res, defaults);
    QList<ErrorEvent> out;
    for (const QString &line : lines)
        d.feed(line, 0, out);
    d.close(out);
    return out;
}

QStringList pythonTraceback(const QString &path, int line, const QString &exception)
{
    return {u"Traceback (most recent call last):"_s,
            u"  File \"%1/app.py\", line %2, in <module>"_s.arg(path).arg(line),
            u"    main()"_s,
            u"  File \"%1/app.py\", line %2, in handle_order"_s.arg(path).arg(line + 7),
            u"    total = price / qty"_s,
            exception};
}

void appendTo(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    QCOMPARE(f.write(bytes), bytes.size());
}

qint64 totalCount(const QList<ErrorSignature> &sigs)
{
    qint64 n = 0;
    for (const ErrorSignature &s : sigs)
        n += s.count;
    return n;
}

} // namespace

class TestErrors : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    Config config(const QString &services)
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() + "\"\n" + services.toUtf8();
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        if (!r.ok())
            qFatal("%s", qPrintable(r.errors.value(0).toString()));
        return *r.config;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void tracebacksDifferingInNumbersAndPathsAreOneSignature()
    {
        const auto a = detect(pythonTraceback(
            u"/srv/app-1"_s, 12, u"ZeroDivisionError: division by zero at 0x7f3a2b for order 1234"_s));
        const auto b = detect(pythonTraceback(
            u"/home/me/app-2"_s, 99, u"ZeroDivisionError: division by zero at 0x55aa01 for order 98"_s));
        QCOMPARE(a.size(), 1);
        QCOMPARE(b.size(), 1);
        QCOMPARE(a[0].kind, ErrorEvent::Kind::Python);
        QCOMPARE(a[0].lines.size(), 6); // whole, the exception line included
        QCOMPARE(signatureOf(a[0]).id, signatureOf(b[0]).id);
        QCOMPARE(signatureOf(a[0]).text,
                 u"ZeroDivisionError: division by zero at <hex> for order <n> (in handle_order)"_s);
    }

    void differentExceptionTypesAreTwoSignatures()
    {
        const auto a = detect(pythonTraceback(u"/srv"_s, 1, u"ValueError: bad value 3"_s));
        const auto b = detect(pythonTraceback(u"/srv"_s, 1, u"KeyError: 'user-3'"_s));
        QCOMPARE(a.size(), 1);
        QCOMPARE(b.size(), 1);
        QVERIFY(signatureOf(a[0]).id != signatureOf(b[0]).id);
        QCOMPARE(signatureOf(b[0]).text, u"KeyError: <str> (in handle_order)"_s);
    }

    void normalisation_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("normalised");
        QTest::newRow("uuid") << u"user 3f2504e0-4f89-11d3-9a0c-0305e82c3301 gone"_s << u"user <uuid> gone"_s;
        QTest::newRow("timestamp") << u"2026-11-28T13:01:02.123Z ERROR db down"_s
                                   << u"<time> ERROR db down"_s;
        QTest::newRow("clock") << u"[12:01:59,120] ERROR x"_s << u"[<time>] ERROR x"_s;
        QTest::newRow("path") << u"ERROR cannot open /var/lib/app/42.db: denied"_s
                              << u"ERROR cannot open <path>: denied"_s;
        QTest::newRow("quoted") << u"ERROR no user \"bob\" or 'al'"_s << u"ERROR no user <str> or <str>"_s;
        QTest::newRow("hex id") << u"ERROR commit deadbeef1234 failed"_s << u"ERROR commit <hex> failed"_s;
        QTest::newRow("numbers") << u"ERROR took 12.5 ms on worker-3"_s
                                 << u"ERROR took <n> ms on worker-<n>"_s;
    }

    void normalisation()
    {
        QFETCH(QString, text);
        QFETCH(QString, normalised);
        QCOMPARE(normalizeErrorText(text), normalised);
    }

    void otherLanguagesAndLevels()
    {
        // Node.js: an uncaught exception with its frames.
        auto node =
            detect({u"/app/server.js:10"_s, u"    throw new TypeError('x is ' + x);"_s, u"    ^"_s, u""_s,
                    u"TypeError: x is 5"_s, u"    at handle (/app/server.js:10:11)"_s,
                    u"    at Server.<anonymous> (/app/server.js:20:3)"_s, u""_s, u"Node.js v18.19.0"_s});
        QCOMPARE(node.size(), 1);
        QCOMPARE(node[0].kind, ErrorEvent::Kind::Stack);
        QCOMPARE(node[0].lines.size(), 3);
        QCOMPARE(signatureOf(node[0]).text, u"TypeError: x is <n> (in handle)"_s);
        // Java, with a cause.
        auto java =
            detect({u"Exception in thread \"main\" java.lang.IllegalStateException: bad 7"_s,
                    u"\tat com.acme.Main.run(Main.java:12)"_s, u"\tat com.acme.Main.main(Main.java:5)"_s,
                    u"Caused by: java.io.IOException: disk"_s, u"\t... 2 more"_s, u"next run"_s});
        QCOMPARE(java.size(), 1);
        QCOMPARE(java[0].lines.size(), 5);
        QCOMPARE(
            signatureOf(java[0]).text,
            u"Exception in thread <str> java.lang.IllegalStateException: bad <n> (in com.acme.Main.run)"_s);
        // Go: the panic and its goroutine dump.
        auto go = detect({u"panic: runtime error: index out of range [5] with length 3"_s, u""_s,
                          u"goroutine 1 [running]:"_s, u"main.lookup(...)"_s, u"\t/src/main.go:12 +0x1d"_s,
                          u"main.main()"_s, u"\t/src/main.go:20 +0x25"_s, u"exit status 2"_s});
        QCOMPARE(go.size(), 1);
        QCOMPARE(go[0].kind, ErrorEvent::Kind::Go);
        QCOMPARE(go[0].lines.size(), 8);
        QVERIFY(signatureOf(go[0]).text.endsWith(u"(in main.lookup)"_s));
        // Levels: one event each; words that merely contain them are not errors.
        auto levels =
            detect({u"12:00:01 ERROR payment failed"_s, u"CRITICAL: disk full"_s, u"FATAL cannot bind"_s,
                    u"INFO 0 ERRORS so far"_s, u"TERRORIST_CHECK ok"_s, u"an error happened"_s});
        QCOMPARE(levels.size(), 3);
        // Nothing in ordinary output.
        QCOMPARE(detect({u"GET /api/orders 200 12ms"_s, u"Error handling is fine"_s}).size(), 0);
    }

    void tracebackSplitAcrossWritesIsKeptWhole()
    {
        ErrorDetector d({}, true);
        QList<ErrorEvent> out;
        const QStringList tb = pythonTraceback(u"/srv"_s, 1, u"ValueError: late"_s);
        for (int i = 0; i < 3; ++i)
            d.feed(tb[i], 1000, out);
        d.closeIfQuiet(1000 + ErrorTracker::kQuietMs - 1, ErrorTracker::kQuietMs, out);
        QVERIFY(out.isEmpty()); // still waiting for the rest
        for (int i = 3; i < tb.size(); ++i)
            d.feed(tb[i], 1400, out);
        QVERIFY(out.isEmpty()); // a chained traceback could follow
        d.closeIfQuiet(1400 + ErrorTracker::kQuietMs, ErrorTracker::kQuietMs, out);
        QCOMPARE(out.size(), 1);
        QCOMPARE(out[0].lines, tb);
        // A chained traceback is the same event.
        const auto chained = detect(pythonTraceback(u"/a"_s, 1, u"KeyError: 'k'"_s) +
                                    QStringList{u""_s,
                                                u"During handling of the above exception, another "
                                                u"exception occurred:"_s,
                                                u""_s} +
                                    pythonTraceback(u"/a"_s, 2, u"RuntimeError: wrapped"_s) +
                                    QStringList{u"INFO back to work"_s});
        QCOMPARE(chained.size(), 1);
        QVERIFY(signatureOf(chained[0]).text.startsWith(u"RuntimeError: wrapped"_s));
    }

    void customPatterns()
    {
        const auto events = detect({u"WARN upstream timeout after 30s"_s, u"ERROR still counted"_s, u"ok"_s},
                                   {u"upstream timeout"_s});
        QCOMPARE(events.size(), 2);
        const auto only = detect({u"WARN upstream timeout after 30s"_s, u"ERROR not counted"_s},
                                 {u"upstream timeout"_s}, false);
        QCOMPARE(only.size(), 1);
        QCOMPARE(signatureOf(only[0]).text, u"WARN upstream timeout after <n>s"_s);
    }

    void invalidPatternIsAConfigErrorWithPosition()
    {
        const QByteArray toml = "[[service]]\nname = \"a\"\ncommand = [\"true\"]\n"
                                "[service.errors]\npatterns = [\"ok\", \"(unclosed\"]\nfiles = [\"\"]\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"bad.toml"_s));
        QVERIFY(!r.ok());
        QCOMPARE(r.errors.size(), 2);
        QCOMPARE(r.errors[0].line, 5);
        QCOMPARE(r.errors[0].column, 19);
        QVERIFY2(r.errors[0].toString().contains(u"errors.patterns"_s) &&
                     r.errors[0].toString().contains(u"not a valid regular expression"_s),
                 qPrintable(r.errors[0].toString()));
        QCOMPARE(r.errors[1].key, u"errors.files"_s);
        const LoadResult good = ConfigLoader::loadString(
            "[[service]]\nname = \"a\"\ncommand = [\"true\"]\n[service.errors]\npatterns = [\"timeout\"]\n"
            "default_patterns = false\nfiles = [\"logs/*.log\"]\n",
            m_dir.filePath(u"good.toml"_s));
        QVERIFY(good.ok());
        QCOMPARE(good.config->services[0].errors.patterns, QStringList{u"timeout"_s});
        QVERIFY(!good.config->services[0].errors.defaultPatterns);
        QCOMPARE(good.config->services[0].errors.files, QStringList{u"logs/*.log"_s});
    }

    // A real child: tracebacks on stderr (one written in two parts), ERROR
    // lines on stdout, and ERROR lines in a file of its own that it rotates.
    void realChildOutputAndItsOwnFileThroughRotation()
    {
        const QString cwd = m_dir.filePath(u"app"_s);
        QVERIFY(QDir().mkpath(cwd + u"/logs"_s));
        // Written before Lifeline looks: history, never counted.
        appendTo(cwd + u"/logs/app.log"_s, "ERROR old news\n");
        const QString script = u"printf 'Traceback (most recent call last):\\n  File \"/x/a.py\", line 1, in "
                               u"run\\n' >&2; sleep 0.3; "
                               "printf '    f()\\nValueError: bad 1\\n' >&2; "
                               "echo 'ERROR payment 17 failed'; echo 'ERROR payment 18 failed'; "
                               "echo 'ERROR disk 1 full' >> logs/app.log; "
                               "mv logs/app.log logs/app.log.1; echo 'ERROR disk 2 full' >> logs/app.log; "
                               "echo 'ERROR queue 5 stuck' >> logs/other.log; "
                               "exec sleep 600"_s;
        Config c = config(
            u"[[service]]\nname = \"app\"\ncwd = \"%1\"\nstop_timeout = \"2s\"\n"
            "command = [\"/bin/sh\", \"-c\", \"%2\"]\n[service.errors]\nfiles = [\"logs/*.log\"]\n"_s.arg(
                cwd, QString(script).replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s)));
        TestEngine engine(c);
        ErrorTracker *tracker = engine.engine().errorTracker();
        QVERIFY(tracker);
        QSignalSpy occurred(tracker, &ErrorTracker::errorOccurred);
        QCOMPARE(tracker->watchedFiles(u"app"_s), QStringList{cwd + u"/logs/app.log"_s});
        engine.fleet().start(u"app"_s);
        QTRY_VERIFY_WITH_TIMEOUT(totalCount(tracker->signatures(u"app"_s)) == 6, 15000);
        const QList<ErrorSignature> sigs = tracker->signatures(u"app"_s);
        QStringList texts;
        for (const ErrorSignature &s : sigs)
            texts.append(u"%1 %2 %3"_s.arg(s.count).arg(s.source, s.text));
        texts.sort();
        QCOMPARE(texts, (QStringList{u"1 logs/other.log ERROR queue <n> stuck"_s,
                                     u"1 stderr ValueError: bad <n> (in run)"_s,
                                     u"2 logs/app.log ERROR disk <n> full"_s,
                                     u"2 stdout ERROR payment <n> failed"_s}));
        const auto python = std::find_if(sigs.begin(), sigs.end(),
                                         [](const ErrorSignature &s) { return s.source == u"stderr"_s; });
        QCOMPARE(python->sample,
                 u"Traceback (most recent call last):\n  File \"/x/a.py\", line 1, in run\n    f()\n"
                 u"ValueError: bad 1"_s);
        QCOMPARE(occurred.size(), 6);
        QCOMPARE(occurred.constLast().at(0).toString(), u"app"_s);
        QVERIFY(python->perMinute.size() == 1 && python->countSince(python->lastSeenMs - 60'000) == 1);

        // lifelinectl's answer, from the control protocol.
        const QJsonObject reply =
            engine.engine().control()->handle({{u"cmd"_s, u"errors"_s}, {u"name"_s, u"app"_s}});
        QVERIFY(reply.value(u"ok"_s).toBool());
        const QJsonArray list = reply.value(u"signatures"_s).toArray();
        QCOMPARE(list.size(), 4);
        for (const QJsonValue &v : list) {
            const QJsonObject o = v.toObject();
            for (const char *key : {"signature", "count", "first_seen", "last_seen", "sample"})
                QVERIFY2(o.contains(QLatin1String(key)), key);
            QVERIFY(QDateTime::fromString(o.value(u"last_seen"_s).toString(), Qt::ISODateWithMs).isValid());
        }
        QVERIFY(!engine.engine()
                     .control()
                     ->handle({{u"cmd"_s, u"errors"_s}, {u"name"_s, u"nope"_s}})
                     .value(u"ok"_s)
                     .toBool());
        QVERIFY(stopFleet(engine.fleet()));
    }

    void signaturesSurviveARestart()
    {
        Config c = config(u"[[service]]\nname = \"keep\"\ncommand = [\"/bin/sh\", \"-c\", "
                          "\"echo 'FATAL lost 3 rows'; exec sleep 600\"]\nstop_timeout = \"2s\"\n"_s);
        {
            TestEngine engine(c);
            engine.fleet().start(u"keep"_s);
            QTRY_COMPARE_WITH_TIMEOUT(totalCount(engine.engine().errorTracker()->signatures(u"keep"_s)), 1,
                                      15000);
            QVERIFY(stopFleet(engine.fleet()));
        }
        TestEngine again(c);
        const QList<ErrorSignature> sigs = again.engine().errorTracker()->signatures(u"keep"_s);
        QCOMPARE(sigs.size(), 1);
        QCOMPARE(sigs[0].text, u"FATAL lost <n> rows"_s);
        QCOMPARE(sigs[0].sample, u"FATAL lost 3 rows"_s);
    }

    void lifelinectlErrorsJson()
    {
        QTemporaryDir runtime;
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
        const QString configPath = m_dir.filePath(u"ctl.toml"_s);
        {
            QFile f(configPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("[settings]\nstate_dir = \"" + m_dir.filePath(u"ctlstate"_s).toUtf8() +
                    "\"\non_exit = \"stop\"\n[[service]]\nname = \"svc\"\nstop_timeout = \"2s\"\n"
                    "command = [\"/bin/sh\", \"-c\", \"sleep 1; echo 'ERROR boom 1'; exec sleep 600\"]\n");
        }
        HeadlessProcess lifeline;
        lifeline.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, configPath});
        QVERIFY(lifeline.process.waitForStarted());
        const auto errors = [&](bool json) {
            return runLifelinectl(QStringList{u"--config"_s, configPath, u"errors"_s, u"svc"_s} +
                                  (json ? QStringList{u"--json"_s} : QStringList()));
        };
        QTRY_VERIFY_WITH_TIMEOUT(QJsonDocument::fromJson(errors(true).out.toUtf8()).array().size() == 1,
                                 20000);
        const CtlRun json = errors(true);
        QCOMPARE(json.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).array().at(0).toObject();
        QCOMPARE(o.value(u"signature"_s).toString(), u"ERROR boom <n>"_s);
        QCOMPARE(o.value(u"count"_s).toInt(), 1);
        QCOMPARE(o.value(u"sample"_s).toString(), u"ERROR boom 1"_s);
        QVERIFY(o.value(u"first_seen"_s).toString().endsWith(u'Z'));
        const CtlRun plain = errors(false);
        QCOMPARE(plain.exitCode, 0);
        QVERIFY2(plain.out.contains(u"1x  ERROR boom <n>"_s) && plain.out.contains(u"| ERROR boom 1"_s),
                 qPrintable(plain.out));
        const CtlRun unknown = runLifelinectl({u"--config"_s, configPath, u"errors"_s, u"nope"_s});
        QCOMPARE(unknown.exitCode, 1);
        lifeline.process.terminate();
        QVERIFY(lifeline.process.waitForFinished(15000));
        const CtlRun none = errors(true);
        QCOMPARE(none.exitCode, 3);
        QVERIFY(none.err.contains(u"no Lifeline is running"_s));
    }
};

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
