// ProcFs: parsing against captured /proc fixtures and fake proc roots built
// at test time, then the live kernel: our own process, real children that
// escape their group, a real listening socket, orphan reaping as subreaper
// and pidfd exit notification.
#include "platform/procfs.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

const QString kFixtureRoot = QStringLiteral(LIFELINE_TEST_DATA "/proc");

// Fake pids above any possible pid_max (2^22), so they never name a real process.
constexpr pid_t kFake = 4200000;

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

QByteArray statLine(pid_t pid, const QByteArray &comm, char state, pid_t ppid, pid_t pgid)
{
    // Fields 3..24, the rest is not read.
    return QByteArray::number(pid) + " (" + comm + ") " + state + ' ' + QByteArray::number(ppid) + ' ' +
           QByteArray::number(pgid) + ' ' + QByteArray::number(pgid) +
           " 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 1 0 777 1000 9 0 0\n";
}

// A process directory in a fake proc root: stat, status (real uid), cmdline, environ.
bool makeProc(const QString &root, pid_t pid, pid_t ppid, pid_t pgid, uid_t uid, char state = 'S',
              const QByteArray &environ = {},
              const QByteArray &cmdline = "sleep\0"
                                          "30\0"_ba)
{
    const QString dir = root + u'/' + QString::number(pid);
    return writeFile(dir + u"/stat"_s, statLine(pid, "fake", state, ppid, pgid)) &&
           writeFile(dir + u"/status"_s, "Name:\tfake\nUid:\t" + QByteArray::number(uid) + "\t" +
                                             QByteArray::number(uid) + "\t0\t0\n") &&
           writeFile(dir + u"/cmdline"_s, cmdline) && writeFile(dir + u"/environ"_s, environ);
}

bool copyFixture(const QString &relative, const QString &root)
{
    QDir().mkpath(QFileInfo(root + u'/' + relative).absolutePath());
    return QFile::copy(kFixtureRoot + u'/' + relative, root + u'/' + relative);
}

pid_t pidMax()
{
    QFile f(u"/proc/sys/kernel/pid_max"_s);
    if (!f.open(QIODevice::ReadOnly))
        return 4194304;
    return f.readAll().trimmed().toInt();
}

} // namespace

class TestProcFs : public QObject
{
    Q_OBJECT

private slots:
    void cleanup();

    // Pure parsers.
    void parseStat_data();
    void parseStat();
    void parseCmdline_data();
    void parseCmdline();
    void describe_data();
    void describe();

    // Captured fixtures.
    void fixtureProcessWeirdComm();
    void fixtureZombieAndUidFallback();
    void fixtureMissingIsQuiet();
    void fixtureAllProcesses();
    void fixtureHasEnv();
    void fixturePortHolderUnknownOwner();
    void fixtureSystemMemory();

    // Fake roots built at test time.
    void fakePortHolderFromFds();
    void fakeServiceTree();

    // Live kernel.
    void liveSelf();
    void liveSystem();
    void liveServiceTreeFindsEscapees();
    void liveTreeStatAndTaskChildren();
    void livePortHolder();
    void livePidFd();
    void liveReapOrphans();

private:
    QList<pid_t> m_strays; // processes a test started outside QProcess; killed in cleanup()
};

void TestProcFs::cleanup()
{
    const ProcFs proc;
    for (pid_t pid : std::as_const(m_strays)) {
        // Only signal what is still ours and is still a sleep we started.
        const std::optional<ProcInfo> info = proc.process(pid);
        if (info && info->uid == ::getuid() && info->cmdline.value(0) == u"sleep"_s)
            ::kill(pid, SIGKILL);
    }
    m_strays.clear();
}

void TestProcFs::parseStat_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("comm");
    QTest::addColumn<int>("ppid");
    QTest::addColumn<quint64>("startTime");

    QTest::newRow("parens and spaces")
        << statLine(10, "my (weird) app", 'S', 9, 10) << true << u"my (weird) app"_s << 9 << quint64(777);
    QTest::newRow("closing paren then fields")
        << statLine(11, ") S 1 2 3 (", 'R', 5, 11) << true << u") S 1 2 3 ("_s << 5 << quint64(777);
    QTest::newRow("empty comm") << statLine(12, "", 'S', 1, 12) << true << QString() << 1 << quint64(777);
    QTest::newRow("no newline") << statLine(13, "x", 'S', 2, 13).trimmed() << true << u"x"_s << 2
                                << quint64(777);
    QTest::newRow("no parens") << "13 x S 1 2 3"_ba << false << QString() << 0 << quint64(0);
    QTest::newRow("truncated") << "14 (x) S 1 2 3 0 -1"_ba << false << QString() << 0 << quint64(0);
    QTest::newRow("not a number") << statLine(15, "x", 'S', 1, 15).replace(" 777 ", " abc ") << false
                                  << QString() << 0 << quint64(0);
    QTest::newRow("runs of whitespace")
        << statLine(17, "x", 'S', 4, 17).replace(" 777 ", " \t 777  ") << true << u"x"_s << 4 << quint64(777);
    QTest::newRow("state not one character")
        << statLine(18, "x", 'S', 1, 18).replace(") S ", ") SS ") << false << QString() << 0 << quint64(0);
    QTest::newRow("negative start time")
        << statLine(19, "x", 'S', 1, 19).replace(" 777 ", " -777 ") << false << QString() << 0 << quint64(0);
    QTest::newRow("no pid") << statLine(16, "x", 'S', 1, 16).mid(2) << false << QString() << 0 << quint64(0);
    QTest::newRow("empty") << QByteArray() << false << QString() << 0 << quint64(0);
}

