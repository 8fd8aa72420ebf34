// lifelinectl: drives a running Lifeline (desktop or --headless) through its
// control socket. Exit codes (design.md): 0 ok, 1 the command failed, 2 usage
// or configuration error, 3 no Lifeline running for that config.
#include "config/configloader.h"
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "control/statusjson.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
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

QString usageText()
{
    return uR"(usage: lifelinectl [--socket PATH | --config FILE] COMMAND [ARGS]

Commands:
  status [--json]                       services, states, resources
  start NAME|all                        start a service (or every service)
  stop NAME|all                         stop a service; it is not restarted
  restart NAME|all                      stop and start again
  health NAME [--json]                  the service's health and recent checks
  logs NAME [-n N] [--errors] [--follow]
                                        the last N lines (default 20) of the
                                        service's output; --errors: error lines
                                        and stderr only; --follow: keep printing
  recover [--dry-run] [--yes]           emergency recovery
  check-config FILE                     validate a configuration file

Options:
  --config FILE   the configuration of the Lifeline to talk to (default:
                  ./lifeline.toml, else $XDG_CONFIG_HOME/lifeline/lifeline.toml)
  --socket PATH   talk to this control socket instead
  -h, --help      this text
  --version       the version

Exit codes: 0 ok, 1 the command failed, 2 usage or configuration error,
3 no Lifeline running for that configuration.)"_s;
}

