#include "exitstatus.h"

#include <csignal>
#include <cstring>

namespace lifeline {

static QString signalHint(int sig)
{
    switch (sig) {
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
        return QStringLiteral(" — crashed");
    case SIGABRT:
        return QStringLiteral(" — aborted (assertion or uncaught exception?)");
    case SIGPIPE:
        return QStringLiteral(" — wrote to a closed pipe");
    case SIGXCPU:
        return QStringLiteral(" — CPU time limit");
    case SIGXFSZ:
        return QStringLiteral(" — file size limit");
    default:
        return {};
    }
}

ExitStatus ExitStatus::signaled(int sig, bool killedByLifeline, const OomKillCounts &before,
                                const OomKillCounts &atExit)
{
    Cause cause = Cause::Unknown;
    if (sig == SIGKILL && killedByLifeline)
        cause = Cause::StopTimeout;
    else if (sig == SIGKILL && before.roseBy(atExit))
        cause = Cause::OutOfMemory;
    return signaled(sig, cause);
}

QString ExitStatus::describe() const
{
    switch (kind) {
    case Kind::Exited:
        if (code == 0)
            return QStringLiteral("exited cleanly (0)");
        if (code > 128 && code < 128 + 65)
            return QStringLiteral("exit code %1 (a shell reporting %2?)")
                .arg(code)
                .arg(signalName(code - 128));
        return QStringLiteral("exit code %1").arg(code);
    case Kind::Signaled:
        if (code == SIGKILL && cause == Cause::StopTimeout)
            return QStringLiteral("killed by Lifeline after stop_timeout (SIGKILL)");
        if (code == SIGKILL && cause == Cause::OutOfMemory)
            return QStringLiteral("killed by SIGKILL (9) — out of memory (the kernel's OOM killer)");
        return QStringLiteral("killed by %1 (%2)%3").arg(signalName(code)).arg(code).arg(signalHint(code));
    case Kind::Unknown:
        break;
    }
    return QStringLiteral("exit code unknown (adopted)");
}

int ExitStatus::shellCode() const
{
    switch (kind) {
    case Kind::Exited:
        return code;
    case Kind::Signaled:
        return 128 + code;
    case Kind::Unknown:
        break;
    }
    return -1;
}

} // namespace lifeline
