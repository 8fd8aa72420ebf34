#include "lifelinectl/ctlcommandline.h"

#include "commandline.h"
#include "util/units.h"
#include "versiontext.h"

#include <QCommandLineParser>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

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
  errors NAME [--json]                  the service's recurring errors: count,
                                        first and last seen, a sample of each
  recover [--dry-run] [--yes]           emergency recovery
  repair NAME                           stop NAME, run its [service.repair]
                                        steps, start it again; prints their
                                        output and the result
  updates [--json]                      git updates: commits behind, per service
  update NAME                           fetch, fast-forward, build, restart and
                                        verify NAME (rolled back if unhealthy)
  crashes NAME [--json]                 the service's crash records: id, time,
                                        cause, exit
  crash NAME ID [--json]                one crash record, whole, as Markdown
  alerts [NAME] [--json]                alerts firing now, then recent ones
                                        (NAME: that service's and machine-wide)
  maintenance NAME|all DURATION|off     suppress alerts for a while ("30m"),
                                        or end the window now
  check-config FILE                     validate a configuration file
  report [--out FILE]                   a diagnostic report in Markdown, to
                                        attach to a bug report (secrets in the
                                        configuration masked); printed, or
                                        written to FILE atomically. With no
                                        Lifeline running it is built from the
                                        configuration and state_dir alone
  profile [NAME]                        the active profile and the list; with
                                        NAME, switch to [profile.NAME] (default:
                                        none); only changed services restart
  export systemd NAME|all [--user] [--out DIR]
                                        write lifeline-NAME.service units from
                                        the configuration (no Lifeline needed);
                                        one NAME prints to stdout without --out,
                                        all needs --out; --user: user units
  import procfile|supervisord|pm2 FILE [--out FILE]
                                        convert to a lifeline.toml, printed or
                                        written to a new --out file

Options:
  --config FILE   the configuration of the Lifeline to talk to (default:
                  ./lifeline.toml, else $XDG_CONFIG_HOME/lifeline/lifeline.toml)
  --socket PATH   talk to this control socket instead
  -h, --help      this text
  --version       the version

Exit codes: 0 ok, 1 the command failed, 2 usage or configuration error,
3 no Lifeline running for that configuration.
)"_s;
}

struct GlobalOptions
{
    QList<QCommandLineOption> all() const { return {socket, config, help, version}; }

    QCommandLineOption socket{u"socket"_s, {}, u"PATH"_s};
    QCommandLineOption config{u"config"_s, {}, u"FILE"_s};
    QCommandLineOption help{QStringList{u"h"_s, u"help"_s}};
    QCommandLineOption version{u"version"_s};
};

struct CommandOptions
{
    QList<QCommandLineOption> of(const QString &command) const
    {
        if (command == u"status"_s || command == u"health"_s || command == u"updates"_s ||
            command == u"crashes"_s || command == u"crash"_s || command == u"alerts"_s ||
            command == u"errors"_s)
            return {json};
        if (command == u"logs"_s)
            return {lines, errors, follow};
        if (command == u"recover"_s)
            return {dryRun, yes};
        if (command == u"export"_s)
            return {user, out};
        if (command == u"import"_s || command == u"report"_s)
            return {out};
        return {};
    }

    QCommandLineOption json{u"json"_s};
    QCommandLineOption lines{QStringList{u"n"_s, u"lines"_s}, {}, u"N"_s};
    QCommandLineOption errors{u"errors"_s};
    QCommandLineOption follow{QStringList{u"f"_s, u"follow"_s}};
    QCommandLineOption dryRun{u"dry-run"_s};
    QCommandLineOption yes{QStringList{u"y"_s, u"yes"_s}};
    QCommandLineOption user{u"user"_s};
    QCommandLineOption out{u"out"_s, {}, u"PATH"_s};
};

