// Linux: everything is read from procfs (m_root, "/proc" in production) with
// plain POSIX calls. A process can vanish between any two reads; every
// missing file therefore means "gone" and yields nullopt/false quietly.
#include "platform/procfs.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace lifeline {

namespace {

// Reads a whole (procfs) file: their size is reported as 0, so read to EOF.
std::optional<QByteArray> readFile(const QByteArray &path)
{
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    QByteArray data;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ::close(fd);
            return std::nullopt; // e.g. ESRCH: the process exited while we read
        }
        if (n == 0)
            break;
        data.append(buf, n);
    }
    ::close(fd);
    return data;
}

bool parsePid(const char *name, pid_t *pid)
{
    if (!name || !*name)
        return false;
    long v = 0;
    for (const char *c = name; *c; ++c) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (*c - '0');
        if (v > INT_MAX)
            return false;
    }
    *pid = static_cast<pid_t>(v);
    return v > 0;
}

// Numeric entries of the root: the pids.
std::vector<pid_t> listPids(const QByteArray &root)
{
    std::vector<pid_t> pids;
    DIR *dir = ::opendir(root.constData());
    if (!dir)
        return pids;
    while (const dirent *e = ::readdir(dir)) {
        pid_t pid = 0;
        if (parsePid(e->d_name, &pid))
            pids.push_back(pid);
    }
    ::closedir(dir);
    std::sort(pids.begin(), pids.end());
    return pids;
}

// Calls f(inode) for every "socket:[INODE]" among PID/fd/*. Unreadable fd
// directories (other users' processes) are skipped.
template<typename F>
void forEachSocketInode(const QByteArray &pidDir, F &&f)
{
    const QByteArray fdDir = pidDir + "/fd";
    DIR *dir = ::opendir(fdDir.constData());
    if (!dir)
        return;
    char target[128];
    while (const dirent *e = ::readdir(dir)) {
        if (e->d_name[0] == '.')
            continue;
        const QByteArray link = fdDir + '/' + e->d_name;
        const ssize_t n = ::readlink(link.constData(), target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        const QByteArray t = QByteArray::fromRawData(target, n);
        if (!t.startsWith("socket:[") || !t.endsWith(']'))
            continue;
        bool ok = false;
        const quint64 inode = t.mid(8, t.size() - 9).toULongLong(&ok);
        if (ok && inode != 0)
            f(inode);
    }
    ::closedir(dir);
}

// What a tree pass reads of one process (root/PID): the stat line, and as
// uid the owner of the PID directory (one stat(2), no read). Not fstat() of
// the stat file: for a non-dumpable process the files under PID belong to
// root while the directory keeps the process's uid.
std::optional<ProcInfo> readTreeStat(const QByteArray &root, pid_t pid)
{
    const QByteArray dir = root + '/' + QByteArray::number(pid);
    const std::optional<QByteArray> stat = readFile(dir + "/stat");
    if (!stat)
        return std::nullopt;
    std::optional<ProcInfo> info = ProcFs::parseStat(*stat);
    if (!info)
        return std::nullopt;
    info->pid = pid;
    struct stat st;
    if (::stat(dir.constData(), &st) != 0)
        return std::nullopt; // gone
    info->uid = st.st_uid;
    return info;
}

struct TcpListen
{
    quint16 port = 0;
    uid_t uid = 0;
    quint64 inode = 0;
};

// net/tcp and net/tcp6: "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...".
// Only LISTEN (st 0A) entries are kept.
QList<TcpListen> listeningSockets(const QByteArray &root)
{
    QList<TcpListen> result;
    for (const char *table : {"/net/tcp", "/net/tcp6"}) {
        const std::optional<QByteArray> text = readFile(root + table);
        if (!text)
            continue;
        const QList<QByteArray> lines = text->split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) { // line 0 is the header
            const QList<QByteArray> f = lines.at(i).simplified().split(' ');
            if (f.size() < 10 || f.at(3) != "0A")
                continue;
            const QByteArray &local = f.at(1);
            const qsizetype colon = local.lastIndexOf(':');
            bool portOk = false, uidOk = false, inodeOk = false;
            TcpListen l;
            l.port = static_cast<quint16>(local.mid(colon + 1).toUInt(&portOk, 16));
            l.uid = static_cast<uid_t>(f.at(7).toUInt(&uidOk));
            l.inode = f.at(9).toULongLong(&inodeOk);
            if (colon > 0 && portOk && uidOk && inodeOk)
                result.append(l);
        }
    }
    return result;
}

} // namespace

