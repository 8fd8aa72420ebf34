// Tests for the TOML configuration loader: every error a person can make in a
// config file, with the exact FILE:LINE:COL they are pointed at, the typo
// warnings, the values of a full example, and the command line splitter.

#include "config/configloader.h"
#include "config/configwriter.h"
#include "config/servicespec.h"
#include "fixtures/config/chain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace lifeline;
using namespace std::chrono_literals;

namespace {

const QString kFile = u"/configs/lifeline.toml"_s;

// A valid service "api" on lines 1-3; `extra` starts on line 4.
QByteArray api(const QByteArray &extra)
{
    return "[[service]]\nname = \"api\"\ncommand = [\"x\"]\n" + extra;
}

QString dump(const QList<Diagnostic> &list)
{
    QStringList lines;
    for (const Diagnostic &d : list)
        lines.append(d.toString());
    return lines.join(u'\n');
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void errors_data();
    void errors();
    void collectsAllErrors();
    void warnings_data();
    void warnings();
    void fullExample();
    void defaults();
    void paths();
    void commandForms_data();
    void commandForms();
    void healthForms_data();
    void healthForms();
    void splitCommandLine_data();
    void splitCommandLine();
    void diagnosticToString();
    void startOrder();
    void commandHash();
    void serviceLookup();
    void loadFileMissing();
    void loadFileDirectory();
    void loadFileUnreadable();
    void loadFileReadError();
    void loadFileResolvesRelativeToFile();
    void demoConfig();
    void healthDefaultsFollowWrittenValues_data();
    void healthDefaultsFollowWrittenValues();
    void serviceNames_data();
    void serviceNames();
    void zeroServicesWarns();
    void deepDependencyChain();
    void cycleInLongChain();
    void cleanGlobsOverStateDir_data();
    void cleanGlobsOverStateDir();
    void loadFileFifo();
    void loadFileDevice();
    void loadFileTooLarge();
    void loadFileThroughSymlink();
    void writerRefusesFifo();
};

void TestConfig::errors_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QStringList>("mentions");

    // Syntax
    QTest::newRow("syntax: missing value")
        << QByteArray("[[service]]\nname = \n") << 2 << 8 << QStringList{u"syntax error"_s};
    QTest::newRow("syntax: duplicate key")
        << api("name = \"b\"\n") << 4 << 8 << QStringList{u"syntax error"_s, u"name"_s};

    // name
    QTest::newRow("name missing") << QByteArray("[[service]]\ncommand = [\"x\"]\n") << 1 << 1
                                  << QStringList{u"service #1"_s, u"name: missing"_s};
    QTest::newRow("name empty") << QByteArray("[[service]]\nname = \"\"\ncommand = [\"x\"]\n") << 2 << 8
                                << QStringList{u"service #1"_s, u"name: must not be empty"_s};
    QTest::newRow("name invalid") << QByteArray("[[service]]\nname = \"my api\"\ncommand = [\"x\"]\n") << 2
                                  << 8 << QStringList{u"service \"my api\""_s, u"name: invalid name"_s};
    QTest::newRow("name too long") << ("[[service]]\nname = \"" + QByteArray(65, 'a') +
                                       "\"\ncommand = [\"x\"]\n")
                                   << 2 << 8 << QStringList{u"name: invalid name"_s, u"1-64"_s};
    QTest::newRow("name wrong type") << QByteArray("[[service]]\nname = 5\ncommand = [\"x\"]\n") << 2 << 8
                                     << QStringList{u"service #1"_s,
                                                    u"name: expected a string, got an integer"_s};
    QTest::newRow("name dot-dot") << QByteArray("[[service]]\nname = \"..\"\ncommand = [\"x\"]\n") << 2 << 8
                                  << QStringList{u"name: invalid name \"..\""_s, u"not starting with '.'"_s,
                                                 u"logs/NAME.log"_s};
    QTest::newRow("name hidden") << QByteArray("[[service]]\nname = \".api\"\ncommand = [\"x\"]\n") << 2 << 8
                                 << QStringList{u"name: invalid name \".api\""_s, u"not starting with '.'"_s};
    QTest::newRow("name path") << QByteArray("[[service]]\nname = \"a/../../b\"\ncommand = [\"x\"]\n") << 2
                               << 8 << QStringList{u"name: invalid name \"a/../../b\""_s};
    QTest::newRow("name unicode") << QByteArray("[[service]]\nname = \"caf\u00e9\"\ncommand = [\"x\"]\n") << 2
                                  << 8 << QStringList{u"name: invalid name \"caf\u00e9\""_s};
    QTest::newRow("name duplicate") << api("\n[[service]]\nname = \"api\"\ncommand = [\"y\"]\n") << 6 << 8
                                    << QStringList{u"service \"api\""_s, u"name: duplicate service name"_s,
                                                   u"first defined at line 2"_s};

