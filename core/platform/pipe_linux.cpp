#include "platform/pipe.h"

#include <fcntl.h>
#include <unistd.h>

namespace lifeline {

bool openPipe(int fds[2], PipeMode mode)
{
    return ::pipe2(fds, O_CLOEXEC | (mode == PipeMode::NonBlocking ? O_NONBLOCK : 0)) == 0;
}

} // namespace lifeline
