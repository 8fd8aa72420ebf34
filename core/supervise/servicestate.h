// The states a supervised service moves through, after supervisord's
// (supervisor/states.py).
#pragma once

#include <QString>

namespace lifeline {

enum class ServiceState
{
    Stopped,  // not running, and nobody asked it to run
    Starting, // being launched (pre-flight, spawn); not yet confirmed running
    Running,  // the main process is alive (started by us, or adopted)
    Backoff,  // exited unexpectedly; a restart is scheduled after a delay
    Stopping, // stop signal sent to the whole tree; SIGKILL follows after stop_timeout
    Exited,   // exited and the restart policy says to leave it so
    Fatal,    // crash loop (or cannot start): needs a person, or fatal_retry
};

QString stateName(ServiceState s); // lower case, as in `status --json`

// Whether the state machine has the edge from -> to (the table in
// servicestate.cpp). A supervisor asked for any other transition has a bug:
// it says so (a soft assert), it does not stay silent.
bool isAllowedTransition(ServiceState from, ServiceState to);

inline bool isRunningState(ServiceState s)
{
    return s == ServiceState::Starting || s == ServiceState::Running || s == ServiceState::Stopping;
}
inline bool isStoppedState(ServiceState s)
{
    return s == ServiceState::Stopped || s == ServiceState::Exited || s == ServiceState::Fatal;
}

} // namespace lifeline
