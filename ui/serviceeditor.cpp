#include "serviceeditor.h"

#include "config/configloader.h"
#include "config/configwriter.h"
#include "uistyle.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace lifeline {

ServiceEditor::ServiceEditor(const QString &configPath, Mode mode, const ServiceSpec &spec, QWidget *parent)
    : QDialog(parent)
    , m_configPath(configPath)
    , m_mode(mode)
    , m_original(spec)
{
    setWindowTitle(mode == Mode::Add ? tr("Add service") : tr("Edit service %1").arg(spec.name));
    setMinimumWidth(520);
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;

    m_name = new QLineEdit(spec.name, this);
    m_name->setPlaceholderText(tr("api"));
    form->addRow(tr("&Name:"), m_name);

    m_command =
        new QLineEdit(spec.shell ? spec.command.join(QLatin1Char(' ')) : joinCommandLine(spec.command), this);
    m_command->setPlaceholderText(tr("python3 -m uvicorn main:app --port 8000"));
    m_command->setToolTip(spec.shell ? tr("Run by /bin/sh -c (shell = true)")
                                     : tr("Split into words like a shell does; no expansion"));
    form->addRow(tr("&Command:"), m_command);

    auto *cwdRow = new QHBoxLayout;
    m_cwd = new QLineEdit(spec.cwd, this);
    m_cwd->setPlaceholderText(tr("~/my-backend (empty: the state folder)"));
    m_browse = new QPushButton(tr("&Browse…"), this);
    cwdRow->addWidget(m_cwd, 1);
    cwdRow->addWidget(m_browse);
    form->addRow(tr("&Working folder:"), cwdRow);
    connect(m_browse, &QPushButton::clicked, this, &ServiceEditor::browse);

    QStringList ports;
    for (const quint16 p : spec.ports)
        ports << QString::number(p);
    m_ports = new QLineEdit(ports.join(QStringLiteral(", ")), this);
    m_ports->setPlaceholderText(tr("8000, 8001 (checked free before start)"));
    form->addRow(tr("&Ports:"), m_ports);

    m_healthUrl =
        new QLineEdit(spec.health.kind == HealthSpec::Kind::Http ? spec.health.url : QString(), this);
    m_healthUrl->setPlaceholderText(spec.health.kind == HealthSpec::Kind::Tcp ||
                                            spec.health.kind == HealthSpec::Kind::Exec
                                        ? tr("(a tcp/exec check is configured; type a URL to replace it)")
                                        : tr("http://127.0.0.1:8000/health"));
    form->addRow(tr("&Health URL:"), m_healthUrl);

    m_restart = new QComboBox(this);
    for (const RestartPolicy p : {RestartPolicy::OnFailure, RestartPolicy::Always, RestartPolicy::Never})
        m_restart->addItem(restartPolicyName(p), int(p));
    m_restart->setCurrentIndex(m_restart->findData(int(spec.restart)));
    form->addRow(tr("&Restart:"), m_restart);

    m_memory = new QLineEdit(spec.memoryLimit > 0 ? exactSizeText(spec.memoryLimit) : QString(), this);
    m_memory->setPlaceholderText(tr("500MB (empty: no limit)"));
    form->addRow(tr("&Memory limit:"), m_memory);
    layout->addLayout(form);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(UiStyle::severityColor(2).name()));
    m_error->hide();
    layout->addWidget(m_error);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ServiceEditor::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ServiceEditor::reject);
}

ServiceEditor::~ServiceEditor() = default;

ServiceEditor *ServiceEditor::add(const QString &configPath, QWidget *parent)
{
    auto *dialog = new ServiceEditor(configPath, Mode::Add, {}, parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
    return dialog;
}

ServiceEditor *ServiceEditor::edit(const QString &configPath, const ServiceSpec &spec, QWidget *parent)
{
    auto *dialog = new ServiceEditor(configPath, Mode::Edit, spec, parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
    return dialog;
}

bool ServiceEditor::remove(const QString &configPath, const QString &name, QString *error)
{
    return ConfigWriter::removeService(configPath, name, error);
}

QString ServiceEditor::joinCommandLine(const QStringList &argv)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    QStringList words;
    for (const QString &arg : argv) {
        if (plain.match(arg).hasMatch()) {
            words << arg;
        } else {
            // Single quotes keep everything literal; a quote itself is '\''.
            QString quoted = arg;
            quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
            words << QLatin1Char('\'') + quoted + QLatin1Char('\'');
        }
    }
    return words.join(QLatin1Char(' '));
}

void ServiceEditor::browse()
{
    // Non-modal: never a nested event loop.
    auto *dialog =
        new QFileDialog(this, tr("Working folder"),
                        m_cwd->text().isEmpty() ? QDir::homePath() : expandPath(m_cwd->text(), {}));
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &dir) { m_cwd->setText(dir); });
    dialog->open();
}

void ServiceEditor::showError(const QString &text)
{
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

bool ServiceEditor::save()
{
    ServiceSpec spec = m_original;
    ConfigWriter::RawValues raw;
    spec.name = m_name->text().trimmed();

    const QString commandText = m_command->text().trimmed();
    if (spec.shell) {
        spec.command = commandText.isEmpty() ? QStringList() : QStringList{commandText};
    } else {
        QString why;
        const std::optional<QStringList> argv = splitCommandLine(commandText, &why);
        if (!argv) {
            showError(tr("command: %1").arg(why));
            return false;
        }
        spec.command = *argv;
    }

    spec.cwd = m_cwd->text().trimmed();
    // Ports: the numbers as typed, so the loader judges the range.
    QStringList ports;
    for (const QString &part : m_ports->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString p = part.trimmed();
        if (p.isEmpty())
            continue;
        bool isNumber = false;
        p.toLongLong(&isNumber);
        ports << (isNumber ? QString::number(p.toLongLong()) : tomlString(p));
    }
    raw.insert(QStringLiteral("ports"),
               ports.isEmpty() ? QString()
                               : QLatin1Char('[') + ports.join(QStringLiteral(", ")) + QLatin1Char(']'));

    const QString url = m_healthUrl->text().trimmed();
    if (!url.isEmpty()) {
        if (spec.health.kind != HealthSpec::Kind::Http)
            spec.health = HealthSpec{};
        spec.health.kind = HealthSpec::Kind::Http;
        spec.health.url = url;
    } else if (spec.health.kind == HealthSpec::Kind::Http) {
        spec.health = HealthSpec{}; // the URL was cleared: no health check
    }

    spec.restart = RestartPolicy(m_restart->currentData().toInt());
    const QString memory = m_memory->text().trimmed();
    raw.insert(QStringLiteral("memory_limit"), memory.isEmpty() ? QString() : tomlString(memory));

    const QString toml = ConfigWriter::toToml(spec, raw);
    QString error;
    const bool ok = m_mode == Mode::Add
                        ? ConfigWriter::addServiceToml(m_configPath, toml, &error)
                        : ConfigWriter::replaceServiceToml(m_configPath, m_original.name, toml, &error);
    if (!ok) {
        showError(error);
        return false;
    }
    showError({});
    emit saved(spec.name);
    return true;
}

void ServiceEditor::accept()
{
    if (save())
        QDialog::accept();
}

} // namespace lifeline
