// Counter-to-percentage maths for CPU usage, with no I/O: the samplers read
// /proc, this file only turns two readings into a percentage. Kernel counters
// can go backwards (a pid reused by a new process, a hot-unplugged CPU, a
// suspended VM); every delta here saturates at zero instead of wrapping into
// a huge number (htop's saturatingSub).
#pragma once

#include <QByteArrayView>
#include <QtGlobal>

#include <optional>

namespace lifeline {

constexpr quint64 saturatingSub(quint64 a, quint64 b)
{
    return a > b ? a - b : 0;
}

// CPU % of ONE core used by a process between two readings of its
// utime + stime (clock ticks) taken at two monotonic times (ms). 100 means one
// full core; a busy multi-threaded process can exceed 100. Returns 0 when the
// time did not move forward or the counter went backwards.
double processCpuPercent(quint64 prevTicks, qint64 prevMs, quint64 ticks, qint64 nowMs,
                         qint64 ticksPerSecond);

// The running form of processCpuPercent() for one counter: the first update()
// only records a baseline and returns 0.
class CpuUsage
{
public:
    explicit CpuUsage(qint64 ticksPerSecond)
        : m_ticksPerSecond(ticksPerSecond)
    {}
    double update(quint64 ticks, qint64 nowMs);
    bool hasBaseline() const { return m_hasPrev; }

private:
    qint64 m_ticksPerSecond;
    quint64 m_prevTicks = 0;
    qint64 m_prevMs = 0;
    bool m_hasPrev = false;
};

// The aggregate "cpu" line of /proc/stat (all CPUs), in clock ticks.
struct CpuTimes
{
    quint64 user = 0;
    quint64 nice = 0;
    quint64 system = 0;
    quint64 idle = 0;
    quint64 iowait = 0;
    quint64 irq = 0;
    quint64 softirq = 0;
    quint64 steal = 0;
};

// Finds the "cpu " line (not cpu0...) in the text of /proc/stat. Older kernels
// print fewer columns; missing ones are 0. nullopt when there is no such line.
std::optional<CpuTimes> parseProcStatCpu(QByteArrayView statText);

// The number of "cpuN" lines in the text of /proc/stat: the CPUs online, the
// ones the aggregate line is shared among. 0 when there is none.
int parseProcStatCpuCount(QByteArrayView statText);

// Busy share of all CPUs between two readings, 0..100. idle and iowait count
// as idle; every other column as busy. Each column's delta saturates at 0.
double systemCpuPercent(const CpuTimes &prev, const CpuTimes &cur);

} // namespace lifeline
