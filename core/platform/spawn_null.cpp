// Systems without pipes, posix_spawn or sessions as Linux has them: no
// descriptor is ever made, so there is none to close, and nothing starts.
#include "platform/spawn.h"

namespace lifeline {

namespace {

QString unsupported()
{
    return QStringLiteral("not supported on this platform");
}

} // namespace

void UniqueFd::reset()
{
    m_fd = -1;
}

bool openPipe(Pipe *, bool, QString *error)
{
    *error = unsupported();
    return false;
}

UniqueFd openForAppend(const QString &, QString *error)
{
    *error = unsupported();
    return UniqueFd();
}

QString pipeTarget(int)
{
    return {};
}

void enterServiceChild(int, int) {}

pid_t spawnDetached(const DetachedSpawn &, QString *error)
{
    *error = unsupported();
    return 0;
}

} // namespace lifeline
