// lifeline [--config FILE] [--minimized]          the desktop app
// lifeline --headless --config FILE [--socket P]   the engine alone
#include "application.h"
#include "headless.h"
#include "platform/rlimit.h"

#include <cstring>

int main(int argc, char *argv[])
{
    lifeline::raiseOpenFileLimit();
    // Decide before any QApplication exists: the headless engine must never
    // touch a display (no QtGui platform plugin is even loaded).
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--headless") == 0)
            return lifeline::headlessMain(argc, argv);
    }
    return lifeline::guiMain(argc, argv);
}
