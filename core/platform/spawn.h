// Starting processes and handing them descriptors: pipes, log files opened
// for appending, the set-up of a service's child between fork and exec, and
// a helper started and let go. Linux: spawn_linux.cpp (pipe2, open, setsid,
// posix_spawn); elsewhere spawn_null.cpp, which makes no descriptor and
// starts nothing, and says so.
#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <sys/types.h>
#include <utility>

namespace lifeline {

// A descriptor closed once, however its owner goes away.
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd)
        : m_fd(fd)
    {}
    UniqueFd(UniqueFd &&other) noexcept
        : m_fd(other.release())
    {}
    UniqueFd &operator=(UniqueFd &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_fd = other.release();
        }
        return *this;
    }
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool isValid() const { return m_fd >= 0; }
    int release() { return std::exchange(m_fd, -1); }
    void reset();

private:
    int m_fd = -1;
};

struct Pipe
{
    UniqueFd read;
    UniqueFd write;
};

// A pipe whose ends are close-on-exec: a child gets an end only by being
// handed it on purpose. False with *error set when it cannot be made.
bool openPipe(Pipe *pipe, bool nonBlocking, QString *error);

// `path` opened for appending (created 0644 if missing), close-on-exec.
// Invalid with *error set on failure.
UniqueFd openForAppend(const QString &path, QString *error);

// How ProcFs::fdTarget names the pipe `fd` refers to ("pipe:[inode]");
// empty when it is not a pipe.
QString pipeTarget(int fd);

// For a service's child between fork and exec (QProcess's child modifier),
// so async-signal-safe: its own session and process group, so that the
// whole tree can be signalled as one; the open-file limit Lifeline started
// with (rlimit.h); stdout and stderr onto outFd and errFd.
void enterServiceChild(int outFd, int errFd);

// A helper started and let go: in a session of its own (a signal to a
// service's group does not reach it), with default signal dispositions and
// nothing blocked. It gets `descriptors` (ours, the number it sees),
// /dev/null as stdout and `stderrPath` appended to as stderr, and the
// environment Lifeline has. Nobody waits for it but the orphan reaper.
struct DetachedSpawn
{
    QString program;
    QStringList arguments;
    QList<QPair<int, int>> descriptors;
    QString stderrPath;
};
// The helper's pid, or 0 with *error set.
pid_t spawnDetached(const DetachedSpawn &spawn, QString *error);

} // namespace lifeline
