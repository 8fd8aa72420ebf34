// Systems without kill(2): no signal reaches anything (and ProcFs finds no
// process to send one to).
#include "platform/processcontrol.h"

namespace lifeline {

void SystemProcessControl::signal(const QList<pid_t> &, int) {}

} // namespace lifeline
