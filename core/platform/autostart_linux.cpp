// XDG autostart: $XDG_CONFIG_HOME/autostart/lifeline.desktop.
#include "platform/autostart.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace lifeline {

bool Autostart::isSupported()
{
    return true;
}

QString Autostart::desktopFilePath()
{
    // Read the variable itself rather than QStandardPaths, which points
    // elsewhere in test mode; a relative value is invalid and ignored (XDG
    // Base Directory Specification).
    QString base = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (base.isEmpty() || QDir::isRelativePath(base))
        base = QDir::homePath() + u"/.config"_s;
    return QDir::cleanPath(base + u"/autostart/lifeline.desktop"_s);
}

bool Autostart::isEnabled()
{
    QFile file(desktopFilePath());
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = file.readAll();
    // An entry a desktop's own settings switched off still exists on disk.
    for (const QByteArray &line : text.split('\n')) {
        const QByteArray l = line.trimmed();
        if (l == "Hidden=true" || l == "X-GNOME-Autostart-enabled=false")
            return false;
    }
    return true;
}

bool Autostart::setEnabled(bool enabled, const QString &execCommand, QString *error)
{
    const QString path = desktopFilePath();
    const auto fail = [&](const QString &why) {
        if (error)
            *error = u"cannot "_s + (enabled ? u"write"_s : u"remove"_s) + u" the autostart entry "_s + path +
                     u": "_s + why;
        return false;
    };
    if (!enabled) {
        if (!QFileInfo::exists(path))
            return true;
        QFile file(path);
        return file.remove() || fail(file.errorString());
    }
    if (execCommand.trimmed().isEmpty())
        return fail(u"no command to run"_s);
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(u"cannot create the folder "_s + dir);
    QSaveFile file(path);
    const QByteArray contents = desktopFileContents(execCommand);
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size() || !file.commit())
        return fail(file.errorString());
    return true;
}

} // namespace lifeline
