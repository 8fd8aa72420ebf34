#include "platform/rlimit.h"

#include <sys/resource.h>

namespace lifeline {

namespace {
// Written once in main() before any thread or child exists; read in children.
struct rlimit g_original = {};
bool g_raised = false;
} // namespace

quint64 raiseOpenFileLimit()
{
    struct rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        struct rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            g_original = limit;
            g_raised = true;
            limit = raised;
        }
    }
    return limit.rlim_cur == RLIM_INFINITY ? 0 : quint64(limit.rlim_cur);
}

QString openFileLimitText()
{
    struct rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return QStringLiteral("unknown");
    return limit.rlim_cur == RLIM_INFINITY ? QStringLiteral("unlimited") : QString::number(limit.rlim_cur);
}

void restoreOpenFileLimitInChild()
{
    if (g_raised)
        ::setrlimit(RLIMIT_NOFILE, &g_original);
}

} // namespace lifeline