std::optional<ProcInfo> ProcFs::process(pid_t pid) const
{
    if (pid <= 0)
        return std::nullopt;
    const QByteArray dir = QFile::encodeName(m_root) + '/' + QByteArray::number(pid);
    const std::optional<QByteArray> stat = readFile(dir + "/stat");
    if (!stat)
        return std::nullopt;
    std::optional<ProcInfo> info = parseStat(*stat);
    if (!info)
        return std::nullopt;
    info->pid = pid;

    // The real uid, from "Uid:\treal\teffective\tsaved\tfs". If status is
    // missing, the owner of /proc/PID is the process's effective uid.
    bool haveUid = false;
    if (const std::optional<QByteArray> status = readFile(dir + "/status")) {
        for (const QByteArray &line : status->split('\n')) {
            if (line.startsWith("Uid:")) {
                const QList<QByteArray> f = line.mid(4).simplified().split(' ');
                info->uid = static_cast<uid_t>(f.value(0).toUInt(&haveUid));
                break;
            }
        }
    }
    if (!haveUid) {
        struct stat st;
        if (::stat(dir.constData(), &st) != 0)
            return std::nullopt; // gone
        info->uid = st.st_uid;
    }
    if (const std::optional<QByteArray> cmd = readFile(dir + "/cmdline"))
        info->cmdline = parseCmdline(*cmd);
    return info;
}

