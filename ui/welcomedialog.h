// The first run: Lifeline was started without a configuration file (none
// given, none at the default path). Instead of an error, it offers the ways
// in: import what the person already runs (Procfile, supervisord, PM2),
// start with an empty configuration and add services in the window, or try
// the demo stack. Choosing one emits chosen(); closing it is "not now".
#pragma once

#include <QDialog>

namespace lifeline {

class WelcomeDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WelcomeDialog)

public:
    enum class Choice
    {
        Import,
        Empty,
        Demo,
    };
    Q_ENUM(Choice)

    // demoAvailable: the demo configuration was found (it ships with Lifeline).
    WelcomeDialog(const QString &configPath, bool demoAvailable, QWidget *parent = nullptr);

    // Writes a configuration without services (comments show the shape of
    // one) at `path`, creating its folder; false with *error when it cannot.
    // An existing file is never overwritten.
    static bool writeEmptyConfiguration(const QString &path, QString *error);

signals:
    void chosen(lifeline::WelcomeDialog::Choice choice);
};

} // namespace lifeline
