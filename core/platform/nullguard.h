// Force-included into every file of a LIFELINE_PLATFORM=null build (see
// core/CMakeLists.txt). The Linux-only calls that belong behind core/platform
// become compile errors everywhere else, so the null build proves on a Linux
// machine that the rest of Lifeline does not use them. The system headers
// that declare them come first: a poisoned name is an error even inside a
// header read afterwards.
#pragma once

#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

// Macros are undefined first: poisoning a defined macro is itself a warning.
#undef SOCK_CLOEXEC
#undef SOCK_NONBLOCK
#undef MSG_NOSIGNAL
#undef SO_PEERCRED
#undef SYS_pidfd_open
#undef SYS_pidfd_send_signal
#undef PR_SET_CHILD_SUBREAPER
#undef PR_GET_CHILD_SUBREAPER
#undef PR_SET_PDEATHSIG

#pragma GCC poison pipe2 accept4 prctl strerrorname_np SOCK_CLOEXEC SOCK_NONBLOCK MSG_NOSIGNAL SO_PEERCRED
#pragma GCC poison SYS_pidfd_open SYS_pidfd_send_signal PR_SET_CHILD_SUBREAPER PR_GET_CHILD_SUBREAPER
#pragma GCC poison PR_SET_PDEATHSIG
