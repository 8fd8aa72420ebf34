#include "servicetableview.h"

#include "engine/engineclient.h"
#include "servicetablemodel.h"
#include "util/units.h"

#include <QHeaderView>
#include <QResizeEvent>
#include <QSortFilterProxyModel>

namespace lifeline {

ServiceTableView::ServiceTableView(ServiceTableModel *model, QWidget *parent)
    : QTableView(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(ServiceTableModel::SortRole);
    m_proxy->setDynamicSortFilter(true);
    setModel(m_proxy);

    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setAlternatingRowColors(true);
    setWordWrap(false);
    setTextElideMode(Qt::ElideRight);
    setContextMenuPolicy(Qt::CustomContextMenu);
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    QHeaderView *header = horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setMinimumSectionSize(fontMetrics().horizontalAdvance(QStringLiteral("PID")) + 12);
    // Ascending, descending, then back to the configuration's order (which
    // is the dependency order, worth coming back to).
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder);
    setSortingEnabled(true);

    // New services bring new names and limits to make room for.
    connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
        fitColumns();
        updateHiddenColumns();
    });
    ensurePolished(); // the style's font, not the default one, is what is measured
    fitColumns();
}

void ServiceTableView::changeEvent(QEvent *event)
{
    QTableView::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        fitColumns();
        updateHiddenColumns();
    }
}

ServiceView *ServiceTableView::serviceAt(const QModelIndex &index) const
{
    if (!index.isValid())
        return nullptr;
    return m_model->serviceAt(m_proxy->mapToSource(index).row());
}

QModelIndex ServiceTableView::indexOf(const QString &name, int column) const
{
    const int row = m_model->rowOf(name);
    return row < 0 ? QModelIndex() : m_proxy->mapFromSource(m_model->index(row, column));
}

const QList<int> &ServiceTableView::lowPriorityColumns()
{
    static const QList<int> columns{ServiceTableModel::Pid, ServiceTableModel::Uptime,
                                    ServiceTableModel::Cpu};
    return columns;
}

void ServiceTableView::fitColumns()
{
    // The widest text each column shows in a realistic day, so nothing a
    // person reads is cut ("137.6 MB / 150 MB"), and nothing jumps while
    // uptimes and countdowns tick.
    QHash<int, QStringList> samples{
        {ServiceTableModel::Name, {QStringLiteral("worker")}},
        {ServiceTableModel::State,
         {QStringLiteral("backoff · retry in 59s"), QStringLiteral("running (adopted)"),
          QStringLiteral("fatal · needs you")}},
        {ServiceTableModel::Pid, {QStringLiteral("4194304")}},
        {ServiceTableModel::Uptime,
         {formatUptime(23 * 3600 + 59 * 60), formatUptime(99 * 86400 + 23 * 3600)}},
        // A failure's reason can be long: elided, and whole in the tooltip.
        {ServiceTableModel::Health, {QStringLiteral("healthy · 999 ms")}},
        {ServiceTableModel::Cpu, {QStringLiteral("188.8 %")}},
        {ServiceTableModel::Memory, {formatSize(qint64(999.9 * 1000 * 1000))}},
    };
    for (const ServiceView *s : m_model->engine()->services()) {
        const ServiceSpec &spec = s->spec();
        samples[ServiceTableModel::Name] << spec.name;
        samples[ServiceTableModel::Restarts] << QStringLiteral("%1  (%2/%3 in %4)")
                                                    .arg(99)
                                                    .arg(spec.maxRestarts)
                                                    .arg(spec.maxRestarts)
                                                    .arg(formatDuration(spec.restartWindow));
        if (spec.cpuLimit > 0)
            samples[ServiceTableModel::Cpu] << QStringLiteral("188.8 % / %1 %").arg(spec.cpuLimit, 0, 'g', 6);
        if (spec.memoryLimit > 0) {
            const QString unit = spec.memoryLimitUnit.isEmpty() ? QStringLiteral("MB") : spec.memoryLimitUnit;
            samples[ServiceTableModel::Memory] << QStringLiteral("888.8 ") + unit + QStringLiteral(" / ") +
                                                      formatSizeIn(spec.memoryLimit, spec.memoryLimitUnit);
        }
    }
    const QFontMetrics cells = fontMetrics();
    const QFontMetrics headers = horizontalHeader()->fontMetrics();
    // A cell's text margins are the focus frame's plus one on each side.
    const int padding = 2 * (style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, this) + 1) + 4;
    const int icon = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this) + 4;
    const int sortArrow = style()->pixelMetric(QStyle::PM_HeaderMarkSize, nullptr, this) + 8;
    for (int column = 0; column < ServiceTableModel::LastExit; ++column) {
        int width =
            headers.horizontalAdvance(m_model->headerData(column, Qt::Horizontal).toString()) + sortArrow;
        const int decoration =
            column == ServiceTableModel::State || column == ServiceTableModel::Health ? icon : 0;
        for (const QString &text : std::as_const(samples[column]))
            width = std::max(width, cells.horizontalAdvance(text) + padding + decoration);
        m_widths[column] = width;
        setColumnWidth(column, width);
    }
    // The cause is the last column and takes the rest; it keeps room for a
    // short one, and a longer one is elided with the whole text in its tooltip.
    m_lastColumnMinimum = cells.horizontalAdvance(QStringLiteral("exit code 3")) + padding;
}

int ServiceTableView::widthForAllColumns() const
{
    int width = m_lastColumnMinimum;
    for (int w : m_widths)
        width += w;
    return width;
}

void ServiceTableView::updateHiddenColumns()
{
    // Hiding changes no widget size, so this cannot oscillate; the hidden
    // columns keep their widths for when they come back.
    const bool narrow = viewport()->width() < widthForAllColumns();
    for (int column : lowPriorityColumns())
        setColumnHidden(column, narrow);
}

void ServiceTableView::resizeEvent(QResizeEvent *event)
{
    QTableView::resizeEvent(event);
    updateHiddenColumns();
}

} // namespace lifeline