void TestProcFs::parseStat()
{
    QFETCH(QByteArray, line);
    QFETCH(bool, valid);
    const std::optional<ProcInfo> info = ProcFs::parseStat(line);
    QCOMPARE(info.has_value(), valid);
    if (!valid)
        return;
    QTEST(info->comm, "comm");
    QTEST(int(info->ppid), "ppid");
    QTEST(info->startTime, "startTime");
    QCOMPARE(info->utime, quint64(5));
    QCOMPARE(info->stime, quint64(6));
    QCOMPARE(info->rssBytes, 9 * ProcFs::pageSize());
}

void TestProcFs::parseCmdline_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QStringList>("args");
    QTest::newRow("trailing NUL") << "python3\0main.py\0"_ba << QStringList{u"python3"_s, u"main.py"_s};
    QTest::newRow("no trailing NUL") << "python3\0main.py"_ba << QStringList{u"python3"_s, u"main.py"_s};
    QTest::newRow("empty argument kept") << "a\0\0b\0"_ba << QStringList{u"a"_s, QString(), u"b"_s};
    QTest::newRow("rewritten argv with spaces")
        << "nginx: worker process"_ba << QStringList{u"nginx: worker process"_s};
    QTest::newRow("kernel thread or zombie") << QByteArray() << QStringList();
    QTest::newRow("utf8") << "echo\0h\xc3\xa9llo\0"_ba << QStringList{u"echo"_s, u"h\u00e9llo"_s};
}

void TestProcFs::parseCmdline()
{
    QFETCH(QByteArray, raw);
    QTEST(ProcFs::parseCmdline(raw), "args");
}

void TestProcFs::describe_data()
{
    QTest::addColumn<int>("pid");
    QTest::addColumn<uint>("uid");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QStringList>("cmdline");
    QTest::addColumn<QString>("text");
    QTest::newRow("known") << 1234 << 1001u << u"alice"_s << QStringList{u"python3"_s, u"main.py"_s}
                           << u"PID 1234 (alice): python3 main.py"_s;
    QTest::newRow("no passwd entry") << 1234 << 1001u << QString() << QStringList{u"node"_s}
                                     << u"PID 1234 (uid 1001): node"_s;
    QTest::newRow("no cmdline") << 77 << 0u << u"root"_s << QStringList() << u"PID 77 (root)"_s;
    QTest::newRow("unknown owner") << 0 << 1001u << QString() << QStringList()
                                   << u"an unknown process of uid 1001"_s;
    QTest::newRow("unknown owner, named user")
        << 0 << 1001u << u"bob"_s << QStringList() << u"an unknown process of uid 1001 (bob)"_s;
}

void TestProcFs::describe()
{
    QFETCH(int, pid);
    QFETCH(uint, uid);
    QFETCH(QString, user);
    QFETCH(QStringList, cmdline);
    PortHolder h;
    h.port = 8000;
    h.pid = pid;
    h.uid = uid;
    h.user = user;
    h.cmdline = cmdline;
    QTEST(h.describe(), "text");
}

void TestProcFs::fixtureProcessWeirdComm()
{
    const std::optional<ProcInfo> p = ProcFs(kFixtureRoot).process(4242);
    QVERIFY(p);
    QCOMPARE(p->pid, 4242);
    QCOMPARE(p->comm, u"my (weird) app"_s);
    QCOMPARE(p->state, 'S');
    QVERIFY(!p->isZombie());
    QCOMPARE(p->ppid, 4200);
    QCOMPARE(p->pgid, 4242);
    QCOMPARE(p->sid, 4242);
    QCOMPARE(p->utime, quint64(150));
    QCOMPARE(p->stime, quint64(50));
    QCOMPARE(p->threads, 3);
    QCOMPARE(p->startTime, quint64(123456));
    QCOMPARE(p->rssBytes, 2560 * ProcFs::pageSize());
    QCOMPARE(p->uid, uid_t(1001)); // the real uid, not the effective 1002
    // cmdline has no trailing NUL and an argument with a space.
    QCOMPARE(p->cmdline, (QStringList{u"python3"_s, u"main.py"_s, u"--name"_s, u"my app"_s}));
}

