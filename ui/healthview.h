// Health history of one service: the recent probe results, newest first
// (time, ok/fail, HTTP status, latency, reason), live on resultAdded, bounded
// like the monitor's own history; beneath it the backend's own JSON report of
// the latest result (system cpu/memory/disk, health_checks, ...) as a tree.
#pragma once

#include "health/healthresult.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QLabel;
class QStackedWidget;
class QTableWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace lifeline {

class ServiceView;
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
    // The service whose checks are shown, followed as its snapshots arrive;
    // nullptr, or a service without a check: the placeholder.
    void setService(ServiceView *service);
    ServiceView *service() const { return m_service; }
    // Text shown instead of the table when there is no monitor.
    void setPlaceholderText(const QString &text);

    QTableWidget *table() const { return m_table; }
    QTreeWidget *reportTree() const { return m_report; }
    QLabel *summaryLabel() const { return m_summary; }
    QLabel *placeholder() const { return m_placeholder; }
    bool showsPlaceholder() const;

private:
    void addResult(const HealthResult &result);
    void follow();
    void fillRow(int row, const HealthResult &result);
    void showReport(const QJsonObject &report);
    void updateSummary();
    static void addJson(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value);

    QPointer<ServiceView> m_service;
    bool m_showsChecks = false;
    qint64 m_newestShownMs = -1; // time of the newest result in the table
    QStackedWidget *m_stack;
    QLabel *m_placeholder;
    QLabel *m_summary;
    QTableWidget *m_table;
    QTreeWidget *m_report;
    QJsonObject m_shownReport;
    QMetaObject::Connection m_serviceConnection;
};

} // namespace lifeline
