// ConfigWriter on real files: every edit loads back through ConfigLoader,
// keeps the previous bytes in <config>.bak, leaves comments and the other
// tables alone, and a rejected edit leaves the file byte-identical.
#include "config/configdiff.h"
#include "config/configloader.h"
#include "config/configwriter.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

const QByteArray kBase = "# Lifeline configuration, written by hand.\n"
                         "# Keep this comment.\n"
                         "\n"
                         "[settings]\n"
                         "state_dir = \"state\"   # relative to this file\n"
                         "on_exit = \"ask\"         # ask | stop | keep\n"
                         "\n"
                         "# The API server.\n"
                         "[[service]]\n"
                         "name = \"api\"\n"
                         "command = [\"python3\", \"main.py\"]  # argv\n"
                         "ports = [8000]\n"
                         "[service.health]\n"
                         "url = \"http://127.0.0.1:8000/health\"\n"
                         "\n"
                         "# The worker; its command mentions a header on purpose.\n"
                         "[[service]]\n"
                         "name = \"worker\"\n"
                         "shell = true\n"
                         "command = \"\"\"\n"
                         "echo '\n"
                         "[[service]]\n"
                         "name = \"ghost\"'\n"
                         "\"\"\"\n"
                         "depends_on = [\n"
                         "  \"api\",\n"
                         "]\n"
                         "\n"
                         "# Cleanup globs.\n"
                         "[recovery]\n"
                         "clean = [\"tmp/*.lock\"]  # relative to a cwd\n";

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return "<cannot read>";
    return f.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

Config load(const QString &path)
{
    const LoadResult r = ConfigLoader::loadFile(path);
    for (const Diagnostic &d : r.errors)
        qWarning("%s", qPrintable(d.toString()));
    return r.config.value_or(Config{});
}

QStringList commentLines(const QByteArray &text)
{
    QStringList out;
    for (const QByteArray &line : text.split('\n')) {
        const qsizetype hash = line.indexOf('#');
        if (hash >= 0)
            out << QString::fromUtf8(line.mid(hash));
    }
    return out;
}

ServiceSpec webSpec()
{
    ServiceSpec s;
    s.name = u"web"_s;
    s.command = {u"node"_s, u"server.js"_s, u"--title"_s, u"it's \"quoted\""_s};
    s.ports = {3000, 3001};
    s.env = {{u"PORT"_s, u"3000"_s}, {u"odd key"_s, u"a\\b\n"_s}};
    s.restart = RestartPolicy::Always;
    s.memoryLimit = 512LL * 1024 * 1024;
    s.cpuLimit = 87.5;
    s.cpuLimitFor = std::chrono::minutes(2);
    s.health.kind = HealthSpec::Kind::Tcp;
    s.health.tcpHost = u"127.0.0.1"_s;
    s.health.tcpPort = 3000;
    return s;
}

} // namespace

