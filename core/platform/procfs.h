// What the operating system can tell about processes: the facts the
// supervisor needs to prove that a process belongs to a service before it
// signals it, to find who holds a port, and to adopt a process after a
// restart of Lifeline. Linux reads /proc (procfs_linux.cpp); other systems
// get procfs_null.cpp, which knows nothing and says so.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <sys/types.h>

namespace lifeline {

struct ProcInfo
{
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    pid_t sid = 0;
    uid_t uid = 0;
    char state = '?';      // /proc/PID/stat field 3: R S D Z T ...
    quint64 startTime = 0; // field 22, clock ticks since boot; (pid, startTime) names a process uniquely
    quint64 utime = 0;     // clock ticks
    quint64 stime = 0;
    qint64 rssBytes = 0;
    int threads = 0;
    QString comm;        // may contain spaces and parentheses
    QStringList cmdline; // empty for kernel threads and zombies
    bool isZombie() const { return state == 'Z' || state == 'X'; }
};

struct PortHolder
{
    quint16 port = 0;
    pid_t pid = 0; // 0 when the socket's owner could not be found (another user's process)
    uid_t uid = 0;
    QString user;
    QStringList cmdline;
    QString describe() const; // "PID 1234 (alice): python3 main.py" or "an unknown process of uid 1001"
};

// /proc/meminfo, in bytes (ProcFs::systemMemory(), SystemSampler).
struct MemInfo
{
    qint64 totalBytes = 0;
    qint64 availableBytes = 0; // MemAvailable; MemFree + Buffers + Cached on kernels without it
    qint64 swapTotalBytes = 0;
    qint64 swapFreeBytes = 0;
};
// The pure parser of /proc/meminfo; nullopt without MemTotal.
std::optional<MemInfo> parseMemInfo(QByteArrayView text);

// How many processes the kernel's OOM killer has ended: in the whole system
// (/proc/vmstat oom_kill) and in Lifeline's cgroup and below it (cgroup v2
// memory.events oom_kill). Each nullopt when it cannot be read.
struct OomKillCounts
{
    std::optional<quint64> system;
    std::optional<quint64> cgroup;
    // True when a counter readable both times is higher in `later`: the
    // OOM killer ended some process in between.
    bool roseBy(const OomKillCounts &later) const;
};

// One service's identity, for finding many trees in one pass (serviceTrees()).
struct TreeQuery
{
    QString name;
    pid_t mainPid = 0;      // 0 when the main process is gone or unknown
    pid_t pgid = 0;         // the group it was started in; 0 = unknown
    QByteArray markerValue; // value of the marker variable its processes inherit
};

// (pid, start time): one process for its whole life. A pid alone is not, it
// is reused once its process has been reaped.
struct ProcessKey
{
    pid_t pid = 0;
    quint64 startTime = 0;
    friend bool operator==(const ProcessKey &, const ProcessKey &) = default;
    friend size_t qHash(const ProcessKey &k, size_t seed = 0) noexcept
    {
        return qHashMulti(seed, k.pid, k.startTime);
    }
};

// What one application of the tree rules found (ProcFs::serviceTreePass(),
// ProcFs::treePassOver()).
struct TreePass
{
    QHash<QString, QList<pid_t>> trees; // what serviceTrees() returns
    // Per service, every process the ownership proofs reached, sorted by pid:
    // its tree, plus the zombies and other users' processes that are left out
    // of the tree although their children are not.
    QHash<QString, QList<ProcessKey>> reached;
};

class ProcFs
{
public:
    // root is "/proc" in production; tests point it at captured fixtures.
    explicit ProcFs(QString root = QStringLiteral("/proc"));

    std::optional<ProcInfo> process(pid_t pid) const;
    // The stat line only (ids, state, CPU times, RSS, threads): what the
    // sampler needs every tick, at one read. uid and cmdline stay unset.
    std::optional<ProcInfo> processStat(pid_t pid) const;
    QList<ProcInfo> allProcesses() const;

    // True when /proc/PID/environ contains exactly "key=value". Readable for
    // our own user's processes only; false otherwise.
    bool hasEnv(pid_t pid, const QByteArray &key, const QByteArray &value) const;

    // Every live process that belongs to a service, given what we know of it:
    // its main pid (and descendants of it), its process group, and the
    // instance marker it inherited in its environment. Zombies are left out.
    // Only processes of our own uid are ever returned.
    QList<pid_t> serviceTree(pid_t mainPid, pid_t pgid, const QByteArray &markerKey,
                             const QByteArray &markerValue) const;

