// Unix-domain sockets (unix(7)); accept4 and the SOCK_* flags are Linux (and
// BSD) extensions, which is why this is a platform file.
#include "platform/localsocket.h"

#include <QFile>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace lifeline::localsocket {

namespace {

bool toAddress(const QString &path, sockaddr_un *addr)
{
    const QByteArray native = QFile::encodeName(path);
    if (native.isEmpty() || size_t(native.size()) >= sizeof(addr->sun_path))
        return false;
    *addr = {};
    addr->sun_family = AF_UNIX;
    std::memcpy(addr->sun_path, native.constData(), size_t(native.size()));
    return true;
}

} // namespace

bool isListenedOn(const QString &path)
{
    sockaddr_un addr;
    if (!toAddress(path, &addr))
        return false;
    // Non-blocking: a Unix-domain connect succeeds or fails at once, and a
    // full listen queue (EAGAIN) still means someone is listening.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr));
    const int err = errno;
    ::close(fd);
    if (rc == 0)
        return true;
    // ECONNREFUSED: a socket file nobody listens on (a crashed Lifeline).
    // ENOENT: no file. Anything else (EACCES, EAGAIN...): assume alive.
    return err != ECONNREFUSED && err != ENOENT && err != ENOTDIR;
}

int listenAt(const QString &path, const char **step, int *error)
{
    const auto failed = [&](const char *what, int err) {
        *step = what;
        *error = err;
        return -1;
    };
    sockaddr_un addr;
    if (!toAddress(path, &addr))
        return failed("path", ENAMETOOLONG);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed("socket", errno);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0) {
        const int err = errno;
        ::close(fd);
        return failed("bind", err);
    }
    // Our user only, set while nobody can connect yet (it does not listen).
    if (::chmod(addr.sun_path, S_IRUSR | S_IWUSR) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(addr.sun_path);
        return failed("listen", err);
    }
    return fd;
}

Accepted acceptClient(int listenFd)
{
    Accepted a;
    a.fd = ::accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (a.fd >= 0) {
        a.result = Accepted::Result::Client;
        return a;
    }
    a.error = errno;
    switch (a.error) {
    case EINTR:
    case ECONNABORTED: // the client gave up while waiting
    case EPROTO:
        a.result = Accepted::Result::Retry;
        break;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
        a.result = Accepted::Result::Drained;
        break;
    case EMFILE:
    case ENFILE:
        a.result = Accepted::Result::OutOfDescriptors;
        break;
    default:
        a.result = Accepted::Result::Failed;
        break;
    }
    return a;
}

void refuseClient(int fd, const QByteArray &line)
{
    [[maybe_unused]] const ssize_t written = ::send(fd, line.constData(), size_t(line.size()), MSG_NOSIGNAL);
    ::close(fd);
}

int openSpareDescriptor()
{
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void closeDescriptor(int fd)
{
    if (fd >= 0)
        ::close(fd);
}

} // namespace lifeline::localsocket
