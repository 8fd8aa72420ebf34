#pragma once

#include <QtGlobal>

namespace lifeline::demo {

/// Whole-machine CPU / memory / disk usage for /health/detailed, read from /proc and statvfs.
/// Deliberately independent of lifeline_core: the demo backend stands in for a user's own app.
class SystemStats final
{
public:
    SystemStats();

    /// CPU busy share since the previous call (or since construction), 0..100.
    double cpuPercent();
    /// (MemTotal - MemAvailable) / MemTotal from /proc/meminfo, 0..100; -1 if unreadable.
    static double memoryPercent();
    /// Used share of the filesystem holding the working directory, as df computes it; -1 on error.
    static double diskPercent();

private:
    struct CpuTicks
    {
        quint64 total = 0;
        quint64 idle = 0;
    };
    static bool readCpuTicks(CpuTicks *ticks);

    CpuTicks m_previous;
    double m_lastPercent = 0;
};

} // namespace lifeline::demo
