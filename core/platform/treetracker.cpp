// TreeTracker: full passes through ProcFs::serviceTreePass(), incremental
// passes through ProcFs::treePassOver() on the universe read here (see the
// header for why that universe is enough). Platform-independent: without
// procfs, ProcFs reports no children files and every pass is a full one.
#include "platform/treetracker.h"

#include "platform/childregistry.h"

#include <QCoreApplication>
#include <QSet>

#include <algorithm>
#include <utility>

namespace lifeline {

namespace {

bool sameQueries(const QList<TreeQuery> &a, const QList<TreeQuery> &b)
{
    return std::equal(a.cbegin(), a.cend(), b.cbegin(), b.cend(), [](const TreeQuery &x, const TreeQuery &y) {
        return x.name == y.name && x.mainPid == y.mainPid && x.pgid == y.pgid &&
               x.markerValue == y.markerValue;
    });
}

} // namespace

TreeTracker::TreeTracker(QByteArray markerKey, QString procRoot)
    : m_markerKey(std::move(markerKey))
    , m_proc(std::move(procRoot))
{}

QHash<QString, QList<pid_t>> TreeTracker::trees(const QList<TreeQuery> &queries)
{
    if (queries.isEmpty()) {
        m_valid = false; // nothing to follow; the next services start with a full pass
        m_reached.clear();
        return {};
    }
    const bool fullDue = !m_valid || !m_incrementalPossible || m_sinceFull + 1 >= m_fullPassEvery ||
                         !sameQueries(queries, m_queries);
    m_lastWasQuiet = false;
    if (!fullDue) {
        if (std::optional<QHash<QString, QList<pid_t>>> result = quietPass()) {
            ++m_sinceFull;
            ++m_quietPasses;
            m_lastWasFull = false;
            m_lastWasQuiet = true;
            return std::move(*result);
        }
        if (std::optional<QHash<QString, QList<pid_t>>> result = incrementalPass(queries)) {
            ++m_sinceFull;
            ++m_incrementalPasses;
            m_lastWasFull = false;
            return std::move(*result);
        }
    }
    return fullPass(queries);
}

QHash<QString, QList<pid_t>> TreeTracker::fullPass(const QList<TreeQuery> &queries)
{
    // Checked here, not once: cheap, and a test may become a subreaper late.
    m_incrementalPossible = m_proc.hasTaskChildren() && isSubreaper();
    const std::optional<qint64> lastPid = m_proc.lastPid(); // before: a fork during the pass shows next time
    TreePass pass = m_proc.serviceTreePass(queries, m_markerKey);
    forgetGone();
    remember(pass, lastPid);
    m_queries = queries;
    m_valid = true;
    m_sinceFull = 0;
    ++m_fullPasses;
    m_lastWasFull = true;
    return std::move(pass.trees);
}

std::optional<QHash<QString, QList<pid_t>>> TreeTracker::quietPass()
{
    const std::optional<qint64> lastPid = m_proc.lastPid();
    if (!lastPid || !m_lastPid || *lastPid != *m_lastPid)
        return std::nullopt;
    QHash<QString, QList<pid_t>> out;
    for (auto it = m_lastTrees.cbegin(); it != m_lastTrees.cend(); ++it) {
        QList<pid_t> alive;
        alive.reserve(it.value().size());
        for (pid_t pid : it.value()) {
            const std::optional<ProcInfo> p = m_proc.treeStat(pid);
            if (p && !p->isZombie() && p->startTime == m_reached.value(pid, p->startTime + 1))
                alive.append(pid);
        }
        out.insert(it.key(), alive);
    }
    return out;
}

std::optional<TreeTracker::Universe>
TreeTracker::readUniverse(const QList<TreeQuery> &queries, const QHash<pid_t, quint64> &known,
                          const std::function<bool(const ProcInfo &)> &ownChild,
                          const std::optional<QList<pid_t>> &ownChildren) const
{
    const auto self = static_cast<pid_t>(QCoreApplication::applicationPid());
    QHash<pid_t, ProcInfo> procs;
    Universe u;
    QList<pid_t> queue;
    // startTime: the pid is a root only if it still names that process.
    const auto visit = [&](pid_t pid, std::optional<quint64> startTime, bool mine) {
        if (pid <= 0 || procs.contains(pid))
            return;
        std::optional<ProcInfo> p = m_proc.treeStat(pid);
        if (!p || (startTime && p->startTime != *startTime))
            return; // gone, or the pid was reused: found again only if a member's child lists it
        if (mine && !ownChild(*p))
            return;
        procs.insert(pid, std::move(*p));
        queue.append(pid);
    };

    // Lifeline's children: services, loggers, and the orphans re-parented to
    // us as subreaper — double-forked escapees among them.
    const std::optional<QList<pid_t>> own = ownChildren ? ownChildren : m_proc.taskChildren(self);
    if (!own)
        return std::nullopt;
    for (pid_t pid : *own)
        visit(pid, std::nullopt, true);
    for (auto it = known.cbegin(); it != known.cend(); ++it)
        visit(it.key(), it.value(), false);
    for (const TreeQuery &q : queries)
        visit(q.mainPid, std::nullopt, false); // the caller vouches for it, as in the full pass

    // Everything below them. Our own and init's children are not descended
    // into through them (the rules never do); ours were listed above.
    for (qsizetype i = 0; i < queue.size(); ++i) {
        const pid_t pid = queue.at(i);
        if (pid == self || pid == 1)
            continue;
        const ProcInfo &p = procs[pid]; // not kept: visit() below grows procs
        // A zombie's children have been re-parented; a zombie thread-group
        // leader whose other threads still run is the exception.
        if (p.isZombie() && p.threads <= 1)
            continue;
        std::optional<QList<pid_t>> kids = m_proc.taskChildren(pid, p.threads);
        if (!kids) {
            if (m_proc.treeStat(pid))
                return std::nullopt; // there, but its children cannot be read: ask the full pass
            procs.remove(pid);       // ended meanwhile
            continue;
        }
        for (pid_t child : std::as_const(*kids))
            visit(child, std::nullopt, false);
        u.children.insert(pid, std::move(*kids));
    }

    u.procs = procs.values();
    std::sort(u.procs.begin(), u.procs.end(),
              [](const ProcInfo &a, const ProcInfo &b) { return a.pid < b.pid; });
    return u;
}

std::optional<QHash<QString, QList<pid_t>>> TreeTracker::incrementalPass(const QList<TreeQuery> &queries)
{
    const std::optional<qint64> lastPid = m_proc.lastPid();
    const std::optional<Universe> u = readUniverse(queries, m_reached, [](const ProcInfo &) { return true; });
    if (!u)
        return std::nullopt;
    TreePass pass = m_proc.treePassOver(u->procs, u->children, queries, m_markerKey);
    remember(pass, lastPid);
    return std::move(pass.trees);
}

std::optional<QHash<QString, QList<pid_t>>>
TreeTracker::treesNow(const QList<TreeQuery> &queries, const std::optional<QList<pid_t>> &ownChildren) const
{
    // Not m_valid: what an earlier pass reached is only a hint here, checked
    // by start time; Lifeline's subtree is read whole either way.
    if (m_fullPasses == 0 || !m_incrementalPossible || queries.isEmpty() ||
        !m_lastTrees.contains(queries.first().name))
        return std::nullopt;
    QSet<QString> names;
    QList<pid_t> mains;
    for (const TreeQuery &q : queries) {
        names.insert(q.name);
        mains.append(q.mainPid);
    }
    // What the previous pass reached in these trees.
    QHash<pid_t, quint64> known;
    for (const TreeQuery &q : queries) {
        for (pid_t pid : m_lastTrees.value(q.name)) {
            if (const auto it = m_reached.constFind(pid); it != m_reached.cend())
                known.insert(pid, it.value());
        }
    }
    // Of our children, the other services' main processes and our helpers
    // are no part of these trees, and neither is anything a pass saw in
    // another service's tree: not descended into, which is what makes this
    // cheap with many services.
    const QList<pid_t> owned = ChildRegistry::pids();
    const auto ownChild = [&](const ProcInfo &p) {
        if (mains.contains(p.pid))
            return true;
        if (owned.contains(p.pid) || ChildRegistry::isHelper(p.pid))
            return false;
        const QString seen = m_lastSeen.value(ProcessKey{p.pid, p.startTime});
        return seen.isEmpty() || names.contains(seen);
    };
    const std::optional<Universe> u = readUniverse(queries, known, ownChild, ownChildren);
    if (!u)
        return std::nullopt;
    return m_proc.treePassOver(u->procs, u->children, queries, m_markerKey).trees;
}

void TreeTracker::remember(const TreePass &pass, std::optional<qint64> lastPid)
{
    m_lastPid = lastPid;
    m_lastTrees = pass.trees;
    m_reached.clear();
    for (auto it = pass.reached.cbegin(); it != pass.reached.cend(); ++it) {
        for (const ProcessKey &k : it.value()) {
            m_reached.insert(k.pid, k.startTime);
            m_lastSeen.insert(k, it.key());
        }
    }
}

void TreeTracker::forgetGone()
{
    // On full passes only: one stat per remembered process, bounded by what
    // the trees held since, not by the process table.
    m_lastSeen.removeIf([this](const QHash<ProcessKey, QString>::iterator &it) {
        const std::optional<ProcInfo> p = m_proc.treeStat(it.key().pid);
        return !p || p->isZombie() || p->startTime != it.key().startTime;
    });
}

} // namespace lifeline
