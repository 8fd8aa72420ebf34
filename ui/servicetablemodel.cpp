#include "servicetablemodel.h"

#include "control/statusjson.h"
#include "engine/engineclient.h"
#include "engine/snapshot.h"
#include "uistyle.h"
#include "util/clock.h"
#include "util/units.h"

#include <QColor>
#include <QIcon>

namespace lifeline {

ServiceTableModel::ServiceTableModel(EngineClient *engine, QObject *parent)
    : QAbstractTableModel(parent)
    , m_engine(engine)
    , m_clock(Clock::system())
{
    connect(engine, &EngineClient::serviceStateChanged, this,
            [this](const QString &name, ServiceState, ServiceState) { refreshRow(rowOf(name)); });
    // Every snapshot may start or end a countdown (a restart scheduled, a
    // fatal_retry) or change the cause shown.
    connect(engine, &EngineClient::serviceUpdated, this, [this](const QString &name) {
        refreshRow(rowOf(name));
        updateTick();
    });
    connect(engine, &EngineClient::serviceHealthChanged, this,
            [this](const QString &name, lifeline::Health) { refreshRow(rowOf(name)); });
    connect(engine, &EngineClient::waitingChanged, this,
            [this](const QString &name, const QString &) { refreshRow(rowOf(name)); });
    // A reloaded configuration adds and removes services: rows follow.
    connect(engine, &EngineClient::serviceAboutToBeAdded, this,
            [this](int row, const QString &) { beginInsertRows({}, row, row); });
    connect(engine, &EngineClient::serviceAdded, this, [this](const QString &) {
        endInsertRows();
        updateTick();
    });
    connect(engine, &EngineClient::serviceAboutToBeRemoved, this,
            [this](int row, const QString &) { beginRemoveRows({}, row, row); });
    connect(engine, &EngineClient::serviceRemoved, this, [this](const QString &name) {
        endRemoveRows();
        m_usage.remove(name);
        m_shown.remove(name);
        updateTick();
    });
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &ServiceTableModel::tick);
    updateTick();
}

static bool countsDown(const ServiceView *s)
{
    return s->snapshot().nextRestartInMs >= 0;
}

static bool upFor(const ServiceView *s)
{
    return s->state() == ServiceState::Running && s->snapshot().uptimeMs > 0;
}

void ServiceTableModel::updateTick()
{
    const auto services = m_engine->services();
    const bool moving = std::any_of(services.cbegin(), services.cend(),
                                    [](const ServiceView *s) { return countsDown(s) || upFor(s); });
    if (moving && !m_tick.isActive())
        m_tick.start();
    else if (!moving)
        m_tick.stop();
}

void ServiceTableModel::tick()
{
    const auto services = m_engine->services();
    for (int row = 0; row < services.size(); ++row) {
        if (countsDown(services.at(row)))
            refreshRow(row, State, State);
        if (upFor(services.at(row)))
            refreshRow(row, Uptime, Uptime);
    }
}

int ServiceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_engine->services().size());
}

int ServiceTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

ServiceView *ServiceTableModel::serviceAt(int row) const
{
    const auto services = m_engine->services();
    return row >= 0 && row < services.size() ? services.at(row) : nullptr;
}

int ServiceTableModel::rowOf(const QString &name) const
{
    const auto services = m_engine->services();
    for (int i = 0; i < services.size(); ++i) {
        if (services.at(i)->name() == name)
            return i;
    }
    return -1;
}

QString ServiceTableModel::look(const ServiceView *s, int row, int column) const
{
    // What a cell shows: its text, and what its icon and colour follow.
    // Tooltips are asked for on hover and need no repaint.
    QString key = data(index(row, column), Qt::DisplayRole).toString();
    if (column == State || column == LastExit)
        key += QChar(0x1f) + QString::number(severity(s) * 16 + int(s->state()));
    else if (column == Health && s->health())
        key += QChar(0x1f) + QString::number(int(s->health()->health()));
    return key;
}

