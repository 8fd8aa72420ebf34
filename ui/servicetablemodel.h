// The service table: one row per service of the EngineClient, columns for what a
// person checks first. Listens to the EngineClient's signals (no polling of the
// core) plus a one-second tick, running only while a cell moves with time (a
// backoff countdown, an uptime), that repaints just those cells.
#pragma once

#include <QAbstractTableModel>
#include <QTimer>

namespace lifeline {

class Clock;
class EngineClient;
class ServiceView;

class ServiceTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceTableModel)

public:
    enum Column
    {
        Name,
        State,
        Pid,
        Uptime,
        Restarts,
        Health,
        Cpu,
        Memory,
        LastExit,
        ColumnCount
    };
    enum Role
    {
        ServiceNameRole = Qt::UserRole + 1,
        SeverityRole,
        // What a header click sorts by: numbers as numbers, the state by
        // severity, the uptime in milliseconds.
        SortRole
    };

    explicit ServiceTableModel(EngineClient *engine, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    EngineClient *engine() const { return m_engine; }
    ServiceView *serviceAt(int row) const;
    int rowOf(const QString &name) const;
    // 0 fine, 1 needs watching, 2 needs a person — for colours and the tray.
    static int severity(const ServiceView *s);

    // Figures that come from the metrics sampler, pushed in by whoever owns it.
    void setUsage(const QString &name, double cpuPercent, qint64 rssBytes);

    // The time countdowns and uptimes are read at, on snapshotClockMs()'s
    // scale; tests inject a ManualClock.
    void setClock(const Clock *clock) { m_clock = clock; }
    bool isTicking() const { return m_tick.isActive(); }

private:
    QString stateText(const ServiceView *s) const;
    QString lastExitText(const ServiceView *s) const;
    QString healthText(const ServiceView *s) const;
    QVariant sortKey(const ServiceView *s, int column) const;
    // Emits dataChanged for the cells of `row` between the columns whose
    // look changed since they were last announced; the whole row the first time.
    void refreshRow(int row, int firstColumn = 0, int lastColumn = ColumnCount - 1);
    QString look(const ServiceView *s, int row, int column) const;
    // Runs the tick while some cell moves with time, stops it otherwise.
    void updateTick();
    void tick();

    EngineClient *m_engine;
    const Clock *m_clock;
    struct Usage
    {
        double cpu = -1;
        qint64 rss = -1;
    };
    QHash<QString, Usage> m_usage;
    QHash<QString, QStringList> m_shown; // looks(), as last announced, by service
    QTimer m_tick;
};

} // namespace lifeline
