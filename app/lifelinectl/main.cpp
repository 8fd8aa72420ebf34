// lifelinectl: drives a running Lifeline (desktop or --headless) through its
// control socket. Exit codes (design.md): 0 ok, 1 the command failed, 2 usage
// or configuration error, 3 no Lifeline running for that config.
#include "config/configloader.h"
#include "config/importers.h"
#include "config/systemdexport.h"
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "control/statusjson.h"
#include "errors/errorjson.h"
#include "lifelinectl/ctlcommandline.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QStringList>
#include <QThread>

#include <cstdio>
#include <optional>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

enum ExitCode
{
    Ok = 0,
    Failed = 1,
    Usage = 2,
    NotRunning = 3
};

void printErr(const QString &text)
{
    std::fputs(qPrintable(text + u'\n'), stderr);
    std::fflush(stderr);
}

void printOut(const QString &text)
{
    std::fputs(qPrintable(text), stdout);
    if (!text.endsWith(u'\n'))
        std::fputc('\n', stdout);
    std::fflush(stdout);
}

struct Target
{
    QString socketPath;
    QString configPath; // empty with --socket
    QString describe() const
    {
        return configPath.isEmpty() ? u"on socket %1"_s.arg(socketPath)
                                    : u"for %1 (socket %2)"_s.arg(configPath, socketPath);
    }
};

class Session
{
public:
    explicit Session(const Target &target)
        : m_target(target)
        , m_client(target.socketPath)
    {}

    void setTimeout(int ms) { m_client.setTimeout(ms); }

    // The reply when "ok" is true; otherwise prints why and sets *exitCode.
    std::optional<QJsonObject> call(const QJsonObject &request, int *exitCode)
    {
        const std::optional<QJsonObject> reply = m_client.request(request);
        if (!reply) {
            // Exit 3 only when no Lifeline is there; a socket we may not use is a failure (1).
            if (m_client.error() == ControlClient::Error::NotRunning) {
                printErr(u"lifelinectl: no Lifeline is running "_s + m_target.describe());
                *exitCode = NotRunning;
            } else {
                printErr(u"lifelinectl: "_s + m_client.errorString());
                *exitCode = Failed;
            }
            return std::nullopt;
        }
        if (!reply->value(u"ok"_s).toBool()) {
            const QString error = reply->value(u"error"_s).toString();
            printErr(u"lifelinectl: "_s + (error.isEmpty() ? u"the command failed"_s : error));
            *exitCode = Failed;
            return std::nullopt;
        }
        return reply;
    }

private:
    Target m_target;
    ControlClient m_client;
};

// Exit code 2, after each error of a configuration that did not load.
int printLoadErrors(const LoadResult &result, const QString &file)
{
    for (const Diagnostic &d : result.errors)
        printErr(d.toString());
    if (result.errors.isEmpty())
        printErr(u"%1: error: the configuration is not valid"_s.arg(file));
    return Usage;
}

int cmdCheckConfig(const QString &file)
{
    const LoadResult result = ConfigLoader::loadFile(file);
    for (const Diagnostic &d : result.warnings)
        printErr(d.toString());
    if (!result.ok())
        return printLoadErrors(result, file);
    printOut(u"%1: ok (%2 services, %3 warnings)"_s.arg(file)
                 .arg(result.config->services.size())
                 .arg(result.warnings.size()));
    return Ok;
}

// A file error names the file and the cause.
bool writeNewFile(const QString &path, const QString &text)
{
    QFile file(path);
    // NewOnly: never replace what is there, not even if it appeared just now.
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)) {
        printErr(file.exists() ? u"lifelinectl: %1: already exists; not overwritten"_s.arg(path)
                               : u"lifelinectl: %1: cannot write: %2"_s.arg(path, file.errorString()));
        return false;
    }
    const QByteArray bytes = text.toUtf8();
    if (file.write(bytes) != bytes.size() || !file.flush()) {
        printErr(u"lifelinectl: %1: cannot write: %2"_s.arg(path, file.errorString()));
        file.remove();
        return false;
    }
    return true;
}

