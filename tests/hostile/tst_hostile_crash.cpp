// Crash records of a hostile service: before it crashes it prints one
// 50 MB line without a break and binary garbage. The record stays small
// (each line and the whole output capped), readable (control bytes
// replaced) and the engine's thread is not held up reading the log back.
#include "config/configloader.h"
#include "diagnostics/crashrecorder.h"
#include "diagnostics/crashstore.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestHostileCrash : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private slots:
    void hugeLineAndGarbageBeforeTheCrash()
    {
        // 50 MB of 'x' in one line, then bytes that are not UTF-8 and control
        // characters, a last stderr line, and exit 9.
        const QByteArray script = "head -c 50000000 /dev/zero | tr '\\\\0' x; printf "
                                  "'\\\\n\\\\377\\\\376\\\\001\\\\033[31mgarbage\\\\n';"
                                  " echo last words >&2; exit 9";
        const LoadResult loaded =
            ConfigLoader::loadString("[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                                         "\"\n[[service]]\nname = \"hostile\"\nrestart = \"never\"\n"
                                         "command = [\"/bin/sh\", \"-c\", \"" +
                                         script +
                                         "\"]\n"
                                         "[service.logs]\nmax_size = \"200MB\"\n",
                                     u"t.toml"_s);
        QVERIFY2(loaded.ok(), loaded.errors.isEmpty() ? "" : qPrintable(loaded.errors.first().toString()));
        TestEngine engine(*loaded.config);
        QSignalSpy recorded(&engine.engine(), &Engine::crashRecorded);

        // The loop's longest pause while the record is made.
        QElapsedTimer sinceTick;
        qint64 longestGapMs = 0;
        QTimer ticker;
        ticker.setInterval(10);
        connect(&ticker, &QTimer::timeout, this, [&] {
            if (sinceTick.isValid())
                longestGapMs = std::max(longestGapMs, sinceTick.restart());
            else
                sinceTick.start();
        });
        engine.fleet().start(u"hostile"_s);
        ticker.start();
        QVERIFY(recorded.wait(60000));
        ticker.stop();

        const auto summary = recorded.at(0).at(0).value<CrashSummary>();
        QCOMPARE(summary.exitCode, 9);
        const auto r = engine.engine().crashes()->record(u"hostile"_s, summary.id);
        QVERIFY(r);
        QVERIFY(!r->output.isEmpty());
        // (Which of the last two comes first is the logger's call: it was
        // still draining 50 MB of stdout when the stderr line came.)
        const auto has = [&r](bool err, const QString &text) {
            return std::any_of(r->output.begin(), r->output.end(), [&](const CrashRecord::OutputLine &l) {
                return l.err == err && l.text.contains(text);
            });
        };
        QVERIFY(has(true, u"last words"_s));
        QVERIFY(has(false, u"garbage"_s));
        qsizetype total = 0;
        for (const CrashRecord::OutputLine &l : r->output) {
            QVERIFY(l.text.size() <= CrashRecord::kMaxLineChars + 40);
            for (QChar c : l.text)
                QVERIFY2(c.unicode() >= 0x20 || c == u'\t', "control characters are replaced");
            total += l.text.size();
        }
        QVERIFY(total <= CrashRecord::kMaxOutputChars);
        QVERIFY(r->toMarkdown().size() < 2 * CrashRecord::kMaxOutputChars);
        // Reading back is bounded by CrashRecorder::kMaxReadBytes per file,
        // not by the 50 MB: far below a second even on a loaded machine.
        QVERIFY2(longestGapMs < 1000, qPrintable(u"the loop stalled for %1 ms"_s.arg(longestGapMs)));
    }
};

QTEST_GUILESS_MAIN(TestHostileCrash)
#include "tst_hostile_crash.moc"
