#include "platform/processcontrol.h"

#include <csignal>

namespace lifeline {

void SystemProcessControl::signal(const QList<pid_t> &pids, int sig)
{
    for (const pid_t pid : pids)
        ::kill(pid, sig);
}

} // namespace lifeline
