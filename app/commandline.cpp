#include "commandline.h"

#include "versiontext.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

struct QtGuiOption
{
    const char *name;
    const char *valueName; // nullptr: a flag
    const char *description;
};

// What QGuiApplication, QApplication and the xcb plugin take out of argv
// (either with one dash or two).
constexpr QtGuiOption kQtGuiOptions[] = {
    {"platform", "NAME", "The platform plugin: xcb, wayland, offscreen ..."},
    {"platformpluginpath", "PATH", "Where to look for platform plugins."},
    {"platformtheme", "NAME", "The platform theme."},
    {"plugin", "NAME", "An additional generic plugin (input devices)."},
    {"qwindowgeometry", "GEOMETRY", "The first window's geometry, as in X11 -geometry."},
    {"geometry", "GEOMETRY", "The same, on X11."},
    {"qwindowtitle", "TITLE", "The first window's title."},
    {"title", "TITLE", "The same, on X11."},
    {"qwindowicon", "ICON", "The default window icon."},
    {"icon", "ICON", "The same, on X11."},
    {"session", "ID", "The session to restore."},
    {"style", "STYLE", "The widget style: fusion, windows ..."},
    {"stylesheet", "FILE", "A Qt style sheet for the whole application."},
    {"display", "DISPLAY", "The X display to use."},
    {"name", "NAME", "The application's X resource name."},
    {"visual", "ID", "The X visual to use."},
    {"reverse", nullptr, "Right-to-left layout."},
    {"testability", nullptr, "Loads the testability plugin."},
    {"widgetcount", nullptr, "Prints how many widgets were left at exit."},
    {"nograb", nullptr, "Never grab the X mouse or keyboard."},
    {"dograb", nullptr, "Grab the X mouse and keyboard even under a debugger."},
};

struct LifelineOptions
{
    explicit LifelineOptions(bool showQtOptions)
    {
        for (const QtGuiOption &q : kQtGuiOptions) {
            QCommandLineOption option(QString::fromLatin1(q.name), QString::fromLatin1(q.description),
                                      q.valueName ? QString::fromLatin1(q.valueName) : QString());
            if (!showQtOptions)
                option.setFlags(QCommandLineOption::HiddenFromHelp);
            qtGui << option;
        }
    }

    QList<QCommandLineOption> all() const
    {
        return QList<QCommandLineOption>{help,   helpAll,  version, config, minimized,
                                         socket, headless, demo,    profile} +
               qtGui;
    }

    QCommandLineOption help{QStringList{u"h"_s, u"help"_s}, u"Displays help on commandline options."_s};
    QCommandLineOption helpAll{u"help-all"_s, u"Displays help including Qt specific options."_s};
    QCommandLineOption version{QStringList{u"v"_s, u"version"_s}, u"Displays version information."_s};
    QCommandLineOption config{u"config"_s, u"Configuration file."_s, u"FILE"_s};
    QCommandLineOption minimized{u"minimized"_s, u"Start in the system tray."_s};
    QCommandLineOption socket{u"socket"_s, u"Control socket path."_s, u"PATH"_s};
    QCommandLineOption headless{u"headless"_s, u"Run without a display (see --headless --help)."_s};
    QCommandLineOption demo{u"demo"_s,
                            u"Run the demo stack (the demo configuration that comes with Lifeline)."_s};
    QCommandLineOption profile{
        u"profile"_s, u"Run the services as [profile.NAME] of the configuration sets them."_s, u"NAME"_s};
    QList<QCommandLineOption> qtGui; // QApplication's: hidden, but from --help-all
};

void setUp(QCommandLineParser &parser, const LifelineOptions &options)
{
    // Qt's own options are single-dash words (-platform, -style); so is ours.
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(u"Keeps your local backends alive."_s);
    parser.addOptions(options.all());
}

QString headlessUsage()
{
    return u"usage: lifeline --headless [--config FILE | --demo] [--socket PATH] [--profile NAME]\n"
           u"  Runs the supervision engine without a display. SIGTERM, SIGINT, SIGHUP or\n"
           u"  SIGQUIT stops it (and, per settings.on_exit, stops or keeps the services).\n"
           u"  --config FILE   the configuration (default: ./lifeline.toml, else\n"
           u"                  $XDG_CONFIG_HOME/lifeline/lifeline.toml)\n"
           u"  --demo          the demo stack: the demo configuration that comes with Lifeline\n"
           u"  --socket PATH   the control socket (default: derived from the config path)\n"
           u"  --profile NAME  run the services as [profile.NAME] of the configuration sets them\n"_s;
}

QString guiHelp(const QString &program, bool withQtOptions)
{
    QCommandLineParser parser;
    setUp(parser, LifelineOptions(withQtOptions));
    // helpText() names the program from QCoreApplication, which does not exist yet.
    const QString text = parser.helpText();
    return u"Usage: %1 [options]"_s.arg(program) + text.mid(text.indexOf(u'\n'));
}