    // command
    QTest::newRow("command missing") << QByteArray("[[service]]\nname = \"api\"\n") << 1 << 1
                                     << QStringList{u"service \"api\""_s, u"command: missing"_s};
    QTest::newRow("command empty array")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = []\n") << 3 << 11
        << QStringList{u"service \"api\""_s, u"command: must not be empty"_s};
    QTest::newRow("command empty string")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = \"  \"\n") << 3 << 11
        << QStringList{u"service \"api\""_s, u"command: must not be empty"_s};
    QTest::newRow("command empty program")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = [\"\", \"x\"]\n") << 3 << 11
        << QStringList{u"service \"api\""_s, u"command: the program name is empty"_s};
    QTest::newRow("command unterminated quote")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = \"python3 'main.py\"\n") << 3 << 11
        << QStringList{u"service \"api\""_s, u"command:"_s, u"unterminated ' quote"_s};
    QTest::newRow("command wrong type")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = 5\n") << 3 << 11
        << QStringList{u"service \"api\""_s,
                       u"command: expected a string or an array of strings, got an integer"_s};
    QTest::newRow("command element type")
        << QByteArray("[[service]]\nname = \"api\"\ncommand = [\"x\", 1]\n") << 3 << 17
        << QStringList{u"service \"api\""_s, u"command[1]: expected a string, got an integer"_s};

    // dependencies
    QTest::newRow("depends_on unknown")
        << api("depends_on = [\"db\"]\n") << 4 << 15
        << QStringList{u"service \"api\""_s, u"depends_on: unknown service \"db\""_s};
    QTest::newRow("depends_on not an array")
        << api("depends_on = \"db\"\n") << 4 << 14
        << QStringList{u"service \"api\""_s, u"depends_on: expected an array of strings, got a string"_s};
    QTest::newRow("dependency cycle")
        << QByteArray("[[service]]\nname = \"a\"\ncommand = [\"x\"]\ndepends_on = [\"b\"]\n"
                      "[[service]]\nname = \"b\"\ncommand = [\"x\"]\ndepends_on = [\"a\"]\n")
        << 8 << 15 << QStringList{u"service \"b\""_s, u"depends_on: dependency cycle a -> b -> a"_s};
    QTest::newRow("dependency cycle of three")
        << QByteArray("[[service]]\nname = \"a\"\ncommand = [\"x\"]\ndepends_on = [\"b\"]\n"
                      "[[service]]\nname = \"b\"\ncommand = [\"x\"]\ndepends_on = [\"c\"]\n"
                      "[[service]]\nname = \"c\"\ncommand = [\"x\"]\ndepends_on = [\"a\"]\n")
        << 12 << 15 << QStringList{u"service \"c\""_s, u"depends_on: dependency cycle a -> b -> c -> a"_s};
    QTest::newRow("depends on itself")
        << api("depends_on = [\"api\"]\n") << 4 << 15
        << QStringList{u"service \"api\""_s, u"depends_on: dependency cycle api -> api"_s};

    // enums
    QTest::newRow("restart enum")
        << api("restart = \"sometimes\"\n") << 4 << 11
        << QStringList{
               u"service \"api\": restart: expected one of always, on-failure, never, got \"sometimes\""_s};
    QTest::newRow("on_exit enum")
        << QByteArray("[settings]\non_exit = \"maybe\"\n") << 2 << 11
        << QStringList{u"settings: on_exit: expected one of ask, stop, keep, got \"maybe\""_s};
    QTest::newRow("stop_signal name")
        << api("stop_signal = \"FOO\"\n") << 4 << 15
        << QStringList{u"service \"api\""_s,
                       u"stop_signal: expected one of TERM, INT, QUIT, HUP, KILL, "
                       "USR1, USR2 (with or without SIG) or a number 1-64, got \"FOO\""_s};
    QTest::newRow("stop_signal number") << api("stop_signal = 99\n") << 4 << 15
                                        << QStringList{u"service \"api\""_s, u"stop_signal:"_s, u"\"99\""_s};
    QTest::newRow("stop_signal type")
        << api("stop_signal = true\n") << 4 << 15
        << QStringList{u"service \"api\""_s,
                       u"stop_signal: expected a signal name or number, got a boolean"_s};

    // types
    QTest::newRow("bool type") << api("autostart = \"yes\"\n") << 4 << 13
                               << QStringList{
                                      u"service \"api\""_s,
                                      u"autostart: expected a boolean (true or false), got a string"_s};
    QTest::newRow("int type") << api("max_restarts = \"10\"\n") << 4 << 16
                              << QStringList{u"service \"api\""_s,
                                             u"max_restarts: expected an integer, got a string"_s};
    QTest::newRow("string type") << api("cwd = 5\n") << 4 << 7
                                 << QStringList{u"service \"api\""_s,
                                                u"cwd: expected a string, got an integer"_s};
    QTest::newRow("env value type") << api("env = { PORT = 8000 }\n") << 4 << 16
                                    << QStringList{u"service \"api\""_s,
                                                   u"env.PORT: expected a string, got an integer"_s};
    QTest::newRow("env not a table") << api("env = [\"PORT=1\"]\n") << 4 << 7
                                     << QStringList{u"service \"api\""_s,
                                                    u"env: expected a table, got an array"_s};
    QTest::newRow("service is a table")
        << QByteArray("[service]\nname = \"api\"\n") << 1 << 1
        << QStringList{u"service: expected an array of tables ([[service]]), got a table"_s};
    QTest::newRow("settings not a table") << QByteArray("settings = 5\n") << 1 << 12
                                          << QStringList{u"settings: expected a table, got an integer"_s};
    QTest::newRow("state_dir type") << QByteArray("[settings]\nstate_dir = 5\n") << 2 << 13
                                    << QStringList{
                                           u"settings: state_dir: expected a string, got an integer"_s};
    QTest::newRow("cwd empty") << api("cwd = \"\"\n") << 4 << 7
                               << QStringList{u"service \"api\""_s, u"cwd: must not be empty"_s};

    // durations and sizes
    QTest::newRow("duration words")
        << api("restart_delay = \"3 seconds\"\n") << 4 << 17
        << QStringList{
               u"service \"api\": restart_delay: \"3 seconds\" is not a duration (use e.g. 500ms, 3s, 5m, 1h)"_s};
    QTest::newRow("duration integer")
        << api("restart_delay = 3\n") << 4 << 17
        << QStringList{u"service \"api\""_s,
                       u"restart_delay: expected a duration string such as \"3s\", got an integer"_s};
    QTest::newRow("duration negative") << QByteArray("[settings]\nsample_interval = \"-1s\"\n") << 2 << 19
                                       << QStringList{u"settings: sample_interval:"_s, u"negative"_s};
    QTest::newRow("duration overflow")
        << api("restart_window = \"99999999999999h\"\n") << 4 << 18
        << QStringList{u"service \"api\""_s, u"restart_window:"_s, u"too long"_s};
    QTest::newRow("fatal_retry bad") << api("fatal_retry = \"soon\"\n") << 4 << 15
                                     << QStringList{u"service \"api\""_s,
                                                    u"fatal_retry: \"soon\" is not a duration"_s};
    QTest::newRow("sample_interval too small")
        << QByteArray("[settings]\nsample_interval = \"10ms\"\n") << 2 << 19
        << QStringList{u"settings: sample_interval: must be at least 100ms"_s};
    QTest::newRow("size bad") << api("memory_limit = \"500 megs\"\n") << 4 << 16
                              << QStringList{u"service \"api\""_s,
                                             u"memory_limit: \"500 megs\" is not a size"_s};
    QTest::newRow("size negative") << api("memory_limit = -1\n") << 4 << 16
                                   << QStringList{u"service \"api\""_s, u"memory_limit: must be between 0"_s};
    QTest::newRow("cpu_limit zero") << api("cpu_limit = 0\n") << 4 << 13
                                    << QStringList{u"service \"api\""_s,
                                                   u"cpu_limit: must be between 1 and 100000, got 0"_s};
    QTest::newRow("cpu_limit as text")
        << api("cpu_limit = \"90%\"\n") << 4 << 13
        << QStringList{u"service \"api\""_s, u"cpu_limit: expected a number, got a string"_s};
    QTest::newRow("cpu_limit_for bad")
        << api("cpu_limit_for = \"a while\"\n") << 4 << 17
        << QStringList{u"service \"api\""_s, u"cpu_limit_for: \"a while\" is not a duration"_s};
    QTest::newRow("memory_limit_for bad")
        << api("memory_limit = \"100MiB\"\nmemory_limit_for = \"a bit\"\n") << 5 << 20
        << QStringList{u"service \"api\""_s, u"memory_limit_for: \"a bit\" is not a duration"_s};
    QTest::newRow("memory_limit_for a number")
        << api("memory_limit_for = 2\n") << 4 << 20
        << QStringList{u"service \"api\""_s, u"memory_limit_for: expected a duration string"_s};
    QTest::newRow("logs compress not a bool")
        << api("[service.logs]\ncompress = \"yes\"\n") << 5 << 12
        << QStringList{u"service \"api\""_s, u"logs.compress: expected a boolean (true or false)"_s};
    QTest::newRow("logs max_age bad")
        << api("[service.logs]\nmax_age = \"two weeks\"\n") << 5 << 11
        << QStringList{u"service \"api\""_s, u"logs.max_age: \"two weeks\" is not a duration"_s};
    QTest::newRow("logs max_age a number")
        << api("[service.logs]\nmax_age = 14\n") << 5 << 11
        << QStringList{u"service \"api\""_s, u"logs.max_age: expected a duration string such as \"14d\""_s};
    QTest::newRow("logs max_age too long")
        << api("[service.logs]\nmax_age = \"99999d\"\n") << 5 << 11
        << QStringList{u"service \"api\""_s, u"logs.max_age: \"99999d\" is too long"_s};
    QTest::newRow("min_free_disk bad") << QByteArray("[settings]\nmin_free_disk = \"lots\"\n") << 2 << 17
                                       << QStringList{u"settings: min_free_disk: \"lots\" is not a size"_s};
    QTest::newRow("logs max_size bad")
        << api("[service.logs]\nmax_size = \"ten\"\n") << 5 << 12
        << QStringList{u"service \"api\""_s, u"logs.max_size: \"ten\" is not a size"_s};

    // ranges
    QTest::newRow("backoff_factor low")
        << api("backoff_factor = 0.5\n") << 4 << 18
        << QStringList{u"service \"api\""_s, u"backoff_factor: must be between 1 and 100, got 0.5"_s};
    QTest::newRow("backoff_factor high")
        << api("backoff_factor = 101\n") << 4 << 18
        << QStringList{u"service \"api\""_s, u"backoff_factor: must be between"_s};
    QTest::newRow("backoff_factor type")
        << api("backoff_factor = \"2\"\n") << 4 << 18
        << QStringList{u"service \"api\""_s, u"backoff_factor: expected a number, got a string"_s};
    QTest::newRow("max_restarts negative")
        << api("max_restarts = -1\n") << 4 << 16
        << QStringList{u"service \"api\""_s, u"max_restarts: must be at least 0, got -1"_s};
    QTest::newRow("failures zero") << api("[service.health]\nurl = \"http://h/\"\nfailures = 0\n") << 6 << 12
                                   << QStringList{u"service \"api\""_s,
                                                  u"health.failures: must be between 1 and 1000, got 0"_s};
    QTest::newRow("successes zero") << api("[service.health]\ntcp = \"h:1\"\nsuccesses = 0\n") << 6 << 13
                                    << QStringList{u"service \"api\""_s,
                                                   u"health.successes: must be between 1"_s};
    QTest::newRow("backups too many")
        << api("[service.logs]\nbackups = 1001\n") << 5 << 11
        << QStringList{u"service \"api\""_s, u"logs.backups: must be between 0 and 1000, got 1001"_s};
    QTest::newRow("backups negative") << api("[service.logs]\nbackups = -1\n") << 5 << 11
                                      << QStringList{u"service \"api\""_s, u"logs.backups:"_s};
    QTest::newRow("keep_backups negative")
        << QByteArray("[recovery]\nkeep_backups = -1\n") << 2 << 16
        << QStringList{u"recovery: keep_backups: must be between 0 and 1000"_s};
    QTest::newRow("recovery clean absolute") << QByteArray("[recovery]\nclean = [\"tmp\", \"/etc/*\"]\n") << 2
                                             << 17 << QStringList{u"recovery: clean[1]:"_s, u"relative"_s};
    QTest::newRow("port zero") << api("ports = [0]\n") << 4 << 10
                               << QStringList{u"service \"api\""_s,
                                              u"ports[0]: must be between 1 and 65535, got 0"_s};
    QTest::newRow("port too big") << api("ports = [8000, 70000]\n") << 4 << 16
                                  << QStringList{u"service \"api\""_s,
                                                 u"ports[1]: must be between 1 and 65535"_s};
    QTest::newRow("port type") << api("ports = [\"80\"]\n") << 4 << 10
                               << QStringList{u"service \"api\""_s,
                                              u"ports[0]: expected an integer, got a string"_s};
    QTest::newRow("port twice in one service")
        << api("ports = [8000, 8001, 8000]\n") << 4 << 22
        << QStringList{u"service \"api\""_s, u"ports[2]: port 8000 is listed twice"_s};
    QTest::newRow("port in two services")
        << api("ports = [8000]\n[[service]]\nname = \"web\"\ncommand = [\"y\"]\nports = [9000, 8000]\n") << 8
        << 16 << QStringList{u"service \"web\""_s, u"ports: port 8000 is already used by service \"api\""_s};

    // health probes
    QTest::newRow("url scheme") << api("[service.health]\nurl = \"ftp://127.0.0.1/x\"\n") << 5 << 7
                                << QStringList{u"service \"api\""_s, u"health.url:"_s, u"http or https"_s};
    QTest::newRow("url no host") << api("[service.health]\nurl = \"http:///health\"\n") << 5 << 7
                                 << QStringList{u"service \"api\""_s, u"health.url:"_s};
    QTest::newRow("url garbage") << api("[service.health]\nurl = \"not a url\"\n") << 5 << 7
                                 << QStringList{u"service \"api\""_s, u"health.url: \"not a url\""_s};
    QTest::newRow("tcp no port") << api("[service.health]\ntcp = \"localhost\"\n") << 5 << 7
                                 << QStringList{u"service \"api\""_s,
                                                u"health.tcp: \"localhost\" is not \"host:port\""_s};
    QTest::newRow("tcp port range") << api("[service.health]\ntcp = \"localhost:99999\"\n") << 5 << 7
                                    << QStringList{u"service \"api\""_s, u"health.tcp:"_s};
    QTest::newRow("tcp no host") << api("[service.health]\ntcp = \":80\"\n") << 5 << 7
                                 << QStringList{u"service \"api\""_s, u"health.tcp:"_s};
    QTest::newRow("two probes") << api("[service.health]\nurl = \"http://h/\"\ntcp = \"h:1\"\n") << 6 << 7
                                << QStringList{
                                       u"service \"api\""_s,
                                       u"health.tcp: use only one of url, tcp or exec (found url and tcp)"_s};
    QTest::newRow("no probe") << api("[service.health]\ninterval = \"10s\"\n") << 4 << 1
                              << QStringList{u"service \"api\""_s,
                                             u"health: one of url, tcp or exec is required"_s};
    QTest::newRow("exec empty") << api("[service.health]\nexec = []\n") << 5 << 8
                                << QStringList{u"service \"api\""_s, u"health.exec: must not be empty"_s};
    QTest::newRow("timeout longer than interval, both written")
        << api("[service.health]\nurl = \"http://h/\"\ninterval = \"5s\"\ntimeout = \"6s\"\n") << 7 << 11
        << QStringList{u"service \"api\""_s, u"health.timeout: timeout must not be longer than interval"_s,
                       u"timeout 6s, interval 5s at line 6; both written here"_s};
    QTest::newRow("expect_status text")
        << api("[service.health]\nurl = \"http://h/\"\nexpect_status = \"ok\"\n") << 6 << 17
        << QStringList{u"service \"api\""_s, u"health.expect_status:"_s};
    QTest::newRow("expect_status range")
        << api("[service.health]\nurl = \"http://h/\"\nexpect_status = 700\n") << 6 << 17
        << QStringList{u"service \"api\""_s, u"health.expect_status:"_s};
    QTest::newRow("expect_status reversed")
        << api("[service.health]\nurl = \"http://h/\"\nexpect_status = \"399-200\"\n") << 6 << 17
        << QStringList{u"service \"api\""_s, u"health.expect_status:"_s};
    QTest::newRow("health not a table")
        << api("health = \"http://h/\"\n") << 4 << 10
        << QStringList{u"service \"api\""_s, u"health: expected a table, got a string"_s};
}

