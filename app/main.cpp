// lifeline [--config FILE] [--minimized]          the desktop app
// lifeline --headless --config FILE [--socket P]   the engine alone
#include "application.h"
#include "commandline.h"
#include "control/controlpaths.h"
#include "headless.h"
#include "platform/rlimit.h"

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
    if (commandLine.configPath.isEmpty())
        commandLine.configPath = lifeline::defaultConfigPath();
    if (commandLine.mode == Mode::Headless)
        return lifeline::runHeadless(commandLine.configPath, commandLine.socketPath);
    return lifeline::guiMain(argc, argv, commandLine);
}
