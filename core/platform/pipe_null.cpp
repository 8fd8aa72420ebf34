// Systems without pipes: opening one fails with ENOSYS.
#include "platform/pipe.h"

#include <cerrno>

namespace lifeline {

bool openPipe(int[2], PipeMode)
{
    errno = ENOSYS;
    return false;
}

} // namespace lifeline
