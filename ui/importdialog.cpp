#include "importdialog.h"

#include "config/configloader.h"
#include "config/configwriter.h"
#include "uistyle.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>

#include <memory>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

struct Format
{
    const char *id;
    const char *label;
};
constexpr Format kFormats[] = {
    {"procfile", QT_TRANSLATE_NOOP("ImportDialog", "Procfile (foreman, Heroku)")},
    {"supervisord", QT_TRANSLATE_NOOP("ImportDialog", "supervisord.conf")},
    {"pm2", QT_TRANSLATE_NOOP("ImportDialog", "PM2 ecosystem file (.json, .yaml, .config.js)")},
};

} // namespace

ImportDialog::ImportDialog(const QString &configPath, Mode mode, QWidget *parent)
    : QDialog(parent)
    , m_configPath(configPath)
    , m_mode(mode)
{
    setObjectName(u"importDialog"_s);
    setWindowTitle(mode == Mode::Add ? tr("Import services") : tr("Import a configuration"));

    auto *form = new QFormLayout;
    m_format = new QComboBox(this);
    m_format->setObjectName(u"importFormat"_s);
    for (const Format &f : kFormats)
        m_format->addItem(tr(f.label), QString::fromLatin1(f.id));
    m_file = new QLineEdit(this);
    m_file->setObjectName(u"importFile"_s);
    m_file->setPlaceholderText(tr("Procfile, supervisord.conf, ecosystem.config.js …"));
    m_browse = new QPushButton(tr("&Browse…"), this);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(m_browse);
    auto *fileLabel = new QLabel(tr("&File:"), this);
    fileLabel->setBuddy(m_file);
    form->addRow(fileLabel, fileRow);
    form->addRow(tr("F&ormat:"), m_format);

    m_preview = new QPlainTextEdit(this);
    m_preview->setObjectName(u"importPreview"_s);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_preview->setPlaceholderText(tr("The services to be added appear here, as lifeline.toml text you can "
                                     "change before saving. Keys that cannot be carried over are kept as "
                                     "# comments."));
    m_status = new QLabel(this);
    m_status->setObjectName(u"importStatus"_s);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_save = m_buttons->addButton(mode == Mode::Add ? tr("&Add services") : tr("&Save configuration"),
                                  QDialogButtonBox::AcceptRole);
    m_save->setObjectName(u"importSave"_s);
    m_save->setEnabled(false);

    auto *layout = new QVBoxLayout(this);
    if (mode == Mode::New) {
        auto *where = new QLabel(tr("The configuration will be written to %1.").arg(configPath), this);
        where->setWordWrap(true);
        layout->addWidget(where);
    }
    layout->addLayout(form);
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);
    resize(720, 520);
    m_file->setFocus();

    connect(m_browse, &QPushButton::clicked, this, &ImportDialog::browse);
    // A new file: its name tells the format when it can. A format picked by
    // hand: that one.
    connect(m_file, &QLineEdit::returnPressed, this, [this] { readFromFields(false); });
    connect(m_format, &QComboBox::activated, this, [this] { readFromFields(true); });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ImportDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ImportDialog::reject);
    connect(m_preview, &QPlainTextEdit::textChanged, this,
            [this] { m_save->setEnabled(!m_reading && !m_preview->toPlainText().trimmed().isEmpty()); });
}

ImportDialog::~ImportDialog() = default;

void ImportDialog::browse()
{
    const QString start =
        m_file->text().isEmpty() ? QDir::homePath() : QFileInfo(m_file->text()).absolutePath();
    auto *picker = new QFileDialog(this, tr("Import from"), start);
    picker->setAttribute(Qt::WA_DeleteOnClose);
    picker->setFileMode(QFileDialog::ExistingFile);
    picker->setNameFilters(
        {tr("Procfiles, supervisord and PM2 files (Procfile* *.conf *.ini *.json *.yaml *.yml "
            "*.js *.cjs)"),
         tr("All files (*)")});
    connect(picker, &QFileDialog::fileSelected, this, [this](const QString &path) { read(path); });
    picker->open();
}

void ImportDialog::readFromFields(bool formatChosen)
{
    if (!m_file->text().trimmed().isEmpty())
        read(m_file->text().trimmed(), formatChosen ? m_format->currentData().toString() : QString());
}

void ImportDialog::read(const QString &path, const QString &format)
{
    QString kind = format.isEmpty() ? guessImportFormat(path) : format;
    if (kind.isEmpty())
        kind = m_format->currentData().toString();
    m_file->setText(path);
    m_format->setCurrentIndex(m_format->findData(kind));

    const quint64 generation = ++m_generation;
    m_reading = true;
    m_save->setEnabled(false);
    setStatus(tr("Reading %1…").arg(QFileInfo(path).fileName()), false);
    // Not parented: a running thread must outlive a closed dialog; it ends on
    // its own (node, the slowest reader, is bounded) and deletes itself.
    auto result = std::make_shared<ImportResult>();
    QThread *worker = QThread::create([result, kind, path] { *result = importFile(kind, path); });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    connect(worker, &QThread::finished, this, [this, result, generation] {
        if (generation == m_generation)
            showResult(*result);
    });
    worker->start();
}

void ImportDialog::showResult(const ImportResult &result)
{
    m_reading = false;
    if (!result.ok()) {
        m_preview->clear();
        setStatus(result.error, true);
        emit readFinished(false);
        return;
    }
    m_preview->setPlainText(result.toml);
    const LoadResult loaded = ConfigLoader::loadString(result.toml.toUtf8(), m_configPath);
    const int services = loaded.config ? int(loaded.config->services.size()) : 0;
    setStatus(tr("Services read: %1. The # lines say what could not be carried over, and why; "
                 "change the text as you like before saving.")
                  .arg(services),
              false);
    m_save->setEnabled(true);
    emit readFinished(true);
}

QString ImportDialog::toml() const
{
    return m_preview->toPlainText();
}

void ImportDialog::accept()
{
    const QString text = toml();
    // Judged alone first, so that a mistake names a line of the text shown.
    const LoadResult alone = ConfigLoader::loadString(text.toUtf8(), m_configPath);
    // A warning (an unknown key: a typo) stops it too; an import gives none.
    if (!alone.ok() || !alone.warnings.isEmpty() || !alone.config || alone.config->services.isEmpty()) {
        QString error = !alone.errors.isEmpty()     ? alone.errors.first().toString()
                        : !alone.warnings.isEmpty() ? alone.warnings.first().toString()
                                                    : tr("There is no [[service]] to add.");
        setStatus(error.replace(m_configPath, tr("the text above")), true);
        return;
    }
    const int count = int(alone.config->services.size());
    QString error;
    if (m_mode == Mode::New) {
        const QString dir = QFileInfo(m_configPath).absolutePath();
        if (!QDir().mkpath(dir)) {
            setStatus(tr("Cannot create the folder %1.").arg(dir), true);
            return;
        }
    }
    if (!ConfigWriter::addServicesToml(m_configPath, text, count, &error)) {
        setStatus(error, true);
        return;
    }
    emit saved(m_configPath, count);
    QDialog::accept();
}

void ImportDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? u"color: %1;"_s.arg(UiStyle::severityColor(2).name()) : QString());
}

} // namespace lifeline
