#include "serviceeditor.h"

#include "config/configloader.h"
#include "config/configwriter.h"
#include "uistyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lifeline {

using namespace Qt::StringLiterals;

namespace {

// How a text field's value is written: a number the loader reads as one,
// anything else as a string so that the loader names the mistake.
enum class TextKind
{
    Duration,
    Integer,
    Number
};

TextKind textKind(const QString &key)
{
    if (key == u"max_restarts"_s || key == u"health.failures"_s)
        return TextKind::Integer;
    if (key == u"backoff_factor"_s)
        return TextKind::Number;
    return TextKind::Duration;
}

QString numberOrString(const QString &text, TextKind kind)
{
    bool ok = false;
    if (kind == TextKind::Integer) {
        const qlonglong v = text.toLongLong(&ok);
        if (ok)
            return QString::number(v);
    } else if (kind == TextKind::Number) {
        const double v = text.toDouble(&ok);
        if (ok && qIsFinite(v))
            return QString::number(v, 'g', QLocale::FloatingPointShortest);
    }
    return tomlString(text);
}

QString displayText(const QVariant &v)
{
    if (v.typeId() == QMetaType::Double)
        return QString::number(v.toDouble(), 'g', QLocale::FloatingPointShortest);
    return v.toString();
}

QString withTilde(const QString &path)
{
    const QString home = QDir::homePath();
    if (home != u"/"_s && path.startsWith(home + u'/'))
        return u'~' + path.mid(home.size());
    return path;
}

const QStringList kProbeKeys{u"url"_s, u"tcp"_s, u"exec"_s};

} // namespace

ServiceEditor::ServiceEditor(const QString &configPath, Mode mode, const ServiceSpec &spec, QWidget *parent)
    : QDialog(parent)
    , m_configPath(configPath)
    , m_mode(mode)
    , m_original(spec)
{
    setWindowTitle(mode == Mode::Add ? tr("Add service") : tr("Edit service %1").arg(spec.name));
    setMinimumWidth(560);

    // What the file says; for a new service (or a file that no longer
    // reads), what the starting spec would write.
    const LoadResult file = ConfigLoader::loadFile(configPath);
    if (mode == Mode::Edit)
        m_written = ConfigWriter::writtenValues(configPath, spec.name);
    if (m_written.isEmpty())
        m_written = ConfigWriter::writtenValues(ConfigWriter::toToml(spec).toUtf8(), spec.name);
    QStringList others;
    if (file.config) {
        for (const ServiceSpec &s : file.config->services) {
            if (mode == Mode::Add || s.name != spec.name)
                others.append(s.name);
        }
    }

    auto *layout = new QVBoxLayout(this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(buildGeneralTab(others), tr("&General"));
    m_tabs->addTab(buildEnvironmentTab(), tr("&Environment"));
    m_tabs->addTab(buildRestartTab(), tr("Restart p&olicy"));
    m_tabs->addTab(buildHealthTab(), tr("&Health"));
    layout->addWidget(m_tabs, 1);

    m_error = new QLabel(this);
    m_error->setObjectName(u"errorLabel"_s);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(u"color: %1;"_s.arg(UiStyle::severityColor(2).name()));
    m_error->hide();
    layout->addWidget(m_error);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ServiceEditor::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ServiceEditor::reject);
}

ServiceEditor::~ServiceEditor() = default;

QString ServiceEditor::written(const QString &key) const
{
    return displayText(m_written.value(key));
}

void ServiceEditor::addRow(QFormLayout *form, const QString &label, QWidget *focus, QWidget *shown,
                           const QStringList &keys)
{
    auto *cell = new QWidget(form->parentWidget());
    auto *v = new QVBoxLayout(cell);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    v->addWidget(shown);
    auto *error = new QLabel(cell);
    error->setObjectName(u"fieldError"_s);
    error->setWordWrap(true);
    error->setTextFormat(Qt::PlainText);
    error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error->setStyleSheet(u"color: %1;"_s.arg(UiStyle::severityColor(2).name()));
    error->hide();
    v->addWidget(error);
    // A real buddy: the mnemonic underlines, Alt+letter focuses the field.
    auto *title = new QLabel(label, form->parentWidget());
    title->setBuddy(focus);
    form->addRow(title, cell);
    for (const QString &key : keys)
        m_fields.insert(key, Field{focus, error});
}

