// Small helpers shared by the tests (header-only; each test is one executable).
#pragma once

#include <QHostAddress>
#include <QTcpServer>

// A TCP port on 127.0.0.1 that was free a moment ago: bind to port 0, read
// the port the kernel chose, release it. 0 if nothing could be bound.
inline quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}
