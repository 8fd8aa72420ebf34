// The limit on open file descriptors. Lifeline holds one per control client,
// per tailed log, per probe and per child pipe; the usual soft limit of 1024
// is a default for programs that still use select(), not a property of the
// machine, so Lifeline raises it to the hard limit at start (as systemd and
// most servers do). Linux: setrlimit(); elsewhere the null implementation
// changes nothing.
#pragma once

#include <QtGlobal>

namespace lifeline {

// Raises the soft RLIMIT_NOFILE to the hard limit. Returns the soft limit in
// effect afterwards (0 when unknown or unlimited). Call first thing in main().
quint64 raiseOpenFileLimit();

} // namespace lifeline
