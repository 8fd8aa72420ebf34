// The Alerts tab of a service: its alerts and machine-wide ones, firing ones
// first (highlighted), then the recent history (fired, cleared, suppressed,
// delivery failures). Clicking a row shows its whole text beneath. Asks the
// engine again whenever its alerts change.
#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QTableWidget;

namespace lifeline {

class EngineClient;

class AlertsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsView)

public:
    enum Column
    {
        TimeColumn,
        StateColumn,
        SeverityColumn,
        ServiceColumn,
        TitleColumn,
        ColumnCount
    };

    explicit AlertsView(EngineClient *engine, QWidget *parent = nullptr);
    ~AlertsView() override;

    // Empty: every alert (no service selected).
    void setService(const QString &service);
    QTableWidget *table() const { return m_table; }
    QLabel *detailLabel() const { return m_detail; }
    // Rows that are firing now (the first ones).
    int firingRows() const { return m_firingRows; }

private:
    void refresh();
    void showAlerts(const QString &service, const QJsonObject &alerts);
    void showDetail(int row);

    EngineClient *m_engine;
    QString m_service;
    bool m_active = false; // setService() was called: there is something to show
    QTableWidget *m_table;
    QLabel *m_detail;
    int m_firingRows = 0;
};

} // namespace lifeline