QLineEdit *ServiceEditor::addTextRow(QFormLayout *form, const QString &label, const QString &key,
                                     const QString &placeholder)
{
    auto *edit = new QLineEdit(written(key), form->parentWidget());
    edit->setPlaceholderText(placeholder);
    m_text.insert(key, edit);
    addRow(form, label, edit, edit, {key});
    return edit;
}

QWidget *ServiceEditor::buildGeneralTab(const QStringList &otherServices)
{
    auto *page = new QWidget(m_tabs);
    auto *form = new QFormLayout(page);

    m_name = new QLineEdit(written(u"name"_s), page);
    m_name->setPlaceholderText(tr("api"));
    addRow(form, tr("&Name:"), m_name, m_name, {u"name"_s});

    const QVariant command = m_written.value(u"command"_s);
    m_command =
        new QLineEdit(command.typeId() == QMetaType::QVariantList ? joinCommandLine(command.toStringList())
                                                                  : command.toString(),
                      page);
    m_command->setPlaceholderText(tr("python3 -m uvicorn main:app --port 8000"));
    m_command->setToolTip(m_written.value(u"shell"_s).toBool()
                              ? tr("Run by /bin/sh -c (shell = true)")
                              : tr("Split into words like a shell does; no expansion"));
    addRow(form, tr("&Command:"), m_command, m_command, {u"command"_s, u"shell"_s});

    auto *cwdRow = new QWidget(page);
    auto *cwdLayout = new QHBoxLayout(cwdRow);
    cwdLayout->setContentsMargins(0, 0, 0, 0);
    m_cwd = new QLineEdit(written(u"cwd"_s), cwdRow);
    m_cwd->setPlaceholderText(tr("~/my-backend (empty: the state folder)"));
    m_browse = new QPushButton(tr("&Browse…"), cwdRow);
    cwdLayout->addWidget(m_cwd, 1);
    cwdLayout->addWidget(m_browse);
    addRow(form, tr("&Working folder:"), m_cwd, cwdRow, {u"cwd"_s});
    connect(m_browse, &QPushButton::clicked, this, &ServiceEditor::browse);

    QStringList ports;
    for (const QVariant &p : m_written.value(u"ports"_s).toList())
        ports << displayText(p);
    m_ports = new QLineEdit(ports.join(u", "_s), page);
    m_ports->setPlaceholderText(tr("8000, 8001 (checked free before start)"));
    addRow(form, tr("&Ports:"), m_ports, m_ports, {u"ports"_s});

    m_autostart = new QCheckBox(tr("Start with Lifeline"), page);
    m_autostart->setChecked(m_written.value(u"autostart"_s, ServiceSpec{}.autostart).toBool());
    addRow(form, tr("&Autostart:"), m_autostart, m_autostart, {u"autostart"_s});

    m_dependsOn = new QListWidget(page);
    QStringList names = otherServices;
    const QStringList deps = m_written.value(u"depends_on"_s).toStringList();
    for (const QString &d : deps) {
        if (!names.contains(d))
            names.append(d); // kept even if it is not (yet) in the file
    }
    for (const QString &n : names) {
        auto *item = new QListWidgetItem(n, m_dependsOn);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(deps.contains(n) ? Qt::Checked : Qt::Unchecked);
    }
    m_dependsOn->setMaximumHeight(m_dependsOn->fontMetrics().height() * 6);
    m_dependsOn->setToolTip(tr("Started after the checked services; stopped before them"));
    if (names.isEmpty()) {
        auto *none = new QListWidgetItem(tr("(no other service)"), m_dependsOn);
        none->setFlags(Qt::NoItemFlags);
    }
    addRow(form, tr("&Depends on:"), m_dependsOn, m_dependsOn, {u"depends_on"_s});

    m_memory = new QLineEdit(written(u"memory_limit"_s), page);
    m_memory->setPlaceholderText(tr("500MB (empty: no limit)"));
    addRow(form, tr("&Memory limit:"), m_memory, m_memory, {u"memory_limit"_s});
    return page;
}

