// Log housekeeping on the engine thread (never the GUI's):
// - retention by age: rotated backups (FILE.N, FILE.N.gz) older than their service's
//   logs.max_age are removed (retention by count is lifeline-logger's, at each rotation);
// - the min-free-disk guard: when free space on state_dir's filesystem falls below
//   settings.min_free_disk, rotated backups are removed, oldest first across all services, never
//   a live file, until it is above again or none is left, and an alert is raised.
// A pass runs on a timer. Free space is measured through DiskProbe, so a dead mount under
// state_dir costs a stuck worker thread, never a frozen engine.
#pragma once

#include "metrics/diskprobe.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>

namespace lifeline {

class Fleet;

struct HousekeepingPlan
{
    struct Log
    {
        QString service;
        QString livePath;      // FILE; its backups are FILE.N[.gz]
        qint64 maxAgeSecs = 0; // 0: no age limit
    };
    QString stateDir;
    qint64 minFreeDisk = 0; // bytes; 0: no guard
    QList<Log> logs;

    // Every service's stdout and stderr log, with the fleet's current settings.
    static HousekeepingPlan of(const Fleet &fleet);
};

class LogHousekeeper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogHousekeeper)

public:
    using PlanFunction = std::function<HousekeepingPlan()>;
    using NowFunction = std::function<qint64()>; // wall-clock seconds since the epoch (file mtimes)

    explicit LogHousekeeper(PlanFunction plan, QObject *parent = nullptr,
                            DiskProbe::StatFunction stat = DiskProbe::statPath, NowFunction now = {});

    static constexpr std::chrono::seconds kDefaultInterval{30};
    void start(std::chrono::milliseconds interval = kDefaultInterval);

    // One pass now: age retention at once, the guard when the disk measurement answers.
    void runNow();
    bool diskLow() const { return m_diskLow; }

signals:
    void backupsRemoved(const QString &service, const QStringList &files, const QString &reason);
    // severity "warning" (backups were removed and free space is back above the threshold) or
    // "critical" (still below it with no backup left to remove).
    void diskAlert(const QString &severity, const QString &title, const QString &text);
    void diskAlertCleared(const QString &text);
    // A guard pass finished (after a disk measurement answered).
    void guarded();

private:
    void removeOld(const HousekeepingPlan &plan);
    void guard();
    void remove(const QString &service, const QStringList &files, const QString &reason);

    PlanFunction m_plan;
    NowFunction m_now;
    DiskProbe *m_probe;
    QTimer m_timer;
    HousekeepingPlan m_current;
    bool m_diskLow = false;
};

} // namespace lifeline
