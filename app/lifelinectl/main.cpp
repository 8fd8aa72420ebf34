// lifelinectl: drives a running Lifeline (desktop or --headless) through its
// control socket. Exit codes (design.md): 0 ok, 1 the command failed, 2 usage
// or configuration error, 3 no Lifeline running for that config.
#include "alerts/enginealerts.h"
#include "config/configloader.h"
#include "config/importers.h"
#include "config/systemdexport.h"
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "control/statusjson.h"
#include "diagnostics/diagnosticreport.h"
#include "errors/errorjson.h"
#include "lifelinectl/ctlcommandline.h"

#include <QCoreApplication>
#include <QDateTime>
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
    const ImportResult imported = importFile(cl.format, file);
    if (imported.unreadable) {
        printErr(u"lifelinectl: "_s + imported.error);
        return Failed;
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

int cmdProfile(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    QJsonObject request{{u"cmd"_s, u"profile"_s}};
    if (!cl.argument.isEmpty())
        request.insert(u"name"_s, cl.argument);
    const auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    const QJsonValue active = reply->value(u"profile"_s);
    const QStringList profiles = reply->value(u"profiles"_s).toVariant().toStringList();
    QString text = u"profile: %1%2\n"_s.arg(active.isString() ? active.toString() : u"default"_s,
                                            reply->value(u"pending"_s).toBool()
                                                ? u" (applied when the running recovery has finished)"_s
                                                : QString());
    if (cl.argument.isEmpty())
        text +=
            u"profiles: default%1\n"_s.arg(profiles.isEmpty() ? QString() : u", "_s + profiles.join(u", "_s));
    printOut(text);
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

int cmdCrashes(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    const bool one = cl.command == u"crash"_s;
    QJsonObject request{{u"cmd"_s, cl.command}, {u"name"_s, cl.argument}};
    if (one)
        request.insert(u"id"_s, cl.id);
    const auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    if (one) {
        printOut(cl.json ? QString::fromUtf8(QJsonDocument(reply->value(u"record"_s).toObject()).toJson())
                         : reply->value(u"markdown"_s).toString());
        return Ok;
    }
    const QJsonArray crashes = reply->value(u"crashes"_s).toArray();
    if (cl.json) {
        printOut(QString::fromUtf8(QJsonDocument(crashes).toJson()));
        return Ok;
    }
    if (crashes.isEmpty()) {
        printOut(u"%1: no crash records"_s.arg(cl.argument));
        return Ok;
    }
    QString text = u"ID     TIME                 CAUSE           EXIT\n"_s;
    for (const QJsonValue &v : crashes) {
        const QJsonObject c = v.toObject();
        const QString time = QDateTime::fromMSecsSinceEpoch(c.value(u"time_ms"_s).toInteger())
                                 .toString(u"yyyy-MM-dd HH:mm:ss"_s);
        text += u"%1 %2 %3 %4\n"_s.arg(QString::number(c.value(u"id"_s).toInteger()), -6)
                    .arg(time, -20)
                    .arg(c.value(u"cause"_s).toString(), -15)
                    .arg(c.value(u"exit"_s).toString());
    }
    printOut(text);
    return Ok;
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

// The running Lifeline's report. With none running for the configuration,
// the report is built from the configuration and state_dir alone (exit 0,
// a note on stderr, and the report says so at its top); with --socket and
// none there, there is no configuration to read: exit 3.
int cmdReport(const CtlCommandLine &cl, const Target &target)
{
    ControlClient client(target.socketPath, 60'000);
    QString report;
    const std::optional<QJsonObject> reply = client.request({{u"cmd"_s, u"report"_s}});
    if (reply) {
        if (!reply->value(u"ok"_s).toBool()) {
            printErr(u"lifelinectl: "_s + reply->value(u"error"_s).toString(u"the report failed"_s));
            return Failed;
        }
        report = reply->value(u"report"_s).toString();
    } else if (client.error() != ControlClient::Error::NotRunning) {
        printErr(u"lifelinectl: "_s + client.errorString());
        return Failed;
    } else if (target.configPath.isEmpty()) {
        printErr(u"lifelinectl: no Lifeline is running %1; give --config FILE to build a report from the "
                 u"configuration alone"_s.arg(target.describe()));
        return NotRunning;
    } else {
        const LoadResult result = ConfigLoader::loadFile(target.configPath);
        if (!result.ok())
            return printLoadErrors(result, target.configPath);
        report = DiagnosticReport::buildOffline(*result.config);
        printErr(u"lifelinectl: no Lifeline is running %1; the report was built from the configuration and "
                 u"state_dir alone"_s.arg(target.describe()));
    }
    if (cl.outPath.isEmpty()) {
        printOut(report);
        return Ok;
    }
    QString error;
    if (!writeReportFile(cl.outPath, report, &error)) {
        printErr(u"lifelinectl: "_s + error);
        return Failed;
    }
    printOut(u"report written to %1"_s.arg(cl.outPath));
    return Ok;
}

int cmdRepair(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    // Each step may run up to its timeout (10 minutes by default): allow it time.
    session.setTimeout(24 * 60 * 60 * 1000);
    auto reply = session.call({{u"cmd"_s, u"repair"_s}, {u"name"_s, cl.argument}}, &rc);
    if (!reply)
        return rc;
    printOut(reply->value(u"text"_s).toString());
    return reply->value(u"repaired"_s).toBool() ? Ok : Failed;
}

int cmdUpdates(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    const auto reply = session.call({{u"cmd"_s, u"updates"_s}}, &rc);
    if (!reply)
        return rc;
    const QJsonArray updates = reply->value(u"updates"_s).toArray();
    if (cl.json) {
        printOut(QString::fromUtf8(QJsonDocument(updates).toJson(QJsonDocument::Indented)));
        return Ok;
    }
    if (updates.isEmpty())
        printOut(u"no service has [service.update]"_s);
    for (const QJsonValue &v : updates) {
        const QJsonObject o = v.toObject();
        printOut(o.value(u"name"_s).toString() + u": "_s +
                 o.value(u"text"_s).toString().replace(u'\n', u"\n  "_s));
    }
    return Ok;
}

int cmdUpdate(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    // Fetch, build, restart and verify (and maybe the same back): allow it time.
    session.setTimeout(2 * 60 * 60 * 1000);
    const auto reply = session.call({{u"cmd"_s, u"update"_s}, {u"name"_s, cl.argument}}, &rc);
    if (!reply)
        return rc;
    const QString report = reply->value(u"report_path"_s).toString();
    printOut(u"%1: %2%3"_s.arg(cl.argument, reply->value(u"summary"_s).toString(),
                               report.isEmpty() ? QString() : u" (report: "_s + report + u')'));
    return Ok;
}

int cmdAlerts(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    QJsonObject request{{u"cmd"_s, u"alerts"_s}};
    if (!cl.argument.isEmpty())
        request.insert(u"name"_s, cl.argument);
    auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    reply->remove(u"ok"_s);
    if (cl.json)
        printOut(QString::fromUtf8(QJsonDocument(*reply).toJson(QJsonDocument::Indented)));
    else
        printOut(EngineAlerts::alertsText(*reply));
    return Ok;
}

int cmdMaintenance(Session &session, const CtlCommandLine &cl)
{
    int rc = Ok;
    QJsonObject request{{u"cmd"_s, u"maintenance"_s}, {u"name"_s, cl.argument}};
    if (cl.durationMs > 0)
        request.insert(u"duration_ms"_s, cl.durationMs);
    else
        request.insert(u"off"_s, true);
    const auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    if (cl.durationMs > 0)
        printOut(u"maintenance %1: alerts suppressed until %2"_s.arg(cl.argument,
                                                                     reply->value(u"until"_s).toString()));
    else
        printOut(reply->value(u"closed"_s).toBool()
                     ? u"maintenance %1: ended"_s.arg(cl.argument)
                     : u"maintenance %1: there was no window"_s.arg(cl.argument));
    return Ok;
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
    if (cl.command == u"report"_s)
        return cmdReport(cl, target);
    Session session(target);

    if (cl.command == u"status"_s)
        return cmdStatus(session, cl);
    if (cl.command == u"start"_s || cl.command == u"stop"_s || cl.command == u"restart"_s)
        return cmdStartStop(session, cl);
    if (cl.command == u"health"_s)
        return cmdHealth(session, cl);
    if (cl.command == u"profile"_s)
        return cmdProfile(session, cl);
    if (cl.command == u"logs"_s)
        return cmdLogs(session, cl);
    if (cl.command == u"repair"_s)
        return cmdRepair(session, cl);
    if (cl.command == u"updates"_s)
        return cmdUpdates(session, cl);
    if (cl.command == u"update"_s)
        return cmdUpdate(session, cl);
    if (cl.command == u"crashes"_s || cl.command == u"crash"_s)
        return cmdCrashes(session, cl);
    if (cl.command == u"alerts"_s)
        return cmdAlerts(session, cl);
    if (cl.command == u"maintenance"_s)
        return cmdMaintenance(session, cl);
    if (cl.command == u"errors"_s)
        return cmdErrors(session, cl);
    return cmdRecover(session, cl);
}
