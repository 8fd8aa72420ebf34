#include "errorsview.h"

#include "engine/engineclient.h"

#include <QDateTime>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPainter>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace lifeline {

namespace {

constexpr qint64 kHourMs = 60LL * 60 * 1000;

QString ago(qint64 thenMs, qint64 nowMs)
{
    const qint64 s = std::max<qint64>(0, (nowMs - thenMs) / 1000);
    if (s < 60)
        return QObject::tr("%1 s ago").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min ago").arg(s / 60);
    if (s < 86400)
        return QObject::tr("%1 h ago").arg(s / 3600);
    return QDateTime::fromMSecsSinceEpoch(thenMs).toString(Qt::ISODate);
}

} // namespace

ErrorsModel::ErrorsModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
{}

void ErrorsModel::setSignatures(const QList<ErrorSignature> &signatures)
{
    beginResetModel();
    m_signatures = signatures;
    endResetModel();
}

int ErrorsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_signatures.size());
}

int ErrorsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ErrorsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_signatures.size())
        return {};
    const ErrorSignature &s = m_signatures.at(index.row());
    const qint64 now = m_now();
    if (role == TrendRole) {
        if (index.column() == HourColumn)
            return QVariant::fromValue(s.trend(now, kHourMs, 12));
        if (index.column() == DayColumn)
            return QVariant::fromValue(s.trend(now, 24 * kHourMs, 24));
        return {};
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == HourColumn)
            return tr("%n in the last hour", nullptr, int(s.countSince(now - kHourMs)));
        if (index.column() == DayColumn)
            return tr("%n in the last day", nullptr, int(s.countSince(now - 24 * kHourMs)));
        if (index.column() == SignatureColumn)
            return s.text;
        if (index.column() == LastSeenColumn)
            return tr("first seen %1\nlast seen %2\nin %3")
                .arg(QDateTime::fromMSecsSinceEpoch(s.firstSeenMs).toString(Qt::ISODate),
                     QDateTime::fromMSecsSinceEpoch(s.lastSeenMs).toString(Qt::ISODate), s.source);
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() == CountColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case SignatureColumn:
        return s.text;
    case CountColumn:
        return s.count;
    case LastSeenColumn:
        return ago(s.lastSeenMs, now);
    default:
        return {};
    }
}

QVariant ErrorsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SignatureColumn:
        return tr("Signature");
    case CountColumn:
        return tr("Count");
    case HourColumn:
        return tr("Last hour");
    case DayColumn:
        return tr("Last day");
    case LastSeenColumn:
        return tr("Last seen");
    default:
        return {};
    }
}

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    QStyledItemDelegate::paint(painter, option, QModelIndex()); // background and selection only
    const QList<int> counts = index.data(ErrorsModel::TrendRole).value<QList<int>>();
    if (counts.isEmpty())
        return;
    const int top = *std::max_element(counts.begin(), counts.end());
    const QRectF area = QRectF(option.rect).adjusted(3, 3, -3, -3);
    const qreal width = area.width() / counts.size();
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    const QColor bar = option.state & QStyle::State_Selected ? option.palette.highlightedText().color()
                                                             : option.palette.link().color();
    painter->setPen(Qt::NoPen);
    painter->setBrush(bar);
    for (qsizetype i = 0; i < counts.size(); ++i) {
        // One pixel for any error at all: a single one must not vanish next to a flood.
        const qreal h = top == 0 || counts[i] == 0 ? 0 : std::max<qreal>(1, area.height() * counts[i] / top);
        painter->drawRect(
            QRectF(area.left() + i * width, area.bottom() - h, std::max<qreal>(1, width - 1), h));
    }
    painter->setPen(option.palette.mid().color());
    painter->drawLine(area.bottomLeft(), area.bottomRight());
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    return QStyledItemDelegate::sizeHint(option, index).expandedTo(QSize(100, 20));
}

ErrorsView::ErrorsView(QWidget *parent)
    : QWidget(parent)
    , m_model(new ErrorsModel(this))
    , m_table(new QTableView(this))
    , m_sample(new QPlainTextEdit(this))
    , m_empty(new QLabel(this))
{
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    auto *sparkline = new SparklineDelegate(m_table);
    m_table->setItemDelegateForColumn(ErrorsModel::HourColumn, sparkline);
    m_table->setItemDelegateForColumn(ErrorsModel::DayColumn, sparkline);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(ErrorsModel::SignatureColumn, QHeaderView::Stretch);
    for (int c : {ErrorsModel::CountColumn, ErrorsModel::LastSeenColumn})
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    for (int c : {ErrorsModel::HourColumn, ErrorsModel::DayColumn})
        header->resizeSection(c, 110);

    m_sample->setReadOnly(true);
    m_sample->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_sample->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_sample->setPlaceholderText(tr("Select an error to see its latest occurrence, whole."));
    m_empty->setWordWrap(true);
    m_empty->setText(
        tr("No errors seen. Tracebacks, stack traces and ERROR, CRITICAL, FATAL or panic: lines in "
           "the service's output (and in the files of [service.errors] files) show here."));

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_sample);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_empty);
    layout->addWidget(splitter, 1);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        const QModelIndex current = m_table->currentIndex();
        m_selectedId = current.isValid() ? m_model->signatures().value(current.row()).id : QString();
        showSample();
    });
    reload();
}

void ErrorsView::setService(ServiceView *service)
{
    if (m_service)
        m_service->disconnect(this);
    m_service = service;
    m_selectedId.clear();
    if (m_service)
        connect(m_service, &ServiceView::errorsChanged, this, &ErrorsView::reload);
    reload();
}

void ErrorsView::reload()
{
    const QString keep = m_selectedId;
    m_model->setSignatures(m_service ? m_service->errors() : QList<ErrorSignature>());
    m_empty->setVisible(m_model->rowCount() == 0);
    const QList<ErrorSignature> &sigs = m_model->signatures();
    const auto it =
        std::find_if(sigs.begin(), sigs.end(), [&keep](const ErrorSignature &s) { return s.id == keep; });
    if (!keep.isEmpty() && it != sigs.end()) {
        m_table->selectionModel()->setCurrentIndex(m_model->index(int(it - sigs.begin()), 0),
                                                   QItemSelectionModel::ClearAndSelect |
                                                       QItemSelectionModel::Rows);
    }
    m_selectedId = keep;
    showSample();
}

void ErrorsView::showSample()
{
    const QList<ErrorSignature> &sigs = m_model->signatures();
    const auto it = std::find_if(sigs.begin(), sigs.end(),
                                 [this](const ErrorSignature &s) { return s.id == m_selectedId; });
    const QString text = it == sigs.end() || m_selectedId.isEmpty() ? QString() : it->sample;
    if (m_sample->toPlainText() != text)
        m_sample->setPlainText(text);
}

} // namespace lifeline
