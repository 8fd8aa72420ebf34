#include "healthview.h"

#include "engine/engineclient.h"

#include "health/healthmonitor.h"
#include "health/healthresult.h"
#include "uistyle.h"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lifeline {

HealthView::HealthView(QWidget *parent)
    : QWidget(parent)
    , m_stack(new QStackedWidget(this))
    , m_placeholder(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_report(new QTreeWidget(this))
{
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setText(
        tr("No health check configured.\nAdd a [service.health] table with url, tcp or exec."));
    QPalette pal = m_placeholder->palette();
    pal.setColor(QPalette::WindowText, UiStyle::severityColor(-1));
    m_placeholder->setPalette(pal);

    m_table->setHorizontalHeaderLabels(
        {tr("Time"), tr("Result"), tr("HTTP"), tr("Latency (ms)"), tr("Reason")});
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setColumnWidth(TimeColumn, 90);
    m_table->setColumnWidth(ResultColumn, 70);
    m_table->setColumnWidth(StatusColumn, 55);
    m_table->setColumnWidth(LatencyColumn, 90);

    m_report->setColumnCount(2);
    m_report->setHeaderLabels({tr("Backend report (last result)"), tr("Value")});
    m_report->setAlternatingRowColors(true);
    m_report->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_report);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    auto *page = new QWidget(this);
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->addWidget(m_summary);
    pageLayout->addWidget(splitter, 1);

    m_stack->addWidget(m_placeholder);
    m_stack->addWidget(page);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addWidget(m_stack);
}

HealthView::~HealthView() = default;

bool HealthView::showsPlaceholder() const
{
    return m_stack->currentWidget() == m_placeholder;
}

void HealthView::setPlaceholderText(const QString &text)
{
    m_placeholder->setText(text);
}

void HealthView::setService(ServiceView *service)
{
    disconnect(m_serviceConnection);
    m_service = service;
    m_showsChecks = false;
    if (service)
        m_serviceConnection = connect(service, &ServiceView::changed, this, &HealthView::follow);
    follow();
}

// Results are only ever appended: the ones newer than the newest shown are
// added on top. A check that appears or goes (a reload) starts over.
void HealthView::follow()
{
    const HealthSnapshot *health = m_service ? m_service->health() : nullptr;
    if (!health) {
        m_showsChecks = false;
        m_table->setRowCount(0);
        m_report->clear();
        m_shownReport = QJsonObject();
        m_stack->setCurrentWidget(m_placeholder);
        updateSummary();
        return;
    }
    if (!m_showsChecks) {
        m_showsChecks = true;
        m_newestShownMs = -1;
        m_table->setRowCount(0);
        m_report->clear();
        m_shownReport = QJsonObject();
        m_stack->setCurrentWidget(m_stack->widget(1));
    }
    const QList<HealthResult> &history = health->results; // oldest first
    qsizetype first = history.size();
    while (first > 0 && history.at(first - 1).timeMs > m_newestShownMs)
        --first;
    first = std::max<qsizetype>(first, history.size() - kMaxRows);
    m_table->setUpdatesEnabled(false);
    for (qsizetype i = first; i < history.size(); ++i)
        addResult(history.at(i));
    m_table->setUpdatesEnabled(true);
    if (first < history.size())
        showReport(health->lastReport()); // the newest result's; the history keeps none
    updateSummary();
}

void HealthView::addResult(const HealthResult &result)
{
    m_table->insertRow(0);
    fillRow(0, result);
    while (m_table->rowCount() > kMaxRows)
        m_table->removeRow(m_table->rowCount() - 1);
    m_newestShownMs = std::max(m_newestShownMs, result.timeMs);
}