QWidget *ServiceEditor::buildEnvironmentTab()
{
    auto *page = new QWidget(m_tabs);
    auto *v = new QVBoxLayout(page);
    auto *form = new QFormLayout;
    v->addLayout(form);
    m_env = new QTableWidget(0, 2, page);
    m_env->setHorizontalHeaderLabels({tr("Name"), tr("Value")});
    m_env->horizontalHeader()->setStretchLastSection(true);
    m_env->horizontalHeader()->resizeSection(0, 180);
    m_env->verticalHeader()->hide();
    m_env->setSelectionBehavior(QAbstractItemView::SelectRows);
    const QVariantMap env = m_written.value(u"env"_s).toMap();
    for (auto it = env.cbegin(); it != env.cend(); ++it)
        addEnvRow(it.key(), it.value().toString());

    auto *table = new QWidget(page);
    auto *tableLayout = new QVBoxLayout(table);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addWidget(m_env);
    auto *buttons = new QHBoxLayout;
    m_addEnv = new QPushButton(tr("A&dd variable"), table);
    m_removeEnv = new QPushButton(tr("Re&move variable"), table);
    buttons->addWidget(m_addEnv);
    buttons->addWidget(m_removeEnv);
    buttons->addStretch(1);
    tableLayout->addLayout(buttons);
    addRow(form, tr("&Variables:"), m_env, table, {u"env"_s});

    connect(m_addEnv, &QPushButton::clicked, this, [this] {
        addEnvRow({}, {});
        const int row = m_env->rowCount() - 1;
        m_env->setCurrentCell(row, 0);
        m_env->editItem(m_env->item(row, 0));
    });
    connect(m_removeEnv, &QPushButton::clicked, this, [this] {
        if (m_env->currentRow() >= 0)
            m_env->removeRow(m_env->currentRow());
    });
    return page;
}

void ServiceEditor::addEnvRow(const QString &name, const QString &value)
{
    const int row = m_env->rowCount();
    m_env->insertRow(row);
    m_env->setItem(row, 0, new QTableWidgetItem(name));
    m_env->setItem(row, 1, new QTableWidgetItem(value));
}

QWidget *ServiceEditor::buildRestartTab()
{
    auto *page = new QWidget(m_tabs);
    auto *form = new QFormLayout(page);
    const ServiceSpec def;
    const auto byDefault = [this](const QString &value) { return tr("%1 (default)").arg(value); };

    m_restart = new QComboBox(page);
    for (const RestartPolicy p : {RestartPolicy::OnFailure, RestartPolicy::Always, RestartPolicy::Never})
        m_restart->addItem(restartPolicyName(p));
    const QString policy = m_written.value(u"restart"_s, restartPolicyName(def.restart)).toString();
    if (m_restart->findText(policy) < 0)
        m_restart->addItem(policy); // the loader will name what is wrong with it
    m_restart->setCurrentText(policy);
    addRow(form, tr("&Policy:"), m_restart, m_restart, {u"restart"_s});

    addTextRow(form, tr("&First delay:"), u"restart_delay"_s, byDefault(formatDuration(def.restartDelay)));
    addTextRow(form, tr("&Backoff factor:"), u"backoff_factor"_s,
               byDefault(QString::number(def.backoffFactor)));
    addTextRow(form, tr("&Longest delay:"), u"backoff_max"_s, byDefault(formatDuration(def.backoffMax)));
    addTextRow(form, tr("&Max restarts:"), u"max_restarts"_s, byDefault(QString::number(def.maxRestarts)));
    addTextRow(form, tr("&Within:"), u"restart_window"_s, byDefault(formatDuration(def.restartWindow)));
    addTextRow(form, tr("&Stable after:"), u"stable_after"_s, byDefault(formatDuration(def.stableAfter)));
    auto *note = new QLabel(tr("More than \"max restarts\" crashes within the window make the service fatal "
                               "until you act; running \"stable after\" resets the count."),
                            page);
    note->setWordWrap(true);
    form->addRow(note);
    return page;
}

