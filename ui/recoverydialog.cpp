#include "recoverydialog.h"

#include "engine/engineclient.h"
#include "uistyle.h"
#include "util/clock.h"

#include <QCheckBox>
#include <QClipboard>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QFile>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QStackedWidget>
#include <QStyle>
#include <QTextBrowser>
#include <QTimer>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace lifeline {

using namespace Qt::StringLiterals;

namespace {

QIcon statusIcon(const QStyle *style, RecoveryStepStatus status)
{
    switch (status) {
    case RecoveryStepStatus::Pending: {
        // Blank, so that the titles of pending steps line up with the others.
        QPixmap blank(16, 16);
        blank.fill(Qt::transparent);
        return QIcon(blank);
    }
    case RecoveryStepStatus::Running:
        return style->standardIcon(QStyle::SP_BrowserReload);
    case RecoveryStepStatus::Ok:
        return style->standardIcon(QStyle::SP_DialogApplyButton);
    case RecoveryStepStatus::Warning:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case RecoveryStepStatus::Failed:
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case RecoveryStepStatus::Skipped:
        return style->standardIcon(QStyle::SP_DialogCancelButton);
    }
    return QIcon();
}

// The item without its action, which gets a column of its own.
QString itemText(const RecoveryItem &item)
{
    RecoveryItem copy = item;
    copy.action.clear();
    return (item.service.isEmpty() ? QString() : u'[' + item.service + u"] "_s) + copy.describe();
}

void addSection(QTreeWidget *tree, const QString &title, const QList<RecoveryItem> &items,
                const QString &none)
{
    auto *section = new QTreeWidgetItem(tree, {u"%1 (%2)"_s.arg(title).arg(items.size())});
    QFont bold = section->font(0);
    bold.setBold(true);
    section->setFont(0, bold);
    section->setFirstColumnSpanned(true);
    if (items.isEmpty())
        new QTreeWidgetItem(section, {none});
    for (const RecoveryItem &i : items) {
        auto *row = new QTreeWidgetItem(section, {itemText(i), i.action});
        row->setToolTip(0, i.describe());
        row->setToolTip(1, i.action);
    }
    section->setExpanded(true);
}

bool isEnd(RecoveryStepStatus status)
{
    return status != RecoveryStepStatus::Pending && status != RecoveryStepStatus::Running;
}

// A step's own time as a person reads it: "< 1 ms", "40 ms", "2.3 s".
QString stepTime(qint64 ms)
{
    return ms < 1000 ? UiStyle::latencyText(ms) : u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 1);
}

QString statusColor(RecoveryStepStatus status)
{
    switch (status) {
    case RecoveryStepStatus::Ok:
        return UiStyle::severityColor(0).name();
    case RecoveryStepStatus::Warning:
        return UiStyle::severityColor(1).name();
    case RecoveryStepStatus::Failed:
        return UiStyle::severityColor(2).name();
    default:
        return UiStyle::severityColor(-1).name();
    }
}

// The report as a person reads it: one group per step (title, status, its
// own time, what happened, what it found), then how each service ended.
// The summary is not repeated: it is the line above.
QString reportHtml(const RecoveryReport &report)
{
    const auto esc = [](const QString &t) { return t.toHtmlEscaped(); };
    QString html = u"<p>Started %1 · took %2 · consent to end foreign port holders: %3</p>"_s.arg(
        esc(report.startedAt.toString(Qt::ISODate)), stepTime(report.durationMs),
        report.options.killForeignPortHolders ? u"yes"_s : u"no"_s);
    for (const RecoveryStep &s : report.steps) {
        html += u"<h4>%1. %2 — <span style=\"color:%3\">%4</span> · %5</h4>"_s.arg(
            QString::number(int(s.id) + 1), esc(s.title), statusColor(s.status),
            esc(recoveryStepStatusName(s.status)), stepTime(s.durationMs));
        if (!s.message.isEmpty())
            html += u"<p>"_s + esc(s.message) + u"</p>"_s;
        if (!s.items.isEmpty()) {
            html += u"<ul>"_s;
            for (const RecoveryItem &i : s.items)
                html += u"<li>"_s + esc(itemText(i)) +
                        (i.action.isEmpty() ? QString() : u" — "_s + esc(i.action)) + u"</li>"_s;
            html += u"</ul>"_s;
        }
    }
    html += u"<h4>End state</h4><ul>"_s;
    for (const RecoveryServiceEnd &e : report.endState) {
        QString line = u"%1: %2, health %3"_s.arg(e.name, e.state, e.health);
        if (e.pid > 0)
            line += u", pid %1"_s.arg(e.pid);
        if (!e.problem.isEmpty())
            line += u" — "_s + e.problem;
        html += u"<li>"_s + esc(line) + u"</li>"_s;
    }
    return html + u"</ul>"_s;
}

} // namespace

