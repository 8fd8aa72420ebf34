#include "servicestate.h"

namespace lifeline {

QString stateName(ServiceState s)
{
    switch (s) {
    case ServiceState::Stopped:
        return QStringLiteral("stopped");
    case ServiceState::Starting:
        return QStringLiteral("starting");
    case ServiceState::Running:
        return QStringLiteral("running");
    case ServiceState::Backoff:
        return QStringLiteral("backoff");
    case ServiceState::Stopping:
        return QStringLiteral("stopping");
    case ServiceState::Exited:
        return QStringLiteral("exited");
    case ServiceState::Fatal:
        return QStringLiteral("fatal");
    }
    return QStringLiteral("unknown");
}

bool isAllowedTransition(ServiceState from, ServiceState to)
{
    using S = ServiceState;
    // from      | to                                          | by
    // ----------+---------------------------------------------+----------------------------------------
    // Stopped   | Starting                                    | start()
    //           | Running                                     | tryAdopt() (a verified pidfile)
    // Starting  | Running                                     | the process runs
    //           | Backoff, Fatal                              | the start failed (fatal: start retries used
    //           up) | Backoff, Fatal, Exited                      | a stop given up on (abandonStop) ended
    //           after start() | Stopping                                    | stop() / restart() while
    //           starting | Stopped                                     | leftovers gone while Lifeline shuts
    //           down
    // Running   | Backoff, Fatal, Exited                      | the process ended by itself (restart policy)
    //           | Stopping                                    | stop(), restart(), restartForFailure()
    // Backoff   | Starting                                    | the restart delay is over, or start()
    //           | Stopping                                    | stop() while leftovers are being ended
    //           | Stopped                                     | stop(); a start while Lifeline shuts down
    // Stopping  | Stopped                                     | the tree is gone
    //           | Starting                                    | the tree is gone and a (re)start was asked
    //           | Backoff, Fatal                              | the tree is gone after restartForFailure()
    //           | Fatal                                       | abandonStop()
    //           | Stopped                                     | a start while Lifeline shuts down
    // Exited    | Starting / Stopping / Stopped               | start() / stop() with leftovers / stop()
    // Fatal     | Starting                                    | start(), fatal_retry
    //           | Stopping / Stopped                          | stop() with leftovers / stop()
    switch (from) {
    case S::Stopped:
        return to == S::Starting || to == S::Running;
    case S::Starting:
        return to == S::Running || to == S::Backoff || to == S::Fatal || to == S::Exited ||
               to == S::Stopping || to == S::Stopped;
    case S::Running:
        return to == S::Backoff || to == S::Fatal || to == S::Exited || to == S::Stopping;
    case S::Backoff:
    case S::Exited:
    case S::Fatal:
        return to == S::Starting || to == S::Stopping || to == S::Stopped;
    case S::Stopping:
        return to == S::Stopped || to == S::Starting || to == S::Backoff || to == S::Fatal;
    }
    return false;
}

} // namespace lifeline
