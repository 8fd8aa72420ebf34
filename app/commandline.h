// The command line of `lifeline` (design.md "Public contracts"):
//   lifeline [--config FILE] [--minimized] [--socket PATH] [--profile NAME]   the desktop app
//   lifeline --headless [--config FILE] [--socket PATH] [--profile NAME]      the engine alone
//   lifeline [--headless] --demo                             either, on the demo stack
//   lifeline --help | --help-all | --version                 print, exit 0
// parsed once, before any QCoreApplication exists: the headless engine and
// the printing modes must never need a display.
#pragma once

#include <QCommandLineOption>
#include <QList>
#include <QString>
#include <QStringList>

class QCommandLineParser;

namespace lifeline {

struct LifelineCommandLine
{
    enum class Mode
    {
        Gui,
        Headless,
        Help,       // text goes to stdout, exit 0
        Version,    // text goes to stdout, exit 0
        UsageError, // text goes to stderr, exit 2
    };
    Mode mode = Mode::Gui;
    QString configPath; // empty: not given (defaultConfigPath())
    QString socketPath; // empty: derived from the configuration
    QString profile;    // --profile NAME: [profile.NAME] of the configuration; empty: none
    bool minimized = false;
    bool demo = false; // the configuration is findDemoConfig()'s
    // Set by main(): configPath is defaultConfigPath() because none was
    // given, and where the demo configuration is (the first run offers it).
    bool configIsDefault = false;
    QString demoConfigPath;
    QString text; // what Help, Version and UsageError print, ending in a newline
    int exitCode = 0;
};

// args as argv holds them, the program first. The Qt options QApplication
// itself takes out of argv (-platform NAME, -style NAME, -reverse ...) are
// accepted in GUI mode and left to QApplication; headless mode rejects them.
LifelineCommandLine parseLifelineCommandLine(const QStringList &args);

// The demo configuration: the installed one beside the executable's prefix
// (bin/../share/lifeline/demo/lifeline.toml), else the source tree's when run
// from a build. Empty when neither exists.
QString findDemoConfig(const QString &executableDir, const QString &sourceDir);

// What QCommandLineParser::parse() rejected, named as the person typed it,
// so that both command lines keep their own wording of the same mistakes.
struct ArgumentProblem
{
    enum class Kind
    {
        None,
        UnknownOption,
        MissingValue,    // a value option at the end, or given an empty value
        UnexpectedValue, // --flag=value
    };
    Kind kind = Kind::None;
    QString option;    // the option's first name: "config", "n"
    QString typed;     // "--bogus", "-n", "--json=1"
    QString valueName; // MissingValue: "FILE"
};

ArgumentProblem findArgumentProblem(const QCommandLineParser &parser, bool parsed,
                                    const QList<QCommandLineOption> &options, const QStringList &args);

// The argument that named one of `names`, as typed ("-platform", "--config=x");
// "--name" (or "-n") when none spells it alone, as in a compacted "-xn5".
QString typedOption(const QStringList &args, const QStringList &names);

} // namespace lifeline
