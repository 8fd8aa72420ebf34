#include "servicedetailpane.h"

#include "alertsview.h"
#include "crashesview.h"
#include "engine/engineclient.h"
#include "engine/snapshot.h"
#include "errorsview.h"
#include "healthview.h"
#include "logview.h"
#include "metrics/metricshistory.h"
#include "uistyle.h"
#include "util/units.h"

#include <QButtonGroup>
#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace lifeline {

namespace {

constexpr ChartRange kRanges[] = {ChartRange::FiveMinutes, ChartRange::OneHour, ChartRange::OneDay,
                                  ChartRange::SevenDays};

QColor cpuColor()
{
    return QColor(0x2b, 0x6c, 0xb0);
}
QColor memoryColor()
{
    return QColor(0x7b, 0x3f, 0xa0);
}
QColor diskColor()
{
    return QColor(0x1f, 0x8a, 0x70);
}

// The colour a state is shown in: green running, amber in between, red when
// a person is needed, grey when stopped on purpose.
int stateSeverity(const ServiceView *s)
{
    switch (s->state()) {
    case ServiceState::Running:
        if (s->health() && s->health()->health() == Health::Unhealthy)
            return 2;
        return 0;
    case ServiceState::Starting:
    case ServiceState::Stopping:
    case ServiceState::Backoff:
        return 1;
    case ServiceState::Fatal:
        return 2;
    case ServiceState::Exited:
        return s->lastExit().shellCode() == 0 ? -1 : 2;
    case ServiceState::Stopped:
        break;
    }
    return -1;
}

QString shortUptime(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < 60)
        return QStringLiteral("%1s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s < 86400)
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1d%2h").arg(s / 86400).arg((s % 86400) / 3600);
}

} // namespace

