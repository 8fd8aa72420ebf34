#include "platform/spawn.h"

#include "platform/pipe.h"

#include "platform/rlimit.h"

#include <QFile>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

namespace lifeline {

namespace {

QString errorText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

void UniqueFd::reset()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

bool openPipe(Pipe *pipe, bool nonBlocking, QString *error)
{
    int fds[2] = {-1, -1};
    if (!openPipe(fds, nonBlocking ? PipeMode::NonBlocking : PipeMode::Blocking)) {
        *error = errorText(errno);
        return false;
    }
    pipe->read = UniqueFd(fds[0]);
    pipe->write = UniqueFd(fds[1]);
    return true;
}

UniqueFd openForAppend(const QString &path, QString *error)
{
    UniqueFd fd(::open(QFile::encodeName(path).constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.isValid())
        *error = errorText(errno);
    return fd;
}

QString pipeTarget(int fd)
{
    struct stat st = {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return {};
    return QStringLiteral("pipe:[%1]").arg(quint64(st.st_ino));
}

void enterServiceChild(int outFd, int errFd)
{
    ::setsid();
    restoreOpenFileLimitInChild();
    ::dup2(outFd, STDOUT_FILENO);
    ::dup2(errFd, STDERR_FILENO);
}

pid_t spawnDetached(const DetachedSpawn &spawn, QString *error)
{
    const QByteArray program = QFile::encodeName(spawn.program);
    QList<QByteArray> args{program};
    for (const QString &a : spawn.arguments)
        args.append(QFile::encodeName(a));
    QList<char *> argv;
    for (QByteArray &a : args)
        argv.append(a.data());
    argv.append(nullptr);
    const QByteArray stderrPath = QFile::encodeName(spawn.stderrPath);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (const auto &[ours, theirs] : spawn.descriptors)
        posix_spawn_file_actions_adddup2(&actions, ours, theirs);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath.constData(), O_WRONLY | O_APPEND | O_CREAT,
                                     0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.constData(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *error = errorText(rc);
        return 0;
    }
    return pid;
}

} // namespace lifeline
