// Systems without setrlimit(): the limit stays what it is.
#include "platform/rlimit.h"

namespace lifeline {

quint64 raiseOpenFileLimit()
{
    return 0;
}

void restoreOpenFileLimitInChild() {}

} // namespace lifeline
