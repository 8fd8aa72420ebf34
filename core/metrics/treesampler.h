// Resource use of one service's process tree, summed over the pids the caller
// names (the supervisor knows the tree: ProcFs::serviceTree()).
#pragma once

#include "platform/procfs.h"

#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <sys/types.h>

namespace lifeline {

struct TreeSample
{
    double cpuPercent = 0; // sum over the tree, 100 = one full core
    // User + system CPU time of the processes in the tree now; drops when one
    // of them ends (Prometheus reads that as a counter reset).
    double cpuSeconds = 0;
    qint64 rssBytes = 0; // sum of resident sets (shared pages count once per process)
    int threads = 0;
    int openFds = 0;   // only countable for our own processes
    int processes = 0; // pids of the list that were alive
};

class TreeSampler
{
public:
    using ProcessReader = std::function<std::optional<ProcInfo>(pid_t)>;
    using FdCounter = std::function<int(pid_t)>;

    // Reads processes through ProcFs(procRoot) and counts <procRoot>/PID/fd.
    explicit TreeSampler(const QString &procRoot = QStringLiteral("/proc"));
    // For tests: any source of process facts.
    TreeSampler(ProcessReader reader, FdCounter fds, qint64 ticksPerSecond);

    // CPU is measured per process since the previous sample() of this
    // sampler. A process is identified by (pid, start time): one seen for the
    // first time (new in the tree, or a reused pid) only sets its baseline and
    // adds 0 CPU this time, so joining the tree never shows as a spike.
    // nowMs is on a monotonic scale.
    TreeSample sample(const QList<pid_t> &pids, qint64 nowMs);
    // Open fds are counted for new processes and on every FdEvery-th pass.
    static constexpr int FdEvery = 5;

    // Number of processes with a CPU baseline (those seen in the last sample).
    int trackedProcesses() const { return int(m_prev.size()); }

private:
    struct Key
    {
        pid_t pid;
        quint64 startTime;
        friend bool operator==(const Key &, const Key &) = default;
        friend size_t qHash(const Key &k, size_t seed = 0) noexcept
        {
            return qHashMulti(seed, k.pid, k.startTime);
        }
    };
    struct Prev
    {
        quint64 ticks;
        qint64 ms;
        int fds;
    };
    quint64 m_pass = 0;

    ProcessReader m_reader;
    FdCounter m_fds;
    qint64 m_ticksPerSecond;
    QHash<Key, Prev> m_prev;
};

} // namespace lifeline
