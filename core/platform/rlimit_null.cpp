// Systems without setrlimit(): the limit stays what it is.
#include "platform/rlimit.h"

namespace lifeline {

quint64 raiseOpenFileLimit()
{
    return 0;
}

QString openFileLimitText()
{
    return QStringLiteral("unknown");
}

void restoreOpenFileLimitInChild() {}

} // namespace lifeline