void TestProcFs::fixtureZombieAndUidFallback()
{
    const ProcFs proc(kFixtureRoot);
    const std::optional<ProcInfo> zombie = proc.process(4243);
    QVERIFY(zombie);
    QVERIFY(zombie->isZombie());
    QVERIFY(zombie->cmdline.isEmpty());
    QCOMPARE(zombie->ppid, 4242);

    // 4244 has no status file: the uid is the owner of its directory.
    const std::optional<ProcInfo> worker = proc.process(4244);
    QVERIFY(worker);
    QCOMPARE(worker->uid, uid_t(QFileInfo(kFixtureRoot + u"/4244"_s).ownerId()));
    QCOMPARE(worker->cmdline, (QStringList{u"node"_s, u"server.js"_s}));
    QCOMPARE(worker->state, 'R');
}

void TestProcFs::fixtureMissingIsQuiet()
{
    QTest::failOnWarning(QRegularExpression(u".*"_s));
    const ProcFs proc(kFixtureRoot);
    QVERIFY(!proc.process(4299));
    QVERIFY(!proc.process(0));
    QVERIFY(!proc.process(-5));
    QVERIFY(!proc.hasEnv(4299, "PORT", "8000"));
    QCOMPARE(proc.fdCount(4299), -1);
    const ProcFs nowhere(u"/nonexistent/proc"_s);
    QVERIFY(nowhere.allProcesses().isEmpty());
    QVERIFY(!nowhere.portHolder(8000));
    QVERIFY(nowhere.listeningPorts({4242}).isEmpty());
    QVERIFY(nowhere.serviceTree(4242, 4242, "K", "V").isEmpty());
    QVERIFY(!nowhere.systemMemory());
}

void TestProcFs::fixtureAllProcesses()
{
    QList<pid_t> pids;
    for (const ProcInfo &p : ProcFs(kFixtureRoot).allProcesses())
        pids.append(p.pid);
    // net/, stat and meminfo are not processes.
    QCOMPARE(pids, (QList<pid_t>{4242, 4243, 4244}));
}

void TestProcFs::fixtureHasEnv()
{
    const ProcFs proc(kFixtureRoot);
    QVERIFY(proc.hasEnv(4242, "LIFELINE_INSTANCE", "abc123"));
    QVERIFY(proc.hasEnv(4242, "LIFELINE_INSTANCE_X", "abc"));
    QVERIFY(proc.hasEnv(4242, "PATH", "/usr/bin:/bin"));         // first entry
    QVERIFY(proc.hasEnv(4242, "PORT", "8000"));                  // last entry
    QVERIFY(!proc.hasEnv(4242, "LIFELINE_INSTANCE", "abc"));     // value prefix
    QVERIFY(!proc.hasEnv(4242, "LIFELINE_INSTANCE", "abc1234")); // longer value
    QVERIFY(!proc.hasEnv(4242, "LIFELINE", "INSTANCE=abc123"));  // key must not hold '='
    QVERIFY(!proc.hasEnv(4242, "INSTANCE", "abc123"));           // key suffix
    QVERIFY(!proc.hasEnv(4242, "", "abc123"));
    QVERIFY(!proc.hasEnv(4243, "LIFELINE_INSTANCE", "abc123")); // no environ file

    // environ without a trailing NUL still matches its last entry.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(makeProc(dir.path(), 77, 1, 77, 1000, 'S', "A=1\0B=2"_ba));
    QVERIFY(ProcFs(dir.path()).hasEnv(77, "B", "2"));
    QVERIFY(!ProcFs(dir.path()).hasEnv(77, "B", ""));
}

void TestProcFs::fixturePortHolderUnknownOwner()
{
    // The fixture root has no fd directories: the owner cannot be found, as
    // for another user's process, and the tcp table's uid column is used.
    const ProcFs proc(kFixtureRoot);
    const std::optional<PortHolder> v4 = proc.portHolder(8000);
    QVERIFY(v4);
    QCOMPARE(v4->port, quint16(8000));
    QCOMPARE(v4->pid, 0);
    QCOMPARE(v4->uid, uid_t(1001));
    QCOMPARE(v4->user, ProcFs::userName(1001));
    QVERIFY(v4->describe().startsWith(u"an unknown process of uid 1001"_s));

    const std::optional<PortHolder> v6 = proc.portHolder(9001); // only in tcp6
    QVERIFY(v6);
    QCOMPARE(v6->pid, 0);
    QCOMPARE(v6->uid, uid_t(0));
    QCOMPARE(v6->user, u"root"_s);

    QVERIFY(!proc.portHolder(8001)); // TIME_WAIT only
    QVERIFY(!proc.portHolder(9002)); // ESTABLISHED only
    QVERIFY(!proc.portHolder(53));   // absent
    QVERIFY(proc.listeningPorts({4242, 4243}).isEmpty());
}

