#include "treesampler.h"

#include "cpuusage.h"

#include <algorithm>

namespace lifeline {

TreeSampler::TreeSampler(const QString &procRoot)
    : TreeSampler([fs = ProcFs(procRoot)](pid_t pid) { return fs.processStat(pid); },
                  [fs = ProcFs(procRoot)](pid_t pid) {
                      // Only readable for our own processes; another user's tree counts 0.
                      return std::max(0, fs.fdCount(pid));
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
        // Listing a process's fd folder costs more than everything else of
        // a sample: counted every FdEvery passes, and for new processes.
        int fds = prev != m_prev.cend() ? prev->fds : -1;
        if (m_fds && (fds < 0 || m_pass % FdEvery == 0))
            fds = m_fds(pid);
        next.insert(key, Prev{ticks, nowMs, fds});
        if (m_ticksPerSecond > 0)
            s.cpuSeconds += double(ticks) / double(m_ticksPerSecond);
        s.rssBytes += info->rssBytes;
        s.threads += info->threads;
        s.openFds += std::max(0, fds);
        ++s.processes;
    }
    m_prev = std::move(next); // processes gone from the tree are forgotten
    ++m_pass;
    return s;
}

} // namespace lifeline
