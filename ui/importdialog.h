// File → Import… and the first run's "Import…": a Procfile, a
// supervisord.conf or a PM2 ecosystem file becomes [[service]] tables, the
// same ones `lifelinectl import` prints (core/config/importers).
//
// The person picks the file (Browse…, or types its path and presses Enter)
// and the format (guessed from the name). The conversion runs on a worker
// thread, because a PM2 .config.js is read by `node` (bounded, but seconds
// at worst); a newer pick supersedes an older one still running. The result
// is shown as editable TOML with the importer's "# not carried" notes, so the
// person sees everything that will be written and can fix it first.
//
// Add: the services are added to the running configuration in one edit
// (ConfigWriter::addServicesToml: checked with the loader first, written
// atomically, the previous file kept as .bak); live reload then starts them.
// New: the text becomes a new configuration file at the given path (first
// run). Either way, an error names the line of the text shown and the dialog
// stays open; nothing is written.
#pragma once

#include "config/importers.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace lifeline {

class ImportDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImportDialog)

public:
    enum class Mode
    {
        Add, // to an existing configuration
        New, // creates the configuration file
    };

    ImportDialog(const QString &configPath, Mode mode, QWidget *parent = nullptr);
    ~ImportDialog() override;

    // Converts `path` as `format` ("" = guessed from the name).
    void read(const QString &path, const QString &format = {});
    // The text as shown (after any edits).
    QString toml() const;
    bool isReading() const { return m_reading; }
    void accept() override;

signals:
    // A conversion finished and is shown (ok or not).
    void readFinished(bool ok);
    // The configuration file was written.
    void saved(const QString &configPath, int services);

private:
    void browse();
    void readFromFields(bool formatChosen);
    void showResult(const ImportResult &result);
    void setStatus(const QString &text, bool error);

    QString m_configPath;
    Mode m_mode;
    QComboBox *m_format = nullptr;
    QLineEdit *m_file = nullptr;
    QPushButton *m_browse = nullptr;
    QPlainTextEdit *m_preview = nullptr;
    QLabel *m_status = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_save = nullptr;
    quint64 m_generation = 0;
    bool m_reading = false;
};

} // namespace lifeline