QWidget *ServiceEditor::buildHealthTab()
{
    auto *page = new QWidget(m_tabs);
    auto *form = new QFormLayout(page);
    const HealthSpec def;
    const auto byDefault = [this](const QString &value) { return tr("%1 (default)").arg(value); };

    m_healthKind = new QComboBox(page);
    m_healthKind->addItem(tr("No health check"), QString());
    m_healthKind->addItem(tr("HTTP URL"), u"url"_s);
    m_healthKind->addItem(tr("TCP connect"), u"tcp"_s);
    m_healthKind->addItem(tr("Command"), u"exec"_s);
    addRow(form, tr("&Check:"), m_healthKind, m_healthKind, {u"health"_s});

    QString kind;
    for (const QString &k : kProbeKeys) {
        if (m_written.contains(u"health."_s + k))
            kind = k;
    }
    const QVariant target = m_written.value(u"health."_s + kind);
    m_healthTarget =
        new QLineEdit(target.typeId() == QMetaType::QVariantList ? joinCommandLine(target.toStringList())
                                                                 : target.toString(),
                      page);
    addRow(form, tr("&Target:"), m_healthTarget, m_healthTarget,
           {u"health.url"_s, u"health.tcp"_s, u"health.exec"_s});
    m_healthKind->setCurrentIndex(m_healthKind->findData(kind));

    addTextRow(form, tr("&Interval:"), u"health.interval"_s, byDefault(formatDuration(def.interval)));
    addTextRow(form, tr("Ti&meout:"), u"health.timeout"_s, byDefault(formatDuration(def.timeout)));
    addTextRow(form, tr("&Failures:"), u"health.failures"_s,
               byDefault(tr("%1 in a row make it unhealthy").arg(def.failures)));
    m_restartOnUnhealthy = new QCheckBox(tr("Restart the service when it becomes unhealthy"), page);
    m_restartOnUnhealthy->setChecked(
        m_written.value(u"health.restart_on_unhealthy"_s, def.restartOnUnhealthy).toBool());
    addRow(form, tr("On &unhealthy:"), m_restartOnUnhealthy, m_restartOnUnhealthy,
           {u"health.restart_on_unhealthy"_s});

    connect(m_healthKind, &QComboBox::currentIndexChanged, this, &ServiceEditor::updateHealthPlaceholder);
    updateHealthPlaceholder();
    return page;
}

void ServiceEditor::updateHealthPlaceholder()
{
    const QString kind = m_healthKind->currentData().toString();
    m_healthTarget->setPlaceholderText(kind == u"url"_s    ? tr("http://127.0.0.1:8000/health")
                                       : kind == u"tcp"_s  ? tr("127.0.0.1:8000")
                                       : kind == u"exec"_s ? tr("curl -fsS http://127.0.0.1:8000/health")
                                                           : QString());
    const bool on = !kind.isEmpty();
    m_healthTarget->setEnabled(on);
    for (const QString &key : {u"health.interval"_s, u"health.timeout"_s, u"health.failures"_s})
        m_text.value(key)->setEnabled(on);
    m_restartOnUnhealthy->setEnabled(on);
}

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
    static const QRegularExpression plain(u"^[A-Za-z0-9_@%+=:,./-]+$"_s);
    QStringList words;
    for (const QString &arg : argv) {
        if (plain.match(arg).hasMatch()) {
            words << arg;
        } else {
            // Single quotes keep everything literal; a quote itself is '\''.
            QString quoted = arg;
            quoted.replace(u'\'', u"'\\''"_s);
            words << u'\'' + quoted + u'\'';
        }
    }
    return words.join(u' ');
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

