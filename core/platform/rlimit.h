// The limit on open file descriptors. Lifeline holds one per control client,
// per tailed log, per probe and per child pipe; the usual soft limit of 1024
// is a default for programs that still use select(), not a property of the
// machine, so Lifeline raises it to the hard limit at start (as systemd and
// most servers do). Linux: setrlimit(); elsewhere the null implementation
// changes nothing.
#pragma once

#include <QString>

namespace lifeline {

// Raises the soft RLIMIT_NOFILE to the hard limit. Returns the soft limit in
// effect afterwards (0 when unknown or unlimited). Call first thing in main().
quint64 raiseOpenFileLimit();

// The soft limit in effect now, for messages: "unlimited", a number, or
// "unknown" where it cannot be read.
QString openFileLimitText();

// Puts back the soft limit Lifeline started with, so services and probes get
// the limit their user's session gives them, not ours (some programs still
// break above 1024, which is why systemd hands children 1024 too). For a
// child between fork and exec: async-signal-safe; does nothing when the limit
// was never raised.
void restoreOpenFileLimitInChild();

} // namespace lifeline
