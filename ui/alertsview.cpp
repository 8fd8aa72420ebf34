#include "alertsview.h"

#include "engine/engineclient.h"

#include <QDateTime>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lifeline {

namespace {

constexpr int kHistoryRows = 100;

QString localTime(const QString &iso)
{
    const QDateTime t = QDateTime::fromString(iso, Qt::ISODateWithMs);
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : iso;
}

} // namespace

AlertsView::AlertsView(EngineClient *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_detail(new QLabel(this))
{
    m_table->setHorizontalHeaderLabels({tr("Time"), tr("State"), tr("Severity"), tr("Service"), tr("Alert")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_detail->setWordWrap(true);
    m_detail->setTextFormat(Qt::PlainText);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setText(tr("Click an alert to read all of it."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_detail);

    connect(m_table, &QTableWidget::cellClicked, this, [this](int row, int) { showDetail(row); });
    connect(m_engine, &EngineClient::alertsChanged, this, &AlertsView::refresh);
    connect(m_engine, &EngineClient::alertsAnswered, this, &AlertsView::showAlerts);
}

AlertsView::~AlertsView() = default;

void AlertsView::setService(const QString &service)
{
    m_service = service;
    m_active = true;
    m_table->setRowCount(0);
    m_firingRows = 0;
    refresh();
}

void AlertsView::refresh()
{
    if (m_active)
        m_engine->queryAlerts(m_service);
}

void AlertsView::showAlerts(const QString &service, const QJsonObject &alerts)
{
    if (service != m_service)
        return;
    const QJsonArray firing = alerts.value(QStringLiteral("firing")).toArray();
    const QJsonArray history = alerts.value(QStringLiteral("history")).toArray();
    m_table->setRowCount(0);
    m_firingRows = 0;
    const auto add = [this](const QJsonObject &a, bool isFiring) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        QString state = a.value(QStringLiteral("state")).toString();
        if (isFiring)
            state = a.value(QStringLiteral("suppressed")).toBool() ? tr("firing (suppressed)") : tr("firing");
        const QString who = a.value(QStringLiteral("service")).toString();
        const QStringList cells{localTime(a.value(QStringLiteral("time")).toString()), state,
                                a.value(QStringLiteral("severity")).toString(),
                                who.isEmpty() ? tr("(machine)") : who,
                                a.value(QStringLiteral("title")).toString()};
        for (int c = 0; c < ColumnCount; ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            item->setData(Qt::UserRole, a.value(QStringLiteral("text")).toString());
            if (isFiring) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
                const bool critical =
                    a.value(QStringLiteral("severity")).toString() == QStringLiteral("critical");
                item->setBackground(critical ? QColor(0xf8, 0xd0, 0xd0) : QColor(0xfb, 0xec, 0xc6));
                item->setForeground(QColor(0x20, 0x20, 0x20));
            }
            m_table->setItem(row, c, item);
        }
    };
    for (const QJsonValue &v : firing) {
        add(v.toObject(), true);
        ++m_firingRows;
    }
    for (const QJsonValue &v : history) {
        if (m_table->rowCount() >= m_firingRows + kHistoryRows)
            break;
        add(v.toObject(), false);
    }
    m_table->resizeColumnsToContents();
}

void AlertsView::showDetail(int row)
{
    const QTableWidgetItem *item = m_table->item(row, TitleColumn);
    if (!item)
        return;
    m_detail->setText(item->text() + QLatin1Char('\n') + item->data(Qt::UserRole).toString());
}

} // namespace lifeline
