// A pipe whose two ends are close-on-exec from the moment they exist, so no
// child started by another thread in between inherits them (Linux: pipe2).
// A port without pipe2 (macOS) would call pipe() and fcntl(FD_CLOEXEC) under
// a lock that the code starting children takes too. The null implementation
// has no pipes: false, errno ENOSYS.
#pragma once

namespace lifeline {

enum class PipeMode
{
    Blocking,
    NonBlocking // both ends O_NONBLOCK
};

// fds[0] reads, fds[1] writes. false with errno set on failure.
bool openPipe(int fds[2], PipeMode mode);

} // namespace lifeline
