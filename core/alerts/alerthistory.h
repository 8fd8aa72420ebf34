// What happened to alerts: fired, cleared, suppressed by a maintenance
// window, a delivery that failed. Kept in alerts.sqlite in state_dir (table "alerts",
// its own connection, capped to kMaxRows) and the newest in memory; without
// a usable database (no state_dir, a broken file) only in memory, and
// lastWarning() says why.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace lifeline {

enum class AlertSeverity
{
    Info,
    Warning,
    Critical
};

enum class AlertState
{
    Firing,
    Cleared,
    Suppressed,
    DeliveryFailed
};

QString alertSeverityName(AlertSeverity s); // "info", "warning", "critical"
QString alertStateName(AlertState s);       // "firing", "cleared", "suppressed", "delivery_failed"

struct AlertNotice
{
    QString key;
    AlertSeverity severity = AlertSeverity::Warning;
    QString service; // empty: the machine or Lifeline itself
    QString title;
    QString text;
    AlertState state = AlertState::Firing;
    qint64 timeMs = 0; // wall clock, ms since the epoch
    qint64 id = 0;     // in the history; 0 when not stored

    // {"key","severity","service","title","text","state","time"} (time: ISO 8601 UTC)
    QJsonObject toJson() const;
    // "[critical] api: api gave up" / "[cleared] api: ..."
    QString headline() const;
};

class AlertHistory
{
public:
    static constexpr int kMaxRows = 2000;
    static constexpr int kMemoryRows = 500;

    // An empty stateDir: memory only.
    explicit AlertHistory(const QString &stateDir);
    ~AlertHistory();
    AlertHistory(const AlertHistory &) = delete;
    AlertHistory &operator=(const AlertHistory &) = delete;

    // Stores `notice` (assigning its id).
    void add(AlertNotice &notice);
    // Newest first; service non-empty: that service's and machine-wide ones.
    QList<AlertNotice> recent(int limit, const QString &service = QString()) const;
    bool isPersistent() const { return !m_connection.isEmpty(); }
    QString lastWarning() const { return m_lastWarning; }

private:
    void open(const QString &stateDir);
    void fail(const QString &what);

    QString m_connection; // empty: memory only
    QString m_path;
    QString m_lastWarning;
    QList<AlertNotice> m_recent; // newest last, at most kMemoryRows
    qint64 m_nextId = 1;
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::AlertNotice)