std::optional<ProcInfo> ProcFs::processStat(pid_t pid) const
{
    if (pid <= 0)
        return std::nullopt;
    const std::optional<QByteArray> stat =
        readFile(QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/stat");
    if (!stat)
        return std::nullopt;
    std::optional<ProcInfo> info = parseStat(*stat);
    if (info)
        info->pid = pid;
    return info;
}

QList<ProcInfo> ProcFs::allProcesses() const
{
    QList<ProcInfo> result;
    for (pid_t pid : listPids(QFile::encodeName(m_root))) {
        if (std::optional<ProcInfo> info = process(pid))
            result.append(std::move(*info));
    }
    return result;
}

bool ProcFs::hasEnv(pid_t pid, const QByteArray &key, const QByteArray &value) const
{
    if (pid <= 0 || key.isEmpty() || key.contains('='))
        return false;
    const std::optional<QByteArray> env =
        readFile(QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/environ");
    if (!env)
        return false;
    const QByteArray wanted = key + '=' + value;
    qsizetype start = 0;
    while (start < env->size()) {
        qsizetype end = env->indexOf('\0', start);
        if (end < 0)
            end = env->size();
        if (end - start == wanted.size() && env->mid(start, end - start) == wanted)
            return true;
        start = end + 1;
    }
    return false;
}

QList<pid_t> ProcFs::serviceTree(pid_t mainPid, pid_t pgid, const QByteArray &markerKey,
                                 const QByteArray &markerValue) const
{
    const QString key = QStringLiteral("tree");
    return serviceTrees({TreeQuery{key, mainPid, pgid, markerValue}}, markerKey).value(key);
}

std::optional<QByteArray> ProcFs::envValue(pid_t pid, const QByteArray &key) const
{
    if (pid <= 0 || key.isEmpty() || key.contains('='))
        return std::nullopt;
    const std::optional<QByteArray> env =
        readFile(QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/environ");
    if (!env)
        return std::nullopt;
    const QByteArray prefix = key + '=';
    qsizetype start = 0;
    while (start < env->size()) {
        qsizetype end = env->indexOf('\0', start);
        if (end < 0)
            end = env->size();
        if (end - start >= prefix.size() && env->mid(start, prefix.size()) == prefix)
            return env->mid(start + prefix.size(), end - start - prefix.size());
        start = end + 1;
    }
    return QByteArray();
}

QList<ProcInfo> ProcFs::scanForTrees() const
{
    // The stat line and the owner of /proc/PID (one stat(2), no read): the
    // owner is the effective uid, a cheap first filter. The real uid that
    // decides ownership is read from status only for the few candidates,
    // once per process (realUid()).
    QList<ProcInfo> result;
    const QByteArray root = QFile::encodeName(m_root);
    for (pid_t pid : listPids(root)) {
        if (std::optional<ProcInfo> info = readTreeStat(root, pid))
            result.append(std::move(*info));
    }
    return result;
}

uid_t ProcFs::realUid(const ProcInfo &p) const
{
    const ProcessKey key{p.pid, p.startTime};
    if (const auto it = m_uidCache.constFind(key); it != m_uidCache.cend())
        return *it;
    uid_t uid = p.uid;
    if (const std::optional<QByteArray> status =
            readFile(QFile::encodeName(m_root) + '/' + QByteArray::number(p.pid) + "/status")) {
        const qsizetype at = status->indexOf("\nUid:");
        if (at >= 0) {
            const qsizetype end = status->indexOf('\n', at + 1);
            bool ok = false;
            const uid_t real = static_cast<uid_t>(
                status->mid(at + 5, end - at - 5).simplified().split(' ').value(0).toUInt(&ok));
            if (ok)
                uid = real;
        }
    }
    m_uidCache.insert(key, uid);
    return uid;
}

QHash<QString, QList<pid_t>> ProcFs::serviceTrees(const QList<TreeQuery> &queries,
                                                  const QByteArray &markerKey) const
{
    return serviceTreePass(queries, markerKey).trees;
}

TreePass ProcFs::serviceTreePass(const QList<TreeQuery> &queries, const QByteArray &markerKey) const
{
    const QList<ProcInfo> all = scanForTrees();
    QHash<pid_t, QList<pid_t>> children;
    for (const ProcInfo &p : all)
        children[p.ppid].append(p.pid);
    return runTreePass(all, children, queries, markerKey, true);
}

TreePass ProcFs::treePassOver(const QList<ProcInfo> &procs, const QHash<pid_t, QList<pid_t>> &children,
                              const QList<TreeQuery> &queries, const QByteArray &markerKey) const
{
    return runTreePass(procs, children, queries, markerKey, false);
}

TreePass ProcFs::runTreePass(const QList<ProcInfo> &all, const QHash<pid_t, QList<pid_t>> &children,
                             const QList<TreeQuery> &queries, const QByteArray &markerKey,
                             bool wholeTable) const
{
    // Ownership proofs — each is a fact the kernel keeps and that an unrelated
    // process cannot acquire by accident:
    //  * mainPid: we started it (or adopted it from a pidfile whose start time
    //    the caller verified); the caller vouches for it being alive as that one.
    //  * the process group: the service was started in a session/group of its
    //    own (setsid), whose id is the main pid; a process can only join a group
    //    within its own session, so every member descends from the service.
    //    Our own group is never accepted: that would be Lifeline's siblings.
    //  * descendants (ppid chain): a process created by anything in the service
    //    is part of it, even if it left the group with setsid.
    //  * the environment marker: a unique per-instance value that Lifeline put
    //    into the service's environment; children inherit it, so it also finds
    //    double-forked escapees re-parented to init. Checked only for our own
    //    uid (we cannot read other users' environ anyway, and never signal them).
    // The result is restricted to our uid, live processes, and never includes
    // Lifeline itself or init.
    const uid_t myUid = ::getuid();
    const pid_t self = ::getpid();
    const pid_t ownGroup = ::getpgrp();

    QHash<pid_t, qsizetype> index;
    QHash<QByteArray, qsizetype> byMarker;
    for (qsizetype q = 0; q < queries.size(); ++q) {
        if (!queries.at(q).markerValue.isEmpty())
            byMarker.insert(queries.at(q).markerValue, q);
    }
    QList<QList<pid_t>> queues(queries.size());
    QList<QSet<pid_t>> found(queries.size());
    const auto add = [&](qsizetype q, pid_t pid) {
        if (!found[q].contains(pid)) {
            found[q].insert(pid);
            queues[q].append(pid);
        }
    };

    QSet<ProcessKey> liveMarkers;
    for (qsizetype i = 0; i < all.size(); ++i)
        index.insert(all.at(i).pid, i);
    for (const ProcInfo &p : all) {
        if (p.pid == self || p.pid == 1)
            continue;
        for (qsizetype q = 0; q < queries.size(); ++q) {
            const TreeQuery &tq = queries.at(q);
            if (tq.pgid > 0 && tq.pgid != ownGroup && p.pgid == tq.pgid)
                add(q, p.pid);
        }
        if (p.uid != myUid || p.isZombie() || byMarker.isEmpty() || markerKey.isEmpty())
            continue;
        if (realUid(p) != myUid)
            continue; // never read, let alone act on, another user's environment
        const ProcessKey key{p.pid, p.startTime};
        auto cached = m_markerCache.constFind(key);
        if (cached == m_markerCache.cend())
            cached = m_markerCache.insert(key, envValue(p.pid, markerKey).value_or(QByteArray()));
        liveMarkers.insert(key);
        if (const auto it = byMarker.constFind(*cached); it != byMarker.cend())
            add(*it, p.pid);
    }
    if (wholeTable) {
        // Forget processes that are gone (and, as before, those whose marker
        // is no longer read: other users', zombies).
        m_markerCache.removeIf([&](const auto &it) { return !liveMarkers.contains(it.key()); });
        QHash<ProcessKey, uid_t> liveUids;
        for (const ProcInfo &p : all) {
            const ProcessKey key{p.pid, p.startTime};
            if (const auto it = m_uidCache.constFind(key); it != m_uidCache.cend())
                liveUids.insert(key, *it);
        }
        m_uidCache = std::move(liveUids);
    }

    TreePass out;
    for (qsizetype q = 0; q < queries.size(); ++q) {
        const TreeQuery &tq = queries.at(q);
        if (tq.mainPid > 0 && index.contains(tq.mainPid) && !all.at(index.value(tq.mainPid)).isZombie())
            add(q, tq.mainPid);
        // Descendants of everything found so far (the queue grows as we go).
        QList<pid_t> &queue = queues[q];
        for (qsizetype i = 0; i < queue.size(); ++i) {
            const pid_t parent = queue.at(i);
            if (parent == self || parent == 1)
                continue; // never treat our own or init's children as the service's
            for (pid_t child : children.value(parent)) {
                if (index.contains(child)) // a partial table may list children it did not read
                    add(q, child);
            }
        }
        QList<pid_t> result;
        QList<ProcessKey> reached;
        for (pid_t pid : std::as_const(queue)) {
            const ProcInfo &p = all.at(index.value(pid));
            reached.append(ProcessKey{pid, p.startTime});
            if (p.uid == myUid && !p.isZombie() && pid != self && pid != 1 && realUid(p) == myUid)
                result.append(pid);
        }
        std::sort(result.begin(), result.end());
        std::sort(reached.begin(), reached.end(),
                  [](const ProcessKey &a, const ProcessKey &b) { return a.pid < b.pid; });
        out.trees.insert(tq.name, result);
        out.reached.insert(tq.name, reached);
    }
    return out;
}

std::optional<ProcInfo> ProcFs::treeStat(pid_t pid) const
{
    if (pid <= 0)
        return std::nullopt;
    return readTreeStat(QFile::encodeName(m_root), pid); // exactly what scanForTrees() reads
}

std::optional<QList<pid_t>> ProcFs::taskChildren(pid_t pid, int threads) const
{
    if (pid <= 0)
        return std::nullopt;
    const QByteArray taskDir = QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/task";
    std::vector<pid_t> tids;
    if (threads == 1) {
        tids.push_back(pid);
    } else {
        tids = listPids(taskDir);
        if (tids.empty())
            return std::nullopt; // gone
    }
    QList<pid_t> result;
    bool readOne = false;
    for (pid_t tid : tids) {
        // "123 456 " — one line, pids separated by spaces.
        const std::optional<QByteArray> text =
            readFile(taskDir + '/' + QByteArray::number(tid) + "/children");
        if (!text)
            continue; // that thread has just ended (its children went to another thread)
        readOne = true;
        for (const QByteArray &field : text->split(' ')) {
            pid_t child = 0;
            const QByteArray f = field.trimmed();
            if (parsePid(f.constData(), &child))
                result.append(child);
        }
    }
    if (!readOne)
        return std::nullopt; // gone, or no children files on this kernel
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    return result;
}

std::optional<qint64> ProcFs::lastPid() const
{
    // "0.52 0.58 0.59 1/467 12345\n"
    const std::optional<QByteArray> text = readFile(QFile::encodeName(m_root) + "/loadavg");
    if (!text)
        return std::nullopt;
    const QList<QByteArray> fields = text->simplified().split(' ');
    if (fields.size() < 5)
        return std::nullopt;
    bool ok = false;
    const qint64 pid = fields.at(4).toLongLong(&ok);
    return ok && pid >= 0 ? std::optional<qint64>(pid) : std::nullopt;
}

bool ProcFs::hasTaskChildren() const
{
    const QByteArray self = QByteArray::number(::getpid());
    const QByteArray path = QFile::encodeName(m_root) + '/' + self + "/task/" + self + "/children";
    return ::access(path.constData(), R_OK) == 0;
}

std::optional<PortHolder> ProcFs::portHolder(quint16 port) const
{
    const QByteArray root = QFile::encodeName(m_root);
    QHash<quint64, uid_t> inodes;
    for (const TcpListen &l : listeningSockets(root)) {
        if (l.port == port)
            inodes.insert(l.inode, l.uid);
    }
    if (inodes.isEmpty())
        return std::nullopt;

    PortHolder holder;
    holder.port = port;
    holder.uid = inodes.cbegin().value();
    for (pid_t pid : listPids(root)) {
        bool match = false;
        forEachSocketInode(root + '/' + QByteArray::number(pid),
                           [&](quint64 inode) { match = match || inodes.contains(inode); });
        if (!match)
            continue;
        if (const std::optional<ProcInfo> info = process(pid)) {
            holder.pid = pid;
            holder.uid = info->uid;
            holder.cmdline = info->cmdline;
            break;
        }
    }
    holder.user = userName(holder.uid);
    return holder;
}

QList<quint16> ProcFs::listeningPorts(const QList<pid_t> &pids) const
{
    if (std::none_of(pids.cbegin(), pids.cend(), [](pid_t pid) { return pid > 0; }))
        return {}; // the socket tables cost milliseconds on a busy machine
    const QByteArray root = QFile::encodeName(m_root);
    QHash<quint64, quint16> portOf;
    for (const TcpListen &l : listeningSockets(root))
        portOf.insert(l.inode, l.port);
    QList<quint16> ports;
    if (portOf.isEmpty())
        return ports;
    for (pid_t pid : pids) {
        if (pid <= 0)
            continue;
        forEachSocketInode(root + '/' + QByteArray::number(pid), [&](quint64 inode) {
            const auto it = portOf.constFind(inode);
            if (it != portOf.cend() && !ports.contains(it.value()))
                ports.append(it.value());
        });
    }
    std::sort(ports.begin(), ports.end());
    return ports;
}

int ProcFs::fdCount(pid_t pid) const
{
    if (pid <= 0)
        return -1;
    const QByteArray fdDir = QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/fd";
    DIR *dir = ::opendir(fdDir.constData());
    if (!dir)
        return -1;
    int count = 0;
    while (const dirent *e = ::readdir(dir)) {
        if (e->d_name[0] != '.')
            ++count;
    }
    ::closedir(dir);
    return count;
}

std::optional<MemInfo> ProcFs::systemMemory() const
{
    const std::optional<QByteArray> text = readFile(QFile::encodeName(m_root) + "/meminfo");
    return text ? parseMemInfo(*text) : std::nullopt;
}

OomKillCounts ProcFs::oomKillCounts(qint64 maxAgeMs) const
{
    // Per thread, for the root it was read from: tests use fixture roots.
    struct Cache
    {
        QString root;
        QByteArray eventsPath; // Lifeline's own cgroup does not move
        QElapsedTimer readAt;
        OomKillCounts value;
    };
    thread_local Cache cache;
    if (cache.root != m_root) {
        cache = Cache{m_root, {}, {}, {}};
        // cgroup v2: "0::/user.slice/..." names our group under /sys/fs/cgroup.
        if (const std::optional<QByteArray> cg = readFile(QFile::encodeName(m_root) + "/self/cgroup")) {
            for (const QByteArray &line : cg->split('\n')) {
                if (line.startsWith("0::")) {
                    cache.eventsPath = "/sys/fs/cgroup" + line.mid(3).trimmed() + "/memory.events";
                    break;
                }
            }
        }
    }
    if (maxAgeMs > 0 && cache.readAt.isValid() && !cache.readAt.hasExpired(maxAgeMs))
        return cache.value;
    OomKillCounts c;
    if (const std::optional<QByteArray> vmstat = readFile(QFile::encodeName(m_root) + "/vmstat"))
        c.system = parseCounter(*vmstat, "oom_kill");
    if (!cache.eventsPath.isEmpty()) {
        if (const std::optional<QByteArray> events = readFile(cache.eventsPath))
            c.cgroup = parseCounter(*events, "oom_kill");
        else if (errno == ENOENT)
            cache.eventsPath.clear(); // the root group has no memory.events; it will not grow one
    }
    cache.value = c;
    cache.readAt.start();
    return c;
}

std::optional<QString> ProcFs::fdTarget(pid_t pid, int fd) const
{
    const QByteArray path =
        QFile::encodeName(m_root) + '/' + QByteArray::number(pid) + "/fd/" + QByteArray::number(fd);
    char buf[4096];
    const ssize_t n = ::readlink(path.constData(), buf, sizeof buf);
    if (n <= 0 || size_t(n) >= sizeof buf)
        return std::nullopt;
    return QFile::decodeName(QByteArray(buf, n));
}

QString ProcFs::userName(uid_t uid)
{
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    if (size <= 0)
        size = 16384;
    for (int attempt = 0; attempt < 4; ++attempt, size *= 4) {
        std::vector<char> buf(static_cast<size_t>(size));
        struct passwd pw;
        struct passwd *result = nullptr;
        const int rc = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &result);
        if (rc == ERANGE)
            continue;
        if (rc != 0 || !result)
            return {};
        return QString::fromLocal8Bit(result->pw_name);
    }
    return {};
}

qint64 ProcFs::clockTicksPerSecond()
{
    static const qint64 ticks = ::sysconf(_SC_CLK_TCK);
    return ticks;
}

qint64 ProcFs::pageSize()
{
    static const qint64 size = ::sysconf(_SC_PAGESIZE);
    return size;
}

bool becomeSubreaper()
{
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

bool isSubreaper()
{
    int on = 0;
    return ::prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on != 0;
}

QList<pid_t> reapOrphans(const QList<pid_t> &owned)
{
    // waitpid(-1) would also collect the children that QProcess started and
    // reaps itself (forkfd/pidfd): it would steal their exit statuses and leave
    // QProcess waiting for a child that no longer exists. So only the pids
    // that /proc shows as our zombie children, and no QProcess owns, are
    // waited for, each by its own pid.
    QList<pid_t> reaped;
    // Cheap first look: is any child of ours waitable at all? WNOWAIT leaves
    // it for its owner. Usually the answer is no, and /proc is not scanned.
    for (;;) {
        siginfo_t si = {};
        if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
            return reaped; // no children, or none has exited
        if (owned.contains(si.si_pid))
            break; // QProcess's turn first; look for others in /proc below
        int status = 0;
        if (::waitpid(si.si_pid, &status, WNOHANG) == si.si_pid)
            reaped.append(si.si_pid);
        else
            break;
    }
    const pid_t self = ::getpid();
    for (pid_t pid : listPids(QByteArrayLiteral("/proc"))) {
        if (pid == self || owned.contains(pid))
            continue;
        const std::optional<QByteArray> stat = readFile("/proc/" + QByteArray::number(pid) + "/stat");
        if (!stat)
            continue;
        const std::optional<ProcInfo> info = ProcFs::parseStat(*stat);
        if (!info || info->ppid != self || !info->isZombie())
            continue;
        int status = 0;
        pid_t rc;
        do {
            rc = ::waitpid(pid, &status, WNOHANG);
        } while (rc < 0 && errno == EINTR);
        if (rc == pid)
            reaped.append(pid);
    }
    return reaped;
}

int openPidFd(pid_t pid)
{
    if (pid <= 0)
        return -1;
    // The descriptor is close-on-exec by definition of pidfd_open(2).
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : static_cast<int>(fd);
}

} // namespace lifeline