QString headlessMistake(const QCommandLineParser &parser, bool parsed, const LifelineOptions &o,
                        const QStringList &args)
{
    const auto unknown = [](const QString &argument) {
        return u"unknown argument \"%1\" in headless mode"_s.arg(argument);
    };
    for (const QCommandLineOption &option : QList{o.minimized} + o.qtGui) {
        if (parser.isSet(option))
            return unknown(typedOption(args, option.names()));
    }
    const ArgumentProblem problem = findArgumentProblem(parser, parsed, o.all(), args);
    if (problem.kind == ArgumentProblem::Kind::MissingValue)
        return u"--%1 needs a %2"_s.arg(problem.option, problem.valueName);
    if (problem.kind != ArgumentProblem::Kind::None)
        return unknown(problem.typed);
    if (!parser.positionalArguments().isEmpty())
        return unknown(parser.positionalArguments().constFirst());
    if (parser.isSet(o.demo) && parser.isSet(o.config))
        return u"--demo and --config cannot be used together"_s;
    return {};
}

QString headlessUsageError(const QCommandLineParser &parser, bool parsed, const LifelineOptions &o,
                           const QStringList &args)
{
    const QString mistake = headlessMistake(parser, parsed, o, args);
    return mistake.isEmpty() ? QString() : u"lifeline: "_s + mistake + u'\n' + headlessUsage();
}

QString guiUsageError(const QCommandLineParser &parser, bool parsed, const LifelineOptions &o,
                      const QStringList &args)
{
    if (!parsed) // QCommandLineParser's own wording, as QCommandLineParser::process() prints it
        return u"lifeline: "_s + parser.errorText() + u'\n';
    const ArgumentProblem problem = findArgumentProblem(parser, parsed, o.all(), args);
    if (problem.kind == ArgumentProblem::Kind::MissingValue) // an empty value
        return u"lifeline: --%1 needs a %2\n"_s.arg(problem.option, problem.valueName);
    if (!parser.positionalArguments().isEmpty())
        return u"lifeline: unknown argument \"%1\"\n"_s.arg(parser.positionalArguments().constFirst());
    if (parser.isSet(o.demo) && parser.isSet(o.config))
        return u"lifeline: --demo and --config cannot be used together\n"_s;
    return {};
}

} // namespace

LifelineCommandLine parseLifelineCommandLine(const QStringList &args)
{
    const LifelineOptions o(false);
    QCommandLineParser parser;
    setUp(parser, o);
    const bool parsed = parser.parse(args);
    const bool headless = parser.isSet(o.headless);

    LifelineCommandLine result;
    const QString error =
        headless ? headlessUsageError(parser, parsed, o, args) : guiUsageError(parser, parsed, o, args);
    if (!error.isEmpty()) {
        result.mode = LifelineCommandLine::Mode::UsageError;
        result.text = error;
        result.exitCode = 2;
        return result;
    }
    if (parser.isSet(o.version)) {
        result.mode = LifelineCommandLine::Mode::Version;
        result.text = versionText(u"lifeline"_s);
        return result;
    }
    if (parser.isSet(o.help) || parser.isSet(o.helpAll)) {
        result.mode = LifelineCommandLine::Mode::Help;
        result.text =
            headless ? headlessUsage() : guiHelp(args.value(0, u"lifeline"_s), parser.isSet(o.helpAll));
        return result;
    }
    result.mode = headless ? LifelineCommandLine::Mode::Headless : LifelineCommandLine::Mode::Gui;
    result.configPath = parser.value(o.config);
    result.socketPath = parser.value(o.socket);
    result.profile = parser.value(o.profile);
    result.minimized = parser.isSet(o.minimized);
    result.demo = parser.isSet(o.demo);
    return result;
}

QString findDemoConfig(const QString &executableDir, const QString &sourceDir)
{
    const QStringList candidates{
        QDir(executableDir).filePath(u"../share/lifeline/demo/lifeline.toml"_s),
        QDir(sourceDir).filePath(u"resources/demo/lifeline.toml"_s),
    };
    for (const QString &candidate : candidates) {
        if (QFileInfo(candidate).isFile())
            return QDir::cleanPath(QFileInfo(candidate).absoluteFilePath());
    }
    return {};
}

QString typedOption(const QStringList &args, const QStringList &names)
{
    for (const QString &a : args.mid(1)) {
        if (a == u"--"_s)
            break; // the rest is positional
        if (a.size() < 2 || !a.startsWith(u'-'))
            continue;
        if (names.contains(a.mid(a.startsWith(u"--"_s) ? 2 : 1).section(u'=', 0, 0)))
            return a;
    }
    const QString &name = names.constFirst();
    return (name.size() == 1 ? u"-"_s : u"--"_s) + name;
}

ArgumentProblem findArgumentProblem(const QCommandLineParser &parser, bool parsed,
                                    const QList<QCommandLineOption> &options, const QStringList &args)
{
    using Kind = ArgumentProblem::Kind;
    const QStringList unknown = parser.unknownOptionNames();
    if (!unknown.isEmpty())
        return {Kind::UnknownOption, unknown.constFirst(), typedOption(args, {unknown.constFirst()}), {}};
    // A value option last in args is set with an empty value, like --config "".
    for (const QCommandLineOption &o : options) {
        if (!o.valueName().isEmpty() && parser.isSet(o) && parser.value(o).isEmpty())
            return {Kind::MissingValue, o.names().constFirst(), typedOption(args, o.names()), o.valueName()};
    }
    if (parsed)
        return {};
    // parse() fails for the two above and for a flag given a value.
    for (const QCommandLineOption &o : options) {
        const QString typed = typedOption(args, o.names());
        if (o.valueName().isEmpty() && typed.contains(u'='))
            return {Kind::UnexpectedValue, o.names().constFirst(), typed, {}};
    }
    return {Kind::UnexpectedValue, {}, parser.errorText(), {}};
}

} // namespace lifeline
