// The form for one [[service]], in four tabs: General (name, command,
// working folder, ports, autostart, depends_on, memory limit), Environment
// (env as a name/value table), Restart (the restart policy and its timings)
// and Health (url/tcp/exec, interval, timeout, failures,
// restart_on_unhealthy).
//
// The form shows what the file says (ConfigWriter::writtenValues): a key the
// person did not write is an empty field whose placeholder names the
// default, and stays unwritten; a value is written back as it was spelled
// ("100MiB" stays "100MiB", max_restarts = 10 stays even though it is the
// default). Keys the form does not show are written back as they were.
//
// The form does not judge values itself: on OK it builds the [[service]]
// table from the fields, splices it into the configuration text and loads
// the result with ConfigLoader (ConfigWriter). Each error the loader finds
// in the service is shown on its field (red frame, the message under it,
// the field's tab shown and focus moved there), and the dialog stays open;
// the file is untouched. On success the file is written atomically, the
// previous one kept as <config>.bak, and saved() is emitted; a running
// Lifeline picks the change up through its ConfigWatcher.
//
// Entry points: add() and edit() open a non-modal dialog (deleted on close);
// remove() edits the file directly (the caller asks for confirmation).
#pragma once

#include "config/servicespec.h"

#include <QDialog>
#include <QHash>
#include <QVariantMap>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTabWidget;
class QTableWidget;

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
    enum Tab
    {
        GeneralTab,
        EnvironmentTab,
        RestartTab,
        HealthTab
    };

    // Edit: the form starts from what the file says about the service called
    // spec.name, and OK replaces it (the spec may rename it). Add: `spec`
    // gives the starting values.
    ServiceEditor(const QString &configPath, Mode mode, const ServiceSpec &spec = {},
                  QWidget *parent = nullptr);
    ~ServiceEditor() override;

    static ServiceEditor *add(const QString &configPath, QWidget *parent);
    static ServiceEditor *edit(const QString &configPath, const ServiceSpec &spec, QWidget *parent);
    static bool remove(const QString &configPath, const QString &name, QString *error);

    Mode mode() const { return m_mode; }
    // Builds, validates and writes; false (errors shown) keeps the dialog open.
    bool save();
    void accept() override;

    // argv -> one line that splitCommandLine() reads back to the same argv.
    static QString joinCommandLine(const QStringList &argv);

    QTabWidget *tabs() const { return m_tabs; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    QLineEdit *cwdEdit() const { return m_cwd; }
    QPushButton *browseButton() const { return m_browse; }
    QLineEdit *portsEdit() const { return m_ports; }
    QCheckBox *autostartBox() const { return m_autostart; }
    QListWidget *dependsOnList() const { return m_dependsOn; }
    QLineEdit *memoryLimitEdit() const { return m_memory; }
    QTableWidget *envTable() const { return m_env; }
    QPushButton *addEnvButton() const { return m_addEnv; }
    QPushButton *removeEnvButton() const { return m_removeEnv; }
    QComboBox *restartCombo() const { return m_restart; }
    // restart_delay, backoff_factor, backoff_max, max_restarts,
    // restart_window, stable_after, health.interval, health.timeout,
    // health.failures: the line edit for that key.
    QLineEdit *textField(const QString &key) const { return m_text.value(key); }
    QComboBox *healthKindCombo() const { return m_healthKind; }
    QLineEdit *healthTargetEdit() const { return m_healthTarget; }
    QCheckBox *restartOnUnhealthyBox() const { return m_restartOnUnhealthy; }
    // The widget showing the error of a key ("name", "ports", "health.url"),
    // and the message under it; nullptr for a key without a field.
    QWidget *fieldFor(const QString &key) const;
    QLabel *fieldErrorLabel(const QString &key) const;
    // Errors that belong to no field (and the first error, for a screen reader).
    QLabel *errorLabel() const { return m_error; }
    QDialogButtonBox *buttons() const { return m_buttons; }

signals:
    void saved(const QString &name);

private:
    struct Field
    {
        QWidget *widget = nullptr;
        QLabel *error = nullptr;
    };

    QWidget *buildGeneralTab(const QStringList &otherServices);
    QWidget *buildEnvironmentTab();
    QWidget *buildRestartTab();
    QWidget *buildHealthTab();
    // A row of `form`: a label that is the buddy of `focus`, `shown` (the
    // field, or a layout holding it) and a hidden error message under it;
    // `keys` are the key paths whose errors land there.
    void addRow(QFormLayout *form, const QString &label, QWidget *focus, QWidget *shown,
                const QStringList &keys);
    QLineEdit *addTextRow(QFormLayout *form, const QString &label, const QString &key,
                          const QString &placeholder);
    void addEnvRow(const QString &name, const QString &value);
    void updateHealthPlaceholder();
    void browse();
    void clearErrors();
    void showErrors(const QList<std::pair<QString, QString>> &errors, const QString &general);
    const Field *fieldOf(const QString &key) const;
    QString written(const QString &key) const;

    QString m_configPath;
    Mode m_mode;
    ServiceSpec m_original;
    QVariantMap m_written; // what the file says about the service (Add: the starting spec's)
    QHash<QString, Field> m_fields;
    QHash<QString, QLineEdit *> m_text;
    QTabWidget *m_tabs = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_command = nullptr;
    QLineEdit *m_cwd = nullptr;
    QPushButton *m_browse = nullptr;
    QLineEdit *m_ports = nullptr;
    QCheckBox *m_autostart = nullptr;
    QListWidget *m_dependsOn = nullptr;
    QLineEdit *m_memory = nullptr;
    QTableWidget *m_env = nullptr;
    QPushButton *m_addEnv = nullptr;
    QPushButton *m_removeEnv = nullptr;
    QComboBox *m_restart = nullptr;
    QComboBox *m_healthKind = nullptr;
    QLineEdit *m_healthTarget = nullptr;
    QCheckBox *m_restartOnUnhealthy = nullptr;
    QLabel *m_error = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace lifeline
