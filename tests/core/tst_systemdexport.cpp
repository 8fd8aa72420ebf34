// A Lifeline service -> a systemd unit (core/config/systemdexport.h): one
// row per configuration key and the unit lines it becomes, and the units of
// a representative configuration checked by systemd's own
// `systemd-analyze verify` where it is installed.
#include "config/configloader.h"
#include "config/systemdexport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// A dependency "db", then "svc" with `keys` at the end of its table (and
// `command = ["/bin/echo", "hi"]` unless keys has a command).
Config load(const QString &keys)
{
    const QString command =
        keys.contains(u"command = "_s) ? QString() : u"command = [\"/bin/echo\", \"hi\"]\n"_s;
    const QString toml = u"[settings]\n"
                         "state_dir = \"/var/tmp/lifeline-export-state\"\n"
                         "\n"
                         "[[service]]\n"
                         "name = \"db\"\n"
                         "command = [\"/bin/true\"]\n"
                         "\n"
                         "[[service]]\n"
                         "name = \"svc\"\n"_s +
                         command + keys + u'\n';
    const LoadResult r = ConfigLoader::loadString(toml.toUtf8(), u"/etc/lifeline/lifeline.toml"_s);
    if (!r.ok()) {
        for (const Diagnostic &d : r.errors)
            qWarning().noquote() << d.toString();
        return {};
    }
    return *r.config;
}

} // namespace

class TestSystemdExport : public QObject
{
    Q_OBJECT

private slots:
    void quoteWord_data()
    {
        QTest::addColumn<QString>("word");
        QTest::addColumn<QString>("quoted");
        QTest::newRow("plain") << u"--port=8000"_s << u"--port=8000"_s;
        QTest::newRow("blank") << u"a b"_s << u"\"a b\""_s;
        QTest::newRow("empty") << QString() << u"\"\""_s;
        QTest::newRow("percent: no specifier") << u"50%"_s << u"50%%"_s;
        QTest::newRow("dollar: no variable") << u"$HOME"_s << u"$$HOME"_s;
        QTest::newRow("double quotes") << u"say \"hi\""_s << u"\"say \\\"hi\\\"\""_s;
        QTest::newRow("single quote") << u"it's"_s << u"\"it's\""_s;
        QTest::newRow("backslash") << u"a\\b"_s << u"\"a\\\\b\""_s;
        QTest::newRow("lone semicolon: not a separator") << u";"_s << u"\";\""_s;
        QTest::newRow("all at once") << u"%h $x \"y\""_s << u"\"%%h $$x \\\"y\\\"\""_s;
    }
    void quoteWord()
    {
        QFETCH(QString, word);
        QFETCH(QString, quoted);
        QCOMPARE(systemdQuoteWord(word), quoted);
    }

    void unitName() { QCOMPARE(systemdUnitName(u"api.v2"_s), u"lifeline-api.v2.service"_s); }

