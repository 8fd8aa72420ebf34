#include "signalpipe.h"

#include "platform/pipe.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace lifeline {

namespace {

int g_signalWriteFd = -1;

extern "C" void onTerminationSignal(int sig)
{
    const int savedErrno = errno;
    const char byte = char(sig);
    if (g_signalWriteFd >= 0) [[maybe_unused]]
        const auto n = ::write(g_signalWriteFd, &byte, 1);
    errno = savedErrno;
}

extern "C" void onBrokenPipe(int) {}

} // namespace

SignalPipe::~SignalPipe()
{
    if (m_installed) {
        for (size_t i = 0; i < kHandled.size(); ++i)
            ::sigaction(kHandled[i], &m_old[i], nullptr);
    }
    g_signalWriteFd = -1;
    for (int fd : m_fds) {
        if (fd >= 0)
            ::close(fd);
    }
}

bool SignalPipe::install(QString *error)
{
    if (!openPipe(m_fds, PipeMode::NonBlocking)) {
        *error = QStringLiteral("cannot create the signal pipe: %1")
                     .arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    g_signalWriteFd = m_fds[1];
    for (size_t i = 0; i < kHandled.size(); ++i) {
        struct sigaction sa = {};
        sa.sa_handler = kHandled[i] == SIGPIPE ? onBrokenPipe : onTerminationSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(kHandled[i], &sa, &m_old[i]);
    }
    m_installed = true;
    return true;
}

QList<int> SignalPipe::drain()
{
    QList<int> sigs;
    char buf[64];
    for (;;) {
        const ssize_t n = ::read(m_fds[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; ++i)
            sigs << int(buf[i]);
    }
    return sigs;
}

} // namespace lifeline