void TestProcFs::fixtureSystemMemory()
{
    const ProcFs proc(kFixtureRoot);
    const std::optional<MemInfo> mem = proc.systemMemory();
    QVERIFY(mem);
    QCOMPARE(mem->totalBytes, qint64(24684084) * 1024);
    QCOMPARE(mem->availableBytes, qint64(24276724) * 1024);

    // A kernel older than 3.14 has no MemAvailable: MemFree + Buffers +
    // Cached, as the system figures (parseMemInfo) count it; no MemTotal: unknown.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.path() + u"/meminfo"_s, "MemTotal: 100 kB\nMemFree: 50 kB\nCached: 20 kB\n"));
    const std::optional<MemInfo> old = ProcFs(dir.path()).systemMemory();
    QVERIFY(old);
    QCOMPARE(old->availableBytes, qint64(70) * 1024);
    QVERIFY(writeFile(dir.path() + u"/meminfo"_s, "MemFree: 50 kB\n"));
    QVERIFY(!ProcFs(dir.path()).systemMemory());
}

void TestProcFs::fakePortHolderFromFds()
{
    // Symlinks are not portable in a committed fixture, so the fd directories
    // are made here: 5000 holds the IPv4 listener of 8000 (inode 55555), 5001
    // the IPv6 one of 9001 (66666), 5002 only a pipe that happens to carry the
    // same number, and the accepted connection on 8000 (inode 55556).
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    QVERIFY(copyFixture(u"net/tcp"_s, root));
    QVERIFY(copyFixture(u"net/tcp6"_s, root));
    // 5000 runs as 1005 although the table says 1001 (a socket passed on): the process counts.
    QVERIFY(makeProc(root, 5000, 1, 5000, 1005, 'S', {}, "python3\0main.py\0"_ba));
    QVERIFY(makeProc(root, 5001, 1, 5001, 0, 'S', {}, "nginx: master process"_ba));
    QVERIFY(makeProc(root, 5002, 1, 5002, 1001));
    const auto makeLink = [&root](pid_t pid, int fd, const QString &target) {
        const QString fdDir = root + u'/' + QString::number(pid) + u"/fd"_s;
        return QDir().mkpath(fdDir) && QFile::link(target, fdDir + u'/' + QString::number(fd)) &&
               QFileInfo(fdDir + u'/' + QString::number(fd)).symLinkTarget().endsWith(target);
    };
    QVERIFY(makeLink(5000, 0, u"/dev/null"_s));
    QVERIFY(makeLink(5000, 3, u"socket:[11111]"_s));
    QVERIFY(makeLink(5000, 4, u"socket:[55555]"_s));
    QVERIFY(makeLink(5000, 5, u"socket:[55556]"_s));
    QVERIFY(makeLink(5001, 7, u"socket:[66666]"_s));
    QVERIFY(makeLink(5002, 1, u"pipe:[55555]"_s));
    QVERIFY(makeLink(5002, 2, u"socket:[5555]"_s));

    const ProcFs proc(root);
    QCOMPARE(proc.fdCount(5000), 4);
    QCOMPARE(proc.fdCount(5003), -1);

    const std::optional<PortHolder> h = proc.portHolder(8000);
    QVERIFY(h);
    QCOMPARE(h->pid, 5000);
    QCOMPARE(h->uid, uid_t(1005));
    QCOMPARE(h->cmdline, (QStringList{u"python3"_s, u"main.py"_s}));
    const QString user = ProcFs::userName(1005);
    QCOMPARE(h->user, user);
    QCOMPARE(h->describe(), u"PID 5000 (%1): python3 main.py"_s.arg(user.isEmpty() ? u"uid 1005"_s : user));

    const std::optional<PortHolder> h6 = proc.portHolder(9001);
    QVERIFY(h6);
    QCOMPARE(h6->pid, 5001);
    QCOMPARE(h6->user, u"root"_s);
    QCOMPARE(h6->describe(), u"PID 5001 (root): nginx: master process"_s);

    QCOMPARE(proc.listeningPorts({5000}), (QList<quint16>{8000}));
    QCOMPARE(proc.listeningPorts({5001, 5000}), (QList<quint16>{8000, 9001}));
    QVERIFY(proc.listeningPorts({5002}).isEmpty());
    QVERIFY(proc.listeningPorts({}).isEmpty());
    QVERIFY(proc.listeningPorts({5003}).isEmpty());
}