void HealthView::fillRow(int row, const HealthResult &r)
{
    const QString time = QDateTime::fromMSecsSinceEpoch(r.timeMs).toString(QStringLiteral("HH:mm:ss"));
    auto *timeItem = new QTableWidgetItem(time);
    timeItem->setToolTip(QDateTime::fromMSecsSinceEpoch(r.timeMs).toString(Qt::ISODateWithMs));
    auto *result = new QTableWidgetItem(UiStyle::healthIcon(r.ok ? Health::Healthy : Health::Unhealthy),
                                        r.ok ? tr("ok") : tr("fail"));
    auto *latency = new QTableWidgetItem(QString::number(r.latencyMs));
    latency->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    auto *reason = new QTableWidgetItem(r.reason);
    reason->setToolTip(r.reason);
    if (!r.ok)
        reason->setForeground(UiStyle::severityColor(2));
    m_table->setItem(row, TimeColumn, timeItem);
    m_table->setItem(row, ResultColumn, result);
    m_table->setItem(
        row, StatusColumn,
        new QTableWidgetItem(r.httpStatus > 0 ? QString::number(r.httpStatus) : QStringLiteral("-")));
    m_table->setItem(row, LatencyColumn, latency);
    m_table->setItem(row, ReasonColumn, reason);
}

void HealthView::showReport(const QJsonObject &report)
{
    // The same report again (most ticks): keep the tree and what is expanded.
    if (report == m_shownReport && m_report->topLevelItemCount() > 0)
        return;
    m_shownReport = report;
    m_report->clear();
    if (report.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_report, {tr("(the backend sent no JSON report)")});
        item->setForeground(0, UiStyle::severityColor(-1));
        return;
    }
    for (auto it = report.begin(); it != report.end(); ++it)
        addJson(m_report->invisibleRootItem(), it.key(), it.value());
    m_report->expandToDepth(1);
}

void HealthView::addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value)
{
    auto *item = new QTreeWidgetItem(parent, {key});
    switch (value.type()) {
    case QJsonValue::Object: {
        const QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            addJson(item, it.key(), it.value());
        break;
    }
    case QJsonValue::Array: {
        const QJsonArray a = value.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            addJson(item, QStringLiteral("[%1]").arg(i), a.at(i));
        break;
    }
    case QJsonValue::String:
        item->setText(1, value.toString());
        break;
    case QJsonValue::Double: {
        const double d = value.toDouble();
        item->setText(1, d == std::floor(d) && std::abs(d) < 1e15 ? QString::number(qint64(d))
                                                                  : QString::number(d, 'f', 2));
        break;
    }
    case QJsonValue::Bool:
        item->setText(1, value.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        break;
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        item->setText(1, QStringLiteral("null"));
        break;
    }
    const QString text = item->text(1).toLower();
    if (text == u"unhealthy" || text == u"fail" || text == u"down" || text == u"error")
        item->setForeground(1, UiStyle::severityColor(2));
    else if (text == u"degraded" || text == u"warn")
        item->setForeground(1, UiStyle::severityColor(1));
}

void HealthView::updateSummary()
{
    const HealthSnapshot *monitor = m_service ? m_service->health() : nullptr;
    if (!monitor) {
        m_summary->clear();
        return;
    }
    const Health h = monitor->health();
    QString text = QStringLiteral("<b>%1</b>").arg(healthName(h));
    if (const auto last = monitor->lastResult()) {
        text += tr(" \u00b7 last check %1, %2")
                    .arg(QDateTime::fromMSecsSinceEpoch(last->timeMs).toString(QStringLiteral("HH:mm:ss")),
                         UiStyle::latencyText(last->latencyMs));
        if (!last->ok)
            text += QStringLiteral(" \u00b7 ") + last->reason.toHtmlEscaped();
    }
    if (monitor->consecutiveFailures() > 0)
        text += tr(" \u00b7 %1 failure(s) in a row").arg(monitor->consecutiveFailures());
    const int severity = h == Health::Healthy ? 0 : h == Health::Unhealthy ? 2 : -1;
    m_summary->setText(QStringLiteral("<span style=\"color:%1\">\u25cf</span> ")
                           .arg(UiStyle::severityColor(severity).name()) +
                       text);
}

} // namespace lifeline