RecoveryDialog::RecoveryDialog(EngineClient *engine, QWidget *parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_clock(Clock::system())
    , m_opener([](const QUrl &url) { return QDesktopServices::openUrl(url); })
{
    setWindowTitle(tr("Emergency recovery"));
    resize(820, 560);
    m_pages = new QStackedWidget(this);
    m_pace = new QTimer(this);
    m_pace->setSingleShot(true);
    connect(m_pace, &QTimer::timeout, this, &RecoveryDialog::showNextSteps);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages);
    buildPlanPage();
    buildProgressPage();
    buildResultPage();

    if (m_engine) {
        connect(m_engine, &EngineClient::recoveryStepChanged, this, &RecoveryDialog::onStepChanged);
        connect(m_engine, &EngineClient::recoveryFinished, this, &RecoveryDialog::onFinished);
        connect(m_engine, &EngineClient::recoveryStarted, this, [this] {
            showSteps(m_engine->recoverySteps());
            m_pages->setCurrentIndex(ProgressPage);
        });
        connect(m_engine, &EngineClient::recoveryPlanned, this, &RecoveryDialog::showPlan);
        connect(m_engine, &EngineClient::recoveryRefused, this, [this](const QString &error) {
            m_planError->setText(tr("Cannot start the recovery: %1").arg(error));
            m_planError->show();
        });
    }
    if (m_engine && m_engine->isRecoveryRunning()) {
        // Opened (again) while a run goes on: show where it is.
        showSteps(m_engine->recoverySteps());
        m_pages->setCurrentIndex(ProgressPage);
    } else {
        refreshPlan();
        m_pages->setCurrentIndex(PlanPage);
    }
}

RecoveryDialog::~RecoveryDialog() = default;

int RecoveryDialog::currentPage() const
{
    return m_pages->currentIndex();
}

void RecoveryDialog::buildPlanPage()
{
    auto *page = new QWidget(m_pages);
    auto *v = new QVBoxLayout(page);
    auto *intro =
        new QLabel(tr("Emergency recovery stops every service, ends what is left of them, checks disk and "
                      "memory, backs up and empties the logs, cleans the configured temporary files, and "
                      "starts everything again in dependency order. Only processes that provably belong to "
                      "a service are ended; nothing is matched by name. This is what would be done now:"),
                   page);
    intro->setWordWrap(true);
    v->addWidget(intro);

    m_planView = new QTreeWidget(page);
    m_planView->setColumnCount(2);
    m_planView->setHeaderLabels({tr("What"), tr("What will happen")});
    m_planView->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_planView->header()->setSectionResizeMode(1, QHeaderView::Interactive);
    m_planView->header()->setStretchLastSection(false);
    m_planView->header()->resizeSection(1, 300);
    m_planView->setRootIsDecorated(true);
    m_planView->setUniformRowHeights(true);
    v->addWidget(m_planView, 1);

    m_consent =
        new QCheckBox(tr("Also end processes that hold our ports but were not started by Lifeline, and "
                         "orphans re-parented to Lifeline whose service cannot be told"),
                      page);
    m_consent->setChecked(false);
    m_consent->setToolTip(tr("Processes of other users are never touched, with or without this."));
    v->addWidget(m_consent);

    m_planError = new QLabel(page);
    m_planError->setWordWrap(true);
    m_planError->setStyleSheet(u"color: %1;"_s.arg(UiStyle::severityTextColor(2, palette()).name()));
    m_planError->hide();
    v->addWidget(m_planError);

    auto *buttons = new QHBoxLayout;
    auto *refresh = new QPushButton(tr("Refresh"), page);
    connect(refresh, &QPushButton::clicked, this, &RecoveryDialog::refreshPlan);
    auto *cancel = new QPushButton(tr("Cancel"), page);
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    m_recover = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Recover now"), page);
    QFont big = m_recover->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.3);
    m_recover->setFont(big);
    m_recover->setMinimumHeight(44);
    m_recover->setAutoDefault(false); // Enter alone must not start a recovery
    connect(m_recover, &QPushButton::clicked, this, &RecoveryDialog::startRecovery);
    buttons->addWidget(refresh);
    buttons->addStretch(1);
    buttons->addWidget(cancel);
    buttons->addWidget(m_recover);
    v->addLayout(buttons);
    m_pages->addWidget(page);
}

