// Error tracking against hostile files: a 100 MB line without a newline,
// binary garbage, and a followed log file replaced by a FIFO. The engine
// keeps its pace (a timer on its thread keeps firing) and the errors after
// the garbage are still counted.
#include "config/configloader.h"
#include "engine/engine.h"
#include "errors/errortracker.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestHostileErrors : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // A service whose own log file (logs/app.log in its cwd) gets `script`'s output.
    std::unique_ptr<TestEngine> engineFor(const QString &name, const QString &script)
    {
        const QString cwd = m_dir.filePath(name);
        QDir().mkpath(cwd + u"/logs"_s);
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir.filePath(name + u"-state"_s).toUtf8() +
                                "\"\n[[service]]\nname = \"app\"\ncwd = \"" + cwd.toUtf8() +
                                "\"\nstop_timeout = \"2s\"\ncommand = [\"/bin/sh\", \"-c\", \"" +
                                script.toUtf8() +
                                "; exec sleep 600\"]\n[service.errors]\nfiles = [\"logs/*.log\"]\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(name + u".toml"_s));
        if (!r.ok())
            qFatal("%s", qPrintable(r.errors.value(0).toString()));
        return std::make_unique<TestEngine>(*r.config);
    }

    static qint64 countOf(ErrorTracker *tracker, const QString &text)
    {
        for (const ErrorSignature &s : tracker->signatures(u"app"_s)) {
            if (s.text == text)
                return s.count;
        }
        return 0;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void hundredMegabyteLineWithoutNewline()
    {
        auto engine = engineFor(u"longline"_s, u"sleep 0.5; head -c 100000000 /dev/zero | tr -c E E >> "
                                               u"logs/app.log; echo >> logs/app.log; "
                                               u"echo 'ERROR after the flood' >> logs/app.log"_s);
        ErrorTracker *tracker = engine->engine().errorTracker();
        // The engine's loop keeps turning while the flood is read.
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0;
        qint64 longestGap = 0;
        QTimer beat;
        beat.setInterval(20);
        connect(&beat, &QTimer::timeout, this, [&] {
            longestGap = std::max(longestGap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        beat.start();
        engine->fleet().start(u"app"_s);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(tracker, u"ERROR after the flood"_s), 1, 60000);
        QVERIFY2(longestGap < 2000, qPrintable(u"the engine stalled for %1 ms"_s.arg(longestGap)));
        // The flood's pieces are not errors, nor is any sample bigger than its cap.
        for (const ErrorSignature &s : tracker->signatures(u"app"_s))
            QVERIFY(s.sample.size() <= 32 * 1024);
        QVERIFY(stopFleet(engine->fleet()));
    }

    void binaryGarbage()
    {
        auto engine =
            engineFor(u"garbage"_s, u"sleep 0.5; head -c 2000000 /dev/urandom | tr -d 'A-Z' >> logs/app.log; "
                                    u"head -c 200000 /dev/urandom | tr -d 'A-Z' >&2; "
                                    u"echo >> logs/app.log; echo 'ERROR after garbage 1' >> logs/app.log; "
                                    u"echo; echo 'ERROR after garbage 2'"_s);
        ErrorTracker *tracker = engine->engine().errorTracker();
        engine->fleet().start(u"app"_s);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(tracker, u"ERROR after garbage <n>"_s), 2, 30000);
        QVERIFY(stopFleet(engine->fleet()));
    }

    void fileReplacedByAFifo()
    {
        auto engine = engineFor(u"fifo"_s, u"true"_s);
        const QString cwd = m_dir.filePath(u"fifo"_s);
        const QString log = cwd + u"/logs/app.log"_s;
        {
            QFile f(log);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        ErrorTracker *tracker = engine->engine().errorTracker();
        QSignalSpy problems(tracker, &ErrorTracker::problem);
        QSignalSpy events(&engine->engine(), &Engine::eventLogged);
        // The engine was built before the file existed: a later scan finds it.
        QTRY_COMPARE_WITH_TIMEOUT(tracker->watchedFiles(u"app"_s), QStringList{log}, 5000);

        QVERIFY(QFile::remove(log));
        QCOMPARE(::mkfifo(QFile::encodeName(log).constData(), 0600), 0);
        // A second FIFO the glob matches from the start.
        QCOMPARE(::mkfifo(QFile::encodeName(cwd + u"/logs/pipe.log"_s).constData(), 0600), 0);
        QElapsedTimer t;
        t.start();
        QTRY_COMPARE_WITH_TIMEOUT(problems.size(), 2, 10000);
        QVERIFY(t.elapsed() < 9000);
        QStringList texts;
        for (const auto &args : problems)
            texts.append(args.at(1).toString());
        texts.sort();
        QCOMPARE(texts, (QStringList{
                            u"errors: service \"app\": %1 is a FIFO, not a regular file; not read"_s.arg(log),
                            u"errors: service \"app\": %1/logs/pipe.log is a FIFO, not a regular file; not "
                            u"read"_s.arg(cwd)}));
        QVERIFY(tracker->watchedFiles(u"app"_s).isEmpty());
        // Said once, into the event log too, and not again on later scans.
        QTRY_VERIFY(std::any_of(events.begin(), events.end(), [](const QList<QVariant> &a) {
            return a.at(1).toString().contains(u"FIFO"_s);
        }));
        tracker->pollNow();
        QCOMPARE(problems.size(), 2);

        // A regular file again: followed again, and read from its start (it is new).
        QVERIFY(QFile::remove(log));
        {
            QFile f(log);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("ERROR back 1\n");
        }
        QTRY_COMPARE_WITH_TIMEOUT(countOf(tracker, u"ERROR back <n>"_s), 1, 10000);
    }
};

QTEST_GUILESS_MAIN(TestHostileErrors)
#include "tst_hostile_errors.moc"