ServiceDetailPane::ServiceDetailPane(EngineClient *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    // Header: [icon] name   state · pid · uptime
    //         command  (in cwd)
    m_stateIcon = new QLabel(this);
    m_title = new QLabel(this);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
    m_title->setFont(titleFont);
    m_title->setTextFormat(Qt::PlainText);
    m_state = new QLabel(this);
    m_state->setTextFormat(Qt::PlainText);
    m_command = new QLabel(this);
    m_command->setTextFormat(Qt::PlainText);
    m_command->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_command->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QPalette grey = m_command->palette();
    grey.setColor(QPalette::WindowText, UiStyle::secondaryTextColor(grey));
    m_command->setPalette(grey);

    auto *titleRow = new QHBoxLayout;
    titleRow->setContentsMargins(0, 0, 0, 0);
    titleRow->addWidget(m_stateIcon);
    titleRow->addWidget(m_title);
    titleRow->addSpacing(12);
    titleRow->addWidget(m_state);
    titleRow->addStretch(1);

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->insertTab(ChartsTab, createChartsPage(), tr("Charts"));
    m_logView = new LogView(this);
    m_tabs->insertTab(LogTab, m_logView, tr("Log"));
    m_healthView = new HealthView(this);
    m_tabs->insertTab(HealthTab, m_healthView, tr("Health"));
    m_events = new QPlainTextEdit(this);
    m_events->setReadOnly(true);
    m_events->setUndoRedoEnabled(false);
    m_events->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_events->setMaximumBlockCount(kMaxEventLines);
    m_events->setFont(m_logView->editor()->font());
    m_tabs->insertTab(EventsTab, m_events, tr("Events"));
    m_crashes = new CrashesView(m_engine, this);
    m_tabs->insertTab(CrashesTab, m_crashes, tr("Crashes"));
    m_alerts = new AlertsView(m_engine, this);
    m_tabs->insertTab(AlertsTab, m_alerts, tr("Alerts"));
    m_errorsView = new ErrorsView(this);
    m_tabs->insertTab(ErrorsTab, m_errorsView, tr("Errors"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);
    layout->addLayout(titleRow);
    layout->addWidget(m_command);
    layout->addWidget(m_tabs, 1);

    connect(m_engine, &EngineClient::serviceStateChanged, this, &ServiceDetailPane::onStateChanged);
    connect(m_engine, &EngineClient::serviceHealthChanged, this, [this](const QString &name, Health) {
        if (m_service && m_service->name() == name)
            updateHeader();
    });
    connect(m_engine, &EngineClient::eventLogged, this, &ServiceDetailPane::onEventLogged);
    // An edited memory_limit or cpu_limit moves its line at once.
    connect(m_engine, &EngineClient::serviceUpdated, this, [this](const QString &name) {
        if (m_service && m_service->name() == name)
            updateLimits();
    });
    connect(m_engine, &EngineClient::historyAnswered, this, &ServiceDetailPane::showEvents);
    // The uptime in the header moves with the samples (not while hidden).
    connect(m_engine, &EngineClient::sampled, this, [this] {
        if (isVisible())
            updateHeader();
    });

    setService(nullptr);
}

ServiceDetailPane::~ServiceDetailPane() = default;

QWidget *ServiceDetailPane::createChartsPage()
{
    auto *page = new QWidget(this);

    auto *rangeRow = new QHBoxLayout;
    rangeRow->setContentsMargins(0, 0, 0, 0);
    rangeRow->setSpacing(0);
    rangeRow->addWidget(new QLabel(tr("Range:"), page));
    rangeRow->addSpacing(6);
    m_rangeGroup = new QButtonGroup(page);
    m_rangeGroup->setExclusive(true);
    for (ChartRange r : kRanges) {
        auto *b = new QToolButton(page);
        b->setText(chartRangeLabel(r));
        b->setCheckable(true);
        b->setAutoRaise(false);
        b->setMinimumWidth(48);
        m_rangeGroup->addButton(b, int(r));
        rangeRow->addWidget(b);
    }
    m_rangeGroup->button(int(m_range))->setChecked(true);
    connect(m_rangeGroup, &QButtonGroup::idClicked, this, [this](int id) { setRange(ChartRange(id)); });
    rangeRow->addStretch(1);

    m_cpuChart = new MetricsChart(m_engine, page);
    m_cpuChart->setTitle(tr("CPU"));
    m_cpuChart->setUnit(QStringLiteral("%"));
    m_cpuChart->setAutoValueRange(10);
    m_memoryChart = new MetricsChart(m_engine, page);
    m_memoryChart->setTitle(tr("Memory (RSS of the process tree)"));
    m_memoryChart->setUnit(QStringLiteral("MB"));
    m_memoryChart->setAutoValueRange(10);
    m_diskChart = new MetricsChart(m_engine, page);
    m_diskChart->setTitle(tr("Disk used (system)"));
    m_diskChart->setUnit(QStringLiteral("%"));
    m_diskChart->setFixedValueRange(0, 100);
    m_diskChart->addSeries(QString(), QStringLiteral("disk"), tr("disk %"), diskColor());

    m_servicePage = new QWidget(page);
    auto *grid = new QGridLayout(m_servicePage);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    grid->addWidget(m_cpuChart, 0, 0);
    grid->addWidget(m_memoryChart, 0, 1);
    grid->addWidget(m_diskChart, 0, 2);

    m_systemChart = new MetricsChart(m_engine, page);
    m_systemChart->setTitle(tr("This machine"));
    m_systemChart->setUnit(QStringLiteral("%"));
    m_systemChart->setFixedValueRange(0, 100);
    m_systemChart->addSeries(QString(), QStringLiteral("cpu"), tr("CPU %"), cpuColor());
    m_systemChart->addSeries(QString(), QStringLiteral("memory"), tr("memory %"), memoryColor());
    m_systemChart->addSeries(QString(), QStringLiteral("disk"), tr("disk %"), diskColor());
    m_systemChart->setEventService(QString()); // restarts and exits of every service
    m_systemChart->setShowsSystemFigures(true);

    m_chartStack = new QStackedWidget(page);
    m_chartStack->addWidget(m_servicePage);
    m_chartStack->addWidget(m_systemChart);

    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(rangeRow);
    layout->addWidget(m_chartStack, 1);
    return page;
}

QToolButton *ServiceDetailPane::rangeButton(ChartRange range) const
{
    return qobject_cast<QToolButton *>(m_rangeGroup->button(int(range)));
}

bool ServiceDetailPane::showsSystemOverview() const
{
    return m_chartStack->currentWidget() == m_systemChart;
}

void ServiceDetailPane::setService(ServiceView *service)
{
    m_service = service;
    if (service) {
        configureServiceCharts();
        m_chartStack->setCurrentWidget(m_servicePage);
        m_logView->setService(service);
    } else {
        m_chartStack->setCurrentWidget(m_systemChart);
        m_logView->setFiles(m_engine->eventLogPath());
    }
    m_healthView->setService(service);
    m_crashes->setService(service ? service->name() : QString());
    m_alerts->setService(service ? service->name() : QString());
    m_errorsView->setService(service);
    m_healthView->setPlaceholderText(
        service
            ? tr("No health check configured for %1.\nAdd a [service.health] table with url, tcp or exec.")
                  .arg(service->name())
            : tr("Select a service to see its health checks."));
    updateHeader();
    reloadEvents();
}

void ServiceDetailPane::showCrashNear(qint64 timeMs)
{
    m_tabs->setCurrentIndex(CrashesTab);
    m_crashes->showCrashNear(timeMs);
}

void ServiceDetailPane::configureServiceCharts()
{
    const QString name = m_service->name();
    m_cpuChart->clearSeries();
    m_cpuChart->addSeries(name, QStringLiteral("cpu"), tr("CPU %"), cpuColor());
    m_cpuChart->setEventService(name);
    m_memoryChart->clearSeries();
    m_memoryChart->addSeries(name, QStringLiteral("rss"), tr("RSS MB"), memoryColor(), 1e-6);
    m_memoryChart->setEventService(name);
    updateLimits();
    for (MetricsChart *c : {m_cpuChart, m_memoryChart, m_diskChart})
        c->refresh();
}

void ServiceDetailPane::updateLimits()
{
    const double cpuLimit = m_service->spec().cpuLimit;
    if (cpuLimit > 0)
        m_cpuChart->setLimit(cpuLimit, tr("cpu_limit %1% for %2")
                                           .arg(QString::number(cpuLimit, 'g', 6),
                                                formatDuration(m_service->spec().cpuLimitFor)));
    else
        m_cpuChart->setLimit(std::nullopt);
    const qint64 limit = m_service->spec().memoryLimit;
    if (limit > 0) {
        // Drawn on the MB axis (10^6 bytes), labelled in the unit it was written in.
        const QString unit = m_service->spec().memoryLimitUnit;
        m_memoryChart->setLimit(
            double(limit) * 1e-6,
            tr("memory_limit %1").arg(formatSizeIn(limit, unit.isEmpty() ? QStringLiteral("MB") : unit)));
    } else {
        m_memoryChart->setLimit(std::nullopt);
    }
}

void ServiceDetailPane::setRange(ChartRange range)
{
    m_range = range;
    if (QAbstractButton *b = m_rangeGroup->button(int(range)); b && !b->isChecked())
        b->setChecked(true);
    for (MetricsChart *c : charts())
        c->setRange(range);
    reloadEvents();
}

void ServiceDetailPane::updateHeader()
{
    if (!m_service) {
        setStateIcon(-1, UiStyle::badgeIcon(UiStyle::severityColor(-1), UiStyle::Glyph::Dots));
        m_title->setText(tr("System overview"));
        const int n = int(m_engine->services().size());
        m_state->setText(tr("%n service(s)", nullptr, n));
        m_state->setPalette(palette());
        m_command->setText(
            tr("CPU, memory and disk of this machine; select a service for its own charts and log."));
        m_command->setToolTip(QString());
        return;
    }
    const ServiceView *s = m_service;
    const int severity = stateSeverity(s);
    setStateIcon(severity * 16 + int(s->state()), UiStyle::stateIcon(severity, s->state()));
    m_title->setText(s->name());
    QStringList parts{stateName(s->state())};
    if (s->pid() > 0)
        parts << tr("pid %1").arg(s->pid());
    if (s->isAdopted())
        parts << tr("adopted");
    if (s->uptimeMs() > 0)
        parts << tr("up %1").arg(shortUptime(s->uptimeMs()));
    if (s->health())
        parts << healthName(s->health()->health());
    if (s->restarts() > 0)
        parts << tr("%n restart(s)", nullptr, s->restarts());
    if (isStoppedState(s->state()) && !s->lastError().isEmpty())
        parts << s->lastError();
    m_state->setText(parts.join(QStringLiteral(" \u00b7 ")));
    QPalette pal = m_state->palette();
    pal.setColor(QPalette::WindowText, severity < 0 ? palette().color(QPalette::WindowText)
                                                    : UiStyle::severityColor(severity).darker(115));
    m_state->setPalette(pal);
    const QString command = s->spec().command.join(QLatin1Char(' '));
    const QString cwd = s->spec().cwd.isEmpty() ? m_engine->stateDir() : s->spec().cwd;
    m_command->setText(tr("%1   (in %2)").arg(command, cwd));
    m_command->setToolTip(tr("command: %1\ncwd: %2").arg(command, cwd));
}

void ServiceDetailPane::setStateIcon(int key, const QIcon &icon)
{
    // The header follows every sample; a pixmap set again repaints it, and
    // the panes behind the label, each time.
    if (key == m_stateIconKey)
        return;
    m_stateIconKey = key;
    m_stateIcon->setPixmap(icon.pixmap(20, 20));
}

void ServiceDetailPane::onStateChanged(const QString &name, ServiceState, ServiceState)
{
    if (!m_service || m_service->name() == name)
        updateHeader();
}

void ServiceDetailPane::reloadEvents()
{
    m_events->clear();
    m_liveWhileAsking.clear();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    HistoryQuery query;
    query.fromMs = now - chartRangeMs(m_range);
    query.toMs = now;
    query.eventService = m_service ? m_service->name() : QString();
    m_eventsQuery = m_engine->queryHistory(query);
}

void ServiceDetailPane::showEvents(const HistoryAnswer &answer)
{
    if (answer.id != m_eventsQuery)
        return;
    m_eventsQuery = 0;
    m_events->clear();
    QList<HistoryEvent> events = answer.events;
    if (events.size() > kMaxEventLines)
        events = events.mid(events.size() - kMaxEventLines);
    for (const HistoryEvent &e : std::as_const(events))
        appendEvent(e.timeMs, e.service, historyEventKindName(e.kind), e.text);
    for (const HistoryEvent &e : std::exchange(m_liveWhileAsking, {}))
        appendEvent(e.timeMs, e.service, QString(), e.text);
}

void ServiceDetailPane::appendEvent(qint64 timeMs, const QString &service, const QString &kind,
                                    const QString &text)
{
    QString line = QDateTime::fromMSecsSinceEpoch(timeMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (!m_service)
        line += QStringLiteral("  [") + (service.isEmpty() ? QStringLiteral("lifeline") : service) +
                QLatin1Char(']');
    if (!kind.isEmpty())
        line += QStringLiteral("  ") + kind.leftJustified(8);
    line += QStringLiteral("  ") + text;
    m_events->appendPlainText(line);
}

void ServiceDetailPane::onEventLogged(const QString &service, const QString &text)
{
    if (m_service && m_service->name() != service)
        return;
    if (m_eventsQuery != 0) { // after the history's lines, once they are here
        m_liveWhileAsking.append(
            {QDateTime::currentMSecsSinceEpoch(), service, HistoryEventKind::Start, text});
        return;
    }
    appendEvent(QDateTime::currentMSecsSinceEpoch(), service, QString(), text);
}

} // namespace lifeline
