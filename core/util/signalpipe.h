// SIGTERM/SIGINT turned into something the event loop can read: the
// handler only writes the signal number into a pipe (async-signal-safe), and
// a QSocketNotifier on readFd() lets the program shut down in order. Used by
// the headless engine and by the desktop app (a session logout sends SIGTERM).
#pragma once

#include <QList>
#include <QString>

#include <csignal>

namespace lifeline {

class SignalPipe
{
public:
    SignalPipe() = default;
    SignalPipe(const SignalPipe &) = delete;
    SignalPipe &operator=(const SignalPipe &) = delete;
    ~SignalPipe();

    // Installs the handlers for SIGTERM and SIGINT; one SignalPipe at a time.
    bool install(QString *error);
    int readFd() const { return m_fds[0]; }
    // The signals received since the last call.
    QList<int> drain();

private:
    int m_fds[2] = {-1, -1};
    bool m_installed = false;
    struct sigaction m_oldTerm = {};
    struct sigaction m_oldInt = {};
};

} // namespace lifeline