void TestProcFs::fakeServiceTree()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const uid_t me = ::getuid();
    const uid_t other = me == 0 ? 1000 : me + 1;
    const pid_t self = ::getpid();
    const pid_t mainPid = kFake + 100;
    const pid_t group = mainPid;
    QVERIFY(group != ::getpgrp());
    const QByteArray marker = "LIFELINE_INSTANCE=svc-1\0"_ba;

    struct P
    {
        pid_t pid, ppid, pgid;
        uid_t uid;
        char state;
        QByteArray env;
    };
    const QList<P> procs = {
        {1, 0, 1, me, 'S', marker},                           // init, even with the marker: never
        {mainPid, kFake + 50, group, me, 'S', marker},        // the service
        {kFake + 50, 1, kFake + 50, me, 'S', {}},             // its parent: not part of it
        {kFake + 101, mainPid, group, me, 'S', marker},       // child
        {kFake + 102, kFake + 101, kFake + 102, me, 'S', {}}, // grandchild that left the group
        {kFake + 103, mainPid, group, me, 'Z', {}},           // zombie child
        {kFake + 104, mainPid, group, other, 'S', {}},        // another user's (setuid) child
        {kFake + 106, 1, group, me, 'S', {}},                 // group member re-parented to init
        {kFake + 107, kFake + 106, kFake + 107, me, 'R', {}}, // ... and its child
        {kFake + 108, 1, kFake + 108, me, 'S', marker},       // double-forked escapee, own session
        {kFake + 109, kFake + 108, kFake + 108, me, 'S', {}}, // ... its child (environ cleared)
        {kFake + 110, 1, kFake + 110, me, 'S', "LIFELINE_INSTANCE=svc-2\0"_ba}, // another instance
        {kFake + 111, 1, kFake + 111, other, 'S', marker}, // another user's, marker or not
        {kFake + 112, 1, kFake + 112, me, 'S', {}},        // unrelated
        {self, 1, ::getpgrp(), me, 'R', marker},           // Lifeline itself
        {kFake + 113, self, kFake + 113, me, 'S', {}},     // Lifeline's other child
        {kFake + 114, 1, ::getpgrp(), me, 'S', {}},        // in Lifeline's own group
    };
    for (const P &p : procs)
        QVERIFY(makeProc(root, p.pid, p.ppid, p.pgid, p.uid, p.state, p.env));
    // Not a process directory, must be ignored.
    QVERIFY(writeFile(root + u"/uptime"_s, "1.0 2.0\n"));

    const ProcFs proc(root);
    const auto ids = [mainPid](std::initializer_list<int> offsets) {
        QList<pid_t> r;
        for (int o : offsets)
            r.append(o == 0 ? mainPid : kFake + o);
        std::sort(r.begin(), r.end());
        return r;
    };
    QCOMPARE(proc.serviceTree(mainPid, group, "LIFELINE_INSTANCE", "svc-1"),
             ids({0, 101, 102, 106, 107, 108, 109}));
    // Each criterion on its own:
    QCOMPARE(proc.serviceTree(mainPid, 0, {}, {}), ids({0, 101, 102}));         // descendants
    QCOMPARE(proc.serviceTree(0, group, {}, {}), ids({0, 101, 102, 106, 107})); // group (+ descendants)
    QCOMPARE(proc.serviceTree(0, 0, "LIFELINE_INSTANCE", "svc-1"),
             ids({0, 101, 102, 108, 109})); // marker (+ descendants)
    QCOMPARE(proc.serviceTree(0, 0, "LIFELINE_INSTANCE", "svc-2"), ids({110}));
    // A dead (zombie) main pid is not a service.
    QCOMPARE(proc.serviceTree(kFake + 103, 0, {}, {}), QList<pid_t>());
    QCOMPARE(proc.serviceTree(kFake + 999, 0, {}, {}), QList<pid_t>());
    // Never ourselves, never init, never through them.
    QCOMPARE(proc.serviceTree(self, 0, {}, {}), QList<pid_t>());
    QCOMPARE(proc.serviceTree(1, 0, {}, {}), QList<pid_t>());
    // Our own process group is never taken as a service's.
    QCOMPARE(proc.serviceTree(0, ::getpgrp(), {}, {}), QList<pid_t>());
    QCOMPARE(proc.serviceTree(0, 0, {}, {}), QList<pid_t>());

    // What the pass reached: the tree plus the zombie and the other user's
    // child, which are left out of the tree but were followed.
    const QList<TreeQuery> queries{{u"svc"_s, mainPid, group, "svc-1"}};
    const TreePass pass = proc.serviceTreePass(queries, "LIFELINE_INSTANCE");
    QCOMPARE(pass.trees, proc.serviceTrees(queries, "LIFELINE_INSTANCE"));
    QList<pid_t> reached;
    for (const ProcessKey &k : pass.reached.value(u"svc"_s)) {
        QCOMPARE(k.startTime, quint64(777));
        reached.append(k.pid);
    }
    QCOMPARE(reached, ids({0, 101, 102, 103, 104, 106, 107, 108, 109}));

    // The same rules over a part of the table: what is not in it does not
    // exist, even when a children list names it.
    QList<ProcInfo> part;
    for (pid_t pid : {mainPid, kFake + 101, kFake + 103})
        part.append(*proc.treeStat(pid));
    const TreePass partial = proc.treePassOver(part, {{mainPid, {kFake + 101, kFake + 103, kFake + 104}}},
                                               {{u"svc"_s, mainPid, 0, {}}}, {});
    QCOMPARE(partial.trees.value(u"svc"_s), ids({0, 101}));
    QCOMPARE(partial.reached.value(u"svc"_s).size(), 3);
    QVERIFY(!proc.treeStat(kFake + 999));
}