    // serviceTree() for many services from ONE pass over the process table,
    // with each process's marker read once and cached by (pid, start time):
    // what the sampler and the fleet use every tick.
    QHash<QString, QList<pid_t>> serviceTrees(const QList<TreeQuery> &queries,
                                              const QByteArray &markerKey) const;
    // serviceTrees(), with what each tree reached: TreeTracker's full pass.
    TreePass serviceTreePass(const QList<TreeQuery> &queries, const QByteArray &markerKey) const;
    // The same rules applied to a part of the process table that the caller
    // read itself: `procs` as treeStat() gives them, and `children`, each
    // process's children (taskChildren()). Anything not in `procs` does not
    // exist for this pass. The caches are used and filled but not pruned.
    // TreeTracker's incremental pass; serviceTreePass() is this over the
    // whole table, with children taken from the ppid fields.
    TreePass treePassOver(const QList<ProcInfo> &procs, const QHash<pid_t, QList<pid_t>> &children,
                          const QList<TreeQuery> &queries, const QByteArray &markerKey) const;
    // What a tree pass reads of one process, exactly as serviceTrees() reads
    // it: the stat line, and as uid the owner of the PID directory (status is
    // not read; realUid() is asked later, for candidates only).
    std::optional<ProcInfo> treeStat(pid_t pid) const;
    // The children of every thread of a process, sorted, from
    // PID/task/TID/children (a thread's children are listed only in its own
    // file). `threads` is stat's thread count: with 1, the task directory is
    // not listed. nullopt when it cannot be told: the process is gone, or the
    // kernel has no such files (hasTaskChildren()).
    std::optional<QList<pid_t>> taskChildren(pid_t pid, int threads = 0) const;
    // Whether the kernel provides PID/task/TID/children (CONFIG_PROC_CHILDREN),
    // seen on our own main thread's entry under the root.
    bool hasTaskChildren() const;
    // The last pid the kernel handed out in our pid namespace (loadavg's
    // last field). Unchanged between two reads means no process and no
    // thread was created in between. nullopt when unreadable.
    std::optional<qint64> lastPid() const;
    // The value of one variable of a process's initial environment.
    std::optional<QByteArray> envValue(pid_t pid, const QByteArray &key) const;

    // Who listens on this TCP port (IPv4 or IPv6, any address), from
    // net/tcp{,6} inode -> PID/fd/ -> socket:[inode].
    std::optional<PortHolder> portHolder(quint16 port) const;
    // Listening TCP ports held by any of these pids.
    QList<quint16> listeningPorts(const QList<pid_t> &pids) const;

    // Open file descriptors of a process (entries of PID/fd); -1 if unreadable.
    int fdCount(pid_t pid) const;
    // root/meminfo; nullopt when it cannot be read or has no MemTotal.
    std::optional<MemInfo> systemMemory() const;
    // maxAgeMs > 0 may answer from a reading that recent (one per tick for
    // all services instead of three files per service); 0 reads now.
    OomKillCounts oomKillCounts(qint64 maxAgeMs = 0) const;
    // Where a process's descriptor leads ("pipe:[1234]", "/dev/null", a
    // path), from PID/fd/FD; nullopt when it is closed or unreadable.
    std::optional<QString> fdTarget(pid_t pid, int fd) const;

    // Pure parsers, shared by all platforms and tested on their own.
    // parseStat: one /proc/PID/stat line; comm is everything between the
    // first '(' and the LAST ')', so "(my (weird) app)" survives. uid and
    // cmdline are not in stat and stay unset.
    static std::optional<ProcInfo> parseStat(const QByteArray &line);
    // parseCmdline: NUL-separated argv, with or without the trailing NUL.
    static QStringList parseCmdline(const QByteArray &raw);
    // The value of a "key value" line (vmstat, memory.events); nullopt when absent.
    static std::optional<quint64> parseCounter(const QByteArray &text, const QByteArray &key);

    static QString userName(uid_t uid); // empty when the uid has no passwd entry
    static qint64 clockTicksPerSecond();
    static qint64 pageSize();

private:
    // A lighter listing for tree building: stat line and owner only.
    QList<ProcInfo> scanForTrees() const;
    uid_t realUid(const ProcInfo &p) const; // from status, cached per process
    // The tree rules over procs/children; wholeTable: procs is every process,
    // so the caches are pruned to them afterwards.
    TreePass runTreePass(const QList<ProcInfo> &procs, const QHash<pid_t, QList<pid_t>> &children,
                         const QList<TreeQuery> &queries, const QByteArray &markerKey, bool wholeTable) const;

    QString m_root;
    // (pid, start time) -> marker value ("" when none). Environments are
    // fixed at exec, and (pid, start time) names one process for its life.
    mutable QHash<ProcessKey, QByteArray> m_markerCache;
    mutable QHash<ProcessKey, uid_t> m_uidCache;
};

// Linux: PR_SET_CHILD_SUBREAPER, so orphaned descendants of services are
// re-parented to us and stay findable. Returns false elsewhere.
bool becomeSubreaper();
// Whether this process is a child subreaper (PR_GET_CHILD_SUBREAPER).
bool isSubreaper();

// Reap zombie children of this process that no QProcess owns (orphans that
// were re-parented to us as subreaper). Only the pids listed by /proc as our
// zombie children and not in `owned` are waited for — never waitpid(-1),
// which would steal QProcess's exit statuses. Returns the pids reaped.
QList<pid_t> reapOrphans(const QList<pid_t> &owned);

// pidfd_open(2): a descriptor that becomes readable when the process exits,
// for processes that are not our children (adopted services). -1 if unsupported.
int openPidFd(pid_t pid);

} // namespace lifeline