const ServiceEditor::Field *ServiceEditor::fieldOf(const QString &key) const
{
    // "ports[1]" -> "ports", "env.PATH" -> "env", "depends_on[0]" -> "depends_on".
    for (const QString &k : {key, key.section(u'[', 0, 0), key.section(u'.', 0, 0)}) {
        const auto it = m_fields.constFind(k);
        if (it != m_fields.cend())
            return &*it;
    }
    return nullptr;
}

QWidget *ServiceEditor::fieldFor(const QString &key) const
{
    const Field *f = fieldOf(key);
    return f ? f->widget : nullptr;
}

QLabel *ServiceEditor::fieldErrorLabel(const QString &key) const
{
    const Field *f = fieldOf(key);
    return f ? f->error : nullptr;
}

void ServiceEditor::clearErrors()
{
    for (const Field &f : std::as_const(m_fields)) {
        f.error->clear();
        f.error->hide();
        f.widget->setProperty("invalid", false);
        f.widget->setStyleSheet({});
    }
    m_error->clear();
    m_error->hide();
}

void ServiceEditor::showErrors(const QList<std::pair<QString, QString>> &errors, const QString &general)
{
    QWidget *first = nullptr;
    bool unplaced = errors.isEmpty();
    for (const auto &[key, message] : errors) {
        const Field *f = fieldOf(key);
        if (!f) {
            unplaced = true;
            continue;
        }
        // "ports[1]: ..." says which of the field's values is wrong.
        const QString line = m_fields.contains(key) ? message : key + u": "_s + message;
        const QString text = f->error->text();
        f->error->setText(text.isEmpty() ? line : text + u'\n' + line);
        f->error->show();
        f->widget->setProperty("invalid", true);
        f->widget->setStyleSheet(u"border: 1px solid %1;"_s.arg(UiStyle::severityColor(2).name()));
        if (!first)
            first = f->widget;
    }
    if (unplaced) {
        m_error->setText(general);
        m_error->setVisible(!general.isEmpty());
    }
    if (first) {
        for (int i = 0; i < m_tabs->count(); ++i) {
            if (m_tabs->widget(i)->isAncestorOf(first))
                m_tabs->setCurrentIndex(i);
        }
        first->setFocus(Qt::OtherFocusReason);
    }
}

