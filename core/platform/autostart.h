// Start Lifeline at login. On Linux (and other XDG desktops) this is an
// autostart entry, $XDG_CONFIG_HOME/autostart/lifeline.desktop
// (~/.config/autostart when XDG_CONFIG_HOME is unset or not absolute), as in
// the XDG Autostart Specification. Elsewhere the null implementation says
// "not supported on this system".
#pragma once

#include <QString>
#include <QStringList>

namespace lifeline {

class Autostart
{
public:
    // True where setEnabled(true, ...) can work.
    static bool isSupported();
    // The autostart entry exists and is not hidden/disabled.
    static bool isEnabled();
    // Writes (atomically) or removes the entry. `execCommand` is the Exec=
    // value, already quoted (see execLine()). Disabling what is not enabled
    // succeeds. false + *error (naming the file and the cause) on failure.
    static bool setEnabled(bool enabled, const QString &execCommand, QString *error = nullptr);

    // The entry's path ("" where unsupported).
    static QString desktopFilePath();

    // `program --minimized --config configPath`, each argument quoted as the
    // Desktop Entry Specification's Exec key requires (and '%' doubled).
    static QString execLine(const QString &program, const QString &configPath);
    // The .desktop file for an Exec value.
    static QByteArray desktopFileContents(const QString &execCommand);
};

} // namespace lifeline
