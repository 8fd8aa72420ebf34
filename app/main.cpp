// lifeline [--config FILE] [--minimized]          the desktop app
// lifeline --headless --config FILE [--socket P]   the engine alone
// lifeline [--headless] --demo                     either, on the demo stack
#include "application.h"
#include "commandline.h"
#include "control/controlpaths.h"
#include "headless.h"
#include "platform/rlimit.h"

#include <QFileInfo>

#include <cstdio>

int main(int argc, char *argv[])
{
    using Mode = lifeline::LifelineCommandLine::Mode;
    lifeline::raiseOpenFileLimit();
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    // Decided before any QApplication exists: the headless engine and the
    // printing modes must never touch a display (no platform plugin is loaded).
    lifeline::LifelineCommandLine commandLine = lifeline::parseLifelineCommandLine(args);
    switch (commandLine.mode) {
    case Mode::Help:
    case Mode::Version:
        std::fputs(qPrintable(commandLine.text), stdout);
        return commandLine.exitCode;
    case Mode::UsageError:
        std::fputs(qPrintable(commandLine.text), stderr);
        return commandLine.exitCode;
    case Mode::Headless:
    case Mode::Gui:
        break;
    }
    // No QCoreApplication yet to ask for applicationDirPath().
    const QString exeDir =
        QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath().section(u'/', 0, -2);
    if (commandLine.demo) {
        commandLine.configPath = lifeline::findDemoConfig(exeDir, QStringLiteral(LIFELINE_SOURCE_DIR));
        if (commandLine.configPath.isEmpty()) {
            std::fprintf(stderr,
                         "lifeline: no demo configuration found (looked in %s/../share/lifeline/demo)\n",
                         qPrintable(exeDir));
            return 1;
        }
        // The demo config names lifeline-demo-backend without a path; it is
        // installed beside lifeline, in whatever prefix that is.
        qputenv("PATH", (exeDir + u':').toLocal8Bit() + qgetenv("PATH"));
    }
    if (commandLine.configPath.isEmpty()) {
        commandLine.configPath = lifeline::defaultConfigPath();
        commandLine.configIsDefault = true;
        commandLine.demoConfigPath = lifeline::findDemoConfig(exeDir, QStringLiteral(LIFELINE_SOURCE_DIR));
    }
    if (commandLine.mode == Mode::Headless)
        return lifeline::runHeadless(commandLine.configPath, commandLine.socketPath, commandLine.profile);
    return lifeline::guiMain(argc, argv, commandLine);
}