bool ServiceEditor::save()
{
    clearErrors();
    QList<std::pair<QString, QString>> errors;
    const ServiceSpec def;

    // What the file says stays as written; the fields replace their keys.
    ConfigWriter::RawValues raw;
    for (auto it = m_written.cbegin(); it != m_written.cend(); ++it)
        raw.insert(it.key(), ConfigWriter::tomlValue(it.value()));
    // A key that is not written keeps its default unless the person changed it.
    const auto putChoice = [&](const QString &key, const QString &text, bool changed) {
        raw.insert(key, m_written.contains(key) || changed ? text : QString());
    };
    const auto boolText = [](bool b) { return b ? u"true"_s : u"false"_s; };

    const QString name = m_name->text().trimmed();
    raw.insert(u"name"_s, tomlString(name));

    const QString commandText = m_command->text().trimmed();
    if (m_written.value(u"shell"_s).toBool()) {
        raw.insert(u"command"_s, tomlString(commandText));
    } else {
        QString why;
        if (const std::optional<QStringList> argv = splitCommandLine(commandText, &why))
            raw.insert(u"command"_s, ConfigWriter::tomlValue(*argv));
        else
            errors.append({u"command"_s, why});
    }

    const QString cwd = m_cwd->text().trimmed();
    raw.insert(u"cwd"_s, cwd.isEmpty() ? QString() : tomlString(withTilde(cwd)));

    // Ports: the numbers as typed, so the loader judges the range.
    QStringList ports;
    for (const QString &part : m_ports->text().split(u',', Qt::SkipEmptyParts)) {
        const QString p = part.trimmed();
        if (!p.isEmpty())
            ports << numberOrString(p, TextKind::Integer);
    }
    raw.insert(u"ports"_s, ports.isEmpty() ? QString() : u'[' + ports.join(u", "_s) + u']');

    putChoice(u"autostart"_s, boolText(m_autostart->isChecked()), m_autostart->isChecked() != def.autostart);

    QStringList deps;
    for (int i = 0; i < m_dependsOn->count(); ++i) {
        if (m_dependsOn->item(i)->checkState() == Qt::Checked)
            deps.append(m_dependsOn->item(i)->text());
    }
    putChoice(u"depends_on"_s, ConfigWriter::tomlValue(deps), !deps.isEmpty());

    const QString memory = m_memory->text().trimmed();
    bool bytes = false;
    memory.toLongLong(&bytes);
    raw.insert(u"memory_limit"_s, memory.isEmpty() ? QString() : bytes ? memory : tomlString(memory));

    QStringList envItems;
    QStringList envNames;
    for (int row = 0; row < m_env->rowCount(); ++row) {
        const QString key = m_env->item(row, 0) ? m_env->item(row, 0)->text().trimmed() : QString();
        const QString value = m_env->item(row, 1) ? m_env->item(row, 1)->text() : QString();
        if (key.isEmpty() && value.isEmpty())
            continue;
        if (envNames.contains(key))
            errors.append({u"env"_s, tr("%1 is set twice").arg(key)});
        envNames.append(key);
        envItems.append(ConfigWriter::tomlKey(key) + u" = "_s + tomlString(value));
    }
    putChoice(u"env"_s, envItems.isEmpty() ? u"{}"_s : u"{ "_s + envItems.join(u", "_s) + u" }"_s,
              !envItems.isEmpty());

    putChoice(u"restart"_s, tomlString(m_restart->currentText()),
              m_restart->currentText() != restartPolicyName(def.restart));
    for (auto it = m_text.cbegin(); it != m_text.cend(); ++it) {
        const QString text = it.value()->text().trimmed();
        raw.insert(it.key(), text.isEmpty() ? QString() : numberOrString(text, textKind(it.key())));
    }

    const QString kind = m_healthKind->currentData().toString();
    const QString target = m_healthTarget->text().trimmed();
    for (const QString &k : kProbeKeys)
        raw.insert(u"health."_s + k, QString());
    if (kind.isEmpty()) {
        // No check: none of its settings either.
        for (auto it = raw.begin(); it != raw.end(); ++it) {
            if (it.key().startsWith(u"health."_s))
                it.value().clear();
        }
    } else {
        if (kind == u"exec"_s) {
            QString why;
            if (const std::optional<QStringList> argv = splitCommandLine(target, &why))
                raw.insert(u"health.exec"_s, ConfigWriter::tomlValue(*argv));
            else
                errors.append({u"health.exec"_s, why});
        } else {
            raw.insert(u"health."_s + kind, tomlString(target));
        }
        putChoice(u"health.restart_on_unhealthy"_s, boolText(m_restartOnUnhealthy->isChecked()),
                  m_restartOnUnhealthy->isChecked() != HealthSpec{}.restartOnUnhealthy);
    }

    if (!errors.isEmpty()) {
        showErrors(errors, errors.first().first + u": "_s + errors.first().second);
        return false;
    }

    // Every value comes from `raw`: a default-constructed spec adds nothing.
    const QString toml = ConfigWriter::toToml(ServiceSpec{}, raw);
    QString error;
    QList<ConfigWriter::FieldError> fieldErrors;
    const bool ok =
        m_mode == Mode::Add
            ? ConfigWriter::addServiceToml(m_configPath, toml, &error, &fieldErrors)
            : ConfigWriter::replaceServiceToml(m_configPath, m_original.name, toml, &error, &fieldErrors);
    if (!ok) {
        for (const ConfigWriter::FieldError &f : fieldErrors)
            errors.append({f.key, f.message});
        showErrors(errors, error);
        return false;
    }
    emit saved(name);
    return true;
}

void ServiceEditor::accept()
{
    if (save())
        QDialog::accept();
}

} // namespace lifeline