// Reads the configuration itself, like check-config: no Lifeline needed.
int cmdExport(const CtlCommandLine &cl)
{
    const QString configPath =
        canonicalConfigPath(cl.configPath.isEmpty() ? defaultConfigPath() : cl.configPath);
    const LoadResult result = ConfigLoader::loadFile(configPath);
    if (!result.ok())
        return printLoadErrors(result, configPath);
    const Config &config = *result.config;
    QList<const ServiceSpec *> services;
    for (const ServiceSpec &spec : config.services) {
        if (cl.argument == u"all"_s || spec.name == cl.argument)
            services.append(&spec);
    }
    if (services.isEmpty()) {
        printErr(cl.argument == u"all"_s
                     ? u"lifelinectl: %1 has no services"_s.arg(configPath)
                     : u"lifelinectl: no service \"%1\" in %2"_s.arg(cl.argument, configPath));
        return Failed;
    }
    SystemdExportOptions options;
    options.user = cl.user;
    if (!cl.user)
        options.runAs = qEnvironmentVariable("USER");
    if (cl.outPath.isEmpty()) {
        printOut(systemdUnit(config, *services.constFirst(), options));
        return Ok;
    }
    if (!QDir().mkpath(cl.outPath)) {
        printErr(u"lifelinectl: %1: cannot create the folder"_s.arg(cl.outPath));
        return Failed;
    }
    // All or nothing: refuse before writing any unit when one is already there.
    for (const ServiceSpec *spec : services) {
        const QString path = QDir(cl.outPath).filePath(systemdUnitName(spec->name));
        if (QFileInfo::exists(path)) {
            printErr(u"lifelinectl: %1: already exists; not overwritten"_s.arg(path));
            return Failed;
        }
    }
    for (const ServiceSpec *spec : services) {
        const QString path = QDir(cl.outPath).filePath(systemdUnitName(spec->name));
        if (!writeNewFile(path, systemdUnit(config, *spec, options)))
            return Failed;
        printOut(path);
    }
    return Ok;
}

// Exit 2 when FILE cannot be converted (the message names FILE:LINE), 1
// when it cannot be read or --out cannot be written.
int cmdImport(const CtlCommandLine &cl)
{
    const QString &file = cl.argument;
    if (cl.format == u"pm2"_s && (file.endsWith(u".yaml"_s) || file.endsWith(u".yml"_s))) {
        printErr(u"lifelinectl: %1: YAML ecosystem files are not read; convert it to "
                 "ecosystem.json (the same keys)"_s.arg(file));
        return Usage;
    }
    QString error;
    std::optional<QByteArray> bytes = readConfigFile(file, &error);
    if (!bytes) {
        printErr(u"lifelinectl: "_s + error);
        return Failed;
    }
    ImportResult imported;
    if (cl.format == u"procfile"_s) {
        imported = importProcfile(*bytes, file);
    } else if (cl.format == u"supervisord"_s) {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        QHash<QString, QString> environment;
        for (const QString &key : env.keys())
            environment.insert(key, env.value(key));
        imported = importSupervisord(*bytes, file, environment);
    } else {
        if (file.endsWith(u".js"_s) || file.endsWith(u".cjs"_s)) {
            bytes = pm2ConfigJsToJson(*bytes, file, &error);
            if (!bytes) {
                printErr(u"lifelinectl: "_s + error);
                return Usage;
            }
        }
        imported = importPm2Json(*bytes, file);
    }
    if (!imported.ok()) {
        printErr(u"lifelinectl: "_s + imported.error);
        return Usage;
    }
    // What is printed must be what check-config accepts.
    const QString where =
        cl.outPath.isEmpty() ? QFileInfo(file).absoluteDir().filePath(u"lifeline.toml"_s) : cl.outPath;
    const LoadResult check = ConfigLoader::loadString(imported.toml.toUtf8(), where);
    if (!check.ok()) {
        printErr(u"lifelinectl: the imported configuration does not load:"_s);
        for (const Diagnostic &d : check.errors)
            printErr(d.toString());
        return Failed;
    }
    if (cl.outPath.isEmpty()) {
        printOut(imported.toml);
        return Ok;
    }
    if (!writeNewFile(cl.outPath, imported.toml))
        return Failed;
    printOut(
        u"%1: %2 services imported from %3"_s.arg(cl.outPath).arg(check.config->services.size()).arg(file));
    return Ok;
}

int cmdStatus(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    const auto reply = session.call({{u"cmd"_s, u"status"_s}}, &rc);
    if (!reply)
        return rc;
    const QJsonObject status = reply->value(u"status"_s).toObject();
    if (cl.json)
        printOut(QString::fromUtf8(QJsonDocument(status).toJson(QJsonDocument::Indented)));
    else
        printOut(statusTable(status));
    return Ok;
}

int cmdStartStop(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    if (!session.call({{u"cmd"_s, cl.command}, {u"name"_s, cl.argument}}, &rc))
        return rc;
    printOut(u"%1 %2: requested"_s.arg(cl.command, cl.argument));
    return Ok;
}

