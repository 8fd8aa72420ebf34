#include "loghousekeeper.h"

#include "logs/logbackups.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

HousekeepingPlan HousekeepingPlan::of(const Fleet &fleet)
{
    HousekeepingPlan plan;
    plan.stateDir = fleet.config().settings.stateDir;
    plan.minFreeDisk = fleet.config().settings.minFreeDisk;
    for (const ServiceSupervisor *s : fleet.services()) {
        // The fleet's config, not the supervisor's spec: max_age applies on reload without a restart.
        const ServiceSpec *spec = fleet.config().service(s->name());
        const qint64 maxAge = spec ? spec->logs.maxAgeSecs : s->spec().logs.maxAgeSecs;
        plan.logs.append({s->name(), s->logPath(), maxAge});
        plan.logs.append({s->name(), s->errLogPath(), maxAge});
    }
    return plan;
}

LogHousekeeper::LogHousekeeper(PlanFunction plan, QObject *parent, DiskProbe::StatFunction stat,
                               NowFunction now)
    : QObject(parent)
    , m_plan(std::move(plan))
    , m_now(now ? std::move(now) : [] { return QDateTime::currentSecsSinceEpoch(); })
    , m_probe(new DiskProbe(this, std::move(stat)))
{
    connect(&m_timer, &QTimer::timeout, this, &LogHousekeeper::runNow);
    connect(m_probe, &DiskProbe::updated, this, &LogHousekeeper::guard);
}

void LogHousekeeper::start(std::chrono::milliseconds interval)
{
    m_timer.start(interval);
    runNow();
}

void LogHousekeeper::runNow()
{
    m_current = m_plan();
    removeOld(m_current);
    if (m_current.minFreeDisk > 0 && !m_current.stateDir.isEmpty())
        m_probe->probe({m_current.stateDir});
}

void LogHousekeeper::removeOld(const HousekeepingPlan &plan)
{
    const qint64 now = m_now();
    for (const HousekeepingPlan::Log &log : plan.logs) {
        if (log.maxAgeSecs <= 0)
            continue;
        QStringList old;
        const QStringList files = allBackupFiles(log.livePath);
        for (const QString &file : files) {
            const QFileInfo info(file);
            if (now - info.lastModified().toSecsSinceEpoch() > log.maxAgeSecs)
                old.append(file);
        }
        const QString age = formatDuration(Millis(log.maxAgeSecs * 1000));
        remove(log.service, old, u"older than "_s + age + u" (logs.max_age)"_s);
    }
}

void LogHousekeeper::guard()
{
    const HousekeepingPlan &plan = m_current;
    const DiskProbe::Reading reading = m_probe->reading(plan.stateDir);
    if (!reading.figures || reading.unavailable || plan.minFreeDisk <= 0)
        return;
    const qint64 available = reading.figures->availableBytes;
    const QString threshold = formatSize(plan.minFreeDisk);
    if (available >= plan.minFreeDisk) {
        if (std::exchange(m_diskLow, false)) {
            emit diskAlertCleared(u"free space on %1 is back above %2 (%3 free)"_s.arg(
                plan.stateDir, threshold, formatSize(available)));
        }
        emit guarded();
        return;
    }

    struct Backup
    {
        QString service;
        QString path;
        qint64 mtime = 0;
        int number = 0;
        qint64 size = 0;
    };
    std::vector<Backup> backups;
    for (const HousekeepingPlan::Log &log : plan.logs) {
        const QStringList files = allBackupFiles(log.livePath);
        for (const QString &file : files) {
            const QFileInfo info(file);
            const QString suffix = file.mid(log.livePath.size() + 1);
            backups.push_back({log.service, file, info.lastModified().toMSecsSinceEpoch(),
                               suffix.section(u'.', 0, 0).toInt(), info.size()});
        }
    }
    // Oldest first; of one mtime, the higher number is the older file.
    std::sort(backups.begin(), backups.end(), [](const Backup &a, const Backup &b) {
        return a.mtime != b.mtime ? a.mtime < b.mtime : a.number > b.number;
    });
    qint64 freed = 0;
    QStringList removed;
    for (const Backup &b : backups) {
        if (available + freed >= plan.minFreeDisk)
            break;
        remove(b.service, {b.path},
               u"free space on %1 below %2 (settings.min_free_disk)"_s.arg(plan.stateDir, threshold));
        if (!QFileInfo::exists(b.path)) {
            freed += b.size;
            removed.append(QFileInfo(b.path).fileName());
        }
    }
    const bool stillLow = available + freed < plan.minFreeDisk;
    const bool wasLow = std::exchange(m_diskLow, true);
    if (!removed.isEmpty() || !wasLow) {
        QString text = u"free space on %1 is %2, below settings.min_free_disk (%3)"_s.arg(
            plan.stateDir, formatSize(available), threshold);
        if (!removed.isEmpty())
            text += u"; removed %1 log backup(s), oldest first: %2"_s.arg(removed.size())
                        .arg(removed.join(u", "_s));
        if (stillLow)
            text += u"; no log backup left to remove"_s;
        emit diskAlert(stillLow ? u"critical"_s : u"warning"_s, u"Disk almost full"_s, text);
    }
    emit guarded();
}

void LogHousekeeper::remove(const QString &service, const QStringList &files, const QString &reason)
{
    QStringList gone;
    for (const QString &file : files) {
        if (QFile::remove(file))
            gone.append(file);
    }
    if (!gone.isEmpty())
        emit backupsRemoved(service, gone, reason);
}

} // namespace lifeline
