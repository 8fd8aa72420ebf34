// Systems without local sockets: there is no control socket, so nothing is
// found listening and listening fails with ENOSYS ("Function not
// implemented"), which ControlServer::listen() reports with the path.
#include "platform/localsocket.h"

#include <cerrno>

namespace lifeline::localsocket {

bool isListenedOn(const QString &)
{
    return false;
}

int listenAt(const QString &, const char **step, int *error)
{
    *step = "socket";
    *error = ENOSYS;
    return -1;
}

Accepted acceptClient(int)
{
    Accepted a;
    a.result = Accepted::Result::Failed;
    a.error = ENOSYS;
    return a;
}

void refuseClient(int, const QByteArray &) {}

int openSpareDescriptor()
{
    return -1;
}

void closeDescriptor(int) {}

} // namespace lifeline::localsocket
