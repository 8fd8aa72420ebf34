// Health history of one service: the recent probe results, newest first
// (time, ok/fail, HTTP status, latency, reason), live on resultAdded, bounded
// like the monitor's own history; beneath it the backend's own JSON report of
// the latest result (system cpu/memory/disk, health_checks, ...) as a tree.
#pragma once

#include "health/healthmonitor.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QLabel;
class QStackedWidget;
class QTableWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace lifeline {

class HealthMonitor;
struct HealthResult;

class HealthView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthView)

public:
    enum Column
    {
        TimeColumn,
        ResultColumn,
        StatusColumn,
        LatencyColumn,
        ReasonColumn,
        ColumnCount
    };
    static constexpr int kMaxRows = 500;

    explicit HealthView(QWidget *parent = nullptr);
    ~HealthView() override;

    // nullptr: "No health check configured".
    void setMonitor(HealthMonitor *monitor);
    HealthMonitor *monitor() const { return m_monitor; }
    // Text shown instead of the table when there is no monitor.
    void setPlaceholderText(const QString &text);

    QTableWidget *table() const { return m_table; }
    QTreeWidget *reportTree() const { return m_report; }
    QLabel *summaryLabel() const { return m_summary; }
    QLabel *placeholder() const { return m_placeholder; }
    bool showsPlaceholder() const;

private:
    void addResult(const HealthResult &result);
    void fillRow(int row, const HealthResult &result);
    void showReport(const QJsonObject &report);
    void updateSummary();
    static void addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value);

    QPointer<HealthMonitor> m_monitor;
    QStackedWidget *m_stack;
    QLabel *m_placeholder;
    QLabel *m_summary;
    QTableWidget *m_table;
    QTreeWidget *m_report;
    QJsonObject m_shownReport;
    QMetaObject::Connection m_resultConnection;
    QMetaObject::Connection m_healthConnection;
};

} // namespace lifeline