void TestConfig::errors()
{
    QFETCH(QByteArray, toml);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QStringList, mentions);

    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    QVERIFY(!r.ok());
    QVERIFY(!r.config.has_value());
    QVERIFY2(r.errors.size() == 1, qPrintable(dump(r.errors)));
    const Diagnostic &e = r.errors.first();
    QCOMPARE(e.severity, Diagnostic::Severity::Error);
    QCOMPARE(e.file, kFile);
    QCOMPARE(QString(u"%1:%2"_s.arg(e.line).arg(e.column)), QString(u"%1:%2"_s.arg(line).arg(column)));
    for (const QString &m : mentions)
        QVERIFY2(e.message.contains(m), qPrintable(e.message + u"\n  does not contain: "_s + m));
    QVERIFY(e.toString().startsWith(u"%1:%2:%3: error: "_s.arg(kFile).arg(line).arg(column)));
}

void TestConfig::collectsAllErrors()
{
    const QByteArray toml = "[settings]\n"
                            "on_exit = \"never\"\n" // 2:11
                            "[[service]]\n"
                            "name = \"api\"\n"
                            "command = []\n"             // 5:11
                            "restart_delay = \"soon\"\n" // 6:17
                            "[[service]]\n"
                            "name = \"web\"\n"
                            "command = \"serve\"\n"
                            "depends_on = [\"nope\"]\n" // 10:15
                            "ports = [0]\n";            // 11:10
    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    QVERIFY(!r.ok());
    QStringList where;
    for (const Diagnostic &d : r.errors)
        where.append(u"%1:%2"_s.arg(d.line).arg(d.column));
    QCOMPARE(where, (QStringList{u"2:11"_s, u"5:11"_s, u"6:17"_s, u"10:15"_s, u"11:10"_s}));
}

