// Settings: start at login, notifications, what quitting does to the
// services (on_exit), and the charts' default range.
//
// Where each one lives:
//   start at login   an XDG autostart entry (core/platform/autostart.h)
//   notifications    QSettings "notifications/enabled" (app preference)
//   default range    QSettings "charts/defaultRange" (a ChartRange value)
//   on_exit          the configuration file, [settings] on_exit, written
//                    through ConfigWriter (it is part of the configuration,
//                    shared with `lifeline --headless`)
//
// OK/Apply write only what changed and emit a signal per change, so the
// application applies them without reading anything back. A failure (the
// autostart folder or the config file cannot be written) is shown in the
// dialog, which stays open.
#pragma once

#include "config/servicespec.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;

namespace lifeline {

class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    // `onExit` is the running configuration's value; an empty configPath
    // disables that choice.
    SettingsDialog(const QString &configPath, OnExit onExit, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    // The app preferences, for the application to read at start.
    static bool notificationsEnabled(); // default true
    static void setNotificationsEnabled(bool enabled);
    static int defaultRange(); // int(ChartRange), default FiveMinutes
    static void setDefaultRange(int range);

    // The program the autostart entry runs (default: this executable).
    void setProgramPath(const QString &path) { m_program = path; }
    // The autostart entry's Exec= value.
    QString execCommand() const;

    // Writes what changed; false (and the reason shown) when something
    // could not be written. What did succeed stays applied.
    bool apply();
    void accept() override;

    QCheckBox *startAtLoginBox() const { return m_startAtLogin; }
    QCheckBox *notificationsBox() const { return m_notifications; }
    QComboBox *onExitCombo() const { return m_onExit; }
    QComboBox *rangeCombo() const { return m_range; }
    QLabel *errorLabel() const { return m_error; }
    QDialogButtonBox *buttons() const { return m_buttons; }

signals:
    void notificationsChanged(bool enabled);
    void defaultRangeChanged(int range);
    void onExitChanged(lifeline::OnExit onExit);
    void autostartChanged(bool enabled);

private:
    QString m_configPath;
    OnExit m_currentOnExit;
    QString m_program;
    QCheckBox *m_startAtLogin;
    QCheckBox *m_notifications;
    QComboBox *m_onExit;
    QComboBox *m_range;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace lifeline
