// The command lines of `lifeline` and `lifelinectl` (design.md "Public
// contracts"): the pure parsers option by option, in both the `--opt value`
// and `--opt=value` forms, and the binaries themselves: `lifeline --version`
// and `--help` answer anywhere, without a display, and every usage error
// exits 2 before any display is needed.
#include "commandline.h"
#include "lifelinectl/ctlcommandline.h"
#include "versiontext.h"

#include <QDir>
#include <QFile>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using lifeline::CtlCommandLine;
using lifeline::LifelineCommandLine;
using Mode = LifelineCommandLine::Mode;

Q_DECLARE_METATYPE(LifelineCommandLine::Mode)
Q_DECLARE_METATYPE(CtlCommandLine::Action)

namespace {

QStringList words(const char *line)
{
    return QString::fromUtf8(line).split(u' ', Qt::SkipEmptyParts);
}

LifelineCommandLine parseLifeline(const QStringList &args)
{
    return lifeline::parseLifelineCommandLine(QStringList{u"lifeline"_s} + args);
}

CtlCommandLine parseCtl(const QStringList &args)
{
    return lifeline::parseCtlCommandLine(QStringList{u"lifelinectl"_s} + args);
}

const QString kHeadlessUsage =
    u"usage: lifeline --headless [--config FILE | --demo] [--socket PATH] [--profile NAME]\n"_s;

} // namespace

class TestCmdline : public QObject
{
    Q_OBJECT

private:
    // The desktop binary as a login shell over ssh runs it: no display at all.
    static QProcess *runWithoutDisplay(const QStringList &args)
    {
        auto *p = new QProcess;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &var : {u"QT_QPA_PLATFORM"_s, u"DISPLAY"_s, u"WAYLAND_DISPLAY"_s})
            env.remove(var);
        p->setProcessEnvironment(env);
        p->start(QStringLiteral(LIFELINE_BIN), args);
        return p;
    }

