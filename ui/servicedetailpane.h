// The detail pane under the service table: a header (name, state, pid,
// command, cwd) and tabs for the charts, the live log, the health history and
// the events of the selected service. With no service selected it is the
// system overview: the machine's CPU, memory and disk, lifeline.log, and the
// events of every service. It only reads from the EngineClient; actions live in the
// main window.
#pragma once

#include "engine/engineclient.h"
#include "metricschart.h"
#include "supervise/servicestate.h"

#include <QIcon>
#include <QPointer>
#include <QWidget>

#include <limits>

class QButtonGroup;
class QLabel;
class QPlainTextEdit;
class QStackedWidget;
class QTabWidget;
class QToolButton;

namespace lifeline {

class CrashesView;
class AlertsView;
class EngineClient;
class ErrorsView;
class HealthView;
class LogView;
class ServiceView;

class ServiceDetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceDetailPane)

public:
    enum Tab
    {
        ChartsTab,
        LogTab,
        HealthTab,
        EventsTab,
        CrashesTab,
        AlertsTab,
        ErrorsTab
    };
    static constexpr int kMaxEventLines = 2000;

    explicit ServiceDetailPane(EngineClient *engine, QWidget *parent = nullptr);
    ~ServiceDetailPane() override;

    // nullptr: nothing selected, the system overview.
    void setService(ServiceView *service);
    ServiceView *service() const { return m_service; }

    void setRange(ChartRange range);
    ChartRange range() const { return m_range; }

    QTabWidget *tabs() const { return m_tabs; }
    // Service charts: CPU %, memory (RSS, MB, with the memory_limit line) and
    // the system's disk %; the system chart: CPU/memory/disk % of the machine.
    MetricsChart *cpuChart() const { return m_cpuChart; }
    MetricsChart *memoryChart() const { return m_memoryChart; }
    MetricsChart *diskChart() const { return m_diskChart; }
    MetricsChart *systemChart() const { return m_systemChart; }
    QList<MetricsChart *> charts() const { return {m_cpuChart, m_memoryChart, m_diskChart, m_systemChart}; }
    bool showsSystemOverview() const;
    LogView *logView() const { return m_logView; }
    HealthView *healthView() const { return m_healthView; }
    QPlainTextEdit *eventsView() const { return m_events; }
    CrashesView *crashesView() const { return m_crashes; }
    // Opens the Crashes tab at the record of the crash at about timeMs.
    void showCrashNear(qint64 timeMs);
    AlertsView *alertsView() const { return m_alerts; }
    ErrorsView *errorsView() const { return m_errorsView; }
    QToolButton *rangeButton(ChartRange range) const;
    QLabel *titleLabel() const { return m_title; }
    QLabel *stateLabel() const { return m_state; }
    QLabel *commandLabel() const { return m_command; }

private:
    QWidget *createChartsPage();
    void updateHeader();
    void setStateIcon(int key, const QIcon &icon);
    void configureServiceCharts();
    void updateLimits();
    void reloadEvents();
    void showEvents(const HistoryAnswer &answer);
    void appendEvent(qint64 timeMs, const QString &service, const QString &kind, const QString &text);
    void onEventLogged(const QString &service, const QString &text);
    void onStateChanged(const QString &name, ServiceState from, ServiceState to);

    EngineClient *m_engine;
    QPointer<ServiceView> m_service;
    quint64 m_eventsQuery = 0; // the event list asked of the history, not yet answered
    QList<HistoryEvent> m_liveWhileAsking;
    ChartRange m_range = ChartRange::FiveMinutes;

    QLabel *m_stateIcon = nullptr;
    int m_stateIconKey = std::numeric_limits<int>::min(); // what m_stateIcon shows
    QLabel *m_title = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_command = nullptr;
    QTabWidget *m_tabs = nullptr;
    QButtonGroup *m_rangeGroup = nullptr;
    QStackedWidget *m_chartStack = nullptr;
    QWidget *m_servicePage = nullptr;
    MetricsChart *m_cpuChart = nullptr;
    MetricsChart *m_memoryChart = nullptr;
    MetricsChart *m_diskChart = nullptr;
    MetricsChart *m_systemChart = nullptr;
    LogView *m_logView = nullptr;
    HealthView *m_healthView = nullptr;
    QPlainTextEdit *m_events = nullptr;
    CrashesView *m_crashes = nullptr;
    AlertsView *m_alerts = nullptr;
    ErrorsView *m_errorsView = nullptr;
};

} // namespace lifeline
