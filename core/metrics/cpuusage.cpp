#include "cpuusage.h"

#include <QByteArray>
#include <QList>

#include <algorithm>

namespace lifeline {

double processCpuPercent(quint64 prevTicks, qint64 prevMs, quint64 ticks, qint64 nowMs, qint64 ticksPerSecond)
{
    if (nowMs <= prevMs || ticksPerSecond <= 0)
        return 0.0;
    const quint64 delta = saturatingSub(ticks, prevTicks);
    const double seconds = double(nowMs - prevMs) / 1000.0;
    return double(delta) / double(ticksPerSecond) / seconds * 100.0;
}

double CpuUsage::update(quint64 ticks, qint64 nowMs)
{
    const double percent =
        m_hasPrev ? processCpuPercent(m_prevTicks, m_prevMs, ticks, nowMs, m_ticksPerSecond) : 0.0;
    m_prevTicks = ticks;
    m_prevMs = nowMs;
    m_hasPrev = true;
    return percent;
}

namespace {

// Calls f with each line of text (no newline) until f returns true.
template<typename F>
void forEachLine(QByteArrayView text, F f)
{
    qsizetype pos = 0;
    while (pos < text.size()) {
        qsizetype end = text.indexOf('\n', pos);
        if (end < 0)
            end = text.size();
        if (f(text.sliced(pos, end - pos)))
            return;
        pos = end + 1;
    }
}

} // namespace

std::optional<CpuTimes> parseProcStatCpu(QByteArrayView statText)
{
    std::optional<CpuTimes> result;
    forEachLine(statText, [&result](QByteArrayView line) {
        if (!line.startsWith("cpu ") && !line.startsWith("cpu\t"))
            return false;
        const QList<QByteArray> fields =
            line.toByteArray().simplified().split(' '); // "cpu", then the counters
        quint64 values[8] = {};
        for (qsizetype i = 1; i < fields.size() && i <= 8; ++i) {
            bool ok = false;
            values[i - 1] = fields.at(i).toULongLong(&ok);
            if (!ok)
                return true;
        }
        if (fields.size() < 5) // user nice system idle at the very least
            return true;
        CpuTimes t;
        t.user = values[0];
        t.nice = values[1];
        t.system = values[2];
        t.idle = values[3];
        t.iowait = values[4];
        t.irq = values[5];
        t.softirq = values[6];
        t.steal = values[7];
        result = t;
        return true;
    });
    return result;
}

int parseProcStatCpuCount(QByteArrayView statText)
{
    int count = 0;
    forEachLine(statText, [&count](QByteArrayView line) {
        if (line.size() > 3 && line.startsWith("cpu") && line.at(3) >= '0' && line.at(3) <= '9')
            ++count;
        return false;
    });
    return count;
}

double systemCpuPercent(const CpuTimes &prev, const CpuTimes &cur)
{
    const quint64 idle = saturatingSub(cur.idle, prev.idle) + saturatingSub(cur.iowait, prev.iowait);
    const quint64 busy = saturatingSub(cur.user, prev.user) + saturatingSub(cur.nice, prev.nice) +
                         saturatingSub(cur.system, prev.system) + saturatingSub(cur.irq, prev.irq) +
                         saturatingSub(cur.softirq, prev.softirq) + saturatingSub(cur.steal, prev.steal);
    const quint64 total = idle + busy;
    if (total == 0)
        return 0.0;
    return std::clamp(double(busy) * 100.0 / double(total), 0.0, 100.0);
}

} // namespace lifeline