private slots:
    // Qt warns, and goes on, when a parser is asked about an option it lacks.
    void init() { QTest::failOnWarning(QRegularExpression(u".*"_s)); }

    // ---- lifeline: what runs ----

    void lifelineRuns_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<Mode>("mode");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("socket");
        QTest::addColumn<bool>("minimized");
        QTest::newRow("nothing") << QStringList{} << Mode::Gui << QString() << QString() << false;
        QTest::newRow("--config FILE")
            << words("--config /c.toml") << Mode::Gui << u"/c.toml"_s << QString() << false;
        QTest::newRow("--config=FILE")
            << words("--config=/c.toml") << Mode::Gui << u"/c.toml"_s << QString() << false;
        QTest::newRow("--minimized") << words("--minimized") << Mode::Gui << QString() << QString() << true;
        QTest::newRow("--socket PATH")
            << words("--socket /s --minimized") << Mode::Gui << QString() << u"/s"_s << true;
        QTest::newRow("--socket=PATH") << words("--socket=/s") << Mode::Gui << QString() << u"/s"_s << false;
        QTest::newRow("the value may look like an option")
            << words("--config --minimized") << Mode::Gui << u"--minimized"_s << QString() << false;
        QTest::newRow("--headless") << words("--headless") << Mode::Headless << QString() << QString()
                                    << false;
        QTest::newRow("--headless, value forms") << words("--headless --config /c.toml --socket=/s")
                                                 << Mode::Headless << u"/c.toml"_s << u"/s"_s << false;
        QTest::newRow("--headless last") << words("--config=/c.toml --socket /s --headless") << Mode::Headless
                                         << u"/c.toml"_s << u"/s"_s << false;
        // QApplication takes these out of argv itself; they are no usage error.
        QTest::newRow("-platform NAME") << words("-platform offscreen --config /c.toml") << Mode::Gui
                                        << u"/c.toml"_s << QString() << false;
        QTest::newRow("--platform NAME")
            << words("--platform offscreen --minimized") << Mode::Gui << QString() << QString() << true;
        QTest::newRow("-style=NAME, -reverse") << words("-style=fusion -reverse --config /c.toml")
                                               << Mode::Gui << u"/c.toml"_s << QString() << false;
        QTest::newRow("-display, -qwindowgeometry, -stylesheet")
            << words("-display :1 -qwindowgeometry 640x480+0+0 -stylesheet /x.qss --socket /s") << Mode::Gui
            << QString() << u"/s"_s << false;
    }

    void lifelineRuns()
    {
        QFETCH(QStringList, args);
        QFETCH(Mode, mode);
        const LifelineCommandLine cl = parseLifeline(args);
        QVERIFY2(cl.mode == mode, qPrintable(cl.text));
        QFETCH(QString, config);
        QCOMPARE(cl.configPath, config);
        QFETCH(QString, socket);
        QCOMPARE(cl.socketPath, socket);
        QFETCH(bool, minimized);
        QCOMPARE(cl.minimized, minimized);
        QCOMPARE(cl.exitCode, 0);
        QVERIFY(cl.text.isEmpty());
    }

    // ---- lifeline --demo ----

    void demoOption_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<Mode>("mode");
        QTest::newRow("--demo") << words("--demo") << Mode::Gui;
        QTest::newRow("--demo --minimized") << words("--minimized --demo") << Mode::Gui;
        QTest::newRow("--headless --demo") << words("--headless --demo") << Mode::Headless;
        QTest::newRow("--demo --headless --socket")
            << words("--demo --headless --socket /s") << Mode::Headless;
    }

    void demoOption()
    {
        QFETCH(QStringList, args);
        QFETCH(Mode, mode);
        const LifelineCommandLine cl = parseLifeline(args);
        QVERIFY2(cl.mode == mode, qPrintable(cl.text));
        QVERIFY(cl.demo);
        QVERIFY(cl.configPath.isEmpty());
        QVERIFY(!parseLifeline(words("--headless")).demo);
    }

    // An installed tree (PREFIX/bin/lifeline, PREFIX/share/lifeline/demo)
    // wins over the source tree; a build (build/bin) falls back to the source
    // tree's resources/demo.
    void findsDemoConfig()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString installed = dir.filePath(u"prefix/share/lifeline/demo/lifeline.toml"_s);
        const QString source = dir.filePath(u"src/resources/demo/lifeline.toml"_s);
        for (const QString &file : {installed, source}) {
            QVERIFY(QDir().mkpath(file.section(u'/', 0, -2)));
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY(QDir().mkpath(dir.filePath(u"prefix/bin"_s)));
        QVERIFY(QDir().mkpath(dir.filePath(u"build/bin"_s)));
        const QString src = dir.filePath(u"src"_s);
        QCOMPARE(lifeline::findDemoConfig(dir.filePath(u"prefix/bin"_s), src), installed);
        QCOMPARE(lifeline::findDemoConfig(dir.filePath(u"build/bin"_s), src), source);
        QCOMPARE(lifeline::findDemoConfig(dir.filePath(u"build/bin"_s), dir.filePath(u"nowhere"_s)),
                 QString());
    }

    // ---- lifeline: usage errors, exit 2, today's wording of each mode ----

    void lifelineUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message"); // the first line
        QTest::addColumn<bool>("withUsage");
        // The desktop app keeps QCommandLineParser's words.
        QTest::newRow("unknown option")
            << words("--bogus") << u"lifeline: Unknown option 'bogus'."_s << false;
        QTest::newRow("unknown options")
            << words("--config /c.toml --bogus -x") << u"lifeline: Unknown options: bogus, x."_s << false;
        QTest::newRow("--config without value")
            << words("--config") << u"lifeline: Missing value after '--config'."_s << false;
        QTest::newRow("--socket without value")
            << words("--minimized --socket") << u"lifeline: Missing value after '--socket'."_s << false;
        QTest::newRow("--config=") << words("--config=") << u"lifeline: --config needs a FILE"_s << false;
        QTest::newRow("--socket=") << words("--socket=") << u"lifeline: --socket needs a PATH"_s << false;
        QTest::newRow("--minimized=yes")
            << words("--minimized=yes") << u"lifeline: Unexpected value after '--minimized'."_s << false;
        QTest::newRow("-platform without value")
            << words("-platform") << u"lifeline: Missing value after '-platform'."_s << false;
        QTest::newRow("a stray argument")
            << words("lifeline.toml") << u"lifeline: unknown argument \"lifeline.toml\""_s << false;
        QTest::newRow("--help does not hide an error")
            << words("--bogus --help") << u"lifeline: Unknown option 'bogus'."_s << false;
        // Headless mode keeps its own, followed by its usage.
        QTest::newRow("headless --config without value")
            << words("--headless --config") << u"lifeline: --config needs a FILE"_s << true;
        QTest::newRow("headless --config=")
            << words("--config= --headless") << u"lifeline: --config needs a FILE"_s << true;
        QTest::newRow("headless --socket without value")
            << words("--headless --socket") << u"lifeline: --socket needs a PATH"_s << true;
        QTest::newRow("headless --socket=")
            << words("--headless --socket=") << u"lifeline: --socket needs a PATH"_s << true;
        QTest::newRow("headless unknown option")
            << words("--headless --bogus") << u"lifeline: unknown argument \"--bogus\" in headless mode"_s
            << true;
        QTest::newRow("headless unknown option=value")
            << words("--headless --bogus=1") << u"lifeline: unknown argument \"--bogus=1\" in headless mode"_s
            << true;
        QTest::newRow("headless --headless=1")
            << words("--headless=1") << u"lifeline: unknown argument \"--headless=1\" in headless mode"_s
            << true;
        QTest::newRow("headless stray argument")
            << words("--headless foo") << u"lifeline: unknown argument \"foo\" in headless mode"_s << true;
        QTest::newRow("headless --minimized")
            << words("--headless --minimized")
            << u"lifeline: unknown argument \"--minimized\" in headless mode"_s << true;
        // Headless never loads a platform plugin: the Qt GUI options are mistakes there.
        QTest::newRow("headless -platform")
            << words("-platform offscreen --headless")
            << u"lifeline: unknown argument \"-platform\" in headless mode"_s << true;
        QTest::newRow("headless -style=fusion")
            << words("--headless -style=fusion")
            << u"lifeline: unknown argument \"-style=fusion\" in headless mode"_s << true;
        QTest::newRow("headless -reverse")
            << words("--headless -reverse") << u"lifeline: unknown argument \"-reverse\" in headless mode"_s
            << true;
        QTest::newRow("--demo with --config")
            << words("--demo --config /c.toml") << u"lifeline: --demo and --config cannot be used together"_s
            << false;
        QTest::newRow("headless --demo with --config")
            << words("--headless --config=/c.toml --demo")
            << u"lifeline: --demo and --config cannot be used together"_s << true;
    }

    void lifelineUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const LifelineCommandLine cl = parseLifeline(args);
        QVERIFY2(cl.mode == Mode::UsageError, qPrintable(cl.text));
        QCOMPARE(cl.exitCode, 2);
        QCOMPARE(cl.text.section(u'\n', 0, 0), message);
        QVERIFY(cl.text.endsWith(u'\n'));
        QFETCH(bool, withUsage);
        QCOMPARE(cl.text.contains(kHeadlessUsage), withUsage);
    }

    // ---- lifeline: --help and --version, exit 0 ----

    void lifelinePrints_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<Mode>("mode");
        QTest::addColumn<QString>("start");
        QTest::addColumn<QString>("contains");
        QTest::addColumn<QString>("lacks");
        const QString version = lifeline::versionText(u"lifeline"_s);
        QTest::newRow("--version") << words("--version") << Mode::Version << version << version << QString();
        QTest::newRow("-v") << words("-v") << Mode::Version << version << version << QString();
        QTest::newRow("--version with Qt options")
            << words("-platform offscreen --version") << Mode::Version << version << version << QString();
        QTest::newRow("headless --version")
            << words("--headless --version") << Mode::Version << version << version << QString();
        QTest::newRow("--help") << words("--help") << Mode::Help << u"Usage: lifeline [options]\n"_s
                                << u"--minimized"_s << u"platform"_s;
        QTest::newRow("-h after options") << words("--config /c.toml -h") << Mode::Help
                                          << u"Usage: lifeline"_s << u"--config <FILE>"_s << u"platform"_s;
        QTest::newRow("--help-all shows Qt's options")
            << words("--help-all") << Mode::Help << u"Usage: lifeline [options]\n"_s << u"--platform <NAME>"_s
            << QString();
        QTest::newRow("headless --help") << words("--headless --help") << Mode::Help << kHeadlessUsage
                                         << u"--socket PATH"_s << u"--minimized"_s;
        QTest::newRow("headless -h") << words("-h --headless --config /c.toml") << Mode::Help
                                     << kHeadlessUsage << u"SIGTERM"_s << u"--minimized"_s;
    }

    void lifelinePrints()
    {
        QFETCH(QStringList, args);
        QFETCH(Mode, mode);
        QFETCH(QString, lacks);
        const LifelineCommandLine cl = parseLifeline(args);
        QVERIFY2(cl.mode == mode, qPrintable(cl.text));
        QCOMPARE(cl.exitCode, 0);
        QFETCH(QString, start);
        QFETCH(QString, contains);
        QVERIFY2(cl.text.startsWith(start), qPrintable(cl.text));
        QVERIFY2(cl.text.contains(contains), qPrintable(cl.text));
        QVERIFY2(lacks.isEmpty() || !cl.text.contains(lacks), qPrintable(cl.text));
        QVERIFY(cl.text.endsWith(u'\n'));
    }

    // ---- lifelinectl: what runs ----

    void ctlRuns_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QString>("socket");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("flags"); // the bools set, in struct order
        QTest::addColumn<int>("lines");
        QTest::newRow("status") << words("status") << u"status"_s << QString() << QString() << QString()
                                << QString() << 20;
        QTest::newRow("status --json") << words("status --json") << u"status"_s << QString() << QString()
                                       << QString() << u"json"_s << 20;
        QTest::newRow("--socket PATH first") << words("--socket /s status") << u"status"_s << QString()
                                             << u"/s"_s << QString() << QString() << 20;
        QTest::newRow("--socket=PATH first") << words("--socket=/s status") << u"status"_s << QString()
                                             << u"/s"_s << QString() << QString() << 20;
        QTest::newRow("--socket after the command") << words("status --json --socket /s") << u"status"_s
                                                    << QString() << u"/s"_s << QString() << u"json"_s << 20;
        QTest::newRow("--config FILE") << words("--config /c.toml start api") << u"start"_s << u"api"_s
                                       << QString() << u"/c.toml"_s << QString() << 20;
        QTest::newRow("--config=FILE after") << words("stop all --config=/c.toml") << u"stop"_s << u"all"_s
                                             << QString() << u"/c.toml"_s << QString() << 20;
        QTest::newRow("restart") << words("restart api") << u"restart"_s << u"api"_s << QString() << QString()
                                 << QString() << 20;
        QTest::newRow("health") << words("health api") << u"health"_s << u"api"_s << QString() << QString()
                                << QString() << 20;
        QTest::newRow("health --json first") << words("health --json api") << u"health"_s << u"api"_s
                                             << QString() << QString() << u"json"_s << 20;
        QTest::newRow("logs") << words("logs api") << u"logs"_s << u"api"_s << QString() << QString()
                              << QString() << 20;
        QTest::newRow("logs -n N") << words("logs api -n 5") << u"logs"_s << u"api"_s << QString()
                                   << QString() << QString() << 5;
        QTest::newRow("logs -nN") << words("logs api -n5") << u"logs"_s << u"api"_s << QString() << QString()
                                  << QString() << 5;
        QTest::newRow("logs --lines N") << words("logs --lines 7 api") << u"logs"_s << u"api"_s << QString()
                                        << QString() << QString() << 7;
        QTest::newRow("logs --lines=N") << words("logs api --lines=7") << u"logs"_s << u"api"_s << QString()
                                        << QString() << QString() << 7;
        QTest::newRow("logs --errors --follow")
            << words("logs api --errors --follow") << u"logs"_s << u"api"_s << QString() << QString()
            << u"errors follow"_s << 20;
        QTest::newRow("logs -f") << words("logs -f api") << u"logs"_s << u"api"_s << QString() << QString()
                                 << u"follow"_s << 20;
        QTest::newRow("recover") << words("recover") << u"recover"_s << QString() << QString() << QString()
                                 << QString() << 20;
        QTest::newRow("recover --dry-run --yes")
            << words("recover --dry-run --yes") << u"recover"_s << QString() << QString() << QString()
            << u"dryRun yes"_s << 20;
        QTest::newRow("recover -y") << words("recover -y") << u"recover"_s << QString() << QString()
                                    << QString() << u"yes"_s << 20;
        QTest::newRow("check-config") << words("check-config /c.toml") << u"check-config"_s << u"/c.toml"_s
                                      << QString() << QString() << QString() << 20;
        QTest::newRow("check-config with --socket")
            << words("--socket /s check-config /c.toml") << u"check-config"_s << u"/c.toml"_s << u"/s"_s
            << QString() << QString() << 20;
        QTest::newRow("report --out") << words("report --out /r.md") << u"report"_s << QString() << QString()
                                      << QString() << QString() << 20;
    }

    void ctlRuns()
    {
        QFETCH(QStringList, args);
        const CtlCommandLine cl = parseCtl(args);
        QVERIFY2(cl.action == CtlCommandLine::Action::Run, qPrintable(cl.text));
        QCOMPARE(cl.exitCode, 0);
        QFETCH(QString, command);
        QCOMPARE(cl.command, command);
        QFETCH(QString, argument);
        QCOMPARE(cl.argument, argument);
        QFETCH(QString, socket);
        QCOMPARE(cl.socketPath, socket);
        QFETCH(QString, config);
        QCOMPARE(cl.configPath, config);
        QStringList setFlags;
        for (const auto &[set, name] : {std::pair{cl.json, "json"},
                                        {cl.errors, "errors"},
                                        {cl.follow, "follow"},
                                        {cl.dryRun, "dryRun"},
                                        {cl.yes, "yes"}}) {
            if (set)
                setFlags << QString::fromLatin1(name);
        }
        QFETCH(QString, flags);
        QCOMPARE(setFlags.join(u' '), flags);
        QFETCH(int, lines);
        QCOMPARE(cl.lines, lines);
    }

    // ---- lifelinectl: usage errors, exit 2, message then usage ----

    void ctlUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no command") << QStringList{} << u"no command given"_s;
        QTest::newRow("only options") << words("--config /c.toml") << u"no command given"_s;
        QTest::newRow("unknown command") << words("frobnicate") << u"unknown command \"frobnicate\""_s;
        QTest::newRow("--socket without value") << words("status --socket") << u"--socket needs a value"_s;
        QTest::newRow("--socket=") << words("--socket= status") << u"--socket needs a value"_s;
        QTest::newRow("--config without value") << words("--config") << u"--config needs a value"_s;
        QTest::newRow("--config=") << words("status --config=") << u"--config needs a value"_s;
        QTest::newRow("--socket and --config") << words("--socket /s status --config /c.toml")
                                               << u"give either --socket or --config, not both"_s;
        QTest::newRow("start without name") << words("start") << u"start needs one NAME (or all)"_s;
        QTest::newRow("stop two names") << words("stop api worker") << u"stop needs one NAME (or all)"_s;
        QTest::newRow("restart with an option")
            << words("restart --json api") << u"restart needs one NAME (or all)"_s;
        QTest::newRow("status unknown option")
            << words("status --yaml") << u"status: unexpected argument \"--yaml\""_s;
        QTest::newRow("status operand") << words("status api") << u"status: unexpected argument \"api\""_s;
        QTest::newRow("status --json=")
            << words("status --json=1") << u"status: unexpected argument \"--json=1\""_s;
        QTest::newRow("health without name") << words("health --json") << u"health needs a NAME"_s;
        QTest::newRow("health two names") << words("health a b") << u"health: unexpected argument \"b\""_s;
        QTest::newRow("health --errors")
            << words("health a --errors") << u"health: unexpected argument \"--errors\""_s;
        QTest::newRow("logs without name") << words("logs -n 3") << u"logs needs a NAME"_s;
        QTest::newRow("logs -n missing") << words("logs api -n") << u"logs: -n needs a number"_s;
        QTest::newRow("logs --lines missing")
            << words("logs api --lines") << u"logs: --lines needs a number"_s;
        QTest::newRow("logs -n not a number")
            << words("logs api -n many") << u"logs: -n needs a positive number, got \"many\""_s;
        QTest::newRow("logs -n zero")
            << words("logs api -n 0") << u"logs: -n needs a positive number, got \"0\""_s;
        QTest::newRow("logs --lines=-3")
            << words("logs api --lines=-3") << u"logs: -n needs a positive number, got \"-3\""_s;
        QTest::newRow("logs two names") << words("logs api web") << u"logs: unexpected argument \"web\""_s;
        QTest::newRow("logs --json") << words("logs api --json") << u"logs: unexpected argument \"--json\""_s;
        QTest::newRow("recover unknown option")
            << words("recover --now") << u"recover: unexpected argument \"--now\""_s;
        QTest::newRow("recover operand") << words("recover api") << u"recover: unexpected argument \"api\""_s;
        QTest::newRow("check-config without file")
            << words("check-config") << u"check-config needs exactly one FILE"_s;
        QTest::newRow("check-config two files")
            << words("check-config a.toml b.toml") << u"check-config needs exactly one FILE"_s;
        QTest::newRow("report operand") << words("report api") << u"report: unexpected argument \"api\""_s;
        QTest::newRow("report --json")
            << words("report --json") << u"report: unexpected argument \"--json\""_s;
        QTest::newRow("report --out without path")
            << words("report --out") << u"report: --out needs a path"_s;
    }

    void ctlUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const CtlCommandLine cl = parseCtl(args);
        QVERIFY2(cl.action == CtlCommandLine::Action::UsageError, qPrintable(cl.command));
        QCOMPARE(cl.exitCode, 2);
        QVERIFY2(cl.text.startsWith(u"lifelinectl: "_s + message + u"\n\nusage: lifelinectl "_s),
                 qPrintable(cl.text));
        QVERIFY(cl.text.endsWith(u"3 no Lifeline running for that configuration.\n"_s));
    }

    // ---- lifelinectl: --help and --version, exit 0 ----

    void ctlPrints_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<CtlCommandLine::Action>("action");
        QTest::newRow("--help") << words("--help") << CtlCommandLine::Action::Help;
        QTest::newRow("-h") << words("-h") << CtlCommandLine::Action::Help;
        QTest::newRow("help") << words("help") << CtlCommandLine::Action::Help;
        QTest::newRow("after a command") << words("logs api -h") << CtlCommandLine::Action::Help;
        QTest::newRow("before a usage error") << words("--help frobnicate") << CtlCommandLine::Action::Help;
        QTest::newRow("--version") << words("--version") << CtlCommandLine::Action::Version;
        QTest::newRow("--version after a command")
            << words("status --version") << CtlCommandLine::Action::Version;
    }

    void ctlPrints()
    {
        QFETCH(QStringList, args);
        QFETCH(CtlCommandLine::Action, action);
        const CtlCommandLine cl = parseCtl(args);
        QVERIFY2(cl.action == action, qPrintable(cl.text));
        QCOMPARE(cl.exitCode, 0);
        if (action == CtlCommandLine::Action::Version) {
            QCOMPARE(cl.text, lifeline::versionText(u"lifelinectl"_s));
        } else {
            QVERIFY(cl.text.startsWith(u"usage: lifelinectl [--socket PATH | --config FILE] COMMAND"_s));
            QVERIFY(cl.text.endsWith(u"configuration.\n"_s));
        }
    }

    // ---- the lifeline binary ----

    void answersWithoutADisplay_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("--version") << QStringList{u"--version"_s} << lifeline::versionText(u"lifeline"_s);
        QTest::newRow("-v") << QStringList{u"-v"_s} << lifeline::versionText(u"lifeline"_s);
        QTest::newRow("--help") << QStringList{u"--help"_s} << u"--minimized"_s;
        QTest::newRow("-h after options")
            << QStringList{u"--config"_s, u"/nonexistent.toml"_s, u"-h"_s} << u"--config <FILE>"_s;
        QTest::newRow("--help-all") << QStringList{u"--help-all"_s} << u"--platform <NAME>"_s;
        QTest::newRow("headless --help") << QStringList{u"--headless"_s, u"--help"_s} << kHeadlessUsage;
    }

    void answersWithoutADisplay()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        std::unique_ptr<QProcess> p(runWithoutDisplay(args));
        QVERIFY(p->waitForFinished(20000));
        const QString out = QString::fromUtf8(p->readAllStandardOutput());
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QVERIFY2(p->exitCode() == 0, qPrintable(QString::fromUtf8(p->readAllStandardError())));
        QVERIFY2(out.contains(expected), qPrintable(out));
    }

    // QCommandLineParser::process() used to end the desktop app with 1.
    void usageErrorsExit2WithoutADisplay_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown option") << words("--bogus") << u"lifeline: Unknown option 'bogus'.\n"_s;
        QTest::newRow("missing value")
            << words("--config") << u"lifeline: Missing value after '--config'.\n"_s;
        QTest::newRow("Qt option without value")
            << words("--minimized -style") << u"lifeline: Missing value after '-style'.\n"_s;
        QTest::newRow("headless unknown option")
            << words("--headless --bogus") << u"lifeline: unknown argument \"--bogus\" in headless mode\n"_s;
        QTest::newRow("headless Qt option")
            << words("--headless -platform offscreen")
            << u"lifeline: unknown argument \"-platform\" in headless mode\n"_s;
    }

    void usageErrorsExit2WithoutADisplay()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        std::unique_ptr<QProcess> p(runWithoutDisplay(args));
        QVERIFY(p->waitForFinished(20000));
        const QString err = QString::fromUtf8(p->readAllStandardError());
        QCOMPARE(p->exitStatus(), QProcess::NormalExit);
        QVERIFY2(p->exitCode() == 2, qPrintable(err));
        QVERIFY2(err.startsWith(expected), qPrintable(err));
        QVERIFY(p->readAllStandardOutput().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCmdline)
#include "tst_cmdline.moc"