int cmdHealth(Session &session, const CtlCommandLine &cl)
{
    const QString &name = cl.argument;
    int rc = Ok;
    auto reply = session.call({{u"cmd"_s, u"health"_s}, {u"name"_s, name}}, &rc);
    if (!reply)
        return rc;
    reply->remove(u"ok"_s);
    if (cl.json) {
        printOut(QString::fromUtf8(QJsonDocument(*reply).toJson(QJsonDocument::Indented)));
        return Ok;
    }
    QString text = u"%1: %2\n"_s.arg(name, reply->value(u"health"_s).toString());
    const QJsonArray results = reply->value(u"results"_s).toArray();
    if (results.isEmpty())
        text += u"  no health checks yet\n"_s;
    for (const QJsonValue &r : results) {
        const QJsonObject o = r.toObject();
        QStringList parts;
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            parts << it.key() + u'=' + it.value().toVariant().toString();
        text += u"  "_s + parts.join(u' ') + u'\n';
    }
    printOut(text);
    return Ok;
}

int cmdLogs(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    QJsonObject request{
        {u"cmd"_s, u"logs"_s}, {u"name"_s, cl.argument}, {u"lines"_s, cl.lines}, {u"errors"_s, cl.errors}};
    auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    for (const QJsonValue &l : reply->value(u"lines"_s).toArray())
        printOut(l.toString());
    if (!cl.follow)
        return Ok;
    // Follow: ask every 500 ms for what was written after the last cursor.
    // A command-line tool may simply sleep between polls.
    request.remove(u"lines"_s);
    for (;;) {
        request.insert(u"after"_s, reply->value(u"cursor"_s).toObject());
        QThread::msleep(500);
        reply = session.call(request, &rc);
        if (!reply)
            return rc;
        for (const QJsonValue &l : reply->value(u"lines"_s).toArray())
            printOut(l.toString());
    }
}

int cmdErrors(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    const auto reply = session.call({{u"cmd"_s, u"errors"_s}, {u"name"_s, cl.argument}}, &rc);
    if (!reply)
        return rc;
    const QJsonArray signatures = reply->value(u"signatures"_s).toArray();
    if (cl.json)
        printOut(QString::fromUtf8(QJsonDocument(signatures).toJson(QJsonDocument::Indented)));
    else
        printOut(errorSignaturesText(cl.argument, signatures));
    return Ok;
}

int cmdRecover(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    // A run stops, cleans, starts and verifies everything: allow it time.
    session.setTimeout(30 * 60 * 1000);
    auto reply = session.call({{u"cmd"_s, u"recover"_s}, {u"dry_run"_s, cl.dryRun}, {u"yes"_s, cl.yes}}, &rc);
    if (!reply)
        return rc;
    printOut(reply->value(u"text"_s).toString());
    if (cl.dryRun)
        return Ok;
    // Exit 0 only when every service was verified running and healthy.
    return reply->value(u"verified"_s).toBool() ? Ok : Failed;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"lifelinectl"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(LIFELINE_VERSION));

    const CtlCommandLine cl = parseCtlCommandLine(QCoreApplication::arguments());
    switch (cl.action) {
    case CtlCommandLine::Action::Help:
    case CtlCommandLine::Action::Version:
        std::fputs(qPrintable(cl.text), stdout);
        return cl.exitCode;
    case CtlCommandLine::Action::UsageError:
        std::fputs(qPrintable(cl.text), stderr);
        return cl.exitCode;
    case CtlCommandLine::Action::Run:
        break;
    }
    if (cl.command == u"check-config"_s)
        return cmdCheckConfig(cl.argument);
    if (cl.command == u"export"_s)
        return cmdExport(cl);
    if (cl.command == u"import"_s)
        return cmdImport(cl);

    Target target;
    if (!cl.socketPath.isEmpty()) {
        target.socketPath = cl.socketPath;
    } else {
        target.configPath =
            canonicalConfigPath(cl.configPath.isEmpty() ? defaultConfigPath() : cl.configPath);
        QString error;
        target.socketPath = socketPathForConfig(target.configPath, &error);
        if (target.socketPath.isEmpty()) {
            printErr(u"lifelinectl: "_s + error);
            return Failed;
        }
    }
    Session session(target);

    if (cl.command == u"status"_s)
        return cmdStatus(session, cl);
    if (cl.command == u"start"_s || cl.command == u"stop"_s || cl.command == u"restart"_s)
        return cmdStartStop(session, cl);
    if (cl.command == u"health"_s)
        return cmdHealth(session, cl);
    if (cl.command == u"logs"_s)
        return cmdLogs(session, cl);
    if (cl.command == u"errors"_s)
        return cmdErrors(session, cl);
    return cmdRecover(session, cl);
}