void TestProcFs::liveSelf()
{
    const ProcFs proc;
    const std::optional<ProcInfo> me = proc.process(::getpid());
    QVERIFY(me);
    QCOMPARE(me->pid, ::getpid());
    QCOMPARE(me->ppid, ::getppid());
    QCOMPARE(me->pgid, ::getpgrp());
    QCOMPARE(me->sid, ::getsid(0));
    QCOMPARE(me->uid, ::getuid());
    QCOMPARE(me->state, 'R'); // we are running while we read it
    QVERIFY(me->startTime > 0);
    QVERIFY(me->threads >= 1);
    QVERIFY(me->rssBytes > 0);
    QCOMPARE(me->cmdline.value(0), QCoreApplication::arguments().value(0));
    QCOMPARE(me->comm, QFileInfo(QCoreApplication::applicationFilePath()).fileName().left(15));

    bool found = false;
    for (const ProcInfo &p : proc.allProcesses())
        found = found || p.pid == ::getpid();
    QVERIFY(found);

    // (pid, startTime) is stable between reads.
    QCOMPARE(proc.process(::getpid())->startTime, me->startTime);
}

void TestProcFs::liveSystem()
{
    const ProcFs proc;
    const std::optional<MemInfo> mem = proc.systemMemory();
    QVERIFY(mem);
    QVERIFY(mem->totalBytes > 0);
    QVERIFY(mem->availableBytes <= mem->totalBytes);
    QVERIFY(ProcFs::clockTicksPerSecond() > 0);

    const int before = proc.fdCount(::getpid());
    QVERIFY(before > 0);
    QFile f(QCoreApplication::applicationFilePath());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(proc.fdCount(::getpid()), before + 1);
}