void TestConfig::warnings_data()
{
    QTest::addColumn<QByteArray>("toml");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    QTest::newRow("service typo")
        << api("restart_dealy = \"3s\"\n") << 4 << 1
        << u"service \"api\": unknown key \"restart_dealy\" (did you mean \"restart_delay\"?); it is ignored"_s;
    QTest::newRow("service unknown, no suggestion")
        << api("priority = 10\n") << 4 << 1 << u"service \"api\": unknown key \"priority\"; it is ignored"_s;
    QTest::newRow("settings typo")
        << QByteArray("[settings]\n  sample_intervall = \"1s\"\n[[service]]\nname = \"a\"\ncommand = \"x\"\n")
        << 2 << 3
        << u"settings: unknown key \"sample_intervall\" (did you mean \"sample_interval\"?); it is ignored"_s;
    QTest::newRow("health typo")
        << api("[service.health]\nurl = \"http://h/\"\nintervall = \"10s\"\n") << 6 << 1
        << u"service \"api\": unknown key \"health.intervall\" (did you mean \"health.interval\"?); it is ignored"_s;
    QTest::newRow("logs typo")
        << api("[service.logs]\nmax_sise = \"1MB\"\n") << 5 << 1
        << u"service \"api\": unknown key \"logs.max_sise\" (did you mean \"logs.max_size\"?); it is ignored"_s;
    QTest::newRow("recovery typo")
        << QByteArray("[recovery]\nbackup_log = true\n[[service]]\nname = \"a\"\ncommand = \"x\"\n") << 2 << 1
        << u"recovery: unknown key \"backup_log\" (did you mean \"backup_logs\"?); it is ignored"_s;
    QTest::newRow("top-level typo")
        << QByteArray("[setings]\nx = 1\n[[service]]\nname = \"a\"\ncommand = \"x\"\n") << 1 << 2
        << u"unknown key \"setings\" (did you mean \"settings\"?); it is ignored"_s;
}

void TestConfig::warnings()
{
    QFETCH(QByteArray, toml);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QVERIFY2(r.errors.isEmpty(), qPrintable(dump(r.errors)));
    QVERIFY2(r.warnings.size() == 1, qPrintable(dump(r.warnings)));
    const Diagnostic &w = r.warnings.first();
    QCOMPARE(w.severity, Diagnostic::Severity::Warning);
    QCOMPARE(QString(u"%1:%2"_s.arg(w.line).arg(w.column)), QString(u"%1:%2"_s.arg(line).arg(column)));
    QCOMPARE(w.message, message);
    QCOMPARE(w.toString(), u"%1:%2:%3: warning: %4"_s.arg(kFile).arg(line).arg(column).arg(message));
}

void TestConfig::fullExample()
{
    const QString path = QStringLiteral(LIFELINE_TEST_DATA "/config/full.toml");
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QVERIFY2(r.warnings.isEmpty(), qPrintable(dump(r.warnings)));
    const Config &c = *r.config;
    QCOMPARE(c.path, QFileInfo(path).absoluteFilePath());

    QCOMPARE(c.settings.stateDir, QDir::homePath() + u"/.local/state/lifeline"_s);
    QCOMPARE(c.settings.sampleInterval, 1s);
    QCOMPARE(c.settings.onExit, OnExit::Ask);

    QCOMPARE(c.services.size(), 1);
    const ServiceSpec &s = c.services.first();
    QCOMPARE(s.name, u"api"_s);
    QCOMPARE(s.command, (QStringList{u"python3"_s, u"main.py"_s}));
    QCOMPARE(s.shell, false);
    QCOMPARE(s.cwd, QDir::homePath() + u"/Fuel-Analytics-Backend"_s);
    QCOMPARE(s.env.size(), 1);
    QCOMPARE(s.env.value(u"PORT"_s), u"8000"_s);
    QCOMPARE(s.autostart, true);
    QVERIFY(s.dependsOn.isEmpty());
    QCOMPARE(s.ports, (QList<quint16>{8000}));
    QCOMPARE(s.restart, RestartPolicy::OnFailure);
    QCOMPARE(s.restartDelay, 3s);
    QCOMPARE(s.backoffFactor, 2.0);
    QCOMPARE(s.backoffMax, 60s);
    QCOMPARE(s.maxRestarts, 10);
    QCOMPARE(s.restartWindow, 5min);
    QCOMPARE(s.stableAfter, 5min);
    QVERIFY(!s.fatalRetry.has_value());
    QCOMPARE(s.stopSignal, 15);
    QCOMPARE(s.stopTimeout, 10s);
    QCOMPARE(s.memoryLimit, 500'000'000LL);
    QCOMPARE(s.pos.line, 8);
    QCOMPARE(s.pos.column, 1);

    QCOMPARE(s.health.kind, HealthSpec::Kind::Http);
    QCOMPARE(s.health.url, u"http://127.0.0.1:8000/health"_s);
    QCOMPARE(s.health.interval, 30s);
    QCOMPARE(s.health.timeout, 5s);
    QCOMPARE(s.health.startPeriod, 10s);
    QCOMPARE(s.health.failures, 3);
    QCOMPARE(s.health.successes, 1);
    QCOMPARE(s.health.restartOnUnhealthy, true);
    QCOMPARE(s.health.expectStatusMin, 200);
    QCOMPARE(s.health.expectStatusMax, 399);

    QCOMPARE(s.logs.maxSize, 10'000'000LL);
    QCOMPARE(s.logs.backups, 5);

    QCOMPARE(c.recovery.clean, (QStringList{u"tmp/*.lock"_s}));
    QCOMPARE(c.recovery.backupLogs, true);
    QCOMPARE(c.recovery.keepBackups, 10);
    QCOMPARE(c.recovery.verifyTimeout, 60s);
}

