// Procfile, supervisord.conf and PM2 ecosystem files -> lifeline.toml
// (core/config/importers.h): real-world-shaped fixtures in
// tests/fixtures/import (comments, continuation lines, %(ENV_X)s, unknown
// keys), each giving TOML that the real ConfigLoader loads with the
// expected services and keys, every key not carried said in a comment, and
// errors that name FILE:LINE.
#include "config/configloader.h"
#include "config/importers.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

QString fixture(const QString &name)
{
    return QStringLiteral(LIFELINE_TEST_DATA) + u"/import/"_s + name;
}

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

const QHash<QString, QString> kEnvironment{{u"HOME"_s, u"/home/tester"_s}};

ImportResult importFixture(const QString &kind, const QString &name)
{
    const QString path = fixture(name);
    if (kind == u"procfile"_s)
        return importProcfile(read(path), path);
    if (kind == u"supervisord"_s)
        return importSupervisord(read(path), path, kEnvironment);
    return importPm2Json(read(path), path);
}

} // namespace

class TestImporters : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // The TOML as check-config would see it, written somewhere else than the imported file.
    std::optional<Config> load(const ImportResult &r)
    {
        if (!r.ok()) {
            qWarning().noquote() << r.error;
            return std::nullopt;
        }
        const LoadResult loaded =
            ConfigLoader::loadString(r.toml.toUtf8(), m_dir.filePath(u"lifeline.toml"_s));
        for (const Diagnostic &d : loaded.errors + loaded.warnings)
            qWarning().noquote() << d.toString() << "\n" << r.toml;
        if (!loaded.warnings.isEmpty())
            return std::nullopt;
        return loaded.config;
    }

