// Exit statuses told the way a person wants to read them.
#pragma once

#include "platform/procfs.h"
#include "util/units.h"

#include <QString>

namespace lifeline {

struct ExitStatus
{
    enum class Kind
    {
        Exited,
        Signaled,
        Unknown
    };
    // Who sent a SIGKILL, when it is known: nobody can tell from the
    // status alone, and guessing "out of memory" blamed the OOM killer for
    // Lifeline's own kill after stop_timeout and for a person's kill -9.
    enum class Cause
    {
        Unknown,
        OutOfMemory, // the kernel's oom_kill counter rose for this exit
        StopTimeout  // Lifeline's SIGKILL after stop_timeout
    };
    Kind kind = Kind::Unknown;
    int code = 0; // exit code (Exited) or signal number (Signaled)
    Cause cause = Cause::Unknown;

    static ExitStatus exited(int code) { return {Kind::Exited, code}; }
    static ExitStatus signaled(int sig, Cause cause = Cause::Unknown) { return {Kind::Signaled, sig, cause}; }
    static ExitStatus unknown() { return {}; }
    // A death by signal `sig`, with the cause of a SIGKILL: ours when
    // `killedByLifeline`, else the OOM killer's when its counters rose
    // between `before` (read while the process ran) and `atExit`.
    static ExitStatus signaled(int sig, bool killedByLifeline, const OomKillCounts &before,
                               const OomKillCounts &atExit);

    bool isSuccess() const { return kind == Kind::Exited && code == 0; }
    // "exit code 3", "exited cleanly (0)", "killed by SIGKILL (9)",
    // "killed by SIGKILL (9) — out of memory (the kernel's OOM killer)",
    // "killed by Lifeline after stop_timeout (SIGKILL)",
    // "killed by SIGSEGV (11) — crashed", "exit code unknown (adopted)"
    QString describe() const;
    // What `status --json` reports as last_exit_code: the exit code, or
    // 128 + signal as shells do; -1 when unknown.
    int shellCode() const;
};

} // namespace lifeline