void TestConfig::defaults()
{
    const LoadResult r = ConfigLoader::loadString("[[service]]\nname = \"w\"\ncommand = \"worker\"\n", kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QVERIFY(r.warnings.isEmpty());
    const Config &c = *r.config;
    QCOMPARE(c.path, kFile);
    QCOMPARE(c.settings.stateDir, QDir::homePath() + u"/.local/state/lifeline"_s);
    QCOMPARE(c.settings.sampleInterval, 1s);
    QCOMPARE(c.settings.onExit, OnExit::Ask);
    QCOMPARE(c.recovery.clean, QStringList());
    QCOMPARE(c.recovery.backupLogs, true);
    QCOMPARE(c.recovery.keepBackups, 10);
    QCOMPARE(c.recovery.verifyTimeout, 60s);

    const ServiceSpec &s = c.services.first();
    const ServiceSpec d; // the documented defaults
    QCOMPARE(s.command, QStringList{u"worker"_s});
    QCOMPARE(s.shell, d.shell);
    QCOMPARE(s.cwd, QString()); // empty = state_dir
    QVERIFY(s.env.isEmpty());
    QCOMPARE(s.autostart, true);
    QVERIFY(s.dependsOn.isEmpty());
    QVERIFY(s.ports.isEmpty());
    QCOMPARE(s.restart, RestartPolicy::OnFailure);
    QCOMPARE(s.restartDelay, 3s);
    QCOMPARE(s.backoffFactor, 2.0);
    QCOMPARE(s.backoffMax, 60s);
    QCOMPARE(s.maxRestarts, 10);
    QCOMPARE(s.restartWindow, 5min);
    QCOMPARE(s.stableAfter, 5min);
    QVERIFY(!s.fatalRetry.has_value());
    QCOMPARE(s.stopSignal, 15);
    QCOMPARE(s.stopTimeout, 10s);
    QCOMPARE(s.memoryLimit, 0);
    QCOMPARE(s.memoryLimitFor, 0ms); // the first sample over the limit
    QVERIFY(s.memoryLimitUnit.isEmpty());
    QCOMPARE(s.cpuLimit, 0.0);
    QCOMPARE(s.cpuLimitFor, 1min);
    QCOMPARE(s.health.kind, HealthSpec::Kind::None);
    QVERIFY(!s.health.enabled());
    QCOMPARE(s.logs.maxSize, 10'000'000LL);
    QCOMPARE(s.logs.backups, 5);
    QCOMPARE(s.logs.compress, false);
    QCOMPARE(s.logs.maxAgeSecs, 0);
    QCOMPARE(c.settings.minFreeDisk, 500'000'000LL);

    // Log housekeeping keys.
    const LoadResult logs = ConfigLoader::loadString(
        "[settings]\nmin_free_disk = \"2GiB\"\n[[service]]\nname = \"w\"\ncommand = \"worker\"\n"
        "[service.logs]\ncompress = true\nmax_age = \"14d\"\n"
        "[[service]]\nname = \"v\"\ncommand = \"worker\"\n[service.logs]\nmax_age = \"36h\"\n"
        "[[service]]\nname = \"u\"\ncommand = \"worker\"\n[service.logs]\nmax_age = \"60d\"\n",
        kFile);
    QVERIFY2(logs.ok(), qPrintable(dump(logs.errors)));
    QCOMPARE(logs.config->settings.minFreeDisk, 2LL << 30);
    QCOMPARE(logs.config->services.at(0).logs.compress, true);
    QCOMPARE(logs.config->services.at(0).logs.maxAgeSecs, 14 * 86400);
    QCOMPARE(logs.config->services.at(1).logs.maxAgeSecs, 36 * 3600);
    QCOMPARE(logs.config->services.at(2).logs.maxAgeSecs, 60 * 86400); // longer than any timer

    // Everything else set to a non-default value is read.
    const LoadResult r2 = ConfigLoader::loadString(
        "[settings]\non_exit = \"keep\"\nsample_interval = \"250ms\"\n"
        "[[service]]\nname = \"w\"\ncommand = \"worker\"\nautostart = false\nrestart = \"never\"\n"
        "fatal_retry = \"10m\"\nstop_signal = \"SIGINT\"\nmemory_limit = \"1GiB\"\nbackoff_factor = 3\n"
        "memory_limit_for = \"2s\"\ncpu_limit = 250\ncpu_limit_for = \"2m\"\n"
        "[service.health]\nexec = \"check --quick\"\nexpect_status = 204\n"
        "[[service]]\nname = \"v\"\ncommand = \"x\"\nrestart = \"always\"\nstop_signal = 10\n"
        "[service.health]\nurl = \"https://example.test/h\"\nexpect_status = \"200-299\"\n",
        kFile);
    QVERIFY2(r2.ok(), qPrintable(dump(r2.errors)));
    const Config &c2 = *r2.config;
    QCOMPARE(c2.settings.onExit, OnExit::Keep);
    QCOMPARE(c2.settings.sampleInterval, 250ms);
    const ServiceSpec &w = c2.services.at(0);
    QCOMPARE(w.autostart, false);
    QCOMPARE(w.restart, RestartPolicy::Never);
    QCOMPARE(w.fatalRetry, std::optional<Millis>(10min));
    QCOMPARE(w.stopSignal, 2);
    QCOMPARE(w.memoryLimit, 1024LL * 1024 * 1024);
    QCOMPARE(w.memoryLimitUnit, u"GiB"_s);
    QCOMPARE(w.memoryLimitFor, 2s);
    QCOMPARE(w.cpuLimit, 250.0);
    QCOMPARE(w.cpuLimitFor, 2min);
    QCOMPARE(w.backoffFactor, 3.0);
    QCOMPARE(w.health.kind, HealthSpec::Kind::Exec);
    QCOMPARE(w.health.exec, (QStringList{u"check"_s, u"--quick"_s}));
    QCOMPARE(w.health.expectStatusMin, 204);
    QCOMPARE(w.health.expectStatusMax, 204);
    const ServiceSpec &v = c2.services.at(1);
    QCOMPARE(v.restart, RestartPolicy::Always);
    QCOMPARE(v.stopSignal, 10);
    QCOMPARE(v.health.kind, HealthSpec::Kind::Http);
    QCOMPARE(v.health.expectStatusMin, 200);
    QCOMPARE(v.health.expectStatusMax, 299);
    QCOMPARE(onExitName(OnExit::Keep), u"keep"_s);
    QCOMPARE(restartPolicyName(RestartPolicy::OnFailure), u"on-failure"_s);
    QCOMPARE(restartPolicyName(RestartPolicy::Always), u"always"_s);
    QCOMPARE(restartPolicyName(RestartPolicy::Never), u"never"_s);
}

void TestConfig::paths()
{
    const QByteArray toml = "[settings]\nstate_dir = \"state/./x\"\n"
                            "[[service]]\nname = \"a\"\ncommand = \"x\"\ncwd = \"../backend\"\n"
                            "[[service]]\nname = \"b\"\ncommand = \"x\"\ncwd = \"/srv/b/\"\n"
                            "[[service]]\nname = \"c\"\ncommand = \"x\"\ncwd = \"~\"\n";
    const LoadResult r = ConfigLoader::loadString(toml, u"/home/me/stack/lifeline.toml"_s);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QCOMPARE(r.config->settings.stateDir, u"/home/me/stack/state/x"_s);
    QCOMPARE(r.config->services.at(0).cwd, u"/home/me/backend"_s);
    QCOMPARE(r.config->services.at(1).cwd, u"/srv/b"_s);
    QCOMPARE(r.config->services.at(2).cwd, QDir::homePath());

    QCOMPARE(expandPath(u"~/x/y"_s, u"/base"_s), QDir::homePath() + u"/x/y"_s);
    QCOMPARE(expandPath(u"x/../y"_s, u"/base"_s), u"/base/y"_s);
    QCOMPARE(expandPath(u"/abs//p/"_s, u"/base"_s), u"/abs/p"_s);
    QCOMPARE(expandPath(QString(), u"/base"_s), QString());
    // "~user" is not expanded: it is a relative name like any other.
    QCOMPARE(expandPath(u"~user/x"_s, u"/base"_s), u"/base/~user/x"_s);
}

void TestConfig::commandForms_data()
{
    QTest::addColumn<QByteArray>("command");
    QTest::addColumn<bool>("shell");
    QTest::addColumn<QStringList>("argv");

    QTest::newRow("array") << QByteArray("[\"python3\", \"main.py\"]") << false
                           << QStringList{u"python3"_s, u"main.py"_s};
    QTest::newRow("string") << QByteArray("\"python3 main.py\"") << false
                            << QStringList{u"python3"_s, u"main.py"_s};
    QTest::newRow("string with quotes") << QByteArray("\"node 'my server.js' --name \\\"a b\\\"\"") << false
                                        << QStringList{u"node"_s, u"my server.js"_s, u"--name"_s, u"a b"_s};
    QTest::newRow("shell keeps string") << QByteArray("\"python3 main.py | tee 'x y'\"") << true
                                        << QStringList{u"python3 main.py | tee 'x y'"_s};
    QTest::newRow("shell with array")
        << QByteArray("[\"echo\", \"hi\"]") << true << QStringList{u"echo"_s, u"hi"_s};
}

void TestConfig::commandForms()
{
    QFETCH(QByteArray, command);
    QFETCH(bool, shell);
    QFETCH(QStringList, argv);
    const QByteArray toml =
        "[[service]]\nname = \"a\"\ncommand = " + command + "\nshell = " + (shell ? "true" : "false") + "\n";
    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QCOMPARE(r.config->services.first().command, argv);
    QCOMPARE(r.config->services.first().shell, shell);
}

void TestConfig::healthForms_data()
{
    QTest::addColumn<QByteArray>("health");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");

    QTest::newRow("tcp ipv4") << QByteArray("tcp = \"127.0.0.1:8000\"") << int(HealthSpec::Kind::Tcp)
                              << u"127.0.0.1"_s << 8000;
    QTest::newRow("tcp name") << QByteArray("tcp = \"localhost:1\"") << int(HealthSpec::Kind::Tcp)
                              << u"localhost"_s << 1;
    QTest::newRow("tcp ipv6") << QByteArray("tcp = \"[::1]:65535\"") << int(HealthSpec::Kind::Tcp) << u"::1"_s
                              << 65535;
    QTest::newRow("exec array") << QByteArray("exec = [\"curl\", \"-f\", \"http://h\"]")
                                << int(HealthSpec::Kind::Exec) << QString() << 0;
    QTest::newRow("inline table url")
        << QByteArray("url = \"https://h:8443/x?y=1\"") << int(HealthSpec::Kind::Http) << QString() << 0;
}

void TestConfig::healthForms()
{
    QFETCH(QByteArray, health);
    QFETCH(int, kind);
    QFETCH(QString, host);
    QFETCH(int, port);
    const LoadResult r = ConfigLoader::loadString(api("health = { " + health + " }\n"), kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    const HealthSpec &h = r.config->services.first().health;
    QCOMPARE(int(h.kind), kind);
    QVERIFY(h.enabled());
    QCOMPARE(h.tcpHost, host);
    QCOMPARE(int(h.tcpPort), port);
}

void TestConfig::splitCommandLine_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("words");
    QTest::addColumn<bool>("ok");
    QTest::newRow("simple") << u"a b  c"_s << QStringList{u"a"_s, u"b"_s, u"c"_s} << true;
    QTest::newRow("single quotes") << u"echo 'a \"b\" \\c'"_s << QStringList{u"echo"_s, u"a \"b\" \\c"_s}
                                   << true;
    QTest::newRow("double quotes") << u"echo \"a 'b' \\\"c\\\" \\x\""_s
                                   << QStringList{u"echo"_s, u"a 'b' \"c\" \\x"_s} << true;
    QTest::newRow("joined quotes") << u"--name='a b'c"_s << QStringList{u"--name=a bc"_s} << true;
    QTest::newRow("empty arg") << u"x '' \"\""_s << QStringList{u"x"_s, QString(), QString()} << true;
    QTest::newRow("backslash space") << u"my\\ app -v"_s << QStringList{u"my app"_s, u"-v"_s} << true;
    QTest::newRow("tabs and newlines") << u"\ta\n b\t"_s << QStringList{u"a"_s, u"b"_s} << true;
    QTest::newRow("unterminated single") << u"echo 'x"_s << QStringList() << false;
    QTest::newRow("unterminated double") << u"echo \"x"_s << QStringList() << false;
    QTest::newRow("lone backslash") << u"echo \\"_s << QStringList() << false;
    QTest::newRow("quote in single quotes") << u"echo \"'x"_s << QStringList() << false;
}

void TestConfig::splitCommandLine()
{
    QFETCH(QString, text);
    QFETCH(QStringList, words);
    QFETCH(bool, ok);
    QString error;
    const std::optional<QStringList> result = lifeline::splitCommandLine(text, &error);
    QCOMPARE(result.has_value(), ok);
    if (ok)
        QCOMPARE(*result, words);
    else
        QVERIFY2(error.contains(u"unterminated"_s) || error.contains(u"lone backslash"_s), qPrintable(error));
}

void TestConfig::diagnosticToString()
{
    Diagnostic d;
    d.file = u"/x/lifeline.toml"_s;
    d.line = 12;
    d.column = 3;
    d.message = u"service \"api\": restart: bad"_s;
    QCOMPARE(d.toString(), u"/x/lifeline.toml:12:3: error: service \"api\": restart: bad"_s);
    d.severity = Diagnostic::Severity::Warning;
    QCOMPARE(d.toString(), u"/x/lifeline.toml:12:3: warning: service \"api\": restart: bad"_s);
    d.line = 0;
    d.column = 0;
    QCOMPARE(d.toString(), u"/x/lifeline.toml: warning: service \"api\": restart: bad"_s);
}

void TestConfig::startOrder()
{
    const QByteArray toml =
        "[[service]]\nname = \"web\"\ncommand = \"x\"\ndepends_on = [\"api\", \"worker\"]\n"
        "[[service]]\nname = \"api\"\ncommand = \"x\"\ndepends_on = [\"db\"]\n"
        "[[service]]\nname = \"db\"\ncommand = \"x\"\n"
        "[[service]]\nname = \"worker\"\ncommand = \"x\"\n"
        "[[service]]\nname = \"cron\"\ncommand = \"x\"\n";
    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QCOMPARE(r.config->startOrder(), (QStringList{u"db"_s, u"api"_s, u"worker"_s, u"web"_s, u"cron"_s}));

    // No dependencies: file order, unchanged.
    const LoadResult flat = ConfigLoader::loadString(
        "[[service]]\nname = \"b\"\ncommand = \"x\"\n[[service]]\nname = \"a\"\ncommand = \"x\"\n", kFile);
    QVERIFY(flat.ok());
    QCOMPARE(flat.config->startOrder(), (QStringList{u"b"_s, u"a"_s}));
    QCOMPARE(Config().startOrder(), QStringList());
}

void TestConfig::commandHash()
{
    ServiceSpec a;
    a.name = u"api"_s;
    a.command = {u"python3"_s, u"main.py"_s};
    a.cwd = u"/srv/api"_s;
    a.env.insert(u"PORT"_s, u"8000"_s);
    a.env.insert(u"MODE"_s, u"prod"_s);

    const QByteArray h = a.commandHash();
    QCOMPARE(h.size(), 64);
    QVERIFY(QByteArray::fromHex(h).toHex() == h);
    QCOMPARE(a.commandHash(), h);

    // Same definition, env inserted in another order, other non-start fields changed: same hash.
    ServiceSpec b;
    b.name = u"renamed"_s;
    b.command = a.command;
    b.cwd = a.cwd;
    b.env.insert(u"MODE"_s, u"prod"_s);
    b.env.insert(u"PORT"_s, u"8000"_s);
    b.restartDelay = 1s;
    QCOMPARE(b.commandHash(), h);

    ServiceSpec c = a;
    c.env[u"PORT"_s] = u"8001"_s;
    QVERIFY(c.commandHash() != h);
    c = a;
    c.env.insert(u"EXTRA"_s, QString());
    QVERIFY(c.commandHash() != h);
    c = a;
    c.command = {u"python3 main.py"_s};
    QVERIFY(c.commandHash() != h);
    c = a;
    c.shell = true;
    QVERIFY(c.commandHash() != h);
    c = a;
    c.cwd = u"/srv/api2"_s;
    QVERIFY(c.commandHash() != h);
    // Moving text between env key and value must not collide.
    ServiceSpec d1;
    d1.env.insert(u"AB"_s, u"C"_s);
    ServiceSpec d2;
    d2.env.insert(u"A"_s, u"BC"_s);
    QVERIFY(d1.commandHash() != d2.commandHash());

    // Loading the same file twice gives the same hash.
    const QByteArray toml = api("env = { B = \"2\", A = \"1\" }\ncwd = \"/tmp\"\n");
    QCOMPARE(ConfigLoader::loadString(toml, kFile).config->services.first().commandHash(),
             ConfigLoader::loadString(toml, kFile).config->services.first().commandHash());
}

void TestConfig::serviceLookup()
{
    const LoadResult r = ConfigLoader::loadString(
        "[[service]]\nname = \"a\"\ncommand = \"x\"\n[[service]]\nname = \"b\"\ncommand = \"y\"\n", kFile);
    QVERIFY(r.ok());
    QVERIFY(r.config->service(u"b"_s));
    QCOMPARE(r.config->service(u"b"_s)->command, QStringList{u"y"_s});
    QCOMPARE(r.config->service(u"b"_s)->pos.line, 4);
    QVERIFY(!r.config->service(u"c"_s));
}

void TestConfig::loadFileMissing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"nope.toml"_s);
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QCOMPARE(r.errors.first().file, path);
    QVERIFY2(r.errors.first().toString().startsWith(path + u": error: "_s),
             qPrintable(r.errors.first().toString()));
    QVERIFY(r.errors.first().message.contains(path));
    QVERIFY(r.errors.first().message.contains(u"no such file"_s));
}

