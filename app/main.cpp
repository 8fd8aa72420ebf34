// lifeline [--config FILE] [--minimized]          the desktop app
// lifeline --headless --config FILE [--socket P]   the engine alone
#include "app/headless.h"
#include "application.h"

#include <QString>

#include <cstdio>
#include <cstring>

int main(int argc, char *argv[])
{
    // Decide before any QApplication exists: the headless engine must never
    // touch a display (no QtGui platform plugin is even loaded).
    bool headless = false;
    QString config, socket;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--headless") == 0)
            headless = true;
        else if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = QString::fromLocal8Bit(argv[++i]);
        else if (std::strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
            socket = QString::fromLocal8Bit(argv[++i]);
    }
    if (!headless)
        return lifeline::guiMain(argc, argv);
    if (config.isEmpty()) {
        std::fputs("usage: lifeline --headless --config FILE [--socket PATH]\n", stderr);
        return 2;
    }
    return lifeline::runHeadless(config, socket);
}
