// Systems without XDG autostart: starting at login is not offered.
#include "platform/autostart.h"

using namespace Qt::StringLiterals;

namespace lifeline {

bool Autostart::isSupported()
{
    return false;
}

QString Autostart::desktopFilePath()
{
    return {};
}

bool Autostart::isEnabled()
{
    return false;
}

bool Autostart::setEnabled(bool enabled, const QString &, QString *error)
{
    if (!enabled)
        return true; // nothing to remove
    if (error)
        *error = u"starting Lifeline at login is not supported on this system"_s;
    return false;
}

} // namespace lifeline