void TestProcFs::liveServiceTreeFindsEscapees()
{
    // A service as the supervisor starts it: own session (setsid), an
    // instance marker in its environment. It starts D, a child that moves to
    // its own session, and E, a double-forked escapee whose parent exits, so
    // E is neither in the group nor a descendant: only the marker finds it.
    QVERIFY(becomeSubreaper()); // as Lifeline is; it also lets us reap what we leave behind
    const QByteArray key = "LIFELINE_INSTANCE";
    const QByteArray value = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    QProcess service;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QString::fromLatin1(key), QString::fromLatin1(value));
    service.setProcessEnvironment(env);
    service.setChildProcessModifier([] { ::setsid(); });
    service.start(u"/bin/sh"_s, {u"-c"_s, u"setsid sleep 30 </dev/null >/dev/null 2>&1 & echo D$!; "
                                          "(setsid sleep 30 </dev/null >/dev/null 2>&1 & echo E$!); "
                                          "exec sleep 30"_s});
    QSignalSpy started(&service, &QProcess::started);
    QVERIFY(started.wait(10000));
    const pid_t mainPid = static_cast<pid_t>(service.processId());
    m_strays.append(mainPid);

    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += service.readAllStandardOutput()).count('\n') >= 2, 10000);
    const QList<QByteArray> lines = out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    const pid_t d = lines.at(0).mid(1).toInt();
    const pid_t e = lines.at(1).mid(1).toInt();
    QVERIFY(d > 0 && e > 0);
    m_strays << d << e;

    const ProcFs proc;
    const auto program = [&proc](pid_t pid) {
        const std::optional<ProcInfo> p = proc.process(pid);
        return p ? p->cmdline.value(0) : QString();
    };
    // The setup really is an escape: once E's parent subshell is gone, E is
    // in its own group and no descendant of the service.
    QTRY_VERIFY_WITH_TIMEOUT(program(e) == u"sleep"_s && program(d) == u"sleep"_s &&
                                 program(mainPid) == u"sleep"_s &&
                                 !proc.serviceTree(mainPid, mainPid, {}, {}).contains(e),
                             10000);
    QVERIFY(proc.process(e)->ppid != mainPid);
    QCOMPARE(proc.process(mainPid)->pgid, mainPid);
    QCOMPARE(proc.process(e)->pgid, e);
    QCOMPARE(proc.process(d)->pgid, d);
    QVERIFY(proc.hasEnv(e, key, value));

    const QList<pid_t> tree = proc.serviceTree(mainPid, mainPid, key, value);
    QVERIFY2(
        tree.contains(mainPid) && tree.contains(d) && tree.contains(e),
        qPrintable(u"tree %1, main %2 D %3 E %4"_s.arg(QDebug::toString(tree)).arg(mainPid).arg(d).arg(e)));
    QVERIFY(!tree.contains(::getpid()));
    for (pid_t pid : tree)
        QCOMPARE(proc.process(pid)->uid, ::getuid());

    const QList<pid_t> noMarker = proc.serviceTree(mainPid, mainPid, {}, {});
    QVERIFY(noMarker.contains(mainPid) && noMarker.contains(d));
    QVERIFY(!noMarker.contains(e));
    QVERIFY(!proc.serviceTree(mainPid, mainPid, key, "another-instance").contains(e));
    const QList<pid_t> markerOnly = proc.serviceTree(0, 0, key, value);
    QVERIFY(markerOnly.contains(mainPid) && markerOnly.contains(d) && markerOnly.contains(e));

    // Ended processes leave the tree (zombies are excluded, reaped ones gone).
    QSignalSpy finished(&service, &QProcess::finished);
    service.kill();
    QVERIFY(finished.wait(10000));
    ::kill(d, SIGKILL);
    ::kill(e, SIGKILL);
    QTRY_VERIFY_WITH_TIMEOUT(proc.serviceTree(mainPid, mainPid, key, value).isEmpty(), 10000);
    // As subreaper we inherited D and E: they are our zombies now, for us to reap.
    QList<pid_t> reaped;
    QTRY_VERIFY_WITH_TIMEOUT((reaped += reapOrphans({}), reaped.contains(d) && reaped.contains(e)), 10000);
}

void TestProcFs::liveTreeStatAndTaskChildren()
{
    const ProcFs proc;
    QVERIFY(proc.hasTaskChildren());
    QVERIFY(!ProcFs(kFixtureRoot).hasTaskChildren());
    QProcess child;
    child.start(u"sleep"_s, {u"30"_s});
    QVERIFY(child.waitForStarted(10000));
    const pid_t pid = static_cast<pid_t>(child.processId());

    // treeStat: the stat facts of process(), and the owner of /proc/PID.
    const std::optional<ProcInfo> s = proc.treeStat(pid);
    const std::optional<ProcInfo> full = proc.process(pid);
    QVERIFY(s && full);
    QCOMPARE(s->ppid, ::getpid());
    QCOMPARE(s->pgid, full->pgid);
    QCOMPARE(s->startTime, full->startTime);
    QCOMPARE(s->uid, uid_t(QFileInfo(u"/proc/%1"_s.arg(pid)).ownerId()));
    QVERIFY(s->cmdline.isEmpty());

    // Our children, from all our threads' files; sleep has none.
    const std::optional<QList<pid_t>> mine = proc.taskChildren(::getpid());
    QVERIFY(mine);
    QVERIFY(mine->contains(pid));
    QCOMPARE(proc.taskChildren(pid, 1), QList<pid_t>());
    QCOMPARE(proc.taskChildren(pid), QList<pid_t>());

    child.kill();
    QVERIFY(child.waitForFinished(10000));
    QVERIFY(!proc.treeStat(pid));
    QVERIFY(!proc.taskChildren(pid));
    QVERIFY(!proc.taskChildren(pid, 1));
    QVERIFY(!proc.taskChildren(::getpid()).value().contains(pid));
}