void RecoveryDialog::buildProgressPage()
{
    auto *page = new QWidget(m_pages);
    auto *v = new QVBoxLayout(page);
    m_progressView = new QTreeWidget(page);
    m_progressView->setColumnCount(4);
    m_progressView->setHeaderLabels({tr("Step"), tr("Status"), tr("Time"), tr("What happened")});
    m_progressView->header()->setStretchLastSection(false);
    m_progressView->header()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_progressView->header()->resizeSection(0, 240);
    m_progressView->header()->resizeSection(1, 80);
    m_progressView->header()->resizeSection(2, 70);
    m_progressView->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    v->addWidget(m_progressView, 1);
    m_progress = new QProgressBar(page);
    m_progress->setRange(0, RecoveryStep::Count);
    m_progress->setValue(0);
    v->addWidget(m_progress);
    m_progressNote =
        new QLabel(tr("You can close this window: the recovery goes on, and its report is saved."), page);
    m_progressNote->setWordWrap(true);
    v->addWidget(m_progressNote);
    auto *box = new QDialogButtonBox(page);
    auto *hide = box->addButton(tr("Close window"), QDialogButtonBox::RejectRole);
    connect(hide, &QPushButton::clicked, this, &QDialog::reject);
    v->addWidget(box);
    m_pages->addWidget(page);
}

void RecoveryDialog::buildResultPage()
{
    auto *page = new QWidget(m_pages);
    auto *v = new QVBoxLayout(page);
    m_result = new QLabel(page);
    m_result->setWordWrap(true);
    QFont bold = m_result->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_result->setFont(bold);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_result);

    auto *buttons = new QHBoxLayout;
    m_openReport = new QPushButton(tr("&Open report"), page);
    connect(m_openReport, &QPushButton::clicked, this, &RecoveryDialog::openReport);
    m_copy = new QPushButton(tr("&Copy"), page);
    m_copy->setToolTip(tr("Copy the report as text"));
    connect(m_copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_reportPlain); });
    buttons->addWidget(m_openReport);
    buttons->addWidget(m_copy);
    buttons->addStretch(1);
    v->addLayout(buttons);
    m_openNotice = new QLabel(page);
    m_openNotice->setWordWrap(true);
    m_openNotice->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_openNotice->hide();
    v->addWidget(m_openNotice);

    m_reportText = new QTextBrowser(page);
    m_reportText->setOpenLinks(false);
    m_reportText->setLineWrapMode(QTextEdit::WidgetWidth);
    // Long paths and command lines break anywhere rather than scroll sideways.
    m_reportText->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    m_reportText->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    v->addWidget(m_reportText, 1);

    auto *close = new QPushButton(tr("Close"), page);
    connect(close, &QPushButton::clicked, this, &QDialog::accept);
    auto *bottom = new QHBoxLayout;
    bottom->addStretch(1);
    bottom->addWidget(close);
    v->addLayout(bottom);
    m_pages->addWidget(page);
}

void RecoveryDialog::refreshPlan()
{
    m_planView->clear();
    m_planError->hide();
    m_recover->setEnabled(false);
    if (!m_engine)
        return;
    // Finding what to stop reads /proc: the engine does it and answers.
    new QTreeWidgetItem(m_planView, {tr("Looking at what runs…")});
    m_engine->planRecovery();
}

void RecoveryDialog::showPlan(const RecoveryPlan &plan)
{
    m_planView->clear();
    addSection(m_planView, tr("Will be stopped"), plan.toStop, tr("no service is running"));
    addSection(m_planView, tr("Left over, will be ended"), plan.leftovers, tr("nothing left over"));
    addSection(m_planView, tr("Holding the services' ports"), plan.portHolders,
               tr("no port is held by another process"));
    if (!plan.orphans.isEmpty())
        addSection(m_planView, tr("Orphans from an unknown service tree"), plan.orphans, QString());
    if (plan.backupLogs)
        addSection(m_planView, tr("Logs to back up, then empty"), plan.logs, tr("no log files yet"));
    else
        new QTreeWidgetItem(m_planView, {tr("Logs are not backed up (backup_logs = false)")});
    addSection(m_planView, tr("Files to clean"), plan.clean, tr("nothing to clean"));
    if (!plan.repairs.isEmpty())
        addSection(m_planView, tr("Repair steps to run, while everything is stopped"), plan.repairs,
                   QString());
    new QTreeWidgetItem(m_planView, {tr("Then started in this order: %1").arg(plan.services.join(u", "_s))});
    m_consent->setEnabled(plan.needsConsent());
    m_recover->setEnabled(true);
}

