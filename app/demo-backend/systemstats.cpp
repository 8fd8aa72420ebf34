#include "systemstats.h"

#include <QFile>
#include <QList>

#include <sys/statvfs.h>

namespace lifeline::demo {

namespace {

// Kernel counters may go backwards (CPU hot-unplug); never let a delta wrap around.
quint64 saturatingSub(quint64 a, quint64 b)
{
    return a > b ? a - b : 0;
}

QByteArray readProcFile(const char *path)
{
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    // /proc files report size 0: read until EOF.
    return file.readAll();
}

} // namespace

SystemStats::SystemStats()
{
    readCpuTicks(&m_previous);
}

bool SystemStats::readCpuTicks(CpuTicks *ticks)
{
    const QByteArray stat = readProcFile("/proc/stat");
    const qsizetype end = stat.indexOf('\n');
    const QByteArray first = stat.left(end < 0 ? stat.size() : end);
    if (!first.startsWith("cpu "))
        return false;
    const QList<QByteArray> fields = first.simplified().split(' ');
    // cpu user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is
    // already included in user/nice.
    if (fields.size() < 5)
        return false;
    CpuTicks result;
    for (qsizetype i = 1; i < fields.size() && i <= 8; ++i) {
        const quint64 value = fields.at(i).toULongLong();
        result.total += value;
        if (i == 4 || i == 5) // idle, iowait
            result.idle += value;
    }
    *ticks = result;
    return true;
}

double SystemStats::cpuPercent()
{
    CpuTicks now;
    if (!readCpuTicks(&now))
        return m_lastPercent;
    const quint64 total = saturatingSub(now.total, m_previous.total);
    const quint64 idle = saturatingSub(now.idle, m_previous.idle);
    if (total > 0) { // otherwise asked again within one clock tick: keep the last value
        m_lastPercent = 100.0 * static_cast<double>(saturatingSub(total, idle)) / static_cast<double>(total);
        m_previous = now;
    }
    return m_lastPercent;
}

double SystemStats::memoryPercent()
{
    quint64 total = 0;
    quint64 available = 0;
    bool haveAvailable = false;
    const QList<QByteArray> lines = readProcFile("/proc/meminfo").split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 2)
            continue;
        if (fields.at(0) == "MemTotal:") {
            total = fields.at(1).toULongLong();
        } else if (fields.at(0) == "MemAvailable:") {
            available = fields.at(1).toULongLong();
            haveAvailable = true;
        }
    }
    if (total == 0 || !haveAvailable)
        return -1;
    return 100.0 * static_cast<double>(saturatingSub(total, available)) / static_cast<double>(total);
}

double SystemStats::diskPercent()
{
    struct statvfs fs = {};
    if (::statvfs(".", &fs) != 0)
        return -1;
    const quint64 used = saturatingSub(fs.f_blocks, fs.f_bfree);
    const quint64 usable = used + fs.f_bavail; // df excludes blocks reserved for root
    if (usable == 0)
        return 0;
    return 100.0 * static_cast<double>(used) / static_cast<double>(usable);
}

} // namespace lifeline::demo