private slots:
    void procfile()
    {
        const ImportResult r = importFixture(u"procfile"_s, u"Procfile"_s);
        const std::optional<Config> c = load(r);
        QVERIFY(c);
        QCOMPARE(c->startOrder(), (QStringList{u"web"_s, u"worker"_s, u"clock"_s}));
        const QString dir = QFileInfo(fixture(u"Procfile"_s)).absolutePath();
        const ServiceSpec *web = c->service(u"web"_s);
        QVERIFY(web->shell);
        QCOMPARE(web->command.join(u' '), u"bundle exec puma -C config/puma.rb -p $PORT"_s);
        QCOMPARE(web->env.value(u"PORT"_s), u"5000"_s);
        QCOMPARE(web->cwd, dir);
        const ServiceSpec *worker = c->service(u"worker"_s);
        QVERIFY(!worker->shell);
        QCOMPARE(worker->command, (QStringList{u"bundle"_s, u"exec"_s, u"sidekiq"_s, u"-q"_s, u"default"_s,
                                               u"-q"_s, u"mailers and more"_s}));
        QVERIFY(!worker->env.contains(u"PORT"_s));
        const ServiceSpec *clock = c->service(u"clock"_s);
        QVERIFY(clock->shell);
        QCOMPARE(clock->command.join(u' '), u"bin/clock 2>&1 | tee -a log/clock.log"_s);
        QVERIFY(!c->service(u"release"_s));
    }

    // Every key that is not carried is one "# " line naming it and why.
    void uncarriedKeysAreComments_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("comments");
        QTest::addColumn<QStringList>("nowhere");
        QTest::newRow("Procfile")
            << u"procfile"_s << u"Procfile"_s
            << QStringList{u"# release: bin/rails db:migrate"_s,
                           u"# PORT = 5000 is set the way foreman does (5000, 5100, ...)"_s}
            << QStringList{u"Procfile of a typical Rails app"_s};
        QTest::newRow("supervisord.conf")
            << u"supervisord"_s << u"supervisord.conf"_s
            << QStringList{u"# user = www-data: not carried: Lifeline runs every service as the user running "
                           "Lifeline"_s,
                           u"# x_custom_key = something: not carried: no Lifeline equivalent"_s,
                           u"# stdout_logfile = /var/log/api.log: not carried: Lifeline keeps output in "
                           "state_dir/logs/NAME.log"_s,
                           u"# priority = 10: not carried: start order comes from depends_on in Lifeline"_s,
                           u"# stopasgroup = true: Lifeline always signals the whole process tree"_s,
                           u"# killasgroup = true: Lifeline always signals the whole process tree"_s,
                           u"# environment: %(ENV_...)s expanded from the environment of the import"_s,
                           u"# [supervisord] (line 6): not carried: Lifeline has no such section"_s,
                           u"# [group:everything] (line 42): not carried: Lifeline has no such section"_s,
                           u"# [include] (line 45): not carried: import each included file on its own"_s}
            // inline ";" comments are comments, not values
            << QStringList{u"the path to the socket file"_s, u"sockef"_s};
        QTest::newRow("ecosystem.json")
            << u"pm2"_s << u"ecosystem.json"_s
            << QStringList{u"# deploy: not carried: only \"apps\" is imported"_s,
                           u"# watch = true: not carried: no Lifeline equivalent"_s,
                           u"# out_file = /var/log/api.out: not carried: Lifeline keeps output in "
                           "state_dir/logs/NAME.log"_s,
                           u"# env_staging = {\"NODE_ENV\":\"staging\"}: not carried: only env and "
                           u"env_production "
                           "are imported"_s,
                           u"# env_production (NODE_ENV) is applied over env, as `pm2 start --env "
                           u"production` "
                           "would"_s,
                           u"# exec_mode = cluster: not carried: Lifeline runs separate processes, which "
                           u"cannot "
                           "share one port; give each its own PORT"_s}
            << QStringList{u"staging\""_s + u" }"_s};
    }
    void uncarriedKeysAreComments()
    {
        QFETCH(QString, kind);
        QFETCH(QString, file);
        QFETCH(QStringList, comments);
        QFETCH(QStringList, nowhere);
        const ImportResult r = importFixture(kind, file);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY(load(r));
        const QStringList lines = r.toml.split(u'\n');
        for (const QString &comment : comments)
            QVERIFY2(lines.contains(comment), qPrintable(u"no line \"%1\" in\n%2"_s.arg(comment, r.toml)));
        for (const QString &text : nowhere)
            QVERIFY2(!r.toml.contains(text), qPrintable(text));
    }

    void supervisord()
    {
        const std::optional<Config> c = load(importFixture(u"supervisord"_s, u"supervisord.conf"_s));
        QVERIFY(c);
        QCOMPARE(c->startOrder(), (QStringList{u"api"_s, u"queue_01"_s, u"queue_02"_s}));
        const ServiceSpec *api = c->service(u"api"_s);
        // The indented line continues the command.
        QCOMPARE(api->command, (QStringList{u"/usr/bin/python3"_s, u"-m"_s, u"http.server"_s, u"8000"_s,
                                            u"--bind"_s, u"127.0.0.1"_s}));
        QCOMPARE(api->cwd, QFileInfo(fixture(u"supervisord.conf"_s)).absolutePath() + u"/app"_s); // %(here)s
        QCOMPARE(api->env.value(u"APP_ENV"_s), u"production"_s);
        QCOMPARE(api->env.value(u"HOME_DIR"_s), u"/home/tester"_s); // %(ENV_HOME)s
        QCOMPARE(api->env.value(u"GREETING"_s), u"hello, world"_s); // a quoted comma
        QCOMPARE(api->env.value(u"PLAIN"_s), u"yes"_s);
        QCOMPARE(api->env.size(), 4);
        QVERIFY(api->autostart);
        QCOMPARE(api->restart, RestartPolicy::OnFailure); // autorestart=unexpected
        QCOMPARE(api->stableAfter, Millis(5'000));        // startsecs
        QCOMPARE(api->maxRestarts, 3);                    // startretries
        QCOMPARE(api->stopSignal, 2);                     // stopsignal=INT
        QCOMPARE(api->stopTimeout, Millis(20'000));       // stopwaitsecs

        // numprocs = 2 from numprocs_start = 1, named by process_name.
        for (const QString &n : {u"01"_s, u"02"_s}) {
            const ServiceSpec *queue = c->service(u"queue_"_s + n);
            QVERIFY(queue);
            QCOMPARE(queue->command,
                     (QStringList{u"/usr/bin/env"_s, u"worker"_s, u"--queue=queue"_s, u"--slot"_s, n}));
            QVERIFY(!queue->autostart);
            QCOMPARE(queue->restart, RestartPolicy::Always);
        }
    }

    void pm2Json()
    {
        const std::optional<Config> c = load(importFixture(u"pm2"_s, u"ecosystem.json"_s));
        QVERIFY(c);
        QCOMPARE(c->startOrder(), (QStringList{u"api"_s, u"worker-0"_s, u"worker-1"_s}));
        const QString dir = QFileInfo(fixture(u"ecosystem.json"_s)).absolutePath();
        const ServiceSpec *api = c->service(u"api"_s);
        QCOMPARE(api->command,
                 (QStringList{u"node"_s, u"server.js"_s, u"--port"_s, u"3000"_s, u"--verbose"_s}));
        QCOMPARE(api->cwd, dir + u"/app"_s);
        QCOMPARE(api->env.value(u"NODE_ENV"_s), u"production"_s); // env_production over env
        QCOMPARE(api->env.value(u"PORT"_s), u"3000"_s);           // a JSON number
        QCOMPARE(api->memoryLimit, 300LL * 1024 * 1024);          // pm2's "300M"
        QCOMPARE(api->restartDelay, Millis(100));                 // exp_backoff_restart_delay
        QCOMPARE(api->backoffFactor, 1.5);
        QCOMPARE(api->backoffMax, Millis(15'000));
        QCOMPARE(api->maxRestarts, 16);
        QCOMPARE(api->stableAfter, Millis(10'000)); // min_uptime "10s"
        QCOMPARE(api->restart, RestartPolicy::Always);

        for (int n = 0; n < 2; ++n) { // instances = 2
            const ServiceSpec *worker = c->service(u"worker-%1"_s.arg(n));
            QVERIFY(worker);
            QCOMPARE(worker->command,
                     (QStringList{u"/usr/bin/python3"_s, u"worker.py"_s, u"--concurrency"_s, u"4"_s}));
            QCOMPARE(worker->cwd, dir);
            QCOMPARE(worker->env.value(u"NODE_APP_INSTANCE"_s), QString::number(n));
            QCOMPARE(worker->restart, RestartPolicy::Never);
            QCOMPARE(worker->restartDelay, Millis(2'500));
            QCOMPARE(worker->backoffFactor, 1.0);
        }
    }

    // The YAML form reads as the JSON form does, with YAML's own ways of
    // writing things: comments, anchors and `<<` merges, flow collections,
    // quoted and plain scalars (a plain 3000 is a number, `yes` a boolean).
    void pm2Yaml()
    {
        const ImportResult fromJson = importFile(u"pm2"_s, fixture(u"ecosystem.json"_s));
        const ImportResult fromYaml = importFile(u"pm2"_s, fixture(u"ecosystem.yaml"_s));
        const std::optional<Config> json = load(fromJson);
        const std::optional<Config> yaml = load(fromYaml);
        QVERIFY(json);
        QVERIFY(yaml);
        QCOMPARE(yaml->startOrder(), json->startOrder());
        for (const ServiceSpec &spec : json->services) {
            const ServiceSpec *y = yaml->service(spec.name);
            QVERIFY(y);
            QCOMPARE(y->command, spec.command);
            QCOMPARE(y->cwd, spec.cwd);
            QCOMPARE(y->env, spec.env);
            QCOMPARE(y->memoryLimit, spec.memoryLimit);
            QCOMPARE(y->restart, spec.restart);
            QCOMPARE(y->restartDelay, spec.restartDelay);
            QCOMPARE(y->backoffFactor, spec.backoffFactor);
            QCOMPARE(y->maxRestarts, spec.maxRestarts);
            QCOMPARE(y->stableAfter, spec.stableAfter);
        }
        // The keys neither form carries are named the same way.
        QVERIFY2(fromYaml.toml.contains(u"watch"_s), qPrintable(fromYaml.toml));
        QVERIFY2(fromYaml.toml.contains(u"defaults: not carried"_s), qPrintable(fromYaml.toml));
    }

    void pm2YamlMistakes_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("error");
        QTest::newRow("not yaml") << QByteArray("apps:\n  - name: a\n   script: b\n")
                                  << u"eco.yaml:3: not valid YAML"_s;
        QTest::newRow("a scalar") << QByteArray("just words\n")
                                  << u"eco.yaml:1: expected a mapping or a list"_s;
        QTest::newRow("empty") << QByteArray("# nothing\n") << u"eco.yaml:1: empty"_s;
        QTest::newRow("complex key") << QByteArray("apps:\n  - ? [a, b]\n    : c\n")
                                     << u"eco.yaml:2: a key that is not a plain value"_s;
        // "Billion laughs": nine levels of nine aliases each would be 10^9 values.
        QByteArray bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
        for (char c = 'b'; c <= 'j'; ++c)
            bomb += QByteArray(1, c) + ": &" + QByteArray(1, c) + " [" + QByteArray("*") + char(c - 1) +
                    QByteArray(", *").append(char(c - 1)).repeated(8) + "]\n";
        QTest::newRow("alias bomb") << bomb << u"expands to more than 100000 values"_s;
        QTest::newRow("deep") << QByteArray("a: ") + QByteArray("[").repeated(200) +
                                     QByteArray("]").repeated(200)
                              << u"nested more than 64 levels deep"_s;
    }
    void pm2YamlMistakes()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, error);
        const ImportResult r = importPm2Yaml(yaml, u"eco.yaml"_s);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(error), qPrintable(r.error));
    }

    void pm2ConfigJs()
    {
        if (QStandardPaths::findExecutable(u"node"_s).isEmpty())
            QSKIP("node is not installed (Debian package nodejs); the JSON form is tested without it");
        const QString path = fixture(u"ecosystem.config.js"_s);
        QString error;
        const std::optional<QByteArray> json = pm2ConfigJsToJson(read(path), path, &error);
        QVERIFY2(json, qPrintable(error));
        const std::optional<Config> c = load(importPm2Json(*json, path));
        QVERIFY(c);
        QCOMPARE(c->services.size(), 1);
        const ServiceSpec *app = c->service(u"app1"_s);
        QCOMPARE(app->command, (QStringList{u"node"_s, u"./app.js"_s}));
        QCOMPARE(app->env.value(u"GREETING"_s), u"hi \"there\""_s);
        QCOMPARE(app->memoryLimit, 1LL << 30);
    }

    // Only the literal is evaluated, with nothing in reach: the file's
    // other code never runs, and code inside the literal is refused.
    void pm2ConfigJsRunsOnlyTheLiteral()
    {
        if (QStandardPaths::findExecutable(u"node"_s).isEmpty())
            QSKIP("node is not installed (Debian package nodejs)");
        const QString marker = m_dir.filePath(u"ran"_s);
        const QString before = u"require('fs').writeFileSync('%1', 'x');\n"
                               "module.exports = { apps: [{ name: 'a', script: 'a.js' }] };\n"_s.arg(marker);
        QString error;
        const std::optional<QByteArray> json = pm2ConfigJsToJson(before.toUtf8(), u"e.config.js"_s, &error);
        QVERIFY2(json, qPrintable(error));
        QVERIFY(importPm2Json(*json, u"e.config.js"_s).ok());

        const QString inside = u"\n\nmodule.exports = { apps: [{ name: require('fs').writeFileSync('%1', "
                               u"'x'), script: 'a.js' }] "
                               "};\n"_s.arg(marker);
        QVERIFY(!pm2ConfigJsToJson(inside.toUtf8(), u"e.config.js"_s, &error));
        QVERIFY2(
            error.startsWith(u"e.config.js:3: module.exports is not plain data (require is not defined)"_s),
            qPrintable(error));
        QVERIFY(!QFile::exists(marker));

        QVERIFY(!pm2ConfigJsToJson("export default {}", u"e.config.js"_s, &error));
        QVERIFY2(error.contains(u"no \"module.exports = {...}\""_s), qPrintable(error));
    }

    // FILE:LINE and the cause.
    void errors_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("Procfile: no colon")
            << u"procfile"_s << QByteArray("# x\nweb bundle exec puma\n")
            << u"F:2: expected \"NAME: COMMAND\", got \"web bundle exec puma\""_s;
        QTest::newRow("Procfile: no command") << u"procfile"_s << QByteArray("web: x\nworker:\n")
                                              << u"F:2: process \"worker\" has no command"_s;
        QTest::newRow("Procfile: empty")
            << u"procfile"_s << QByteArray("# nothing\n") << u"F: no processes to import"_s;
        QTest::newRow("supervisord: unknown ENV")
            << u"supervisord"_s << QByteArray("[program:a]\ncommand=/bin/a\nenvironment=X=\"%(ENV_NOPE)s\"\n")
            << u"F:3: %(ENV_NOPE)s: not defined (no such environment variable)"_s;
        QTest::newRow("supervisord: unclosed quote")
            << u"supervisord"_s << QByteArray("[program:a]\ncommand=/bin/a\nenvironment=X=\"open,Y=2\n")
            << u"F:3: environment: a quote is not closed"_s;
        QTest::newRow("supervisord: unquoted blank in a value")
            << u"supervisord"_s
            << QByteArray("[program:a]\ncommand=/bin/a\nenvironment=X=1,\n  Y=hello world\n")
            << u"F:3: environment: the value of Y has a blank: quote it"_s;
        QTest::newRow("supervisord: numprocs without process_num")
            << u"supervisord"_s << QByteArray("[program:a]\ncommand=/bin/a\nnumprocs=3\n")
            << u"F:1: numprocs = 3 needs %(process_num)s in process_name"_s;
        QTest::newRow("supervisord: bad autostart")
            << u"supervisord"_s << QByteArray("[program:a]\ncommand=/bin/a\n\nautostart=maybe\n")
            << u"F:4: autostart: expected true or false, got \"maybe\""_s;
        QTest::newRow("supervisord: bad signal")
            << u"supervisord"_s << QByteArray("[program:a]\ncommand=/bin/a\nstopsignal=NOPE\n")
            << u"F:3: stopsignal: "_s;
        QTest::newRow("supervisord: no command")
            << u"supervisord"_s << QByteArray("; c\n[program:a]\ndirectory=/tmp\n")
            << u"F:2: [program:a] has no command"_s;
        QTest::newRow("supervisord: key before section")
            << u"supervisord"_s << QByteArray("command=/bin/a\n") << u"F:1: a key before any [section]"_s;
        QTest::newRow("pm2: bad JSON")
            << u"pm2"_s << QByteArray("{\n  \"apps\": [\n    { \"name\": }\n  ]\n}\n")
            << u"F:3: not valid JSON: "_s;
        QTest::newRow("pm2: no script")
            << u"pm2"_s << QByteArray("{\"apps\": [{\"name\": \"a\"}]}") << u"F: apps[0]: no \"script\""_s;
    }
    void errors()
    {
        QFETCH(QString, kind);
        QFETCH(QByteArray, text);
        QFETCH(QString, error);
        const ImportResult r = kind == u"procfile"_s      ? importProcfile(text, u"F"_s)
                               : kind == u"supervisord"_s ? importSupervisord(text, u"F"_s, kEnvironment)
                                                          : importPm2Json(text, u"F"_s);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.startsWith(error), qPrintable(r.error));
    }

    // Names a service cannot have are made valid and unique, and say so.
    void namesMadeValid()
    {
        const ImportResult r = importProcfile("web: a\n", u"F"_s);
        QVERIFY(r.ok());
        const ImportResult s = importSupervisord(
            "[program:my app]\ncommand=/bin/a\n[program:my-app]\ncommand=/bin/b\n", u"/tmp/F"_s, {});
        const std::optional<Config> c = load(s);
        QVERIFY(c);
        QCOMPARE(c->startOrder(), (QStringList{u"my-app"_s, u"my-app-2"_s}));
        QVERIFY2(s.toml.contains(u"# name \"my-app\" is \"my-app-2\" here"_s), qPrintable(s.toml));
    }
};

QTEST_GUILESS_MAIN(TestImporters)
#include "tst_importers.moc"
