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

} // namespace lifeline