    // Every key: what it is in the config, and the lines it gives (and must not give).
    void keyToUnitLines_data()
    {
        QTest::addColumn<QString>("keys");
        QTest::addColumn<bool>("user");
        QTest::addColumn<QStringList>("present");
        QTest::addColumn<QStringList>("absent");
        QTest::newRow("defaults") << QString() << false
                                  << QStringList{u"ExecStart=/bin/echo hi"_s,
                                                 u"WorkingDirectory=/var/tmp/lifeline-export-state"_s,
                                                 u"Restart=on-failure"_s,
                                                 u"RestartSec=3s"_s,
                                                 u"StartLimitBurst=11"_s,
                                                 u"StartLimitIntervalSec=300s"_s,
                                                 u"KillSignal=SIGTERM"_s,
                                                 u"TimeoutStopSec=10s"_s,
                                                 u"User=tester"_s,
                                                 u"WantedBy=multi-user.target"_s,
                                                 u"Type=exec"_s}
                                  << QStringList{u"MemoryMax="_s, u"After="_s, u"Requires="_s,
                                                 u"Environment="_s, u"WantedBy=default.target"_s};
        QTest::newRow("--user") << QString() << true
                                << QStringList{u"WantedBy=default.target"_s,
                                               u"# Without a login session: `loginctl enable-linger $USER`"_s}
                                << QStringList{u"User="_s, u"WantedBy=multi-user.target"_s};
        QTest::newRow("command quoting")
            << u"command = [\"/bin/echo\", \"a b\", \"50%\", \"$HOME\", \"say \\\"hi\\\"\"]"_s << true
            << QStringList{u"ExecStart=/bin/echo \"a b\" 50%% $$HOME \"say \\\"hi\\\"\""_s} << QStringList{};
        QTest::newRow("shell") << u"shell = true\n"
                                  "command = \"echo $HOME | cat\""_s
                               << true << QStringList{u"ExecStart=/bin/sh -c \"echo $$HOME | cat\""_s}
                               << QStringList{};
        QTest::newRow("relative command: made absolute in cwd")
            << u"command = [\"./server\", \"-v\"]\n"
               "cwd = \"/tmp\""_s
            << true << QStringList{u"ExecStart=/tmp/server -v"_s} << QStringList{};
        QTest::newRow("bare command: PATH note")
            << u"command = [\"python3\", \"-m\", \"app\"]"_s << true
            << QStringList{u"ExecStart=python3 -m app"_s, u"# \"python3\" is looked up in systemd's PATH, "
                                                          u"not your shell's: write its absolute path "
                                                          "if it is not found"_s}
            << QStringList{};
        QTest::newRow("cwd") << u"cwd = \"/tmp\""_s << true << QStringList{u"WorkingDirectory=/tmp"_s}
                             << QStringList{};
        QTest::newRow("env") << u"env = { B = \"x y\", A = \"50%\", C = 'say \"hi\"', D = \"$HOME\" }"_s
                             << true
                             << QStringList{u"Environment=\"A=50%%\""_s, u"Environment=\"B=x y\""_s,
                                            u"Environment=\"C=say \\\"hi\\\"\""_s,
                                            u"Environment=\"D=$HOME\""_s}
                             << QStringList{};
        QTest::newRow("restart always")
            << u"restart = \"always\""_s << true << QStringList{u"Restart=always"_s} << QStringList{};
        QTest::newRow("restart never")
            << u"restart = \"never\""_s << true << QStringList{u"Restart=no"_s} << QStringList{};
        QTest::newRow("restart_delay") << u"restart_delay = \"1500ms\""_s << true
                                       << QStringList{u"RestartSec=1500ms"_s} << QStringList{};
        QTest::newRow("max_restarts, restart_window")
            << u"max_restarts = 4\n"
               "restart_window = \"2m\""_s
            << true << QStringList{u"StartLimitBurst=5"_s, u"StartLimitIntervalSec=120s"_s} << QStringList{};
        QTest::newRow("stop_signal, stop_timeout")
            << u"stop_signal = \"INT\"\n"
               "stop_timeout = \"30s\""_s
            << true << QStringList{u"KillSignal=SIGINT"_s, u"TimeoutStopSec=30s"_s} << QStringList{};
        QTest::newRow("memory_limit")
            << u"memory_limit = \"512MiB\""_s << true << QStringList{u"MemoryMax=536870912"_s}
            << QStringList{u"# memory_limit_for"_s};
        QTest::newRow("memory_limit_for")
            << u"memory_limit = \"1GB\"\n"
               "memory_limit_for = \"30s\""_s
            << true
            << QStringList{u"MemoryMax=1000000000"_s, u"# memory_limit_for = 30s: MemoryMax= acts at once "
                                                      "(the kernel OOM-kills)"_s}
            << QStringList{};
        QTest::newRow("depends_on") << u"depends_on = [\"db\"]"_s << true
                                    << QStringList{u"After=lifeline-db.service"_s,
                                                   u"Requires=lifeline-db.service"_s}
                                    << QStringList{u"# depends_on"_s};
        QTest::newRow("http health, restart_on_unhealthy")
            << u"[service.health]\n"
               "url = \"http://127.0.0.1:9/health\"\n"
               "interval = \"15s\"\n"
               "restart_on_unhealthy = true"_s
            << true
            << QStringList{u"# health: HTTP check of http://127.0.0.1:9/health every 15s: systemd has no "
                           u"HTTP "
                           "health checks; use a monitoring system or a timer unit that curls it"_s,
                           u"# restart_on_unhealthy = true: systemd restarts only on exit, not on a failed "
                           u"check "
                           "(WatchdogSec= needs the service to call sd_notify)"_s}
            << QStringList{};
        QTest::newRow("tcp health")
            << u"[service.health]\n"
               "tcp = \"127.0.0.1:5432\""_s
            << true
            << QStringList{u"# health: TCP check of 127.0.0.1:5432 every 30s: systemd has "
                           "no health checks"_s}
            << QStringList{u"# restart_on_unhealthy"_s};
        QTest::newRow("backoff")
            << u"backoff_factor = 3.0\n"
               "backoff_max = \"2m\""_s
            << true
            << QStringList{u"# backoff_factor = 3, backoff_max = 120s: systemd 252 waits the "
                           "same RestartSec= every time"_s}
            << QStringList{};
        QTest::newRow("no backoff, no note")
            << u"backoff_factor = 1.0"_s << true << QStringList{} << QStringList{u"# backoff_factor"_s};
        QTest::newRow("cpu_limit")
            << u"cpu_limit = 50"_s << true
            << QStringList{u"# cpu_limit = 50%: Lifeline restarts above it; the nearest "
                           "systemd setting, CPUQuota=50%, throttles instead"_s}
            << QStringList{u"CPUQuota=50"_s};
        QTest::newRow("ports")
            << u"ports = [8000, 8001]"_s << true
            << QStringList{u"# ports = [8000, 8001]: systemd does not check that they are free "
                           "before starting"_s}
            << QStringList{};
        QTest::newRow("stable_after, fatal_retry")
            << u"stable_after = \"1m\"\n"
               "fatal_retry = \"10m\""_s
            << true
            << QStringList{u"# stable_after = 60s: systemd forgets restarts by StartLimitIntervalSec= only"_s,
                           u"# fatal_retry = 600s: after the start limit systemd leaves the unit failed "
                           u"until "
                           "`systemctl reset-failed`"_s}
            << QStringList{};
        QTest::newRow("autostart false")
            << u"autostart = false"_s << true
            << QStringList{u"# autostart = false: do not `systemctl enable` this "
                           "unit; start it by hand"_s}
            << QStringList{};
        QTest::newRow("logs") << u"[service.logs]\n"
                                 "max_size = \"1MB\""_s
                              << true
                              << QStringList{u"# logs: output goes to the journal (journalctl -u "
                                             "lifeline-svc.service); its size is journald's setting"_s}
                              << QStringList{};
    }
    void keyToUnitLines()
    {
        QFETCH(QString, keys);
        QFETCH(bool, user);
        QFETCH(QStringList, present);
        QFETCH(QStringList, absent);
        const Config config = load(keys);
        QVERIFY(config.service(u"svc"_s));
        const QString unit = systemdUnit(config, *config.service(u"svc"_s), {user, u"tester"_s});
        const QStringList lines = unit.split(u'\n');
        for (const QString &line : present)
            QVERIFY2(lines.contains(line), qPrintable(u"no line \"%1\" in\n%2"_s.arg(line, unit)));
        for (const QString &start : absent) {
            for (const QString &line : lines)
                QVERIFY2(!line.startsWith(start), qPrintable(u"unexpected \"%1\" in\n%2"_s.arg(line, unit)));
        }
        QVERIFY(unit.endsWith(u"\n"_s));
    }

