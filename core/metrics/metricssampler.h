// The one metrics timer: every sample_interval it takes one pass over the
// system and every service's process tree, appends the figures to the
// history, checks memory limits, then emits sampled() once.
//
// Full rate only where someone needs it: a service with a memory or CPU
// limit is sampled every sample_interval; everything else (the system, the
// other services) only every idleInterval() unless setWatched(true) says a
// person is looking at the figures (the window shows them). Nobody looking
// and no limits: the timer itself ticks at idleInterval().
#pragma once

#include "diskprobe.h"
#include "systemsampler.h"
#include "treesampler.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sys/types.h>

namespace lifeline {

class Clock;
class MetricsHistory;

class MetricsSampler final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsSampler)

public:
    using TreeProvider = std::function<QHash<QString, QList<pid_t>>()>;

    // history may be null (nothing recorded); procRoot is "/proc" outside tests.
    explicit MetricsSampler(MetricsHistory *history, QObject *parent = nullptr,
                            const QString &procRoot = QStringLiteral("/proc"));
    ~MetricsSampler() override;

    void setInterval(std::chrono::milliseconds interval);
    std::chrono::milliseconds interval() const;
    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    // Interval of the timer now: interval(), or idleInterval() while nobody
    // watches and no limit is set.
    std::chrono::milliseconds timerInterval() const { return m_timer.intervalAsDuration(); }

    // The history keeps 10 s buckets: sampling unwatched figures more often
    // than that adds nothing a person later sees. A tenth of the rate for
    // short intervals (tests run at 100 ms), never faster than interval().
    static constexpr std::chrono::milliseconds IdleMax{10'000};
    std::chrono::milliseconds idleInterval() const;
    // Someone looks at every service's figures (default): all at full rate.
    void setWatched(bool watched);
    bool isWatched() const { return m_watched; }
    // Services whose tree was sampled in the last pass (all of them on a
    // full pass, only the limited ones between).
    QStringList lastPassServices() const { return m_lastPass; }

    // service name -> pids of its tree, asked once per tick. A service absent
    // from the map has no sample; one with an empty list samples as zeros.
    void setServiceTreeProvider(TreeProvider provider) { m_provider = std::move(provider); }
    void setDiskPaths(const QStringList &paths)
    {
        if (paths != m_diskPaths)
            m_lastDiskMs = -1; // measured on the next pass
        m_diskPaths = paths;
    }
    // Disks are measured at most this often (and on the first pass).
    static constexpr std::chrono::milliseconds DiskEvery{10'000};

    // memoryLimitExceeded() once the tree RSS of `service` stayed above
    // `bytes` in every sample for at least `duration` (monotonic clock); a
    // duration of 0 fires on the first sample over it. The count then starts
    // again. `unit` ("MiB", "MB", ...; see sizeUnit()) is the one the reason
    // speaks. bytes <= 0 removes the limit.
    void setMemoryLimit(const QString &service, qint64 bytes,
                        std::chrono::milliseconds duration = std::chrono::milliseconds(0),
                        const QString &unit = QString());
    // cpuLimitExceeded() once the tree CPU of `service` (percent of one
    // core) stayed above `percent` in every sample for at least `duration`
    // (measured on the monotonic clock); the count then starts again.
    // percent <= 0 removes the limit.
    void setCpuLimit(const QString &service, double percent, std::chrono::milliseconds duration);

    // For tests: where per-process facts come from, and the monotonic clock
    // CPU deltas are measured with.
    void setProcessReader(TreeSampler::ProcessReader reader, TreeSampler::FdCounter fds,
                          qint64 ticksPerSecond);
    void setClock(const Clock *clock) { m_clock = clock; }

    SystemSample lastSystem() const { return m_lastSystem; }
    std::optional<TreeSample> lastService(const QString &name) const;
    QStringList sampledServices() const { return m_lastServices.keys(); }

    // "memory 612 MB > limit 500 MB", "memory 152 MiB > limit 100 MiB for 2s":
    // in `unit` as the configuration wrote it (MB = 10^6 bytes, MiB = 2^20).
    static QString memoryLimitReason(qint64 limitBytes, qint64 rssBytes, const QString &unit = QString(),
                                     std::chrono::milliseconds duration = std::chrono::milliseconds(0));
    // "cpu limit 90% exceeded for 1m (97%)"
    static QString cpuLimitReason(double limitPercent, std::chrono::milliseconds duration, double cpuPercent);

public slots:
    // One pass now (the timer calls this).
    void sampleNow();

signals:
    // timeMs: wall-clock ms since the epoch, the time stamp written to the history.
    void sampled(qint64 timeMs);
    void memoryLimitExceeded(const QString &service, const QString &reason);
    void cpuLimitExceeded(const QString &service, const QString &reason);

private:
    struct Limit
    {
        qint64 bytes = 0;
        qint64 durationMs = 0;
        QString unit;
        qint64 overSinceMs = -1; // monotonic time of the first sample over it in this run; -1 none
    };
    struct CpuLimit
    {
        double percent = 0;
        qint64 durationMs = 0;
        qint64 overSinceMs = -1; // monotonic time of the first sample over it in this run; -1 none
    };
    std::unique_ptr<TreeSampler> makeTreeSampler() const;
    bool hasLimits() const { return !m_limits.isEmpty() || !m_cpuLimits.isEmpty(); }
    void updateTimer();
    void sampleSystem(qint64 mono, qint64 wall);

    MetricsHistory *m_history;
    QString m_procRoot;
    QTimer m_timer;
    std::chrono::milliseconds m_interval{1'000};
    bool m_watched = true;
    qint64 m_lastFullMs = -1; // monotonic time of the last pass over everything; -1 none yet
    QStringList m_lastPass;
    qint64 m_lastDiskMs = -1; // monotonic time of the last disk measurement; -1 none yet
    SystemSampler m_system;
    DiskProbe *m_diskProbe;
    TreeProvider m_provider;
    QStringList m_diskPaths;
    const Clock *m_clock;
    TreeSampler::ProcessReader m_reader;
    TreeSampler::FdCounter m_fds;
    qint64 m_ticksPerSecond = 0;
    QHash<QString, std::shared_ptr<TreeSampler>> m_trees;
    QHash<QString, Limit> m_limits;
    QHash<QString, CpuLimit> m_cpuLimits;
    SystemSample m_lastSystem;
    QHash<QString, TreeSample> m_lastServices;
};

} // namespace lifeline