void TestConfig::loadFileDirectory()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const LoadResult r = ConfigLoader::loadFile(dir.path());
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QVERIFY(r.errors.first().message.contains(dir.path()));
    QVERIFY(r.errors.first().message.contains(u"directory"_s));
}

void TestConfig::loadFileUnreadable()
{
    if (::geteuid() == 0)
        QSKIP("running as root: a mode-000 file is still readable");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"secret.toml"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[settings]\n");
    f.close();
    QVERIFY(f.setPermissions(QFileDevice::Permissions()));
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QVERIFY(r.errors.first().message.contains(path));
    QVERIFY2(r.errors.first().message.contains(u"ermission"_s), qPrintable(r.errors.first().message));
}

void TestConfig::loadFileReadError()
{
    // Opens fine, then read() fails with EIO: the path a failing disk takes,
    // and one that works when the tests run as root.
    const QString path = u"/proc/self/mem"_s;
    if (!QFile::exists(path))
        QSKIP("needs Linux /proc");
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QCOMPARE(r.errors.first().file, path);
    QVERIFY2(r.errors.first().message.startsWith(u"cannot read configuration file \"/proc/self/mem\": "_s),
             qPrintable(r.errors.first().message));
}

void TestConfig::loadFileResolvesRelativeToFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkpath(u"conf"_s));
    const QString path = dir.filePath(u"conf/lifeline.toml"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        "[settings]\nstate_dir = \"state\"\n[[service]]\nname = \"a\"\ncommand = \"x\"\ncwd = \"../app\"\n"
        "restart = \"bogus\"\n");
    f.close();
    const LoadResult bad = ConfigLoader::loadFile(path);
    QCOMPARE(bad.errors.size(), 1);
    QCOMPARE(bad.errors.first().toString().left(path.size() + 7), path + u":7:11: "_s);

    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(
        "[settings]\nstate_dir = \"state\"\n[[service]]\nname = \"a\"\ncommand = \"x\"\ncwd = \"../app\"\n");
    f.close();
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QCOMPARE(r.config->settings.stateDir, dir.filePath(u"conf/state"_s));
    QCOMPARE(r.config->services.first().cwd, dir.filePath(u"app"_s));
}