    // The [Unit], [Service] and [Install] sections, in that order, with the
    // start limit in [Unit], where systemd reads it.
    void sections()
    {
        const Config config = load(u"depends_on = [\"db\"]"_s);
        const QString unit = systemdUnit(config, *config.service(u"svc"_s), {});
        const qsizetype u = unit.indexOf(u"\n[Unit]\n"_s);
        const qsizetype s = unit.indexOf(u"\n[Service]\n"_s);
        const qsizetype i = unit.indexOf(u"\n[Install]\n"_s);
        QVERIFY(u >= 0 && u < s && s < i);
        QVERIFY(unit.indexOf(u"StartLimitBurst="_s) < s);
        QVERIFY(unit.indexOf(u"After="_s) < s);
        QVERIFY(unit.indexOf(u"ExecStart="_s) > s && unit.indexOf(u"ExecStart="_s) < i);
    }

    // systemd itself reads every unit of a configuration that uses each key.
    void systemdAnalyzeVerify_data()
    {
        QTest::addColumn<bool>("user");
        QTest::newRow("system units") << false;
        QTest::newRow("user units") << true;
    }
    void systemdAnalyzeVerify()
    {
        QFETCH(bool, user);
        const QString analyze = QStandardPaths::findExecutable(u"systemd-analyze"_s);
        if (analyze.isEmpty())
            QSKIP("systemd-analyze is not installed (Debian package systemd)");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const Config config =
            load(u"command = [\"/bin/echo\", \"a b\", \"50%\", \"$HOME\", \"say \\\"hi\\\"\", "
                 u"\"back\\\\slash\", \";\"]\n"
                 "cwd = \"/tmp\"\n"
                 "env = { A = \"x y\", P = \"50%\", Q = 'say \"hi\"', D = \"$HOME\", N = \"two\\nlines\" }\n"
                 "depends_on = [\"db\"]\n"
                 "ports = [8000]\n"
                 "restart = \"always\"\n"
                 "restart_delay = \"1500ms\"\n"
                 "max_restarts = 0\n"
                 "restart_window = \"1m\"\n"
                 "stop_signal = \"INT\"\n"
                 "stop_timeout = \"1m30s\"\n"
                 "memory_limit = \"512MiB\"\n"
                 "memory_limit_for = \"10s\"\n"
                 "cpu_limit = 150\n"
                 "autostart = false\n"
                 "\n"
                 "[service.health]\n"
                 "url = \"http://127.0.0.1:8000/health\"\n"
                 "restart_on_unhealthy = true\n"
                 "\n"
                 "[[service]]\n"
                 "name = \"sh\"\n"
                 "shell = true\n"
                 "command = \"echo \\\"$HOME\\\" 50% | cat; exit 0\"\n"
                 ""_s);
        QCOMPARE(config.services.size(), 3);
        QStringList files;
        for (const ServiceSpec &spec : config.services) {
            QFile f(dir.filePath(systemdUnitName(spec.name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(systemdUnit(config, spec, {user, user ? QString() : u"root"_s}).toUtf8());
            files << f.fileName();
        }
        QTemporaryDir runtime; // a user manager needs XDG_RUNTIME_DIR, which a CI job may not have
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"XDG_RUNTIME_DIR"_s, runtime.path());
        p.setProcessEnvironment(env);
        p.start(analyze,
                (user ? QStringList{u"--user"_s} : QStringList()) + QStringList{u"verify"_s} + files);
        QVERIFY(p.waitForFinished(60'000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(err));
        // Warnings do not change the exit code: nothing may be said about our files.
        QVERIFY2(!err.contains(dir.path()), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestSystemdExport)
#include "tst_systemdexport.moc"
