// Termination signals turned into something the event loop can read: the
// handler only writes the signal number into a pipe (async-signal-safe), and
// a QSocketNotifier on readFd() lets the program shut down in order. Used by
// the headless engine and by the desktop app (a session logout sends SIGTERM).
//
// What each signal does, and why (README.md, "Signals"):
// - SIGTERM, SIGINT, SIGHUP: an orderly shutdown that follows on_exit. SIGHUP
//   is what a closed terminal sends to `lifeline --headless`; dying of it at
//   once would leave every service, pidfile and the socket file behind.
// - SIGQUIT: the same orderly shutdown, as supervisord does. Its default (a
//   core dump) would also skip the shutdown; a person who presses Ctrl+\ wants
//   Lifeline gone, and a core of a live Lifeline is taken with gcore.
// - SIGPIPE: caught by a handler that does nothing, so a write to a reader
//   that went away (a lifelinectl that quit, a dead logger) fails with EPIPE
//   instead of killing the supervisor. A handler rather than SIG_IGN because
//   exec() resets handlers to the default but keeps SIG_IGN: the services and
//   probes we start get the default SIGPIPE they expect.
#pragma once

#include <QList>
#include <QString>

#include <array>
#include <csignal>

namespace lifeline {

class SignalPipe
{
public:
    SignalPipe() = default;
    SignalPipe(const SignalPipe &) = delete;
    SignalPipe &operator=(const SignalPipe &) = delete;
    ~SignalPipe();

    // Installs the handlers (see above); one SignalPipe at a time.
    bool install(QString *error);
    int readFd() const { return m_fds[0]; }
    // The termination signals received since the last call (never SIGPIPE).
    QList<int> drain();

private:
    static constexpr std::array<int, 5> kHandled = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE};

    int m_fds[2] = {-1, -1};
    bool m_installed = false;
    std::array<struct sigaction, kHandled.size()> m_old = {};
};

} // namespace lifeline