void TestConfig::demoConfig()
{
    const QString path = QStringLiteral(LIFELINE_TEST_DATA "/../../resources/demo/lifeline.toml");
    if (!QFile::exists(path))
        QSKIP("resources/demo/lifeline.toml is not there yet");
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY2(r.errors.isEmpty(), qPrintable(dump(r.errors)));
    QVERIFY2(r.warnings.isEmpty(), qPrintable(dump(r.warnings)));
    QVERIFY(r.ok());
    QVERIFY(!r.config->services.isEmpty());
}

void TestConfig::healthDefaultsFollowWrittenValues_data()
{
    QTest::addColumn<QByteArray>("keys");
    QTest::addColumn<qint64>("interval");
    QTest::addColumn<qint64>("timeout");

    // The default timeout (5s) never makes a shorter written interval invalid.
    QTest::newRow("interval 1s alone") << QByteArray("interval = \"1s\"\n") << 1000LL << 1000LL;
    QTest::newRow("interval 200ms alone") << QByteArray("interval = \"200ms\"\n") << 200LL << 200LL;
    QTest::newRow("interval 10s alone") << QByteArray("interval = \"10s\"\n") << 10'000LL << 5000LL;
    // Nor does the default interval (30s) make a longer written timeout invalid.
    QTest::newRow("timeout 60s alone") << QByteArray("timeout = \"60s\"\n") << 60'000LL << 60'000LL;
    QTest::newRow("timeout 2s alone") << QByteArray("timeout = \"2s\"\n") << 30'000LL << 2000LL;
    // Equal is valid: the next probe waits for the one in flight (Docker: 30s/30s).
    QTest::newRow("equal") << QByteArray("interval = \"5s\"\ntimeout = \"5s\"\n") << 5000LL << 5000LL;
    QTest::newRow("neither") << QByteArray() << 30'000LL << 5000LL;
}

void TestConfig::healthDefaultsFollowWrittenValues()
{
    QFETCH(QByteArray, keys);
    QFETCH(qint64, interval);
    QFETCH(qint64, timeout);
    const LoadResult r =
        ConfigLoader::loadString(api("[service.health]\nurl = \"http://h/\"\n" + keys), kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QVERIFY2(r.warnings.isEmpty(), qPrintable(dump(r.warnings)));
    const HealthSpec &h = r.config->services.first().health;
    QCOMPARE(h.interval.count(), interval);
    QCOMPARE(h.timeout.count(), timeout);
}

void TestConfig::serviceNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");

    QTest::newRow("plain") << u"api"_s << true;
    QTest::newRow("all allowed characters") << u"Api_2.worker-x"_s << true;
    QTest::newRow("leading dash") << u"-x"_s << true;
    QTest::newRow("leading underscore") << u"_x"_s << true;
    QTest::newRow("64 characters") << QString(64, u'a') << true;
    QTest::newRow("65 characters") << QString(65, u'a') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("dot") << u"."_s << false;
    QTest::newRow("dot-dot") << u".."_s << false;
    QTest::newRow("hidden") << u".api"_s << false;
    QTest::newRow("slash") << u"a/b"_s << false;
    QTest::newRow("climbing path") << u"a/../../b"_s << false;
    QTest::newRow("space") << u"my api"_s << false;
    QTest::newRow("unicode letter") << u"caf\u00e9"_s << false;
    QTest::newRow("unicode digit") << u"api\u0663"_s << false;
    QTest::newRow("NUL") << u"a"_s + QChar(0) + u"b"_s << false;
    QTest::newRow("newline") << u"a\nb"_s << false;
    QTest::newRow("trailing newline") << u"api\n"_s << false;
}

void TestConfig::serviceNames()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(isValidServiceName(name), valid);
}

void TestConfig::zeroServicesWarns()
{
    for (const QByteArray &toml : {QByteArray(), QByteArray("[settings]\non_exit = \"stop\"\n")}) {
        const LoadResult r = ConfigLoader::loadString(toml, kFile);
        QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
        QCOMPARE(r.config->services.size(), 0);
        QVERIFY2(r.warnings.size() == 1, qPrintable(dump(r.warnings)));
        QVERIFY2(r.warnings.first().message.contains(u"no services"_s), qPrintable(dump(r.warnings)));
        QVERIFY(r.warnings.first().toString().startsWith(kFile + u": warning: "_s));
    }
}

void TestConfig::deepDependencyChain()
{
    // Deep enough to overflow the stack of a recursive walk (it crashed at 30 000).
    constexpr int kDepth = 50'000;
    const LoadResult r = ConfigLoader::loadString(dependencyChainToml(kDepth, false), kFile);
    QVERIFY2(r.ok(), qPrintable(dump(r.errors).left(2000)));
    QCOMPARE(r.config->services.size(), kDepth);
    const QStringList order = r.config->startOrder();
    QCOMPARE(order.size(), kDepth);
    QCOMPARE(order.first(), u"s%1"_s.arg(kDepth - 1));
    QCOMPARE(order.last(), u"s0"_s);
}