// export and import: FORMAT and one operand, --out PATH.
QString parseConversion(CtlCommandLine &r, const ArgumentProblem &problem, const QStringList &operands)
{
    using Kind = ArgumentProblem::Kind;
    const bool isExport = r.command == u"export"_s;
    const QStringList formats =
        isExport ? QStringList{u"systemd"_s} : QStringList{u"procfile"_s, u"supervisord"_s, u"pm2"_s};
    const QString shape = isExport ? u"export systemd NAME|all [--user] [--out DIR]"_s
                                   : u"import procfile|supervisord|pm2 FILE [--out FILE]"_s;
    if (problem.kind == Kind::MissingValue)
        return u"%1: %2 needs a path"_s.arg(r.command, problem.typed);
    if (problem.kind != Kind::None)
        return u"%1: unexpected argument \"%2\"; usage: %3"_s.arg(r.command, problem.typed, shape);
    if (operands.size() != 2 || !formats.contains(operands.constFirst()))
        return u"usage: "_s + shape;
    if (isExport && !r.socketPath.isEmpty())
        return u"export reads the configuration file: give --config FILE, not --socket"_s;
    r.format = operands.at(0);
    return {};
}

// Parses r.command's own options and operands into `r`; returns why they
// are not usable, or nothing.
QString parseCommand(CtlCommandLine &r, const QList<QCommandLineOption> &globalOptions,
                     const QStringList &args)
{
    using Kind = ArgumentProblem::Kind;
    const QString &cmd = r.command;
    const CommandOptions c;
    const QList<QCommandLineOption> own = c.of(cmd);
    QCommandLineParser parser;
    parser.addOptions(globalOptions + own);
    const bool parsed = parser.parse(args);
    const ArgumentProblem problem = findArgumentProblem(parser, parsed, own, args);
    const QStringList operands = parser.positionalArguments().mid(1); // after the command
    // Asking the parser about an option it does not know only earns a warning.
    const auto given = [&](const QCommandLineOption &option) {
        return std::any_of(own.begin(), own.end(),
                           [&](const QCommandLineOption &o) { return o.names() == option.names(); }) &&
               parser.isSet(option);
    };
    const auto unexpected = [&cmd](const QString &argument) {
        return u"%1: unexpected argument \"%2\""_s.arg(cmd, argument);
    };
    if (cmd == u"start"_s || cmd == u"stop"_s || cmd == u"restart"_s) {
        if (problem.kind != Kind::None || operands.size() != 1)
            return u"%1 needs one NAME (or all)"_s.arg(cmd);
    } else if (cmd == u"crash"_s) {
        if (problem.kind != Kind::None)
            return unexpected(problem.typed);
        bool ok = false;
        if (operands.size() != 2 || operands.at(1).toLongLong(&ok) <= 0 || !ok)
            return u"crash needs a NAME and an ID (a number `crashes NAME` lists)"_s;
        r.id = operands.at(1).toLongLong();
    } else if (cmd == u"check-config"_s) {
        if (problem.kind != Kind::None || operands.size() != 1)
            return u"check-config needs exactly one FILE"_s;
    } else if (cmd == u"export"_s || cmd == u"import"_s) {
        const QString mistake = parseConversion(r, problem, operands);
        if (!mistake.isEmpty())
            return mistake;
        r.argument = operands.at(1);
        r.user = given(c.user);
        r.outPath = parser.value(c.out);
        if (cmd == u"export"_s && r.argument == u"all"_s && r.outPath.isEmpty())
            return u"export systemd all needs --out DIR (one unit file per service)"_s;
        return {};
    } else if (cmd == u"maintenance"_s) {
        if (problem.kind != Kind::None || operands.size() != 2)
            return u"usage: maintenance NAME|all DURATION|off (e.g. \"maintenance api 30m\")"_s;
        r.argument = operands.at(0);
        if (operands.at(1) == u"off"_s)
            return {};
        QString why;
        const std::optional<Millis> d = parseDuration(operands.at(1), &why);
        if (!d || d->count() <= 0)
            return u"maintenance: \"%1\" is not a duration like \"30m\" or off%2"_s.arg(
                operands.at(1), why.isEmpty() ? QString() : u" ("_s + why + u')');
        r.durationMs = d->count();
        return {};
    } else if (cmd == u"alerts"_s || cmd == u"profile"_s) {
        if (problem.kind != Kind::None)
            return unexpected(problem.typed);
        if (operands.size() > 1)
            return unexpected(operands.at(1));
    } else if (cmd == u"report"_s) {
        if (problem.kind == Kind::MissingValue)
            return u"report: --out needs a path"_s;
        if (problem.kind != Kind::None)
            return unexpected(problem.typed);
        if (!operands.isEmpty())
            return unexpected(operands.constFirst());
        r.outPath = parser.value(c.out);
        return {};
    } else if (cmd == u"status"_s || cmd == u"recover"_s || cmd == u"updates"_s) {
        if (problem.kind != Kind::None)
            return unexpected(problem.typed);
        if (!operands.isEmpty())
            return unexpected(operands.constFirst());
    } else { // health, logs, repair, crashes, crash, errors: NAME and options
        if (problem.kind == Kind::MissingValue)
            return u"%1: %2 needs a number"_s.arg(cmd, problem.typed);
        if (problem.kind != Kind::None)
            return unexpected(problem.typed);
        if (given(c.lines)) {
            bool ok = false;
            r.lines = parser.value(c.lines).toInt(&ok);
            if (!ok || r.lines < 1)
                return u"logs: -n needs a positive number, got \"%1\""_s.arg(parser.value(c.lines));
        }
        if (operands.size() > 1)
            return unexpected(operands.at(1));
        if (operands.isEmpty())
            return u"%1 needs a NAME"_s.arg(cmd);
    }
    r.argument = operands.value(0);
    r.json = given(c.json);
    r.errors = given(c.errors);
    r.follow = given(c.follow);
    r.dryRun = given(c.dryRun);
    r.yes = given(c.yes);
    return {};
}

} // namespace

