// The desktop app's composition root: loads the configuration, creates the
// Fleet (core), the control server, the main window and the tray controller
// (ui), and wires them together. Nothing else knows all of them.
#pragma once

namespace lifeline {
int guiMain(int argc, char *argv[]);
}
