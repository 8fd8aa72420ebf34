// Systems without procfs: nothing is known, and every answer says so
// (empty, nullopt, false, -1), so the rest of Lifeline still builds and
// degrades to "unknown" instead of guessing.
#include "platform/procfs.h"

namespace lifeline {

std::optional<ProcInfo> ProcFs::process(pid_t) const
{
    return std::nullopt;
}

QList<ProcInfo> ProcFs::allProcesses() const
{
    return {};
}

bool ProcFs::hasEnv(pid_t, const QByteArray &, const QByteArray &) const
{
    return false;
}

QHash<QString, QList<pid_t>> ProcFs::serviceTrees(const QList<TreeQuery> &, const QByteArray &) const
{
    return {};
}

TreePass ProcFs::serviceTreePass(const QList<TreeQuery> &, const QByteArray &) const
{
    return {};
}

TreePass ProcFs::treePassOver(const QList<ProcInfo> &, const QHash<pid_t, QList<pid_t>> &,
                              const QList<TreeQuery> &, const QByteArray &) const
{
    return {};
}

TreePass ProcFs::runTreePass(const QList<ProcInfo> &, const QHash<pid_t, QList<pid_t>> &,
                             const QList<TreeQuery> &, const QByteArray &, bool) const
{
    return {};
}

std::optional<ProcInfo> ProcFs::treeStat(pid_t) const
{
    return std::nullopt;
}

std::optional<QList<pid_t>> ProcFs::taskChildren(pid_t, int) const
{
    return std::nullopt;
}

std::optional<qint64> ProcFs::lastPid() const
{
    return std::nullopt;
}

bool ProcFs::hasTaskChildren() const
{
    return false;
}

std::optional<QByteArray> ProcFs::envValue(pid_t, const QByteArray &) const
{
    return std::nullopt;
}

QList<ProcInfo> ProcFs::scanForTrees() const
{
    return {};
}

uid_t ProcFs::realUid(const ProcInfo &p) const
{
    return p.uid;
}

std::optional<ProcInfo> ProcFs::processStat(pid_t) const
{
    return std::nullopt;
}

QList<pid_t> ProcFs::serviceTree(pid_t, pid_t, const QByteArray &, const QByteArray &) const
{
    return {};
}

std::optional<PortHolder> ProcFs::portHolder(quint16) const
{
    return std::nullopt;
}

QList<quint16> ProcFs::listeningPorts(const QList<pid_t> &) const
{
    return {};
}

int ProcFs::fdCount(pid_t) const
{
    return -1;
}

std::optional<MemInfo> ProcFs::systemMemory() const
{
    return std::nullopt;
}

OomKillCounts ProcFs::oomKillCounts(qint64) const
{
    return {};
}

std::optional<QString> ProcFs::fdTarget(pid_t, int) const
{
    return std::nullopt;
}

QString ProcFs::userName(uid_t)
{
    return {};
}

qint64 ProcFs::clockTicksPerSecond()
{
    return -1;
}

qint64 ProcFs::pageSize()
{
    return -1;
}

bool becomeSubreaper()
{
    return false;
}

bool isSubreaper()
{
    return false;
}

QList<pid_t> reapOrphans(const QList<pid_t> &)
{
    return {};
}

int openPidFd(pid_t)
{
    return -1;
}

} // namespace lifeline
