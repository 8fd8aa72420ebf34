#include "treesampler.h"

#include "cpuusage.h"

#include <QDir>

namespace lifeline {

TreeSampler::TreeSampler(const QString &procRoot)
    : TreeSampler([fs = ProcFs(procRoot)](pid_t pid) { return fs.process(pid); },
                  [procRoot](pid_t pid) {
                      // Only readable for our own processes; another user's tree counts 0.
                      return int(QDir(procRoot + u'/' + QString::number(pid) + u"/fd")
                                     .entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)
                                     .size());
                  },
                  ProcFs::clockTicksPerSecond())
{}

TreeSampler::TreeSampler(ProcessReader reader, FdCounter fds, qint64 ticksPerSecond)
    : m_reader(std::move(reader))
    , m_fds(std::move(fds))
    , m_ticksPerSecond(ticksPerSecond)
{}

TreeSample TreeSampler::sample(const QList<pid_t> &pids, qint64 nowMs)
{
    TreeSample s;
    QHash<Key, Prev> next;
    next.reserve(pids.size());
    for (pid_t pid : pids) {
        const std::optional<ProcInfo> info = m_reader(pid);
        if (!info || info->isZombie())
            continue;
        const Key key{pid, info->startTime};
        if (next.contains(key))
            continue; // the caller listed a pid twice
        const quint64 ticks = info->utime + info->stime;
        const auto prev = m_prev.constFind(key);
        if (prev != m_prev.cend())
            s.cpuPercent += processCpuPercent(prev->ticks, prev->ms, ticks, nowMs, m_ticksPerSecond);
        next.insert(key, Prev{ticks, nowMs});
        s.rssBytes += info->rssBytes;
        s.threads += info->threads;
        s.openFds += m_fds ? m_fds(pid) : 0;
        ++s.processes;
    }
    m_prev = std::move(next); // processes gone from the tree are forgotten
    return s;
}

} // namespace lifeline
