#include "systemsampler.h"

#include <QByteArray>
#include <QSet>

#include <algorithm>

namespace lifeline {

std::optional<LoadAverage> parseLoadAvg(QByteArrayView text)
{
    const QList<QByteArray> fields = text.toByteArray().simplified().split(' ');
    if (fields.size() < 3)
        return std::nullopt;
    LoadAverage l;
    bool ok1 = false, ok2 = false, ok3 = false;
    l.one = fields.at(0).toDouble(&ok1);
    l.five = fields.at(1).toDouble(&ok2);
    l.fifteen = fields.at(2).toDouble(&ok3);
    if (!ok1 || !ok2 || !ok3)
        return std::nullopt;
    return l;
}

QList<DiskUsage> diskUsage(const QStringList &paths, const DiskProbe &probe)
{
    QList<DiskUsage> result;
    QSet<QString> seenRoots;
    for (const QString &path : paths) {
        const DiskProbe::Reading reading = probe.reading(path);
        if (!reading.figures)
            continue;
        const DiskFigures &f = *reading.figures;
        if (seenRoots.contains(f.rootPath))
            continue;
        seenRoots.insert(f.rootPath);
        DiskUsage d;
        d.path = path;
        d.rootPath = f.rootPath;
        d.totalBytes = f.totalBytes;
        d.availableBytes = f.availableBytes;
        d.unavailable = reading.unavailable;
        const qint64 used = std::max<qint64>(f.totalBytes - f.freeBytes, 0);
        const qint64 denominator = used + std::max<qint64>(d.availableBytes, 0);
        d.percent = denominator > 0 ? double(used) * 100.0 / double(denominator) : 0.0;
        result.append(d);
    }
    return result;
}

void setDiskFigures(SystemSample &s, const QStringList &paths, const DiskProbe &probe)
{
    s.disks = diskUsage(paths, probe);
    s.diskPercent = 0;
    s.diskUnavailable = false;
    for (const DiskUsage &d : std::as_const(s.disks))
        s.diskPercent = std::max(s.diskPercent, d.percent);
    for (const QString &path : paths)
        s.diskUnavailable = s.diskUnavailable || probe.reading(path).unavailable;
}

SystemSampler::SystemSampler(QString procRoot)
    : m_root(std::move(procRoot))
{
    SystemSample primer;
    readKernel(primer); // a CPU baseline, so the first real sample already has a delta
}

SystemSample SystemSampler::sample()
{
    SystemSample s;
    readKernel(s);
    return s;
}

} // namespace lifeline