void TestConfig::cycleInLongChain()
{
    constexpr int kDepth = 50'000;
    const LoadResult r = ConfigLoader::loadString(dependencyChainToml(kDepth, true), kFile);
    QVERIFY(!r.ok());
    QVERIFY2(r.errors.size() == 1, qPrintable(dump(r.errors).left(2000)));
    const Diagnostic &e = r.errors.first();
    // At the depends_on entry that closes it: the last service's.
    QCOMPARE(e.line, kDepth * 4);
    QCOMPARE(e.column, 15);
    QVERIFY2(e.message.startsWith(
                 u"service \"s%1\": depends_on: dependency cycle s0 -> s1 -> s2 -> "_s.arg(kDepth - 1)),
             qPrintable(e.message.left(300)));
    QVERIFY2(e.message.endsWith(u" -> s%1 -> s0"_s.arg(kDepth - 1)), qPrintable(e.message.right(300)));
    QVERIFY2(e.message.contains(u"(%1 more)"_s.arg(kDepth + 1 - 40)), qPrintable(e.message));
    QVERIFY2(e.message.size() < 2000, qPrintable(e.message.left(300)));
}

void TestConfig::cleanGlobsOverStateDir_data()
{
    // Paths under /srv/ll (state_dir /srv/ll/state); nothing needs to exist.
    QTest::addColumn<QByteArray>("cwd"); // empty = the default, state_dir
    QTest::addColumn<QByteArray>("glob");
    QTest::addColumn<QStringList>("mentions"); // empty = accepted

    const QStringList none;
    QTest::newRow("* in the default cwd") << QByteArray() << QByteArray("*")
                                          << QStringList{u"\"*\" would delete Lifeline's own state"_s,
                                                         u"in /srv/ll/state, the cwd of service \"api\""_s,
                                                         u"by default its cwd is state_dir"_s,
                                                         u"history.sqlite"_s,
                                                         u"lifeline.lock"_s,
                                                         u"lifeline.log"_s,
                                                         u"logs/"_s,
                                                         u"run/"_s,
                                                         u"recovery/"_s};
    QTest::newRow("*.log in the default cwd")
        << QByteArray() << QByteArray("*.log") << QStringList{u"it matches lifeline.log;"_s};
    QTest::newRow("*.lock in the default cwd")
        << QByteArray() << QByteArray("./*.lock") << QStringList{u"it matches lifeline.lock;"_s};
    QTest::newRow("history* in the default cwd")
        << QByteArray() << QByteArray("history*") << QStringList{u"history.sqlite, history.sqlite-wal"_s};
    QTest::newRow("logs/* in the default cwd")
        << QByteArray() << QByteArray("logs/*.log") << QStringList{u"files in logs/"_s};
    QTest::newRow("r* in the default cwd")
        << QByteArray() << QByteArray("r*")
        << QStringList{u"it matches repair/, reports/, run/, recovery/;"_s};
    QTest::newRow("tmp/*.lock in the default cwd") << QByteArray() << QByteArray("tmp/*.lock") << none;
    QTest::newRow("*.pyc in the default cwd") << QByteArray() << QByteArray("*.pyc") << none;
    QTest::newRow("* in the service's own folder") << QByteArray("/srv/ll/app") << QByteArray("*") << none;
    QTest::newRow("* in the folder holding state_dir")
        << QByteArray("/srv/ll") << QByteArray("*") << QStringList{u"state/ (state_dir itself)"_s};
    QTest::newRow("*/logs in the folder holding state_dir")
        << QByteArray("/srv/ll") << QByteArray("*/logs") << QStringList{u"state/logs/"_s};
    QTest::newRow("* two levels above state_dir")
        << QByteArray("/srv") << QByteArray("*") << QStringList{u"ll/ (which holds state_dir)"_s};
    QTest::newRow("tmp/* in the folder holding state_dir")
        << QByteArray("/srv/ll") << QByteArray("tmp/*") << none;
    QTest::newRow("anything in state_dir/logs")
        << QByteArray("/srv/ll/state/logs") << QByteArray("old.txt") << QStringList{u"anything"_s};
    QTest::newRow("* in a work folder inside state_dir")
        << QByteArray("/srv/ll/state/work") << QByteArray("*") << none;
}

void TestConfig::cleanGlobsOverStateDir()
{
    QFETCH(QByteArray, cwd);
    QFETCH(QByteArray, glob);
    QFETCH(QStringList, mentions);
    const QByteArray toml = "[settings]\nstate_dir = \"/srv/ll/state\"\n"
                            "[[service]]\nname = \"api\"\ncommand = \"x\"\n" +
                            (cwd.isEmpty() ? QByteArray() : "cwd = \"" + cwd + "\"\n") +
                            "[recovery]\nclean = [\"tmp/x\", \"" + glob + "\"]\n";
    const LoadResult r = ConfigLoader::loadString(toml, kFile);
    if (mentions.isEmpty()) {
        QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
        return;
    }
    QVERIFY(!r.ok());
    // "tmp/x" (column 10) is harmless, except from inside a state folder.
    QList<Diagnostic> errors = r.errors;
    errors.removeIf([](const Diagnostic &d) { return d.column == 10; });
    QVERIFY2(errors.size() == 1, qPrintable(dump(r.errors)));
    QCOMPARE(r.errors.size(), mentions.contains(u"anything"_s) ? 2 : 1);
    const Diagnostic &e = errors.first();
    const int line = cwd.isEmpty() ? 7 : 8;
    QCOMPARE(u"%1:%2"_s.arg(e.line).arg(e.column), u"%1:%2"_s.arg(line).arg(19));
    QVERIFY2(e.message.startsWith(u"recovery: clean[1]: \""_s + QString::fromUtf8(glob) + u'"'),
             qPrintable(e.message));
    for (const QString &m : mentions)
        QVERIFY2(e.message.contains(m), qPrintable(e.message + u"\n  does not contain: "_s + m));
}

void TestConfig::loadFileFifo()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lifeline.toml"_s);
    QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
    // Nobody writes to it: a plain open() would wait here forever.
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QCOMPARE(r.errors.first().message,
             u"cannot read configuration file \""_s + path + u"\": not a regular file (a FIFO)"_s);
    QString why;
    QVERIFY(!readConfigFile(path, &why));
    QVERIFY(why.endsWith(u"not a regular file (a FIFO)"_s));
}

void TestConfig::loadFileDevice()
{
    // Would read forever (and fill memory) without the type check.
    const LoadResult r = ConfigLoader::loadFile(u"/dev/zero"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QCOMPARE(r.errors.first().message,
             u"cannot read configuration file \"/dev/zero\": not a regular file (a character device)"_s);
}

void TestConfig::loadFileTooLarge()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"huge.toml"_s);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QVERIFY(f.resize(200LL * 1000 * 1000)); // sparse: no disk used
    f.close();
    const LoadResult r = ConfigLoader::loadFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), 1);
    QVERIFY2(r.errors.first().message.contains(u"larger than 16 MiB (200 MB)"_s),
             qPrintable(r.errors.first().message));
}

void TestConfig::loadFileThroughSymlink()
{
    // A config kept in a dotfiles repository and linked into place still loads.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile f(dir.filePath(u"real.toml"_s));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[[service]]\nname = \"a\"\ncommand = \"x\"\n");
    f.close();
    QVERIFY(QFile::link(f.fileName(), dir.filePath(u"lifeline.toml"_s)));
    const LoadResult r = ConfigLoader::loadFile(dir.filePath(u"lifeline.toml"_s));
    QVERIFY2(r.ok(), qPrintable(dump(r.errors)));
    QCOMPARE(r.config->services.first().name, u"a"_s);
}

void TestConfig::writerRefusesFifo()
{
    // The service editor reads the file before editing it: the same rule.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lifeline.toml"_s);
    QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
    QString error;
    QVERIFY(!ConfigWriter::setOnExit(path, OnExit::Stop, &error));
    QVERIFY2(error.endsWith(u"not a regular file (a FIFO)"_s), qPrintable(error));
    struct stat st = {};
    QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
    QVERIFY(S_ISFIFO(st.st_mode)); // nothing was written over it
    QVERIFY(!QFile::exists(ConfigWriter::backupPath(path)));
}

QTEST_GUILESS_MAIN(TestConfig)

#include "tst_config.moc"
