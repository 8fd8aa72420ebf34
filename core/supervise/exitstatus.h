// Exit statuses told the way a person wants to read them.
#pragma once

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
    Kind kind = Kind::Unknown;
    int code = 0; // exit code (Exited) or signal number (Signaled)

    static ExitStatus exited(int code) { return {Kind::Exited, code}; }
    static ExitStatus signaled(int sig) { return {Kind::Signaled, sig}; }
    static ExitStatus unknown() { return {}; }

    bool isSuccess() const { return kind == Kind::Exited && code == 0; }
    // "exit code 3", "exited cleanly (0)", "killed by SIGKILL (9) — out of memory?",
    // "killed by SIGSEGV (11) — crashed", "exit code unknown (adopted)"
    QString describe() const;
    // What `status --json` reports as last_exit_code: the exit code, or
    // 128 + signal as shells do; -1 when unknown.
    int shellCode() const;
};

QString signalName(int sig); // 9 -> "SIGKILL"

} // namespace lifeline