class TestConfigWriter : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;

    // The loaded spec of `name` in the file, or an empty one.
    ServiceSpec loaded(const QString &name)
    {
        const Config c = load(m_path);
        const ServiceSpec *s = c.service(name);
        return s ? *s : ServiceSpec{};
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u".toml"_s);
        writeAll(m_path, kBase);
        const Config c = load(m_path);
        QCOMPARE(c.services.size(), 2);
        QVERIFY(c.service(u"worker"_s)->command.first().contains(u"[[service]]"_s));
    }

    // memory_limit keeps the unit it was written in (messages speak it back),
    // and memory_limit_for round-trips.
    void memoryLimitRoundTripsInItsUnit()
    {
        ServiceSpec spec = webSpec();
        spec.memoryLimit = 2'000'000'000; // would be "2GB" without its unit
        spec.memoryLimitUnit = u"MB"_s;
        spec.memoryLimitFor = std::chrono::milliseconds(1'500);
        const QString text = ConfigWriter::toToml(spec);
        QVERIFY2(text.contains(u"memory_limit = \"2000MB\"\n"_s), qPrintable(text));
        QVERIFY2(text.contains(u"memory_limit_for = \"1.5s\"\n"_s) ||
                     text.contains(u"memory_limit_for = \"1s500ms\"\n"_s),
                 qPrintable(text));
        QString error;
        QVERIFY2(ConfigWriter::addService(m_path, spec, &error), qPrintable(error));
        const ServiceSpec web = *load(m_path).service(u"web"_s);
        QCOMPARE(web.memoryLimit, 2'000'000'000LL);
        QCOMPARE(web.memoryLimitUnit, u"MB"_s);
        QCOMPARE(web.memoryLimitFor, std::chrono::milliseconds(1'500));
        // The default (the first sample over the limit) is not written.
        QVERIFY(!ConfigWriter::toToml(webSpec()).contains(u"memory_limit_for"_s));
    }

    void addServiceRoundTripsAndKeepsEverythingElse()
    {
        const Config before = load(m_path);
        QString error;
        QVERIFY2(ConfigWriter::addService(m_path, webSpec(), &error), qPrintable(error));

        const Config after = load(m_path);
        QCOMPARE(after.services.size(), 3);
        QCOMPARE(after.services.last().name, u"web"_s);
        const ServiceSpec web = *after.service(u"web"_s);
        QCOMPARE(web.command, webSpec().command);
        QCOMPARE(web.ports, webSpec().ports);
        QCOMPARE(web.env, webSpec().env);
        QCOMPARE(web.restart, RestartPolicy::Always);
        QCOMPARE(web.memoryLimit, 512LL * 1024 * 1024);
        QCOMPARE(web.cpuLimit, 87.5);
        QCOMPARE(web.cpuLimitFor, std::chrono::milliseconds(120'000));
        QCOMPARE(web.health.kind, HealthSpec::Kind::Tcp);
        QCOMPARE(web.health.tcpPort, quint16(3000));
        // The others are exactly as they were.
        QVERIFY(sameServiceDefinition(*after.service(u"api"_s), *before.service(u"api"_s)));
        QVERIFY(sameServiceDefinition(*after.service(u"worker"_s), *before.service(u"worker"_s)));
        QCOMPARE(after.recovery.clean, before.recovery.clean);

        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kBase);
        const QByteArray text = readAll(m_path);
        QCOMPARE(commentLines(text), commentLines(kBase));
        // Inserted after the last service, before [recovery] and its comment;
        // everything before that point is byte for byte the same.
        const qsizetype recovery = kBase.indexOf("\n# Cleanup globs.");
        QVERIFY(text.startsWith(kBase.left(recovery)));
        QVERIFY(text.endsWith(kBase.mid(recovery)));
        QVERIFY(text.indexOf("name = \"web\"") < text.indexOf("[recovery]"));
    }

    void replaceServiceSplicesOnlyItsTable()
    {
        const Config before = load(m_path);
        ServiceSpec api = *before.service(u"api"_s);
        api.ports = {8001};
        api.health.url = u"http://127.0.0.1:8001/health"_s;
        api.stopTimeout = 2s;
        QString error;
        QVERIFY2(ConfigWriter::replaceService(m_path, u"api"_s, api, &error), qPrintable(error));

        const Config after = load(m_path);
        QCOMPARE(after.services.size(), 2);
        QCOMPARE(after.services.first().name, u"api"_s); // same place in the file
        QVERIFY(sameServiceDefinition(*after.service(u"api"_s), api));
        QVERIFY(!sameServiceDefinition(*after.service(u"api"_s), *before.service(u"api"_s)));
        QVERIFY(sameServiceDefinition(*after.service(u"worker"_s), *before.service(u"worker"_s)));
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kBase);

        const QByteArray text = readAll(m_path);
        // Everything up to the api table and from the worker's comment on is untouched.
        const qsizetype apiStart = kBase.indexOf("[[service]]");
        const qsizetype workerComment = kBase.indexOf("\n\n# The worker;");
        QVERIFY(text.startsWith(kBase.left(apiStart)));
        QVERIFY(text.endsWith(kBase.mid(workerComment)));
        // The only comment lost is the one inside the replaced table.
        QStringList expected = commentLines(kBase);
        expected.removeOne(u"# argv"_s);
        QCOMPARE(commentLines(text), expected);

        // Renaming through replace; the multi-line command is carried over.
        ServiceSpec worker = *before.service(u"worker"_s);
        worker.name = u"worker2"_s;
        QVERIFY2(ConfigWriter::replaceService(m_path, u"worker"_s, worker, &error), qPrintable(error));
        const Config renamed = load(m_path);
        QVERIFY(!renamed.service(u"worker"_s));
        QVERIFY(renamed.service(u"worker2"_s));
        QCOMPARE(renamed.service(u"worker2"_s)->command, before.service(u"worker"_s)->command);
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), text);

        // Renaming api would leave worker2's depends_on dangling: the loader says so.
        api.name = u"api2"_s;
        QVERIFY(!ConfigWriter::replaceService(m_path, u"api"_s, api, &error));
        QVERIFY2(error.contains(u"depends_on: unknown service \"api\""_s), qPrintable(error));
    }

    void removeServiceKeepsTheRest()
    {
        const Config before = load(m_path);
        QString error;
        // worker depends on api: removing api is rejected by the loader.
        QVERIFY(!ConfigWriter::removeService(m_path, u"api"_s, &error));
        QVERIFY2(error.contains(u"depends_on: unknown service \"api\""_s), qPrintable(error));
        QCOMPARE(readAll(m_path), kBase);

        QVERIFY2(ConfigWriter::removeService(m_path, u"worker"_s, &error), qPrintable(error));
        const Config after = load(m_path);
        QCOMPARE(after.services.size(), 1);
        QVERIFY(sameServiceDefinition(after.services.first(), *before.service(u"api"_s)));
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kBase);
        const QByteArray text = readAll(m_path);
        QVERIFY(!text.contains("ghost"));
        // The worker's comment sat above its header, outside its table: kept.
        QCOMPARE(commentLines(text), commentLines(kBase));
        QVERIFY(!text.contains("\n\n\n"));

        QVERIFY2(ConfigWriter::removeService(m_path, u"api"_s, &error), qPrintable(error));
        QCOMPARE(load(m_path).services.size(), 0);
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), text);
    }

    void invalidEntriesAreRejectedWithTheLoadersMessage_data()
    {
        QTest::addColumn<QString>("toml");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("message");
        const ServiceSpec web = webSpec();
        QTest::newRow("port 70000") << ConfigWriter::toToml(web, {{u"ports"_s, u"[70000]"_s}})
                                    << u"ports[0]"_s << u"must be between 1 and 65535, got 70000"_s;
        ServiceSpec dup = web;
        dup.name = u"api"_s;
        dup.ports = {};
        QTest::newRow("duplicate name") << ConfigWriter::toToml(dup) << u"name"_s
                                        << u"duplicate service name \"api\" (first defined at line 10)"_s;
        QTest::newRow("bad size") << ConfigWriter::toToml(web, {{u"memory_limit"_s, u"\"5 parsecs\""_s}})
                                  << u"memory_limit"_s << u"\"5 parsecs\" is not a size"_s;
        ServiceSpec empty = web;
        empty.command.clear();
        QTest::newRow("empty command")
            << ConfigWriter::toToml(empty) << u"command"_s << u"must not be empty"_s;
        QTest::newRow("port used by api") << ConfigWriter::toToml(web, {{u"ports"_s, u"[8000]"_s}})
                                          << u"ports"_s << u"port 8000 is already used by service \"api\""_s;
        QTest::newRow("health timing") << ConfigWriter::toToml(web, {{u"health.interval"_s, u"\"often\""_s}})
                                       << u"health.interval"_s << u"\"often\" is not a duration"_s;
    }

    void invalidEntriesAreRejectedWithTheLoadersMessage()
    {
        QFETCH(QString, toml);
        QFETCH(QString, key);
        QFETCH(QString, message);
        QString error;
        QList<ConfigWriter::FieldError> fields;
        QVERIFY(!ConfigWriter::addServiceToml(m_path, toml, &error, &fields));
        QVERIFY2(error.contains(message), qPrintable(error));
        // The error is in lines the file does not have yet: no FILE:LINE.
        QVERIFY2(!error.contains(m_path), qPrintable(error));
        QCOMPARE(fields.size(), 1);
        QCOMPARE(fields.first().key, key);
        QVERIFY2(fields.first().message.startsWith(message), qPrintable(fields.first().message));
        QCOMPARE(readAll(m_path), kBase);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));

        // The same through replace.
        fields.clear();
        QVERIFY(!ConfigWriter::replaceServiceToml(m_path, u"worker"_s, toml, &error, &fields));
        QVERIFY2(error.contains(message), qPrintable(error));
        QCOMPARE(fields.size(), 1);
        QCOMPARE(fields.first().key, key);
        QCOMPARE(readAll(m_path), kBase);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));
    }

    void errorsAreToldInTheLinesOfTheFile()
    {
        // Renaming "api" breaks worker's depends_on, which is below the
        // edited table: the error names the line "api" is on in the file.
        ServiceSpec renamed =
            load(m_path).service(u"api"_s) ? *load(m_path).service(u"api"_s) : ServiceSpec{};
        renamed.name = u"api2"_s;
        QString error;
        QList<ConfigWriter::FieldError> fields;
        QVERIFY(!ConfigWriter::replaceServiceToml(
            m_path, u"api"_s,
            ConfigWriter::toToml(renamed, {{u"env"_s, u"{ A = \"1\" }"_s}, {u"cpu_limit"_s, u"50"_s}}),
            &error, &fields));
        QVERIFY2(error.startsWith(m_path + u":26:3: error: service \"worker\": depends_on"_s),
                 qPrintable(error));
        QVERIFY(fields.isEmpty());

        // Renaming "api" to "worker": the loader finds the duplicate at the
        // worker, below; it is still the edited name that is wrong.
        renamed.name = u"worker"_s;
        QVERIFY(!ConfigWriter::replaceServiceToml(m_path, u"api"_s, ConfigWriter::toToml(renamed), &error,
                                                  &fields));
        QVERIFY(!fields.isEmpty());
        QCOMPARE(fields.first().key, u"name"_s);
        QVERIFY2(fields.first().message == u"another service is already called \"worker\" (line 18)"_s,
                 qPrintable(fields.first().message));
        QCOMPARE(readAll(m_path), kBase);
    }

    void writtenValuesAreWhatTheFileSays()
    {
        writeAll(m_path, "[[service]]\n"
                         "name = \"api\"\n"
                         "command = [\"x\"]\n"
                         "env = { PORT = \"8000\" }\n"
                         "max_restarts = 10   # the default, written on purpose\n"
                         "backoff_factor = 1.5\n"
                         "autostart = true\n"
                         "memory_limit = \"100MiB\"\n"
                         "[service.health]\n"
                         "tcp = \"127.0.0.1:8000\"\n"
                         "interval = \"30s\"\n"
                         "[[service]]\n"
                         "name = \"other\"\n"
                         "command = [\"y\"]\n");
        const QVariantMap v = ConfigWriter::writtenValues(m_path, u"api"_s);
        QCOMPARE(v.value(u"max_restarts"_s), QVariant(qint64(10)));
        QCOMPARE(v.value(u"backoff_factor"_s), QVariant(1.5));
        QCOMPARE(v.value(u"autostart"_s), QVariant(true));
        QCOMPARE(v.value(u"memory_limit"_s), QVariant(u"100MiB"_s));
        QCOMPARE(v.value(u"health.tcp"_s), QVariant(u"127.0.0.1:8000"_s));
        QCOMPARE(v.value(u"health.interval"_s), QVariant(u"30s"_s));
        QCOMPARE(v.value(u"env"_s).toMap().value(u"PORT"_s), QVariant(u"8000"_s));
        QVERIFY(!v.contains(u"restart_delay"_s));
        QVERIFY(!v.contains(u"health.timeout"_s));
        QCOMPARE(ConfigWriter::writtenValues(m_path, u"other"_s).size(), 2);
        QVERIFY(ConfigWriter::writtenValues(m_path, u"nope"_s).isEmpty());

        // Written back as they were, defaults included, and nothing added.
        ConfigWriter::RawValues raw;
        for (auto it = v.cbegin(); it != v.cend(); ++it)
            raw.insert(it.key(), ConfigWriter::tomlValue(it.value()));
        const ServiceSpec spec = *load(m_path).service(u"api"_s);
        QCOMPARE(ConfigWriter::toToml(spec, raw),
                 u"[[service]]\nname = \"api\"\ncommand = [\"x\"]\nenv = { PORT = \"8000\" }\n"
                 u"autostart = true\nbackoff_factor = 1.5\nmax_restarts = 10\nmemory_limit = \"100MiB\"\n"
                 u"[service.health]\ntcp = \"127.0.0.1:8000\"\ninterval = \"30s\"\n"_s);
    }

    void unknownServiceAndBrokenFile()
    {
        QString error;
        QVERIFY(!ConfigWriter::replaceService(m_path, u"nope"_s, webSpec(), &error));
        QVERIFY2(error.contains(u"there is no service \"nope\""_s), qPrintable(error));
        QVERIFY(!ConfigWriter::removeService(m_path, u"nope"_s, &error));
        QVERIFY2(error.contains(u"there is no service \"nope\""_s), qPrintable(error));
        QCOMPARE(readAll(m_path), kBase);

        // A file that does not load: every edit says why, nothing is written.
        const QByteArray broken = kBase + "\n[[service]]\nname = \"x\"\ncommand = [\"a\"\n";
        writeAll(m_path, broken);
        QVERIFY(!ConfigWriter::removeService(m_path, u"api"_s, &error));
        QVERIFY2(error.startsWith(m_path + u':') && error.contains(u"syntax error"_s), qPrintable(error));
        QVERIFY(!ConfigWriter::addService(m_path, webSpec(), &error));
        QVERIFY2(error.contains(u"syntax error"_s), qPrintable(error));
        QVERIFY(!ConfigWriter::setOnExit(m_path, OnExit::Stop, &error));
        QCOMPARE(readAll(m_path), broken);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));
    }

    void inlineServicesAreRefusedNotRewritten()
    {
        const QByteArray text = "service = [ { name = \"a\", command = [\"x\"] } ]\n";
        writeAll(m_path, text);
        QString error;
        QVERIFY(!ConfigWriter::removeService(m_path, u"a"_s, &error));
        QVERIFY2(error.contains(u"edit it by hand"_s), qPrintable(error));
        QVERIFY(!ConfigWriter::addService(m_path, webSpec(), &error));
        QVERIFY(!error.isEmpty());
        QCOMPARE(readAll(m_path), text);
    }

    void setOnExitInPlace()
    {
        QString error;
        QVERIFY2(ConfigWriter::setOnExit(m_path, OnExit::Keep, &error), qPrintable(error));
        QCOMPARE(load(m_path).settings.onExit, OnExit::Keep);
        QByteArray expected = kBase;
        expected.replace("on_exit = \"ask\"         # ask", "on_exit = \"keep\"         # ask");
        QCOMPARE(readAll(m_path), expected);
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kBase);
    }

    void setOnExitAddsTheKeyOrTheTable()
    {
        // [settings] without on_exit.
        QByteArray text = kBase;
        text.replace("on_exit = \"ask\"         # ask | stop | keep\n", "");
        writeAll(m_path, text);
        QString error;
        QVERIFY2(ConfigWriter::setOnExit(m_path, OnExit::Stop, &error), qPrintable(error));
        QCOMPARE(load(m_path).settings.onExit, OnExit::Stop);
        QCOMPARE(commentLines(readAll(m_path)), commentLines(text));

        // No [settings] at all.
        text = "# just services\n[[service]]\nname = \"a\"\ncommand = [\"x\"]\n";
        writeAll(m_path, text);
        QVERIFY2(ConfigWriter::setOnExit(m_path, OnExit::Keep, &error), qPrintable(error));
        QCOMPARE(load(m_path).settings.onExit, OnExit::Keep);
        QCOMPARE(load(m_path).services.size(), 1);
        QVERIFY(readAll(m_path).startsWith("# just services\n[settings]\non_exit = \"keep\"\n\n[[service]]"));
    }

    void addToAMissingFileCreatesIt()
    {
        const QString path = m_dir.filePath(u"new.toml"_s);
        QString error;
        QVERIFY2(ConfigWriter::addService(path, webSpec(), &error), qPrintable(error));
        QCOMPARE(load(path).services.size(), 1);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(path)));
        QVERIFY2(ConfigWriter::setOnExit(path, OnExit::Stop, &error), qPrintable(error));
        QCOMPARE(load(path).settings.onExit, OnExit::Stop);
        QCOMPARE(load(path).services.size(), 1);
    }

    void writeFailuresReportTheCause()
    {
        // The backup cannot be written (a folder is in its way): nothing is written at all.
        QVERIFY(QDir().mkpath(ConfigWriter::backupPath(m_path)));
        QString error;
        QVERIFY(!ConfigWriter::setOnExit(m_path, OnExit::Stop, &error));
        QVERIFY2(error.startsWith(u"cannot write \""_s + ConfigWriter::backupPath(m_path)),
                 qPrintable(error));
        QCOMPARE(readAll(m_path), kBase);
        QVERIFY(QDir(ConfigWriter::backupPath(m_path)).removeRecursively());

        // The configuration itself is a folder.
        const QString folder = m_dir.filePath(u"folder.toml"_s);
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(!ConfigWriter::addService(folder, webSpec(), &error));
        QVERIFY2(error.contains(u"folder.toml"_s), qPrintable(error));
    }

    void toTomlEmitsOnlyNonDefaults()
    {
        ServiceSpec s;
        s.name = u"min"_s;
        s.command = {u"x"_s};
        QCOMPARE(ConfigWriter::toToml(s), u"[[service]]\nname = \"min\"\ncommand = [\"x\"]\n"_s);
        s.autostart = false;
        s.stopSignal = 2;
        s.logs.backups = 2;
        QCOMPARE(ConfigWriter::toToml(s),
                 u"[[service]]\nname = \"min\"\ncommand = [\"x\"]\nautostart = false\n"
                 u"stop_signal = \"INT\"\n[service.logs]\nbackups = 2\n"_s);
    }

    void toTomlRoundTripsEveryField()
    {
        // Every key with a non-default value, through the loader and back.
        const QByteArray full = "[[service]]\n"
                                "name = \"all\"\n"
                                "command = [\"python3\", \"-m\", \"my app\", \"\\\"q\\\"\"]\n"
                                "cwd = \"/srv/app\"\n"
                                "env = { PORT = \"8000\", \"A B\" = \"x=y\" }\n"
                                "autostart = false\n"
                                "depends_on = [\"db\"]\n"
                                "ports = [8000, 8001]\n"
                                "restart = \"never\"\n"
                                "restart_delay = \"1m30s\"\n"
                                "backoff_factor = 1.5\n"
                                "backoff_max = \"2h\"\n"
                                "max_restarts = 3\n"
                                "restart_window = \"1d\"\n"
                                "stable_after = \"250ms\"\n"
                                "fatal_retry = \"10m\"\n"
                                "stop_signal = \"SIGUSR1\"\n"
                                "stop_timeout = \"0\"\n"
                                "memory_limit = \"1GiB\"\n"
                                "[service.health]\n"
                                "exec = [\"curl\", \"-f\", \"http://x\"]\n"
                                "interval = \"10s\"\n"
                                "timeout = \"2s\"\n"
                                "start_period = \"0\"\n"
                                "failures = 5\n"
                                "successes = 2\n"
                                "restart_on_unhealthy = true\n"
                                "expect_status = \"200-299\"\n"
                                "[service.logs]\n"
                                "max_size = \"1500000\"\n"
                                "backups = 0\n"
                                "[[service]]\n"
                                "name = \"db\"\n"
                                "shell = true\n"
                                "command = \"pg_ctl start && tail -f /dev/null\"\n"
                                "cwd = \"~/db\"\n"
                                "[service.health]\n"
                                "tcp = \"[::1]:5432\"\n";
        const LoadResult r = ConfigLoader::loadString(full, m_path);
        QVERIFY(r.ok());
        QString joined;
        for (const ServiceSpec &s : r.config->services)
            joined += ConfigWriter::toToml(s);
        const LoadResult back = ConfigLoader::loadString(joined.toUtf8(), m_path);
        for (const Diagnostic &d : back.errors)
            qWarning("%s", qPrintable(d.toString()));
        QVERIFY(back.ok());
        QVERIFY(back.warnings.isEmpty());
        QCOMPARE(back.config->services.size(), 2);
        // A path under the home folder is written with "~", as a person would.
        QVERIFY2(joined.contains(u"cwd = \"~/db\""_s), qPrintable(joined));
        QVERIFY(joined.contains(u"cwd = \"/srv/app\""_s));
        for (qsizetype i = 0; i < 2; ++i)
            QVERIFY2(sameServiceDefinition(r.config->services[i], back.config->services[i]),
                     qPrintable(ConfigWriter::toToml(r.config->services[i])));
    }

    void exactSizes()
    {
        QCOMPARE(exactSizeText(500'000'000), u"500MB"_s);
        QCOMPARE(exactSizeText(1LL << 30), u"1GiB"_s);
        QCOMPARE(exactSizeText(4097), u"4097"_s);
        QCOMPARE(exactSizeText(0), u"0"_s);
        for (const qint64 n : {qint64(1), qint64(1024), qint64(1500), qint64(3) << 40, qint64(999'999)})
            QCOMPARE(parseSize(exactSizeText(n)).value_or(-1), n);
    }
};

QTEST_GUILESS_MAIN(TestConfigWriter)
#include "tst_configwriter.moc"