void TestProcFs::livePortHolder()
{
    const ProcFs proc;
    QTcpServer server;
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0), qPrintable(server.errorString()));
    const quint16 port = server.serverPort();

    const std::optional<PortHolder> h = proc.portHolder(port);
    QVERIFY(h);
    QCOMPARE(h->port, port);
    QCOMPARE(h->pid, ::getpid());
    QCOMPARE(h->uid, ::getuid());
    QCOMPARE(h->user, ProcFs::userName(::getuid()));
    QVERIFY(!h->user.isEmpty());
    QCOMPARE(h->cmdline, proc.process(::getpid())->cmdline);
    QVERIFY(h->describe().startsWith(u"PID %1 (%2): "_s.arg(::getpid()).arg(h->user)));
    QVERIFY(proc.listeningPorts({::getpid()}).contains(port));

    server.close();
    QVERIFY(!proc.portHolder(port));
    QVERIFY(!proc.listeningPorts({::getpid()}).contains(port));

    QTcpServer server6;
    if (!server6.listen(QHostAddress::LocalHostIPv6, 0))
        QSKIP("no IPv6 loopback on this machine");
    const std::optional<PortHolder> h6 = proc.portHolder(server6.serverPort());
    QVERIFY(h6);
    QCOMPARE(h6->pid, ::getpid());
    QVERIFY(proc.listeningPorts({::getpid()}).contains(server6.serverPort()));
}

void TestProcFs::livePidFd()
{
    QVERIFY(openPidFd(0) < 0);
    QCOMPARE(openPidFd(pidMax() + 1), -1);

    QProcess child;
    child.start(u"sleep"_s, {u"30"_s});
    QSignalSpy started(&child, &QProcess::started);
    QVERIFY(started.wait(10000));
    const int fd = openPidFd(static_cast<pid_t>(child.processId()));
    QVERIFY(fd >= 0);
    pollfd pfd{fd, POLLIN, 0};
    QCOMPARE(::poll(&pfd, 1, 0), 0); // alive: not readable yet

    QSocketNotifier notifier(fd, QSocketNotifier::Read);
    QSignalSpy exited(&notifier, &QSocketNotifier::activated);
    child.kill();
    QVERIFY(exited.wait(10000));
    ::close(fd);
}

void TestProcFs::liveReapOrphans()
{
    QVERIFY(becomeSubreaper());
    const ProcFs proc;

    // Owned and still running: must never be touched.
    QProcess running;
    running.start(u"sleep"_s, {u"30"_s});
    QSignalSpy runningStarted(&running, &QProcess::started);
    QVERIFY(runningStarted.wait(10000));
    const pid_t runningPid = static_cast<pid_t>(running.processId());

    // Owned and already a zombie (someone else's to reap, like a QProcess
    // child whose exit Qt has not collected yet): must be left for its owner.
    const pid_t ownedZombie = ::fork();
    if (ownedZombie == 0)
        ::_exit(7);
    QVERIFY(ownedZombie > 0);
    const int ownedFd = openPidFd(ownedZombie);
    QVERIFY(ownedFd >= 0);
    pollfd pfd{ownedFd, POLLIN, 0};
    QCOMPARE(::poll(&pfd, 1, 10000), 1); // exited, not reaped
    ::close(ownedFd);

    // An orphan: the shell exits at once, its background sleep is re-parented
    // to us (subreaper) and becomes our zombie when it ends.
    QProcess shell;
    shell.start(u"/bin/sh"_s, {u"-c"_s, u"sleep 0.2 </dev/null >/dev/null 2>&1 & echo $!; exit 0"_s});
    QSignalSpy shellFinished(&shell, &QProcess::finished);
    QVERIFY(shellFinished.wait(10000));
    const pid_t orphan = shell.readAllStandardOutput().trimmed().toInt();
    QVERIFY(orphan > 0);
    QTRY_VERIFY_WITH_TIMEOUT(proc.process(orphan) && proc.process(orphan)->ppid == ::getpid() &&
                                 proc.process(orphan)->isZombie(),
                             10000);

    const QList<pid_t> owned{runningPid, ownedZombie};
    const QList<pid_t> reaped = reapOrphans(owned);
    QVERIFY2(reaped.contains(orphan), qPrintable(QDebug::toString(reaped)));
    QVERIFY(!reaped.contains(runningPid));
    QVERIFY(!reaped.contains(ownedZombie));
    QVERIFY(!proc.process(orphan)); // gone from /proc
    QVERIFY(!reapOrphans(owned).contains(orphan));

    // The owned zombie's exit status is still there for its owner.
    int status = 0;
    QCOMPARE(::waitpid(ownedZombie, &status, WNOHANG), ownedZombie);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 7);

    // And QProcess still gets its own child's exit.
    QCOMPARE(running.state(), QProcess::Running);
    QSignalSpy runningFinished(&running, &QProcess::finished);
    running.kill();
    QVERIFY(runningFinished.wait(10000));
    QCOMPARE(running.exitStatus(), QProcess::CrashExit);
}

QTEST_GUILESS_MAIN(TestProcFs)
#include "tst_procfs.moc"
