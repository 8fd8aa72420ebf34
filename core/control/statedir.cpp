#include "control/statedir.h"

#include "platform/errnoname.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString errnoText(int err)
{
    return u"%1, %2"_s.arg(QString::fromLocal8Bit(std::strerror(err)), errnoName(err));
}

// Why `culprit` (the state_dir, or the folder that could not take it)
// refused, for a person: the errno in words and by name.
QString cannotWrite(const QString &dir, const QString &culprit, int err)
{
    const QString subject = culprit == dir ? u"state_dir %1"_s.arg(dir)
                                           : u"state_dir %1 cannot be created: %2"_s.arg(dir, culprit);
    switch (err) {
    case EROFS:
        return u"%1 is read-only (EROFS)"_s.arg(subject);
    case ENOSPC:
        return u"%1 has no space left on its device (ENOSPC)"_s.arg(subject);
    case EDQUOT:
        return u"%1 is over its disk quota (EDQUOT)"_s.arg(subject);
    case ENOTDIR:
        return u"%1 is not a directory"_s.arg(subject);
    case EACCES:
    case EPERM: {
        struct stat st = {};
        if (::stat(QFile::encodeName(culprit).constData(), &st) != 0)
            return u"%1 is not writable by you (uid %2; %3)"_s.arg(subject, QString::number(::geteuid()),
                                                                   errnoText(err));
        return u"%1 is not writable by you (owned by uid %2, mode %3; you are uid %4)"_s.arg(
            subject, QString::number(st.st_uid),
            QString::number(st.st_mode & 07777, 8).rightJustified(4, u'0'), QString::number(::geteuid()));
    }
    default:
        return u"%1 cannot be written (%2)"_s.arg(subject, errnoText(err));
    }
}

// mkdir -p of an absolute clean path that keeps the errno and the folder at
// fault: the one that is not a directory, or the parent that refused.
int makePath(const QString &dir, QString *culprit)
{
    QString path;
    for (const QString &part : dir.split(u'/', Qt::SkipEmptyParts)) {
        const QString parent = path.isEmpty() ? u"/"_s : path;
        path += u'/' + part;
        const QByteArray native = QFile::encodeName(path);
        struct stat st = {};
        if (::stat(native.constData(), &st) == 0) {
            if (S_ISDIR(st.st_mode))
                continue;
            *culprit = path;
            return ENOTDIR;
        }
        if (errno != ENOENT || ::mkdir(native.constData(), 0755) != 0) {
            const int err = errno;
            *culprit = err == ENOTDIR ? path : parent;
            return err;
        }
    }
    return 0;
}

// QLockFile says only "permission" or "unknown" (its write failing on a full
// disk is "unknown"): a file of the same size, written by us, gives the errno.
int probeWrite(const QString &stateDir)
{
    const QByteArray path =
        QFile::encodeName(QDir(stateDir).filePath(u".lifeline-probe-%1"_s.arg(::getpid())));
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    const QByteArray data(256, 'x');
    int err = 0;
    errno = 0;
    if (::write(fd, data.constData(), size_t(data.size())) != data.size() || ::fsync(fd) != 0)
        err = errno ? errno : ENOSPC;
    ::close(fd);
    ::unlink(path.constData());
    return err;
}

} // namespace

std::unique_ptr<QLockFile> takeStateDirLock(const QString &stateDir, QString *error, qint64 *holderPid)
{
    const QString dir = QDir::cleanPath(QDir::current().absoluteFilePath(stateDir));
    QString culprit;
    if (const int err = makePath(dir, &culprit); err != 0) {
        *error = cannotWrite(dir, culprit, err);
        return {};
    }
    if (::access(QFile::encodeName(dir).constData(), W_OK | X_OK) != 0) {
        *error = cannotWrite(dir, dir, errno);
        return {};
    }
    const QString lockPath = QDir(dir).filePath(u"lifeline.lock"_s);
    auto lock = std::make_unique<QLockFile>(lockPath);
    lock->setStaleLockTime(0); // a lock is stale only when its holder is gone
    if (lock->tryLock(0))
        return lock;
    qint64 pid = 0;
    QString host;
    QString app;
    if (lock->error() == QLockFile::LockFailedError && lock->getLockInfo(&pid, &host, &app)) {
        if (holderPid)
            *holderPid = pid;
        *error = u"state_dir %1 is in use by another Lifeline (pid %2 on %3; lock file %4); give each "
                 u"configuration its own state_dir"_s.arg(dir, QString::number(pid), host, lockPath);
        return {};
    }
    if (const int err = probeWrite(dir); err != 0) {
        *error = cannotWrite(dir, dir, err);
        return {};
    }
    *error = u"cannot take the lock %1 for state_dir %2 (%3)"_s.arg(
        lockPath, dir,
        lock->error() == QLockFile::PermissionError ? u"permission denied on the lock file"_s
                                                    : u"unknown error"_s);
    return {};
}

} // namespace lifeline
