#include "repairdialog.h"

#include "engine/engineclient.h"
#include "uistyle.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lifeline {

namespace {

enum Column
{
    CommandColumn = 0,
    StatusColumn = 1
};

} // namespace

RepairDialog::RepairDialog(EngineClient *engine, const QString &service, QWidget *parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_plan(RepairPlan::forService(engine->config(), service))
    , m_intro(new QLabel(this))
    , m_steps(new QTreeWidget(this))
    , m_output(new QPlainTextEdit(this))
    , m_result(new QLabel(this))
{
    setObjectName(QStringLiteral("repairDialog"));
    setWindowTitle(tr("Repair %1").arg(service));
    setAttribute(Qt::WA_DeleteOnClose);
    resize(720, 520);

    m_intro->setWordWrap(true);
    m_intro->setTextFormat(Qt::PlainText);
    m_intro->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (m_plan.problem.isEmpty())
        m_intro->setText(tr("Lifeline stops %1, runs these commands one after another in %2 (each for at "
                            "most %3), and starts %1 again when every one succeeds. If one fails, the rest "
                            "are not run and %1 is left stopped.")
                             .arg(service, m_plan.cwd, formatDuration(m_plan.timeout)));
    else
        m_intro->setText(m_plan.problem);

    m_steps->setObjectName(QStringLiteral("repairSteps"));
    m_steps->setColumnCount(2);
    m_steps->setHeaderLabels({tr("Command"), tr("Status")});
    m_steps->setRootIsDecorated(false);
    m_steps->setSelectionMode(QAbstractItemView::NoSelection);
    // The commands get the room; the status only what it needs.
    m_steps->header()->setStretchLastSection(false);
    m_steps->header()->setSectionResizeMode(CommandColumn, QHeaderView::Stretch);
    m_steps->header()->setSectionResizeMode(StatusColumn, QHeaderView::ResizeToContents);
    m_steps->setMaximumHeight(m_steps->sizeHint().height() / 2);
    for (qsizetype i = 0; i < m_plan.steps.size(); ++i) {
        auto *item = new QTreeWidgetItem(m_steps);
        item->setText(CommandColumn,
                      QStringLiteral("%1. %2").arg(i + 1).arg(CommandSteps::display(m_plan.steps.at(i))));
        item->setToolTip(CommandColumn, item->text(CommandColumn));
        item->setText(StatusColumn, tr("will run"));
    }

    m_output->setObjectName(QStringLiteral("repairOutput"));
    m_output->setReadOnly(true);
    m_output->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_output->setMaximumBlockCount(kMaxOutputLines);
    m_output->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_output->setPlaceholderText(tr("The output of the commands appears here as they run."));

    m_result->setObjectName(QStringLiteral("repairResult"));
    m_result->setWordWrap(true);
    m_result->setTextFormat(Qt::PlainText);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->hide();

    auto *buttons = new QDialogButtonBox(this);
    m_run = buttons->addButton(tr("&Run repair"), QDialogButtonBox::AcceptRole);
    m_run->setObjectName(QStringLiteral("repairRun"));
    m_run->setEnabled(m_plan.problem.isEmpty());
    m_close = buttons->addButton(QDialogButtonBox::Close);
    connect(m_run, &QPushButton::clicked, this, &RepairDialog::run);
    connect(m_close, &QPushButton::clicked, this, &QDialog::close);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_intro);
    layout->addWidget(m_steps);
    layout->addWidget(m_output, 1);
    layout->addWidget(m_result);
    layout->addWidget(buttons);

    connect(engine, &EngineClient::repairStepStarted, this,
            [this](const QString &name, int index, const QStringList &) {
                if (m_running && name == m_plan.service)
                    setStep(index, tr("running…"));
            });
    connect(engine, &EngineClient::repairOutput, this, [this](const QString &name, const QStringList &lines) {
        if (m_running && name == m_plan.service)
            m_output->appendPlainText(lines.join(QLatin1Char('\n')));
    });
    connect(engine, &EngineClient::repairStepFinished, this, &RepairDialog::onStepFinished);
    connect(engine, &EngineClient::repairFinished, this, &RepairDialog::onFinished);
    connect(engine, &EngineClient::repairRefused, this, [this](const QString &name, const QString &error) {
        if (m_running && name == m_plan.service) {
            m_running = false;
            showResult(tr("Repair not started: %1").arg(error), false);
        }
    });
}

RepairDialog::~RepairDialog() = default;

void RepairDialog::run()
{
    m_running = true;
    m_run->setEnabled(false);
    m_output->clear();
    m_result->hide();
    for (int i = 0; i < m_steps->topLevelItemCount(); ++i)
        setStep(i, tr("waiting"));
    m_engine->startRepair(m_plan.service);
}

void RepairDialog::setStep(int index, const QString &status, const QString &detail)
{
    QTreeWidgetItem *item = m_steps->topLevelItem(index);
    if (!item)
        return;
    item->setText(StatusColumn, status);
    item->setToolTip(StatusColumn, detail);
}

void RepairDialog::onStepFinished(const QString &service, int index, const CommandStepResult &result)
{
    if (!m_running || service != m_plan.service)
        return;
    const QString took = formatDuration(Millis(result.durationMs), DurationStyle::Coarse);
    setStep(index, result.ok() ? tr("ok (%1)").arg(took) : tr("failed: %1").arg(result.reason),
            result.reason);
}

void RepairDialog::onFinished(const RepairReport &report)
{
    if (!m_running || report.service != m_plan.service)
        return;
    m_running = false;
    for (qsizetype i = 0; i < report.steps.size(); ++i) {
        if (report.steps.at(i).outcome == CommandStepResult::Outcome::Skipped)
            setStep(int(i), tr("not run"));
    }
    QString text = report.message;
    if (!report.textPath.isEmpty())
        text += QLatin1Char('\n') + tr("Report: %1").arg(report.textPath);
    showResult(text, report.ok);
}

void RepairDialog::showResult(const QString &text, bool ok)
{
    m_result->setText(text);
    QPalette p = m_result->palette();
    p.setColor(QPalette::WindowText, UiStyle::severityTextColor(ok ? 0 : 2, palette()));
    m_result->setPalette(p);
    m_result->show();
    m_run->setEnabled(m_plan.problem.isEmpty());
    m_run->setText(tr("&Run again"));
}

} // namespace lifeline