CtlCommandLine parseCtlCommandLine(const QStringList &args)
{
    CtlCommandLine r;
    const auto print = [&r](CtlCommandLine::Action action, const QString &text) {
        r.action = action;
        r.text = text;
        return r;
    };
    const auto usageError = [&r](const QString &message) {
        r.action = CtlCommandLine::Action::UsageError;
        r.text = u"lifelinectl: "_s + message + u"\n\n"_s + usageText();
        r.exitCode = 2;
        return r;
    };

    // First the global options and the command, wherever they are: the
    // command's own options are left to the command's parser below.
    const GlobalOptions g;
    QCommandLineParser global;
    global.addOptions(g.all());
    global.parse(args);
    if (global.isSet(g.help))
        return print(CtlCommandLine::Action::Help, usageText());
    if (global.isSet(g.version))
        return print(CtlCommandLine::Action::Version, versionText(u"lifelinectl"_s));
    for (const QCommandLineOption &option : {g.socket, g.config}) {
        if (global.isSet(option) && global.value(option).isEmpty())
            return usageError(u"--%1 needs a value"_s.arg(option.names().constFirst()));
    }
    r.socketPath = global.value(g.socket);
    r.configPath = global.value(g.config);
    if (!r.socketPath.isEmpty() && !r.configPath.isEmpty())
        return usageError(u"give either --socket or --config, not both"_s);
    if (global.positionalArguments().isEmpty())
        return usageError(u"no command given"_s);
    r.command = global.positionalArguments().constFirst();
    if (r.command == u"help"_s)
        return print(CtlCommandLine::Action::Help, usageText());
    static const QStringList commands = {u"status"_s,  u"start"_s,       u"stop"_s,    u"restart"_s,
                                         u"health"_s,  u"logs"_s,        u"recover"_s, u"check-config"_s,
                                         u"export"_s,  u"import"_s,      u"report"_s,  u"repair"_s,
                                         u"updates"_s, u"update"_s,      u"crashes"_s, u"crash"_s,
                                         u"alerts"_s,  u"maintenance"_s, u"profile"_s, u"errors"_s};
    if (!commands.contains(r.command))
        return usageError(u"unknown command \"%1\""_s.arg(r.command));

    const QString mistake = parseCommand(r, g.all(), args);
    if (!mistake.isEmpty())
        return usageError(mistake);
    return r;
}

} // namespace lifeline
