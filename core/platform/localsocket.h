// The listening end of the control socket, as the operating system provides
// it. Linux: a Unix-domain stream socket (localsocket_linux.cpp), every
// descriptor non-blocking and close-on-exec from the start (SOCK_NONBLOCK,
// SOCK_CLOEXEC, accept4), so no child started in between inherits one. The
// null implementation has no local sockets: nothing listens, nothing is
// accepted, and the error is ENOSYS. ControlServer keeps the policy (how many
// clients, when to pause, what to tell a refused client); this is only the
// system calls. Accepted descriptors are handed to QLocalSocket.
#pragma once

#include <QByteArray>
#include <QString>

namespace lifeline::localsocket {

// True when a live process listens at `path` (a connect succeeds, or the
// listen queue is full); false when there is no file there or the file is a
// socket nobody listens on (left by a crash). Anything else counts as alive:
// never remove what cannot be proved dead. Never waits.
bool isListenedOn(const QString &path);

// A socket bound at `path` (which must not exist), readable and writable by
// our user only before anyone can connect, and listening. On failure -1, and
// *step names what failed ("path", "socket", "bind", "listen") and *error is
// the errno; nothing is left at `path`.
int listenAt(const QString &path, const char **step, int *error);

struct Accepted
{
    enum class Result
    {
        Client,           // fd is the new connection
        Retry,            // interrupted, or the client gave up waiting: accept again
        Drained,          // no more waiting clients
        OutOfDescriptors, // EMFILE/ENFILE: clients wait that cannot be accepted now
        Failed            // anything else; error says what
    };
    Result result = Result::Failed;
    int fd = -1;
    int error = 0; // errno, when not Client
};
Accepted acceptClient(int listenFd);

// Best effort: writes `line` (short: a fresh connection has room for it)
// without raising SIGPIPE if the client went away, then closes `fd`.
void refuseClient(int fd, const QByteArray &line);

// A descriptor held in reserve: closing it for a moment lets a process that
// has run out accept one waiting client to tell it why. -1 when none.
int openSpareDescriptor();

void closeDescriptor(int fd);

} // namespace lifeline::localsocket