int usageError(const QString &message)
{
    printErr(u"lifelinectl: "_s + message + u"\n\n"_s + usageText());
    return Usage;
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

int cmdCheckConfig(const QStringList &args)
{
    if (args.size() != 1)
        return usageError(u"check-config needs exactly one FILE"_s);
    const LoadResult result = ConfigLoader::loadFile(args.first());
    for (const Diagnostic &d : result.warnings)
        printErr(d.toString());
    if (!result.ok()) {
        for (const Diagnostic &d : result.errors)
            printErr(d.toString());
        if (result.errors.isEmpty())
            printErr(u"%1: error: the configuration is not valid"_s.arg(args.first()));
        return Usage;
    }
    printOut(u"%1: ok (%2 services, %3 warnings)"_s.arg(args.first())
                 .arg(result.config->services.size())
                 .arg(result.warnings.size()));
    return Ok;
}

int cmdStatus(Session &session, const QStringList &args)
{
    bool json = false;
    for (const QString &a : args) {
        if (a == u"--json"_s)
            json = true;
        else
            return usageError(u"status: unexpected argument \"%1\""_s.arg(a));
    }
    int rc = Ok;
    const auto reply = session.call({{u"cmd"_s, u"status"_s}}, &rc);
    if (!reply)
        return rc;
    const QJsonObject status = reply->value(u"status"_s).toObject();
    if (json)
        printOut(QString::fromUtf8(QJsonDocument(status).toJson(QJsonDocument::Indented)));
    else
        printOut(statusTable(status));
    return Ok;
}

int cmdStartStop(Session &session, const QString &cmd, const QStringList &args)
{
    if (args.size() != 1 || args.first().startsWith(u'-'))
        return usageError(u"%1 needs one NAME (or all)"_s.arg(cmd));
    int rc = Ok;
    if (!session.call({{u"cmd"_s, cmd}, {u"name"_s, args.first()}}, &rc))
        return rc;
    printOut(u"%1 %2: requested"_s.arg(cmd, args.first()));
    return Ok;
}

int cmdHealth(Session &session, const QStringList &args)
{
    QString name;
    bool json = false;
    for (const QString &a : args) {
        if (a == u"--json"_s)
            json = true;
        else if (a.startsWith(u'-') || !name.isEmpty())
            return usageError(u"health: unexpected argument \"%1\""_s.arg(a));
        else
            name = a;
    }
    if (name.isEmpty())
        return usageError(u"health needs a NAME"_s);
    int rc = Ok;
    auto reply = session.call({{u"cmd"_s, u"health"_s}, {u"name"_s, name}}, &rc);
    if (!reply)
        return rc;
    reply->remove(u"ok"_s);
    if (json) {
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

int cmdLogs(Session &session, const QStringList &args)
{
    QString name;
    int lines = 20;
    bool errors = false;
    bool follow = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == u"--errors"_s) {
            errors = true;
        } else if (a == u"--follow"_s || a == u"-f"_s) {
            follow = true;
        } else if (a == u"-n"_s || a == u"--lines"_s || a.startsWith(u"-n"_s) ||
                   a.startsWith(u"--lines="_s)) {
            QString value;
            if (a == u"-n"_s || a == u"--lines"_s) {
                if (i + 1 >= args.size())
                    return usageError(u"logs: %1 needs a number"_s.arg(a));
                value = args[++i];
            } else {
                value = a.startsWith(u"--lines="_s) ? a.mid(8) : a.mid(2);
            }
            bool ok = false;
            lines = value.toInt(&ok);
            if (!ok || lines < 1)
                return usageError(u"logs: -n needs a positive number, got \"%1\""_s.arg(value));
        } else if (a.startsWith(u'-') || !name.isEmpty()) {
            return usageError(u"logs: unexpected argument \"%1\""_s.arg(a));
        } else {
            name = a;
        }
    }
    if (name.isEmpty())
        return usageError(u"logs needs a NAME"_s);

    int rc = Ok;
    QJsonObject request{{u"cmd"_s, u"logs"_s}, {u"name"_s, name}, {u"lines"_s, lines}, {u"errors"_s, errors}};
    auto reply = session.call(request, &rc);
    if (!reply)
        return rc;
    for (const QJsonValue &l : reply->value(u"lines"_s).toArray())
        printOut(l.toString());
    if (!follow)
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

int cmdRecover(Session &session, const QStringList &args)
{
    bool dryRun = false;
    bool yes = false;
    for (const QString &a : args) {
        if (a == u"--dry-run"_s)
            dryRun = true;
        else if (a == u"--yes"_s || a == u"-y"_s)
            yes = true;
        else
            return usageError(u"recover: unexpected argument \"%1\""_s.arg(a));
    }
    int rc = Ok;
    // A run stops, cleans, starts and verifies everything: allow it time.
    session.setTimeout(30 * 60 * 1000);
    auto reply = session.call({{u"cmd"_s, u"recover"_s}, {u"dry_run"_s, dryRun}, {u"yes"_s, yes}}, &rc);
    if (!reply)
        return rc;
    printOut(reply->value(u"text"_s).toString());
    if (dryRun)
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

    // Global options may come before or after the command.
    QString socketPath;
    QString configPath;
    QStringList rest;
    const QStringList args = QCoreApplication::arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == u"--help"_s || a == u"-h"_s || a == u"help"_s) {
            printOut(usageText());
            return Ok;
        }
        if (a == u"--version"_s) {
            printOut(u"lifelinectl "_s + QCoreApplication::applicationVersion());
            return Ok;
        }
        QString *target = nullptr;
        QString option;
        if (a == u"--socket"_s || a.startsWith(u"--socket="_s)) {
            target = &socketPath;
            option = u"--socket"_s;
        } else if (a == u"--config"_s || a.startsWith(u"--config="_s)) {
            target = &configPath;
            option = u"--config"_s;
        }
        if (!target) {
            rest << a;
            continue;
        }
        QString value;
        if (a.size() > option.size()) {
            value = a.mid(option.size() + 1);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        }
        if (value.isEmpty())
            return usageError(u"%1 needs a value"_s.arg(option));
        *target = value;
    }
    if (!socketPath.isEmpty() && !configPath.isEmpty())
        return usageError(u"give either --socket or --config, not both"_s);
    if (rest.isEmpty())
        return usageError(u"no command given"_s);

    const QString command = rest.takeFirst();
    if (command == u"check-config"_s)
        return cmdCheckConfig(rest);

    static const QStringList known = {u"status"_s, u"start"_s, u"stop"_s,   u"restart"_s,
                                      u"health"_s, u"logs"_s,  u"recover"_s};
    if (!known.contains(command))
        return usageError(u"unknown command \"%1\""_s.arg(command));

    Target target;
    if (!socketPath.isEmpty()) {
        target.socketPath = socketPath;
    } else {
        target.configPath = canonicalConfigPath(configPath.isEmpty() ? defaultConfigPath() : configPath);
        QString error;
        target.socketPath = socketPathForConfig(target.configPath, &error);
        if (target.socketPath.isEmpty()) {
            printErr(u"lifelinectl: "_s + error);
            return Failed;
        }
    }
    Session session(target);

    if (command == u"status"_s)
        return cmdStatus(session, rest);
    if (command == u"start"_s || command == u"stop"_s || command == u"restart"_s)
        return cmdStartStop(session, command, rest);
    if (command == u"health"_s)
        return cmdHealth(session, rest);
    if (command == u"logs"_s)
        return cmdLogs(session, rest);
    return cmdRecover(session, rest);
}
