// `lifelinectl report` on a bad day: --out on a full disk or a read-only
// folder leaves the file that was there untouched and names the cause; a
// configuration file replaced by a FIFO or grown huge does not stall the
// engine that builds the report; with no Lifeline running the report is
// built from the configuration and state_dir alone, and with one running it
// is the live one.
#include "config/configloader.h"
#include "control/controlpaths.h"
#include "diagnostics/diagnosticreport.h"
#include "testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestHostileReport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString writeConfig(const QString &name, const QByteArray &services = {})
    {
        const QString path = m_dir.filePath(name + u".toml"_s);
        QFile f(path);
        const QByteArray toml = "# " + name.toUtf8() + "\n[settings]\nstate_dir = \"" +
                                m_dir.filePath(name + u"-state"_s).toUtf8() + "\"\n" + services;
        if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
            return {};
        return path;
    }

    // lifelinectl run inside a private mount namespace where `mnt` is a
    // small tmpfs holding report.md ("old report"); `prepare` runs first
    // (fill it, remount it read-only). Prints report.md at the end.
    CtlRun runInTinyTmpfs(const QString &prepare, const QString &config)
    {
        const QString unshare = QStandardPaths::findExecutable(u"unshare"_s);
        const QString mnt = m_dir.filePath(u"mnt"_s);
        QDir().mkpath(mnt);
        const QString script = uR"(mount -t tmpfs -o size=256k tmpfs "$1" || exit 77
printf 'old report' > "$1/report.md" || exit 78
)"_s + prepare + uR"(
"$2" --config "$3" report --out "$1/report.md"
rc=$?
printf '\n--- report.md:'
cat "$1/report.md"
exit $rc
)"_s;
        QProcess p;
        p.start(unshare,
                {u"-Urm"_s, u"sh"_s, u"-c"_s, script, u"sh"_s, mnt, QStringLiteral(LIFELINE_CTL), config});
        CtlRun r;
        r.finished = p.waitForFinished(60000);
        r.exitCode = p.exitCode();
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    void skipWithoutTmpfs()
    {
        if (QStandardPaths::findExecutable(u"unshare"_s).isEmpty())
            QSKIP("unshare(1) is not installed: no private mount namespace for a small tmpfs");
        QProcess probe;
        probe.start(u"unshare"_s,
                    {u"-Urm"_s, u"sh"_s, u"-c"_s, u"mount -t tmpfs tmpfs \"$1\""_s, u"sh"_s, m_dir.path()});
        if (!probe.waitForFinished(15000) || probe.exitCode() != 0)
            QSKIP("cannot mount a tmpfs in a private namespace here (unshare -Urm)");
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void outOnAFullDiskKeepsTheOldFile()
    {
        skipWithoutTmpfs();
        const QString config =
            writeConfig(u"full"_s, "[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"1\"]\n");
        const CtlRun r =
            runInTinyTmpfs(u"dd if=/dev/zero of=\"$1/filler\" bs=4k 2>/dev/null; true"_s, config);
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"cannot write the report to "_s) && r.err.contains(u"report.md"_s) &&
                     r.err.contains(u"No space left on device"_s),
                 qPrintable(r.err));
        QVERIFY2(r.out.endsWith(u"--- report.md:old report"_s), qPrintable(r.out));
    }

    void outInAReadOnlyFolderKeepsTheOldFile()
    {
        skipWithoutTmpfs();
        const QString config = writeConfig(u"ro"_s);
        const CtlRun r = runInTinyTmpfs(u"mount -o remount,ro \"$1\" || exit 79"_s, config);
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"report.md"_s) && r.err.contains(u"Read-only file system"_s),
                 qPrintable(r.err));
        QVERIFY2(r.out.endsWith(u"--- report.md:old report"_s), qPrintable(r.out));
    }

    void outReplacesAtomically()
    {
        const QString config = writeConfig(u"replace"_s);
        const QString out = m_dir.filePath(u"replace-report.md"_s);
        QFile old(out);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("old report");
        old.close();
        const CtlRun r = runLifelinectl({u"--config"_s, config, u"report"_s, u"--out"_s, out});
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), u"report written to "_s + out);
        QVERIFY(r.err.contains(u"no Lifeline is running"_s));
        QFile now(out);
        QVERIFY(now.open(QIODevice::ReadOnly));
        QVERIFY(now.readAll().startsWith("# Lifeline diagnostic report\n"));
        // Nothing left beside it.
        QCOMPARE(QDir(m_dir.path()).entryList({u"replace-report.md*"_s}, QDir::Files).size(), 1);
    }

    void withoutLifelineAndWithIt()
    {
        const quint16 port = freePort();
        const QString config = writeConfig(
            u"live"_s, "[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                       "\", \"--port\", \"" +
                           QByteArray::number(port) + "\"]\nenv = { SECRET_KEY = \"do-not-show\" }\n");
        // No Lifeline: from the configuration alone, said on stderr and in the report.
        CtlRun r = runLifelinectl({u"--config"_s, config, u"report"_s});
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains(u"no Lifeline is running for "_s) && r.err.contains(u"state_dir alone"_s),
                 qPrintable(r.err));
        QVERIFY(r.out.contains(u"- Lifeline: **not running**"_s));
        QVERIFY(r.out.contains(u"SECRET_KEY = \"***\""_s));
        QVERIFY(!r.out.contains(u"do-not-show"_s));

        // --socket names no configuration to read.
        r = runLifelinectl({u"--socket"_s, m_dir.filePath(u"nothing.sock"_s), u"report"_s});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains(u"give --config FILE"_s));

        HeadlessProcess headless;
        headless.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, config});
        QVERIFY(headless.process.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(port), 20000);
        r = runLifelinectl({u"--config"_s, config, u"report"_s});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"- Lifeline: running"_s), qPrintable(r.out + r.err));
        QVERIFY(r.out.contains(u"| api | running |"_s));
        QVERIFY(r.err.isEmpty());
        QVERIFY(!r.out.contains(u"do-not-show"_s));
    }

    // The engine reads the configuration file while it builds a report: a
    // FIFO put in its place, or a file grown huge, must cost it nothing.
    void configTurnedIntoAFifoOrHuge()
    {
        const QString config = writeConfig(u"swap"_s);
        const LoadResult loaded = ConfigLoader::loadFile(config);
        QVERIFY(loaded.ok());
        TestEngine engine(*loaded.config);

        QVERIFY(QFile::remove(config));
        QCOMPARE(::mkfifo(QFile::encodeName(config).constData(), 0600), 0);
        QElapsedTimer timer;
        timer.start();
        QString report = engine.engine().diagnosticReport();
        QVERIFY(timer.elapsed() < 5000);
        QVERIFY2(report.contains(u"not a regular file"_s), qPrintable(report.right(500)));
        QCOMPARE(report.count(u"\n## "_s), DiagnosticReport::sectionTitles().size());

        QVERIFY(QFile::remove(config));
        QFile huge(config);
        QVERIFY(huge.open(QIODevice::WriteOnly));
        QVERIFY(huge.resize(DiagnosticReport::kMaxConfigBytes * 20));
        huge.close();
        timer.restart();
        report = engine.engine().diagnosticReport();
        QVERIFY(timer.elapsed() < 5000);
        QVERIFY2(report.contains(u"more than the 1 MB a report includes; not shown"_s),
                 qPrintable(report.right(500)));
        QVERIFY(report.size() < 200'000);
    }
};

QTEST_GUILESS_MAIN(TestHostileReport)
#include "tst_hostile_report.moc"