void ServiceTableModel::refreshRow(int row, int firstColumn, int lastColumn)
{
    const ServiceView *s = serviceAt(row);
    if (!s)
        return;
    // Each health check and sample brings a snapshot, most of them with
    // nothing a person would see change: only the cells that differ are
    // repainted (repainted rows cost the GUI thread more than the engine).
    auto it = m_shown.find(s->name());
    if (it == m_shown.end()) {
        QStringList looks;
        for (int column = 0; column < ColumnCount; ++column)
            looks.append(look(s, row, column));
        m_shown.insert(s->name(), looks);
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    for (int column = firstColumn; column <= lastColumn; ++column) {
        QString now = look(s, row, column);
        if ((*it)[column] != now) {
            (*it)[column] = std::move(now);
            emit dataChanged(index(row, column), index(row, column));
        }
    }
}

void ServiceTableModel::setUsage(const QString &name, double cpuPercent, qint64 rssBytes)
{
    m_usage.insert(name, Usage{cpuPercent, rssBytes});
    refreshRow(rowOf(name), Cpu, Memory);
}

int ServiceTableModel::severity(const ServiceView *s)
{
    if (const HealthSnapshot *h = s->health(); h && h->health() == Health::Unhealthy)
        return 2;
    switch (s->state()) {
    case ServiceState::Fatal:
        return 2;
    case ServiceState::Backoff:
    case ServiceState::Starting:
    case ServiceState::Stopping:
        return 1;
    case ServiceState::Exited:
        return s->lastExit().isSuccess() ? 0 : 1;
    case ServiceState::Running:
    case ServiceState::Stopped:
        break;
    }
    return 0;
}

QString ServiceTableModel::stateText(const ServiceView *s) const
{
    QString text = stateName(s->state());
    if (s->isAdopted() && s->state() == ServiceState::Running)
        text += QStringLiteral(" (adopted)");
    if (s->state() == ServiceState::Backoff) {
        const qint64 next = s->nextRestartInMs(m_clock->nowMs());
        text += QStringLiteral(" · retry in %1").arg(formatUptime((std::max<qint64>(next, 0) + 999) / 1000));
    }
    if (s->state() == ServiceState::Fatal) {
        const qint64 next = s->nextRestartInMs(m_clock->nowMs());
        text += next >= 0 ? QStringLiteral(" · retry in %1").arg(formatUptime((next + 999) / 1000))
                          : QStringLiteral(" · needs you");
    }
    if (s->state() == ServiceState::Stopped) {
        const QString waiting = m_engine->waitingReason(s->name());
        if (!waiting.isEmpty())
            text += QStringLiteral(" · ") + waiting;
    }
    return text;
}

QString ServiceTableModel::healthText(const ServiceView *s) const
{
    const HealthSnapshot *h = s->health();
    if (!h)
        return QStringLiteral("—");
    QString text = healthName(h->health());
    if (const auto last = h->lastResult(); last && h->health() != Health::Unknown) {
        if (last->ok)
            text += QStringLiteral(" · ") + UiStyle::latencyText(last->latencyMs);
        else
            text += QStringLiteral(" · ") + last->reason;
    }
    return text;
}

QString ServiceTableModel::lastExitText(const ServiceView *s) const
{
    if (!s->lastError().isEmpty() && s->state() != ServiceState::Running)
        return s->lastError();
    return s->lastReason();
}

// Within a severity: up, on the way, down.
static int stateRank(ServiceState state)
{
    switch (state) {
    case ServiceState::Running:
        return 0;
    case ServiceState::Starting:
        return 1;
    case ServiceState::Stopping:
        return 2;
    case ServiceState::Backoff:
        return 3;
    case ServiceState::Exited:
        return 4;
    case ServiceState::Stopped:
        return 5;
    case ServiceState::Fatal:
        break;
    }
    return 6;
}

QVariant ServiceTableModel::sortKey(const ServiceView *s, int column) const
{
    const bool running = s->state() == ServiceState::Running;
    const Usage usage = m_usage.value(s->name());
    switch (Column(column)) {
    case Name:
        return s->name().toLower();
    case State:
        // Worst first when descending.
        return severity(s) * 10 + stateRank(s->state());
    case Pid:
        return running ? qint64(s->pid()) : qint64(-1);
    case Uptime:
        return running ? s->uptimeMs(m_clock->nowMs()) : qint64(-1);
    case Restarts:
        return s->restarts();
    case Health:
        if (!s->health())
            return -1;
        return s->health()->health() == Health::Unhealthy ? 2
               : s->health()->health() == Health::Unknown ? 1
                                                          : 0;
    case Cpu:
        return running ? usage.cpu : -1.0;
    case Memory:
        return running ? usage.rss : qint64(-1);
    case LastExit:
        return lastExitText(s).toLower();
    case ColumnCount:
        break;
    }
    return {};
}

QVariant ServiceTableModel::data(const QModelIndex &index, int role) const
{
    const ServiceView *s = serviceAt(index.row());
    if (!s || index.column() < 0 || index.column() >= ColumnCount)
        return {};
    const bool running = s->state() == ServiceState::Running;
    const Usage usage = m_usage.value(s->name());
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case Name: {
            // The update badge: "api  ↓3" while behind its branch.
            const QString badge = s->update().badge();
            return badge.isEmpty() ? s->name() : s->name() + QStringLiteral("  ") + badge;
        }
        case State:
            return stateText(s);
        case Pid:
            return running && s->pid() > 0 ? QVariant(qint64(s->pid())) : QVariant(QStringLiteral("—"));
        case Uptime:
            return running ? formatUptime(s->uptimeMs(m_clock->nowMs()) / 1000) : QStringLiteral("—");
        case Restarts:
            return QStringLiteral("%1  (%2/%3 in %4)")
                .arg(s->restarts())
                .arg(s->restartsInWindow())
                .arg(s->spec().maxRestarts)
                .arg(formatDuration(s->spec().restartWindow));
        case Health:
            return healthText(s);
        case Cpu: {
            if (!running || usage.cpu < 0)
                return QStringLiteral("—");
            QString text = QStringLiteral("%1 %").arg(usage.cpu, 0, 'f', 1);
            if (s->spec().cpuLimit > 0)
                text += QStringLiteral(" / %1 %").arg(s->spec().cpuLimit, 0, 'g', 6);
            return text;
        }
        case Memory: {
            if (!running || usage.rss < 0)
                return QStringLiteral("—");
            // In the unit memory_limit was written in: "152 MiB / 100 MiB".
            const QString unit = s->spec().memoryLimitUnit;
            QString text = formatSizeIn(usage.rss, unit);
            if (s->spec().memoryLimit > 0)
                text += QStringLiteral(" / ") + formatSizeIn(s->spec().memoryLimit, unit);
            return text;
        }
        case LastExit:
            return lastExitText(s);
        case ColumnCount:
            break;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == Name && s->update().enabled)
            return s->update().describe();
        if (index.column() == LastExit || index.column() == State) {
            QStringList lines;
            if (!s->lastError().isEmpty())
                lines << s->lastError();
            if (!s->restartReason().isEmpty())
                lines << QStringLiteral("last restart: ") + s->restartReason();
            if (!s->lastReason().isEmpty())
                lines << QStringLiteral("last run ended: ") + s->lastReason();
            if (s->hasExited())
                lines << QStringLiteral("last exit: ") + s->lastExit().describe();
            return lines.join(QLatin1Char('\n'));
        }
        if (index.column() == Health && s->health()) {
            if (const auto last = s->health()->lastResult())
                return last->reason;
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == State)
            return UiStyle::stateIcon(severity(s), s->state());
        if (index.column() == Health && s->health())
            return UiStyle::healthIcon(s->health()->health());
        break;
    case Qt::ForegroundRole:
        if (index.column() == State || index.column() == LastExit) {
            const int sev = severity(s);
            if (sev > 0)
                return UiStyle::severityColor(sev);
        }
        if (index.column() == Health && s->health() && s->health()->health() == Health::Unhealthy)
            return UiStyle::severityColor(2);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == Pid || index.column() == Cpu || index.column() == Memory ||
            index.column() == Uptime)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case ServiceNameRole:
        return s->name();
    case SeverityRole:
        return severity(s);
    case SortRole:
        return sortKey(s, index.column());
    default:
        break;
    }
    return {};
}

QVariant ServiceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Name:
        return tr("Service");
    case State:
        return tr("State");
    case Pid:
        return tr("PID");
    case Uptime:
        return tr("Uptime");
    case Restarts:
        return tr("Restarts");
    case Health:
        return tr("Health");
    case Cpu:
        return tr("CPU");
    case Memory:
        return tr("Memory");
    case LastExit:
        return tr("Last exit / reason");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace lifeline
