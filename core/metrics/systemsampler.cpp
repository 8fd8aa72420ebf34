#include "systemsampler.h"

#include <QByteArray>
#include <QSet>

#include <algorithm>

namespace lifeline {

namespace {

// Value of "Key:   1234 kB" in kB, or -1.
qint64 memInfoField(QByteArrayView line, QByteArrayView key)
{
    if (!line.startsWith(key) || line.size() <= key.size() || line.at(key.size()) != ':')
        return -1;
    QByteArray rest = line.sliced(key.size() + 1).toByteArray().trimmed();
    if (rest.endsWith("kB"))
        rest.chop(2);
    bool ok = false;
    const qint64 v = rest.trimmed().toLongLong(&ok);
    return ok ? v : -1;
}

} // namespace

std::optional<MemInfo> parseMemInfo(QByteArrayView text)
{
    qint64 total = -1, available = -1, freeMem = -1, buffers = -1, cached = -1, swapTotal = -1, swapFree = -1;
    struct Want
    {
        QByteArrayView key;
        qint64 *out;
    };
    const Want wants[] = {{"MemTotal", &total},   {"MemAvailable", &available}, {"MemFree", &freeMem},
                          {"Buffers", &buffers},  {"Cached", &cached},          {"SwapTotal", &swapTotal},
                          {"SwapFree", &swapFree}};
    qsizetype pos = 0;
    while (pos < text.size()) {
        qsizetype end = text.indexOf('\n', pos);
        if (end < 0)
            end = text.size();
        const QByteArrayView line = text.sliced(pos, end - pos);
        pos = end + 1;
        for (const Want &w : wants) {
            const qint64 v = memInfoField(line, w.key);
            if (v >= 0) {
                *w.out = v;
                break;
            }
        }
    }
    if (total <= 0)
        return std::nullopt;
    MemInfo m;
    m.totalBytes = total * 1024;
    if (available >= 0)
        m.availableBytes = available * 1024;
    else // kernels before 3.14 have no MemAvailable: the classic approximation
        m.availableBytes =
            (std::max<qint64>(freeMem, 0) + std::max<qint64>(buffers, 0) + std::max<qint64>(cached, 0)) *
            1024;
    m.availableBytes = std::min(m.availableBytes, m.totalBytes);
    m.swapTotalBytes = std::max<qint64>(swapTotal, 0) * 1024;
    m.swapFreeBytes = std::min(std::max<qint64>(swapFree, 0) * 1024, m.swapTotalBytes);
    return m;
}

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
