// `lifeline --headless`: the engine without a display. Loads the
// configuration, makes sure it is the only Lifeline for it, supervises the
// services and serves the control socket until SIGTERM, SIGINT, SIGHUP or
// SIGQUIT (util/signalpipe.h).
#pragma once

#include <QString>

namespace lifeline {

// Creates a QCoreApplication when none exists yet; returns the process exit code: 0 after a clean
// shutdown, 1 when another Lifeline already runs for the config (or holds
// its state_dir) or the control socket cannot be opened, 2 for a
// configuration error (each printed as FILE:LINE:COL: ...).
// socketPath empty = derived from the config (socketPathForConfig).
int runHeadless(const QString &configPath, const QString &socketPath = {}, const QString &profile = {});

} // namespace lifeline
