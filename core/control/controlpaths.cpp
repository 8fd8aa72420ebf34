#include "control/controlpaths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// sockaddr_un::sun_path is 108 bytes on Linux and 104 on macOS; stay well below.
constexpr qsizetype kMaxSocketPath = 100;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Creates `dir` with mode 0700, or accepts it if it exists, is a real folder
// (not a symlink) and is ours; tightens its mode to 0700 if it is looser.
bool ensurePrivateDir(const QString &dir, QString *error)
{
#ifdef Q_OS_UNIX
    const QByteArray path = QFile::encodeName(dir);
    if (::mkdir(path.constData(), 0700) != 0 && errno != EEXIST) {
        *error = u"cannot create the control socket folder %1: %2"_s.arg(dir, errnoText());
        return false;
    }
    struct stat st = {};
    if (::lstat(path.constData(), &st) != 0) {
        *error = u"cannot inspect the control socket folder %1: %2"_s.arg(dir, errnoText());
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error = u"%1 is not a folder (a symlink or a file is in the way); refusing to put the "
                 u"control socket there"_s.arg(dir);
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        *error = u"%1 belongs to another user (uid %2); refusing to put the control socket there"_s.arg(
            dir, QString::number(st.st_uid));
        return false;
    }
    if ((st.st_mode & 077) != 0 && ::chmod(path.constData(), 0700) != 0) {
        *error = u"cannot make %1 private (chmod 0700): %2"_s.arg(dir, errnoText());
        return false;
    }
    return true;
#else
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create the control socket folder %1"_s.arg(dir);
        return false;
    }
    return true;
#endif
}

bool isWritableDir(const QString &dir)
{
    if (dir.isEmpty() || !QDir::isAbsolutePath(dir))
        return false;
#ifdef Q_OS_UNIX
    return ::access(QFile::encodeName(dir).constData(), W_OK | X_OK) == 0;
#else
    const QFileInfo fi(dir);
    return fi.isDir() && fi.isWritable();
#endif
}

QString userTag()
{
#ifdef Q_OS_UNIX
    return QString::number(::geteuid());
#else
    return qEnvironmentVariable("USERNAME", u"user"_s);
#endif
}

} // namespace

QString canonicalConfigPath(const QString &configPath)
{
    const QFileInfo fi(configPath);
    const QString canonical = fi.canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(fi.absoluteFilePath()) : canonical;
}

QString socketPathForConfig(const QString &configPath, QString *error)
{
    QString localError;
    QString &err = error ? *error : localError;

    const QByteArray digest =
        QCryptographicHash::hash(canonicalConfigPath(configPath).toUtf8(), QCryptographicHash::Sha1);
    const QString fileName = QString::fromLatin1(digest.toHex().left(16)) + u".sock"_s;

    const QString runtimeDir = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (isWritableDir(runtimeDir)) {
        const QString dir = QDir::cleanPath(runtimeDir) + u"/lifeline"_s;
        const QString path = dir + u'/' + fileName;
        // A very long XDG_RUNTIME_DIR would overflow sun_path: use /tmp then.
        if (QFile::encodeName(path).size() < kMaxSocketPath) {
            if (!ensurePrivateDir(dir, &err))
                return {};
            return path;
        }
    }

    const QString dir = u"/tmp/lifeline-"_s + userTag();
    if (!ensurePrivateDir(dir, &err))
        return {};
    return dir + u'/' + fileName;
}

QString defaultConfigPath()
{
    const QString local = QDir::current().absoluteFilePath(u"lifeline.toml"_s);
    if (QFileInfo::exists(local))
        return local;
    QString configHome = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (configHome.isEmpty() || !QDir::isAbsolutePath(configHome))
        configHome = QDir::homePath() + u"/.config"_s;
    return QDir::cleanPath(configHome) + u"/lifeline/lifeline.toml"_s;
}

} // namespace lifeline
