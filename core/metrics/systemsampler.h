// Whole-machine figures for the status line and the system charts: CPU,
// memory, swap, load average and disk use. The kernel part is a platform
// seam (systemsampler_linux.cpp reads /proc; systemsampler_null.cpp knows
// nothing and reports every figure as invalid); disk use comes from a
// DiskProbe, so a dead mount never blocks a sample.
#pragma once

#include "cpuusage.h"
#include "diskprobe.h"
#include "platform/procfs.h"

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace lifeline {

struct LoadAverage
{
    double one = 0;
    double five = 0;
    double fifteen = 0;
};
// /proc/loadavg ("0.52 0.58 0.59 1/467 12345").
std::optional<LoadAverage> parseLoadAvg(QByteArrayView text);

struct DiskUsage
{
    QString path;     // the first configured path on this filesystem
    QString rootPath; // its mount point
    qint64 totalBytes = 0;
    qint64 availableBytes = 0; // to an unprivileged user
    double percent = 0;        // used / (used + available), as df prints it
    bool unavailable = false;  // the figures are the last known: the path did not answer in time
};
// One entry per filesystem, from what `probe` last measured: paths on the
// same mount point are counted once. Paths that do not exist, cannot be
// queried or never answered are left out.
QList<DiskUsage> diskUsage(const QStringList &paths, const DiskProbe &probe);

struct SystemSample
{
    bool cpuValid = false; // false on the first sample (no previous counters) and without /proc
    double cpuPercent = 0; // of all CPUs together, 0..100
    int cpuCores = 0;      // CPUs online; 0 when unknown
    bool memoryValid = false;
    double memoryPercent = 0; // (MemTotal - MemAvailable) / MemTotal
    double swapPercent = 0;   // 0 without swap
    MemInfo mem;
    bool loadValid = false;
    LoadAverage load;
    QList<DiskUsage> disks;
    double diskPercent = 0;       // the fullest of `disks`; 0 with none
    bool diskUnavailable = false; // some path did not answer in time (see DiskUsage::unavailable)
};
// Fills the disk part of `s` from what `probe` last measured of `paths`.
void setDiskFigures(SystemSample &s, const QStringList &paths, const DiskProbe &probe);

class SystemSampler
{
public:
    // procRoot is "/proc" in production; tests point it at a folder holding
    // captured stat, meminfo and loadavg files.
    explicit SystemSampler(QString procRoot = QStringLiteral("/proc"));

    // CPU % is measured since the previous call (or since construction, when
    // the first reading could be taken then).
    // The disk part is left empty (see setDiskFigures()).
    SystemSample sample();

private:
    // Platform part: fills the kernel figures of `s`, keeping CPU counters in
    // m_prevCpu for the next delta.
    void readKernel(SystemSample &s);

    QString m_root;
    std::optional<CpuTimes> m_prevCpu;
};

} // namespace lifeline
