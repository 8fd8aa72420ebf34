// TreeTracker: the process trees of the running services, kept up to date
// from one sample to the next without reading the whole process table.
//
// Correctness. A full pass (ProcFs::serviceTreePass, i.e. serviceTrees) is
// the reference. An incremental pass reads only a universe U:
//   * every process the previous pass reached (by pid; one whose start time
//     changed is another process that reuses the pid, and is no root),
//   * each service's main pid,
//   * every child of Lifeline, from all its threads' children files,
//   * and all descendants of those, from PID/task/TID/children (every thread:
//     children of a non-main thread are listed only in that thread's file),
// and classifies U with the very same rules (ProcFs::treePassOver: main pid,
// process group, marker, descent, our uid, no zombies). Membership is derived
// afresh from what is read now, never carried over, so a reused pid or a
// process that left cannot stay. The result equals the full pass as soon as U
// holds every process the full pass reaches now. Take such a process x:
//   * x descends from Lifeline: U holds Lifeline's whole subtree.
//   * some process on the path from x's seed down to x was reached by the
//     previous pass, or is a main pid: U holds x by descent.
//   * otherwise the seed became a member since the previous pass (which was
//     complete: induction from the last full pass) outside Lifeline's subtree.
//     For a service Lifeline started that cannot happen: Lifeline is a child
//     subreaper, so orphans are re-parented within its subtree, never above
//     it; and no process can join a service's process group from outside,
//     because setpgid(2) only joins a group of the caller's own session and
//     every process of the service's session was created inside the service.
//     Hence descent plus Lifeline's own children (where double-forked
//     escapees land) covers the group and the marker.
// Quiet ticks. When the kernel's last handed-out pid (loadavg) has not moved
// since the previous pass, no process was created anywhere, so no process can
// have joined a tree: the previous result minus the processes that have gone
// (each member's stat re-read, start time compared) is the answer, at one
// read per member. (One difference from a full pass: a member whose parent
// exits and that carries neither the marker nor the group stays until the
// next pass that reads the trees; it was the service's, and it still is.)
// What remains is found only by the periodic full pass (setFullPassEvery()):
// processes outside Lifeline's subtree that become members — the new orphans
// of a service adopted from an earlier Lifeline (they go to init), and any
// process started elsewhere with a service's marker. Without children files
// (CONFIG_PROC_CHILDREN) or when this process is not a subreaper, every pass
// is a full one. Processes forking or exiting while a pass reads are a race
// that the full pass has as well.
#pragma once

#include "platform/procfs.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>

#include <optional>

namespace lifeline {

class TreeTracker
{
public:
    explicit TreeTracker(QByteArray markerKey, QString procRoot = QStringLiteral("/proc"));

    // The tree of every queried service, sorted pids, as ProcFs::serviceTrees()
    // would return it. A full pass on the first call, after invalidate(), when
    // the queries differ from the previous call's (names, main pids, groups,
    // markers), every fullPassEvery() calls, and whenever an incremental pass
    // cannot tell (a process it must read is unreadable).
    QHash<QString, QList<pid_t>> trees(const QList<TreeQuery> &queries);

    // The trees of these queries now, read incrementally over only what can
    // hold them: their main pids, what the previous pass reached in their
    // trees, and Lifeline's children other than the other services' main
    // processes and Lifeline's helpers (loggers), with everything below
    // those. For a service's own exit and start, where a full pass would
    // cost more than the restart. Leaves the state of trees() alone.
    // The first query is the service; it must have been one of the previous
    // trees() call's, whose result says where its processes were (and finds
    // the leftovers of an earlier Lifeline, outside our subtree). The others
    // are roots the caller vouches for (escapees).
    // nullopt until a full pass showed incremental passes possible (also
    // after invalidate(): earlier members are only hints, checked), and
    // whenever a read cannot tell: the caller falls back to a full pass.
    // The same rules and the same gap as trees()'s incremental pass.
    // ownChildren: Lifeline's children, if the caller has just read them.
    std::optional<QHash<QString, QList<pid_t>>>
    treesNow(const QList<TreeQuery> &queries,
             const std::optional<QList<pid_t>> &ownChildren = std::nullopt) const;

    void invalidate() { m_valid = false; } // the next call is a full pass
    // A full pass at least every `calls` calls (<= 1: always). Default 30.
    void setFullPassEvery(int calls) { m_fullPassEvery = calls; }
    int fullPassEvery() const { return m_fullPassEvery; }

    // The service whose tree last held this process, while it lives: an
    // escapee that left every tree (its parent died, it was re-parented to
    // Lifeline) is still attributed to where it came from. Empty when no pass
    // ever reached it.
    QString lastSeenIn(const ProcessKey &key) const { return m_lastSeen.value(key); }

    bool lastWasFullPass() const { return m_lastWasFull; }
    // Children files present and this process a subreaper, as of the last full pass.
    bool incrementalPossible() const { return m_incrementalPossible; }
    int fullPasses() const { return m_fullPasses; }
    int incrementalPasses() const { return m_incrementalPasses; }
    // Calls answered from the previous result because no pid was handed out since.
    int quietPasses() const { return m_quietPasses; }
    bool lastWasQuiet() const { return m_lastWasQuiet; }

private:
    QHash<QString, QList<pid_t>> fullPass(const QList<TreeQuery> &queries);
    std::optional<QHash<QString, QList<pid_t>>> incrementalPass(const QList<TreeQuery> &queries);
    struct Universe
    {
        QList<ProcInfo> procs; // sorted by pid
        QHash<pid_t, QList<pid_t>> children;
    };
    // Reads the seeds and everything below them; nullopt when a process
    // that is there cannot have its children read. ownChild decides which
    // of Lifeline's children are seeds; known maps pid -> start time of
    // earlier members (a reused pid is no seed).
    std::optional<Universe> readUniverse(const QList<TreeQuery> &queries, const QHash<pid_t, quint64> &known,
                                         const std::function<bool(const ProcInfo &)> &ownChild,
                                         const std::optional<QList<pid_t>> &ownChildren = std::nullopt) const;
    void remember(const TreePass &pass, std::optional<qint64> lastPid);
    void forgetGone(); // drops m_lastSeen entries of processes that have ended
    std::optional<QHash<QString, QList<pid_t>>> quietPass();

    QByteArray m_markerKey;
    ProcFs m_proc;
    QList<TreeQuery> m_queries;      // of the previous call
    QHash<pid_t, quint64> m_reached; // by the previous pass, all services: pid -> start time
    bool m_valid = false;            // m_queries/m_reached describe the previous pass
    bool m_incrementalPossible = false;
    bool m_lastWasFull = false;
    int m_fullPassEvery = 30;
    int m_sinceFull = 0; // calls since the last full pass
    int m_fullPasses = 0;
    int m_incrementalPasses = 0;
    int m_quietPasses = 0;
    bool m_lastWasQuiet = false;
    std::optional<qint64> m_lastPid;          // read just before the previous pass
    QHash<QString, QList<pid_t>> m_lastTrees; // its result
    QHash<ProcessKey, QString> m_lastSeen;    // every process any pass reached -> its service
};

} // namespace lifeline
