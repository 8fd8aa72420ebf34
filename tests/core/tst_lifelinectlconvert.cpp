// lifelinectl export systemd / import: the real binary, without a running
// Lifeline. Exit codes (design.md): 0 ok, 1 failed (a file that cannot be
// read or written, an --out that exists, an unknown service), 2 usage or
// configuration error (the message names FILE:LINE).
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

CtlRun ctl(const QStringList &args)
{
    return runLifelinectl(args);
}

QString fixture(const QString &name)
{
    return QStringLiteral(LIFELINE_TEST_DATA) + u"/import/"_s + name;
}

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestLifelinectlConvert : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime; // no Lifeline is running anywhere we look
    QTemporaryDir m_dir;
    QString m_config;

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid() && m_dir.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        m_config = m_dir.filePath(u"lifeline.toml"_s);
        QVERIFY(
            write(m_config, "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                                "\"\n\n[[service]]\nname = \"db\"\ncommand = [\"/bin/true\"]\n\n"
                                "[[service]]\nname = \"api\"\ncommand = [\"/bin/echo\", \"50% of $HOME\"]\n"
                                "depends_on = [\"db\"]\nmemory_limit = \"100MiB\"\n"
                                "[service.health]\nurl = \"http://127.0.0.1:9/health\"\n"));
    }

    void helpListsTheCommands()
    {
        const CtlRun r = ctl({u"--help"_s});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(u"export systemd NAME|all [--user] [--out DIR]"_s));
        QVERIFY(r.out.contains(u"import procfile|supervisord|pm2 FILE [--out FILE]"_s));
    }

    void exportOneToStdout()
    {
        const CtlRun r = ctl({u"--config"_s, m_config, u"export"_s, u"systemd"_s, u"api"_s, u"--user"_s});
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.split(u'\n');
        QVERIFY2(lines.contains(u"ExecStart=/bin/echo \"50%% of $$HOME\""_s), qPrintable(r.out));
        QVERIFY(lines.contains(u"Requires=lifeline-db.service"_s));
        QVERIFY(lines.contains(u"MemoryMax=104857600"_s));
        QVERIFY(lines.contains(u"WantedBy=default.target"_s));
        QVERIFY(r.out.contains(u"\n# health: HTTP check of http://127.0.0.1:9/health"_s));
    }

    void exportAllToDirNeverOverwrites()
    {
        const QString out = m_dir.filePath(u"units"_s);
        CtlRun r = ctl({u"export"_s, u"systemd"_s, u"all"_s, u"--out"_s, out, u"--config"_s, m_config});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QDir(out).entryList(QDir::Files),
                 (QStringList{u"lifeline-api.service"_s, u"lifeline-db.service"_s}));
        QVERIFY(read(out + u"/lifeline-db.service"_s).contains("WantedBy=multi-user.target\n"));

        QVERIFY(write(out + u"/lifeline-db.service"_s, "mine\n"));
        QVERIFY(QFile::remove(out + u"/lifeline-api.service"_s));
        r = ctl({u"--config"_s, m_config, u"export"_s, u"systemd"_s, u"all"_s, u"--out"_s, out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(out + u"/lifeline-db.service: already exists; not overwritten"_s),
                 qPrintable(r.err));
        QCOMPARE(read(out + u"/lifeline-db.service"_s), QByteArray("mine\n"));
        QVERIFY(!QFile::exists(out + u"/lifeline-api.service"_s)); // nothing written at all
    }

    void exportMistakes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("all without --out") << QStringList{u"export"_s, u"systemd"_s, u"all"_s} << 2
                                           << u"export systemd all needs --out DIR"_s;
        QTest::newRow("no name") << QStringList{u"export"_s, u"systemd"_s} << 2
                                 << u"usage: export systemd NAME|all [--user] [--out DIR]"_s;
        QTest::newRow("another format")
            << QStringList{u"export"_s, u"launchd"_s, u"api"_s} << 2 << u"usage: export systemd"_s;
        QTest::newRow("--out without a path") << QStringList{u"export"_s, u"systemd"_s, u"api"_s, u"--out"_s}
                                              << 2 << u"export: --out needs a path"_s;
        QTest::newRow("an unknown option") << QStringList{u"export"_s, u"systemd"_s, u"api"_s, u"--json"_s}
                                           << 2 << u"export: unexpected argument \"--json\""_s;
        QTest::newRow("unknown service") << QStringList{u"export"_s, u"systemd"_s, u"nope"_s} << 1
                                         << u"lifelinectl: no service \"nope\" in "_s;
    }
    void exportMistakes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const CtlRun r = ctl(QStringList{u"--config"_s, m_config} + args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void exportWithSocketIsAUsageError()
    {
        const CtlRun r = ctl({u"--socket"_s, u"/nonexistent"_s, u"export"_s, u"systemd"_s, u"api"_s});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(u"export reads the configuration file: give --config FILE, not --socket"_s));
    }

    void exportOfABadConfigNamesTheLine()
    {
        const QString bad = m_dir.filePath(u"bad.toml"_s);
        QVERIFY(write(bad, "[[service]]\nname = \"a\"\ncommand = [\"/bin/a\"]\nrestart = \"sometimes\"\n"));
        const CtlRun r = ctl({u"--config"_s, bad, u"export"_s, u"systemd"_s, u"a"_s});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(bad + u":4:"_s), qPrintable(r.err));
    }

    // What import prints is what check-config accepts.
    void importThenCheckConfig_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("services");
        QTest::newRow("Procfile") << u"procfile"_s << u"Procfile"_s << 3;
        QTest::newRow("supervisord.conf") << u"supervisord"_s << u"supervisord.conf"_s << 3;
        QTest::newRow("ecosystem.json") << u"pm2"_s << u"ecosystem.json"_s << 3;
        QTest::newRow("ecosystem.yaml") << u"pm2"_s << u"ecosystem.yaml"_s << 3;
    }
    void importThenCheckConfig()
    {
        QFETCH(QString, kind);
        QFETCH(QString, file);
        QFETCH(int, services);
        CtlRun r = ctl({u"import"_s, kind, fixture(file)});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(u"[[service]]"_s));
        const QString out = m_dir.filePath(QFileInfo(file).fileName() + u".toml"_s);
        r = ctl({u"import"_s, kind, fixture(file), u"--out"_s, out});
        QCOMPARE(r.exitCode, 0);
        r = ctl({u"check-config"_s, out});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u": ok (%1 services, 0 warnings)"_s.arg(services)),
                 qPrintable(r.out + r.err));
    }

    void importRefusesToOverwrite()
    {
        const QString out = m_dir.filePath(u"existing.toml"_s);
        QVERIFY(write(out, "# mine\n"));
        const CtlRun r = ctl({u"import"_s, u"procfile"_s, fixture(u"Procfile"_s), u"--out"_s, out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(out + u": already exists; not overwritten"_s), qPrintable(r.err));
        QCOMPARE(read(out), QByteArray("# mine\n"));
    }

    void importMistakes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown format") << QStringList{u"import"_s, u"compose"_s, u"x"_s} << 2
                                        << u"usage: import procfile|supervisord|pm2 FILE [--out FILE]"_s;
        QTest::newRow("no file") << QStringList{u"import"_s, u"procfile"_s} << 2 << u"usage: import"_s;
        QTest::newRow("--user is export's") << QStringList{u"import"_s, u"procfile"_s, u"P"_s, u"--user"_s}
                                            << 2 << u"import: unexpected argument \"--user\""_s;
        QTest::newRow("missing file") << QStringList{u"import"_s, u"procfile"_s, u"/nonexistent/Procfile"_s}
                                      << 1 << u"lifelinectl: cannot read"_s;
    }
    void importMistakes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const CtlRun r = ctl(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void importOfABadFileNamesTheLine()
    {
        const QString conf = m_dir.filePath(u"bad.conf"_s);
        QVERIFY(write(conf, "[program:a]\ncommand=/bin/a\nenvironment=A=\"%(ENV_SURELY_NOT_SET_42)s\"\n"));
        const CtlRun r = ctl({u"import"_s, u"supervisord"_s, conf});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(conf + u":3: %(ENV_SURELY_NOT_SET_42)s: not defined"_s), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestLifelinectlConvert)
#include "tst_lifelinectlconvert.moc"
