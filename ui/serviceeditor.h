// The form for one [[service]]: name, command, working folder, ports,
// health URL, restart policy, memory limit.
//
// The form does not judge values itself: on OK it builds the [[service]]
// table (ConfigWriter::toToml, with the person's text for the ports and the
// memory limit so that "70000" or "5 parsecs" reach the loader as typed),
// splices it into the configuration text and loads the result with
// ConfigLoader. An error is shown as the loader reports it
// ("FILE:LINE:COL: error: ...") in red, and the dialog stays open; the file
// is untouched. On success the file is written atomically, the previous one
// kept as <config>.bak, and saved() is emitted; a running Lifeline picks the
// change up through its ConfigWatcher.
//
// Entry points: add() and edit() open a non-modal dialog (deleted on close);
// remove() edits the file directly (the caller asks for confirmation).
#pragma once

#include "config/servicespec.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace lifeline {

class ServiceEditor final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceEditor)

public:
    enum class Mode
    {
        Add,
        Edit
    };

    // Edit: the form starts from `spec`, and OK replaces the service called
    // spec.name (keys the form does not show — env, depends_on, health
    // timings, ... — are kept). Add: `spec` gives the starting values.
    ServiceEditor(const QString &configPath, Mode mode, const ServiceSpec &spec = {},
                  QWidget *parent = nullptr);
    ~ServiceEditor() override;

    static ServiceEditor *add(const QString &configPath, QWidget *parent);
    static ServiceEditor *edit(const QString &configPath, const ServiceSpec &spec, QWidget *parent);
    static bool remove(const QString &configPath, const QString &name, QString *error);

    Mode mode() const { return m_mode; }
    // Builds, validates and writes; false (message shown) keeps the dialog open.
    bool save();
    void accept() override;

    // argv -> one line that splitCommandLine() reads back to the same argv.
    static QString joinCommandLine(const QStringList &argv);

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    QLineEdit *cwdEdit() const { return m_cwd; }
    QPushButton *browseButton() const { return m_browse; }
    QLineEdit *portsEdit() const { return m_ports; }
    QLineEdit *healthUrlEdit() const { return m_healthUrl; }
    QComboBox *restartCombo() const { return m_restart; }
    QLineEdit *memoryLimitEdit() const { return m_memory; }
    QLabel *errorLabel() const { return m_error; }
    QDialogButtonBox *buttons() const { return m_buttons; }

signals:
    void saved(const QString &name);

private:
    void browse();
    void showError(const QString &text);

    QString m_configPath;
    Mode m_mode;
    ServiceSpec m_original;
    QLineEdit *m_name;
    QLineEdit *m_command;
    QLineEdit *m_cwd;
    QPushButton *m_browse;
    QLineEdit *m_ports;
    QLineEdit *m_healthUrl;
    QComboBox *m_restart;
    QLineEdit *m_memory;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace lifeline