void RecoveryDialog::startRecovery()
{
    if (!m_engine)
        return;
    RecoveryOptions options;
    options.killForeignPortHolders = m_consent->isChecked();
    m_planError->hide();
    // recoveryStarted() switches to the progress page; recoveryRefused() says why not.
    m_engine->startRecovery(options);
}

void RecoveryDialog::showSteps(const QList<RecoveryStep> &steps)
{
    m_queue.clear();
    m_finished.reset();
    m_pace->stop();
    m_lastTickMs = m_clock->nowMs();
    m_progressView->clear();
    m_progress->setRange(0, int(steps.size()));
    for (int i = 0; i < steps.size(); ++i)
        showStep(i, steps.at(i)); // creates the rows
}

void RecoveryDialog::onStepChanged(int index, const RecoveryStep &step)
{
    m_queue.append({index, step});
    showNextSteps();
}

void RecoveryDialog::showNextSteps()
{
    while (!m_queue.isEmpty()) {
        const auto &[index, step] = m_queue.first();
        if (isEnd(step.status)) {
            // Each tick stays a moment before the next one, however fast the run.
            const qint64 wait = m_lastTickMs + kTickPaceMs - m_clock->nowMs();
            if (wait > 0) {
                m_pace->start(int(std::min<qint64>(wait, kTickPaceMs)));
                return;
            }
            m_lastTickMs = m_clock->nowMs();
        }
        const std::pair<int, RecoveryStep> next = m_queue.takeFirst();
        showStep(next.first, next.second);
        if (isEnd(next.second.status))
            emit stepTicked(next.first, m_lastTickMs);
    }
    if (m_finished) {
        const RecoveryReport report = *m_finished;
        m_finished.reset();
        showResult(report);
    }
}

void RecoveryDialog::showStep(int index, const RecoveryStep &step)
{
    while (m_progressView->topLevelItemCount() <= index)
        new QTreeWidgetItem(m_progressView);
    QTreeWidgetItem *row = m_progressView->topLevelItem(index);
    row->setText(0, u"%1. %2"_s.arg(index + 1).arg(step.title));
    row->setIcon(0, statusIcon(style(), step.status));
    row->setText(1, recoveryStepStatusName(step.status));
    row->setText(2, isEnd(step.status) ? stepTime(step.durationMs) : QString());
    row->setText(3, step.message);
    row->setToolTip(3, step.message);
    qDeleteAll(row->takeChildren());
    for (const RecoveryItem &i : step.items) {
        auto *child = new QTreeWidgetItem(row, {itemText(i), QString(), QString(), i.action});
        child->setToolTip(0, i.describe());
        child->setToolTip(3, i.action);
    }
    if (step.status == RecoveryStepStatus::Running || step.status == RecoveryStepStatus::Failed ||
        step.status == RecoveryStepStatus::Warning)
        row->setExpanded(true);
    int done = 0;
    for (int i = 0; i < m_progressView->topLevelItemCount(); ++i) {
        const QString s = m_progressView->topLevelItem(i)->text(1);
        done += (s != recoveryStepStatusName(RecoveryStepStatus::Pending) &&
                 s != recoveryStepStatusName(RecoveryStepStatus::Running) && !s.isEmpty())
                    ? 1
                    : 0;
    }
    m_progress->setValue(done);
}

void RecoveryDialog::onFinished(const RecoveryReport &report)
{
    m_finished = report;
    showNextSteps(); // the result follows the last tick
}

void RecoveryDialog::showResult(const RecoveryReport &report)
{
    m_progress->setValue(m_progress->maximum());
    m_reportPath = report.textPath;
    m_reportPlain = report.toText();
    m_result->setText(report.summary());
    m_result->setStyleSheet(u"color: %1;"_s.arg(UiStyle::severityColor(report.ok ? 0 : 2).name()));
    m_reportText->setHtml(reportHtml(report));
    m_openNotice->hide();
    m_openReport->setEnabled(!m_reportPath.isEmpty());
    if (m_reportPath.isEmpty())
        m_openReport->setToolTip(tr("The report could not be saved: %1").arg(report.saveError));
    else
        m_openReport->setToolTip(m_reportPath);
    m_pages->setCurrentIndex(ResultPage);
}

void RecoveryDialog::openReport()
{
    if (m_reportPath.isEmpty())
        return;
    emit reportOpenRequested(m_reportPath);
    const bool opened = m_opener(QUrl::fromLocalFile(m_reportPath));
    m_openNotice->setText(opened ? QString()
                                 : tr("No application to open text files is set up. The report is at %1; "
                                      "\"Copy\" puts it on the clipboard.")
                                       .arg(m_reportPath));
    m_openNotice->setVisible(!opened);
}

} // namespace lifeline
