#include "crashesview.h"

#include "engine/engineclient.h"

#include <QClipboard>
#include <QDateTime>
#include <QFont>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <utility>

namespace lifeline {

namespace {

// How much later than the crash its notification may be shown.
constexpr qint64 kNoticeSlackMs = 5000;

} // namespace

CrashesView::CrashesView(EngineClient *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    m_list = new QTreeWidget(this);
    m_list->setColumnCount(3);
    m_list->setHeaderLabels({tr("Time"), tr("Cause"), tr("Exit")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->header()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_text = new QPlainTextEdit(this);
    m_text->setReadOnly(true);
    m_text->setUndoRedoEnabled(false);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFont(QStringLiteral("monospace")));
    m_text->setPlaceholderText(tr("Select a crash to see its record."));

    m_copy = new QPushButton(tr("Copy as Markdown"), this);
    m_copy->setEnabled(false);
    m_empty = new QLabel(this);
    m_empty->setWordWrap(true);

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_copy);
    rightLayout->addLayout(buttons);
    rightLayout->addWidget(m_text, 1);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_empty);
    leftLayout->addWidget(m_list, 1);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &CrashesView::onSelectionChanged);
    connect(m_copy, &QPushButton::clicked, this, [this] {
        if (m_shown)
            QGuiApplication::clipboard()->setText(m_shown->toMarkdown());
    });
    connect(m_engine, &EngineClient::crashesAnswered, this, &CrashesView::onListed);
    connect(m_engine, &EngineClient::crashFetched, this, &CrashesView::onFetched);
    connect(m_engine, &EngineClient::crashRecorded, this, [this](const CrashSummary &summary) {
        if (summary.service == m_service)
            m_engine->queryCrashes(m_service);
    });
    setService(QString());
}

CrashesView::~CrashesView() = default;

void CrashesView::setService(const QString &name)
{
    m_service = name;
    m_crashes.clear();
    m_shown.reset();
    m_wanted = 0;
    m_selectNear.reset();
    m_list->clear();
    m_text->clear();
    m_copy->setEnabled(false);
    m_empty->setText(name.isEmpty() ? tr("Select a service to see its crashes.") : tr("Loading…"));
    if (!name.isEmpty())
        m_engine->queryCrashes(name);
}

void CrashesView::showCrashNear(qint64 timeMs)
{
    m_selectNear = timeMs;
    // The list may be out of date (the record is written a moment after
    // the exit): ask again and select when it comes.
    if (!m_service.isEmpty())
        m_engine->queryCrashes(m_service);
}

void CrashesView::onListed(const QString &service, const QList<CrashSummary> &crashes)
{
    if (service != m_service)
        return;
    const qint64 selected = m_shown ? m_shown->id : m_wanted;
    m_crashes = crashes;
    {
        // Rebuilding the list keeps the record shown: no fetch.
        const QSignalBlocker block(m_list);
        m_list->clear();
        QTreeWidgetItem *current = nullptr;
        for (const CrashSummary &c : crashes) {
            auto *item = new QTreeWidgetItem(m_list, {QDateTime::fromMSecsSinceEpoch(c.timeMs).toString(
                                                          QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                                                      c.cause, c.exit});
            item->setData(0, Qt::UserRole, c.id);
            if (c.id == selected)
                current = item;
        }
        if (current)
            m_list->setCurrentItem(current);
    }
    m_empty->setText(crashes.isEmpty() ? tr("%1 has not crashed since records are kept.").arg(service)
                                       : tr("%n crash record(s)", nullptr, int(crashes.size())));
    if (m_selectNear)
        selectNear(*std::exchange(m_selectNear, std::nullopt));
}

void CrashesView::selectNear(qint64 timeMs)
{
    QTreeWidgetItem *pick = m_list->topLevelItem(0);
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        if (m_crashes.at(i).timeMs <= timeMs + kNoticeSlackMs) {
            pick = m_list->topLevelItem(i);
            break;
        }
    }
    if (pick)
        m_list->setCurrentItem(pick); // selection follows: fetches it
}

void CrashesView::onSelectionChanged()
{
    const QList<QTreeWidgetItem *> items = m_list->selectedItems();
    if (items.isEmpty())
        return;
    const qint64 id = items.first()->data(0, Qt::UserRole).toLongLong();
    if (m_shown && m_shown->id == id)
        return;
    m_wanted = id;
    m_engine->fetchCrash(m_service, id);
}

void CrashesView::onFetched(const QString &service, qint64 id, bool found, const CrashRecord &record)
{
    if (service != m_service || id != m_wanted)
        return;
    if (!found) {
        m_shown.reset();
        m_text->setPlainText(tr("Crash record %1 of %2 is no longer kept.").arg(id).arg(service));
        m_copy->setEnabled(false);
        return;
    }
    m_shown = record;
    m_text->setPlainText(record.toMarkdown());
    m_copy->setEnabled(true);
    emit recordShown(id);
}

} // namespace lifeline
