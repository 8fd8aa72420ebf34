// TreeTracker: incremental passes against full passes, on fake proc roots
// built at test time (pid reuse, threads, zombies, other users, what only a
// full pass finds) and on real processes (a child forked after the first
// pass, a setsid grandchild, a double-forked escapee re-parented to us as
// subreaper, processes that exit). Every incremental result is compared with
// a full pass of the same moment and with the pids the test knows.
#include "platform/procfs.h"
#include "platform/treetracker.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <csignal>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// Fake pids above any possible pid_max (2^22), so they never name a real process.
constexpr pid_t kFake = 4200000;
const QByteArray kKey = "LIFELINE_INSTANCE";

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

// A process directory of a fake proc root: stat (fields 3..24), status with
// the real uid, environ, and one children file per thread.
struct Fake
{
    Fake(pid_t pid_, pid_t ppid_, pid_t pgid_, char state_, QByteArray env_ = {}, uid_t uid_ = ::getuid(),
         quint64 start_ = 777, QHash<pid_t, QList<pid_t>> threads_ = {})
        : pid(pid_)
        , ppid(ppid_)
        , pgid(pgid_)
        , state(state_)
        , env(std::move(env_))
        , uid(uid_)
        , start(start_)
        , threads(std::move(threads_))
    {}
    pid_t pid;
    pid_t ppid;
    pid_t pgid; // 0: its own
    char state;
    QByteArray env;
    uid_t uid;
    quint64 start;
    QHash<pid_t, QList<pid_t>> threads; // tid -> children; empty: one thread, no children
};

bool writeFake(const QString &root, const Fake &f)
{
    const pid_t pgid = f.pgid ? f.pgid : f.pid;
    const int threads = f.threads.isEmpty() ? 1 : int(f.threads.size());
    const QByteArray stat =
        QByteArray::number(f.pid) + " (fake) " + f.state + ' ' + QByteArray::number(f.ppid) + ' ' +
        QByteArray::number(pgid) + ' ' + QByteArray::number(pgid) + " 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 " +
        QByteArray::number(threads) + " 0 " + QByteArray::number(f.start) + " 1000 9 0 0\n";
    const QString dir = root + u'/' + QString::number(f.pid);
    QDir(dir + u"/task"_s).removeRecursively();
    bool ok = writeFile(dir + u"/stat"_s, stat) &&
              writeFile(dir + u"/status"_s, "Name:\tfake\nUid:\t" + QByteArray::number(f.uid) + "\t" +
                                                QByteArray::number(f.uid) + "\t0\t0\n") &&
              writeFile(dir + u"/environ"_s, f.env);
    QHash<pid_t, QList<pid_t>> tasks = f.threads;
    if (tasks.isEmpty())
        tasks.insert(f.pid, {});
    for (auto it = tasks.cbegin(); it != tasks.cend(); ++it) {
        QByteArray line;
        for (pid_t c : it.value())
            line += QByteArray::number(c) + ' ';
        ok = ok && writeFile(dir + u"/task/"_s + QString::number(it.key()) + u"/children"_s, line);
    }
    return ok;
}

bool removeFake(const QString &root, pid_t pid)
{
    return QDir(root + u'/' + QString::number(pid)).removeRecursively();
}

QList<pid_t> sorted(QList<pid_t> pids)
{
    std::sort(pids.begin(), pids.end());
    return pids;
}

QString describe(const QHash<QString, QList<pid_t>> &trees)
{
    QStringList parts;
    for (auto it = trees.cbegin(); it != trees.cend(); ++it)
        parts << it.key() + u": "_s + QDebug::toString(it.value());
    parts.sort();
    return parts.join(u"; "_s);
}

// QCOMPARE prints nothing useful for a QHash.
#define COMPARE_TREES(actual, expected)                                                                      \
    do {                                                                                                     \
        const QHash<QString, QList<pid_t>> a_ = (actual);                                                    \
        const QHash<QString, QList<pid_t>> e_ = (expected);                                                  \
        QVERIFY2(a_ == e_, qPrintable(describe(a_) + u"  instead of  "_s + describe(e_)));                   \
    } while (false)

} // namespace

class TestTreeTracker : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    // Fake roots.
    void fakeIncrementalFollowsChanges();
    void fakePidReuseIsNotFollowed();
    void fakeWhenAFullPassRuns();
    void fakeWithoutChildrenFilesAlwaysFull();
    void fakeOutsideOurSubtreeNeedsTheFullPass();
    void fakeQuietTickReusesTheLastResult();
    void fakeEscapeeRemembersItsTree();

    // Live kernel.
    void liveChildForkedLater();
    void liveSetsidGrandchild();
    void liveEscapeeReparentedToUs();
    void liveExitedProcessesDropped();
    void liveTreesNowAfterTheMainExits();

private:
    // A service as the supervisor starts it: its own session, the marker in
    // its environment; a shell that forks what it is told on stdin.
    // A live service: a shell in its own session with a fresh marker, which
    // starts children on command (see startService()).
    struct Live
    {
        QProcess *service = nullptr;
        QByteArray marker;
        pid_t main = 0;
    };
    bool startService(QProcess &service, const QByteArray &marker);
    Live startLive();
    // Sends a command, returns the pid it printed (0 on failure).
    pid_t command(QProcess &service, const QByteArray &cmd);

    QByteArray m_out;          // service stdout not yet consumed
    QList<pid_t> m_strays;     // processes started outside QProcess; killed in cleanup()
    QList<QProcess *> m_procs; // services of the current test
};

void TestTreeTracker::initTestCase()
{
    // As Lifeline is: orphans of our children come to us. The tracker only
    // passes incrementally for a subreaper.
    QVERIFY(becomeSubreaper());
    QVERIFY(isSubreaper());
    QVERIFY2(ProcFs().hasTaskChildren(), "this kernel has no /proc/PID/task/TID/children");
}

void TestTreeTracker::cleanup()
{
    QList<pid_t> owned;
    for (QProcess *p : std::as_const(m_procs)) {
        owned << pid_t(p->processId());
        p->kill();
        p->waitForFinished(5000);
        delete p;
    }
    m_procs.clear();
    const ProcFs proc;
    for (pid_t pid : std::as_const(m_strays)) {
        // Only signal what is still ours and is still a sleep we started.
        const std::optional<ProcInfo> info = proc.process(pid);
        if (info && info->uid == ::getuid() && info->cmdline.value(0) == u"sleep"_s)
            ::kill(pid, SIGKILL);
    }
    // What was re-parented to us is ours to reap.
    QList<pid_t> reaped;
    QTRY_VERIFY_WITH_TIMEOUT(
        (reaped += reapOrphans(owned), std::all_of(m_strays.cbegin(), m_strays.cend(),
                                                   [&](pid_t pid) {
                                                       const std::optional<ProcInfo> p = proc.process(pid);
                                                       return !p || p->ppid != ::getpid();
                                                   })),
        10000);
    m_strays.clear();
    m_out.clear();
}

void TestTreeTracker::fakeQuietTickReusesTheLastResult()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    const QByteArray marker = kKey + "=svc-1\0"_ba;
    const auto loadavg = [&](int lastPid) {
        return writeFile(root + u"/loadavg"_s, "0.10 0.20 0.30 1/120 " + QByteArray::number(lastPid) + "\n");
    };
    Fake selfP{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main}}}};
    Fake mainP{main, self, main, 'S', marker, ::getuid(), 777, {{main, {kFake + 101}}}};
    Fake c1{kFake + 101, main, main, 'S', marker};
    for (const Fake &f : {selfP, mainP, c1})
        QVERIFY(writeFake(root, f));
    QVERIFY(loadavg(5000));
    QCOMPARE(ProcFs(root).lastPid(), std::optional<qint64>(5000));

    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}};
    TreeTracker tracker(kKey, root);
    tracker.setFullPassEvery(1000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), sorted({main, kFake + 101}));
    QVERIFY(tracker.lastWasFullPass());

    // No pid handed out since: the children files are not read at all (the
    // new child written here could not exist without a new pid; its absence
    // from the answer shows the files were not read).
    mainP.threads = {{main, {kFake + 101, kFake + 102}}};
    QVERIFY(writeFake(root, mainP));
    QVERIFY(writeFake(root, Fake{kFake + 102, main, main, 'S', marker}));
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), sorted({main, kFake + 101}));
    QVERIFY(tracker.lastWasQuiet());
    QVERIFY(!tracker.lastWasFullPass());

    // Exits still show on a quiet tick: gone, a zombie, or the pid taken by
    // another process (a different start time).
    QVERIFY(writeFake(root, Fake{kFake + 101, main, main, 'Z', marker}));
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QVERIFY(writeFake(root, Fake{kFake + 101, main, main, 'S', marker, ::getuid(), 999}));
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QVERIFY(tracker.lastWasQuiet());
    QCOMPARE(tracker.quietPasses(), 3);

    // A pid was handed out: the trees are read again, and agree with a full pass.
    QVERIFY(loadavg(5002));
    const QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasQuiet());
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), sorted({main, kFake + 101, kFake + 102}));
    COMPARE_TREES(trees, ProcFs(root).serviceTrees(queries, kKey));
    QCOMPARE(tracker.incrementalPasses(), 1);

    // Unreadable loadavg: never quiet.
    QVERIFY(QFile::remove(root + u"/loadavg"_s));
    QVERIFY(!ProcFs(root).lastPid());
    tracker.trees(queries);
    QVERIFY(!tracker.lastWasQuiet());
}

void TestTreeTracker::fakeIncrementalFollowsChanges()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    const uid_t other = ::getuid() == 0 ? 1000 : ::getuid() + 1;
    const QByteArray marker = kKey + "=svc-1\0"_ba;
    const auto at = [](int offset) { return kFake + offset; };

    // Before: the service, two children, a setuid child with a child of ours,
    // a logger-like child of ours, and an unrelated process.
    Fake selfP{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main, at(300)}}}};
    Fake mainP{main, self, main, 'S', marker, ::getuid(), 777, {{main, {at(101), at(108), at(111)}}}};
    Fake c1{at(101), main, main, 'S', marker};
    Fake d{at(108), main, main, 'S', marker}; // will exit
    Fake s{at(111), main, main, 'S', {}, other, 777, {{at(111), {at(112)}}}};
    Fake s1{at(112), at(111), main, 'S', marker};
    Fake logger{at(300), self, at(300), 'S', {}};
    Fake unrelated{at(200), 1, at(200), 'S', {}};
    for (const Fake &f : {selfP, mainP, c1, d, s, s1, logger, unrelated})
        QVERIFY(writeFake(root, f));

    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}, {u"other"_s, 0, 0, "svc-2"}};
    TreeTracker tracker(kKey, root);
    tracker.setFullPassEvery(1000);
    QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(tracker.lastWasFullPass());
    QVERIFY(tracker.incrementalPossible());
    QCOMPARE(trees.value(u"svc"_s), sorted({main, at(101), at(108), at(112)}));
    QCOMPARE(trees.value(u"other"_s), QList<pid_t>());

    // Nothing changed: an incremental pass, same answer.
    COMPARE_TREES(tracker.trees(queries), trees);
    QVERIFY(!tracker.lastWasFullPass());

    // After:
    //  * 102, a new child of 101 in its own session without the marker: descent only;
    //  * 103, a child of the main process's second thread, listed only in that thread's file;
    //  * 104, a double-forked escapee re-parented to us with the marker, and its child 105
    //    (own session, no marker);
    //  * 106, a zombie child of 101; 107, an orphan of ours still in the group, marker cleared;
    //  * 120, a thread-group leader that has exited (a zombie) while its thread 121 runs,
    //    with 122, a child of that thread;
    //  * 108 exited; 113, a new child of the setuid 111;
    //  * 301, a child of our logger carrying the marker (all our subtree is read);
    //  * 201, a new child of the unrelated process: never looked at, never part of it.
    mainP.threads = {{main, {at(101), at(111), at(120)}}, {at(190), {at(103)}}};
    c1.threads = {{at(101), {at(102), at(106), at(109)}}}; // 109 ended after being listed
    selfP.threads = {{self, {main, at(300), at(104)}}, {self + 1, {at(107)}}};
    s.threads = {{at(111), {at(112), at(113)}}};
    logger.threads = {{at(300), {at(301)}}};
    unrelated.threads = {{at(200), {at(201)}}};
    for (const Fake &f : {mainP, c1, selfP, s, logger, unrelated})
        QVERIFY(writeFake(root, f));
    QVERIFY(removeFake(root, at(108)));
    for (const Fake &f : {
             Fake{at(102), at(101), at(102), 'S', {}},
             Fake{at(103), main, main, 'S', {}},
             Fake{at(104), self, at(104), 'S', marker, ::getuid(), 800, {{at(104), {at(105)}}}},
             Fake{at(105), at(104), at(104), 'S', {}},
             Fake{at(106), at(101), main, 'Z', {}},
             Fake{at(107), self, main, 'S', {}},
             Fake{at(113), at(111), at(113), 'S', {}},
             Fake{at(301), at(300), at(300), 'S', marker},
             Fake{at(120), main, main, 'Z', {}, ::getuid(), 777, {{at(120), {}}, {at(121), {at(122)}}}},
             Fake{at(122), at(120), at(122), 'S', {}},
             Fake{at(201), at(200), at(201), 'S', kKey + "=svc-3\0"_ba},
         })
        QVERIFY(writeFake(root, f));

    trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), sorted({main, at(101), at(102), at(103), at(104), at(105), at(107),
                                            at(112), at(113), at(122), at(301)}));
    QCOMPARE(trees.value(u"other"_s), QList<pid_t>());
    COMPARE_TREES(trees, ProcFs(root).serviceTrees(queries, kKey));

    // 101 ends: 102 and 106 went to us as subreaper; 102 has neither group
    // nor marker any more, so it leaves; the zombie is reaped.
    QVERIFY(removeFake(root, at(101)));
    QVERIFY(removeFake(root, at(106)));
    selfP.threads = {{self, {main, at(300), at(104), at(102)}}, {self + 1, {at(107)}}};
    mainP.threads = {{main, {at(111), at(120)}}, {at(190), {at(103)}}};
    QVERIFY(writeFake(root, selfP));
    QVERIFY(writeFake(root, mainP));
    QVERIFY(writeFake(root, Fake{at(102), self, at(102), 'S', {}}));
    trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s),
             sorted({main, at(103), at(104), at(105), at(107), at(112), at(113), at(122), at(301)}));
    COMPARE_TREES(trees, ProcFs(root).serviceTrees(queries, kKey));
    QCOMPARE(tracker.fullPasses(), 1);
    QCOMPARE(tracker.incrementalPasses(), 3);
}

void TestTreeTracker::fakeEscapeeRemembersItsTree()
{
    // 110 is the service's child without the marker, in a group of its own:
    // a member by descent only. Its parent is gone and it is re-parented to
    // us: no tree holds it any more, but it is remembered as the service's
    // for as long as it lives, and forgotten once it has ended.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    const pid_t esc = kFake + 110;
    const QByteArray marker = kKey + "=svc-1\0"_ba;
    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main}}}}));
    QVERIFY(writeFake(root, Fake{main, self, main, 'S', marker, ::getuid(), 700, {{main, {esc}}}}));
    QVERIFY(writeFake(root, Fake{esc, main, esc, 'S', {}, ::getuid(), 800}));

    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}};
    TreeTracker tracker(kKey, root);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), sorted({main, esc}));
    QCOMPARE(tracker.lastSeenIn({esc, 800}), u"svc"_s);
    QCOMPARE(tracker.lastSeenIn({esc, 999}), QString()); // the same pid, another process

    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main, esc}}}}));
    QVERIFY(writeFake(root, Fake{main, self, main, 'S', marker, ::getuid(), 700, {{main, {}}}}));
    QVERIFY(writeFake(root, Fake{esc, self, esc, 'S', {}, ::getuid(), 800}));
    tracker.invalidate();
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QCOMPARE(tracker.lastSeenIn({esc, 800}), u"svc"_s);

    QVERIFY(removeFake(root, esc));
    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main}}}}));
    tracker.invalidate();
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QCOMPARE(tracker.lastSeenIn({esc, 800}), QString());
}

void TestTreeTracker::fakePidReuseIsNotFollowed()
{
    // 150 was the service's child. It exits, and its pid names another
    // process: not ours (another parent, group and no marker), with a child of
    // its own. Neither may be taken for the service's, although 150 was a
    // member a moment ago.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    const pid_t reused = kFake + 150;
    const QByteArray marker = kKey + "=svc-1\0"_ba;
    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main}}}}));
    QVERIFY(writeFake(root, Fake{main, self, main, 'S', marker, ::getuid(), 700, {{main, {reused}}}}));
    QVERIFY(writeFake(root, Fake{reused, main, main, 'S', marker, ::getuid(), 777}));
    QVERIFY(writeFake(root, Fake{kFake + 500, 1, kFake + 500, 'S', {}}));

    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}};
    TreeTracker tracker(kKey, root);
    tracker.setFullPassEvery(1000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), sorted({main, reused}));
    QVERIFY(tracker.lastWasFullPass());

    QVERIFY(writeFake(root, Fake{main, self, main, 'S', marker, ::getuid(), 700, {{main, {}}}}));
    QVERIFY(writeFake(
        root, Fake{reused, kFake + 500, reused, 'S', {}, ::getuid(), 999, {{reused, {kFake + 151}}}}));
    QVERIFY(writeFake(root, Fake{kFake + 151, reused, reused, 'S', {}}));
    QVERIFY(writeFake(
        root, Fake{kFake + 500, 1, kFake + 500, 'S', {}, ::getuid(), 777, {{kFake + 500, {reused}}}}));
    const QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), QList<pid_t>{main});
    COMPARE_TREES(trees, ProcFs(root).serviceTrees(queries, kKey));
}

void TestTreeTracker::fakeWhenAFullPassRuns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {main}}}}));
    QVERIFY(writeFake(
        root, Fake{main, self, main, 'S', kKey + "=svc-1\0"_ba, ::getuid(), 700, {{main, {kFake + 101}}}}));
    QVERIFY(writeFake(root, Fake{kFake + 101, main, main, 'S', {}}));
    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}};
    const QList<pid_t> tree{main, kFake + 101};

    TreeTracker tracker(kKey, root);
    QCOMPARE(tracker.fullPassEvery(), 30);
    tracker.setFullPassEvery(3);
    QList<bool> full;
    for (int i = 0; i < 7; ++i) {
        QCOMPARE(tracker.trees(queries).value(u"svc"_s), tree);
        full << tracker.lastWasFullPass();
    }
    QCOMPARE(full, (QList<bool>{true, false, false, true, false, false, true}));

    tracker.setFullPassEvery(1000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), tree);
    QVERIFY(!tracker.lastWasFullPass());
    tracker.invalidate();
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), tree);
    QVERIFY(tracker.lastWasFullPass());
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), tree);
    QVERIFY(!tracker.lastWasFullPass());

    // Another query set (a new main pid, a new service, one less): full.
    QList<TreeQuery> changed = queries;
    changed[0].mainPid = kFake + 101;
    tracker.trees(changed);
    QVERIFY(tracker.lastWasFullPass());
    tracker.trees(changed);
    QVERIFY(!tracker.lastWasFullPass());
    changed.append(TreeQuery{u"b"_s, 0, 0, "svc-2"});
    tracker.trees(changed);
    QVERIFY(tracker.lastWasFullPass());
    tracker.trees(queries);
    QVERIFY(tracker.lastWasFullPass());
    QCOMPARE(tracker.trees({}), (QHash<QString, QList<pid_t>>()));
    tracker.trees(queries);
    QVERIFY(tracker.lastWasFullPass());

    // A member whose children cannot be read (here: no task directory) makes
    // the incremental pass give up; the full pass answers.
    QVERIFY(QDir(root + u'/' + QString::number(kFake + 101) + u"/task"_s).removeRecursively());
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), tree);
    QVERIFY(tracker.lastWasFullPass());

    // Always full with fullPassEvery <= 1.
    tracker.setFullPassEvery(1);
    tracker.trees(queries);
    QVERIFY(tracker.lastWasFullPass());
}

void TestTreeTracker::fakeWithoutChildrenFilesAlwaysFull()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t main = kFake + 100;
    QVERIFY(writeFake(root, Fake{main, ::getpid(), main, 'S', {}}));
    QVERIFY(writeFake(root, Fake{kFake + 101, main, main, 'S', {}}));
    // A kernel without CONFIG_PROC_CHILDREN: no children files at all.
    for (pid_t pid : {main, kFake + 101})
        QVERIFY(QDir(root + u'/' + QString::number(pid) + u"/task"_s).removeRecursively());
    QVERIFY(!ProcFs(root).hasTaskChildren());

    const QList<TreeQuery> queries{{u"svc"_s, main, main, {}}};
    TreeTracker tracker(kKey, root);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(tracker.trees(queries).value(u"svc"_s), (QList<pid_t>{main, kFake + 101}));
        QVERIFY(tracker.lastWasFullPass());
        QVERIFY(!tracker.incrementalPossible());
    }
}

void TestTreeTracker::fakeOutsideOurSubtreeNeedsTheFullPass()
{
    // The documented limit: a process outside our subtree that becomes a
    // member (here a new marker holder re-parented to init, as the orphans of
    // an adopted service are) is found by the next full pass, not before.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = dir.path();
    const pid_t self = ::getpid();
    const pid_t main = kFake + 100;
    const QByteArray marker = kKey + "=svc-1\0"_ba;
    QVERIFY(writeFake(root, Fake{self, 1, ::getpgrp(), 'R', {}, ::getuid(), 5, {{self, {}}}}));
    QVERIFY(writeFake(root, Fake{main, 1, main, 'S', marker}));
    const QList<TreeQuery> queries{{u"svc"_s, main, main, "svc-1"}};
    TreeTracker tracker(kKey, root);
    tracker.setFullPassEvery(3);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});

    QVERIFY(writeFake(root, Fake{kFake + 120, 1, kFake + 120, 'S', marker}));
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{main});
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), (QList<pid_t>{main, kFake + 120}));
    QVERIFY(tracker.lastWasFullPass());
    // Once reached, it is followed.
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), (QList<pid_t>{main, kFake + 120}));
    QVERIFY(!tracker.lastWasFullPass());
}

TestTreeTracker::Live TestTreeTracker::startLive()
{
    Live live;
    live.service = new QProcess;
    m_procs << live.service;
    live.marker = QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    if (startService(*live.service, live.marker))
        live.main = pid_t(live.service->processId());
    return live;
}

bool TestTreeTracker::startService(QProcess &service, const QByteArray &marker)
{
    const QString key = QString::fromLatin1(kKey);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(key, QString::fromLatin1(marker));
    service.setProcessEnvironment(env);
    service.setChildProcessModifier([] { ::setsid(); });
    // child: a child without the marker, in the group; grandchild: through
    // a shell, in its own session, without the marker; escapee: double-forked,
    // own session, with the marker; its parent subshell exits at once.
    const QString script =
        u"while read cmd; do case $cmd in "
        "child) env -u %1 sleep 30 </dev/null >/dev/null 2>&1 & echo \"child $!\" ;; "
        "grandchild) sh -c 'setsid env -u %1 sleep 30 </dev/null >/dev/null 2>&1 & echo \"grandchild $!\"; "
        "exec sleep 30' </dev/null 2>/dev/null & ;; "
        "escapee) (setsid sleep 30 </dev/null >/dev/null 2>&1 & echo \"escapee $!\") ;; "
        "esac; done"_s.arg(key);
    service.start(u"/bin/sh"_s, {u"-c"_s, script});
    if (!service.waitForStarted(10000))
        return false;
    m_strays.append(pid_t(service.processId()));
    return true;
}

pid_t TestTreeTracker::command(QProcess &service, const QByteArray &cmd)
{
    service.write(cmd + '\n');
    QByteArray line;
    for (QDeadlineTimer deadline(10000); !deadline.hasExpired();) {
        const qsizetype nl = m_out.indexOf('\n');
        if (nl >= 0) {
            line = m_out.left(nl);
            m_out.remove(0, nl + 1);
            break;
        }
        service.waitForReadyRead(100);
        m_out += service.readAllStandardOutput();
    }
    const QList<QByteArray> f = line.split(' ');
    if (f.size() != 2 || f.at(0) != cmd)
        return 0;
    const pid_t pid = f.at(1).toInt();
    if (pid > 0)
        m_strays.append(pid);
    return pid;
}

void TestTreeTracker::liveChildForkedLater()
{
    const Live live = startLive();
    QVERIFY(live.main > 0);
    const QList<TreeQuery> queries{{u"svc"_s, live.main, live.main, live.marker}};

    TreeTracker tracker(kKey);
    tracker.setFullPassEvery(1000000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{live.main});
    QVERIFY(tracker.lastWasFullPass());

    const pid_t child = command(*live.service, "child");
    QVERIFY(child > 0);
    // Wait for its exec (before it, the fork still carries the marker).
    const ProcFs proc;
    QTRY_VERIFY_WITH_TIMEOUT(!proc.hasEnv(child, kKey, live.marker) && proc.process(child) &&
                                 proc.process(child)->cmdline.value(0) == u"sleep"_s,
                             10000);
    QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), sorted({live.main, child}));
    COMPARE_TREES(trees, proc.serviceTrees(queries, kKey));
    QCOMPARE(tracker.fullPasses(), 1);
}

void TestTreeTracker::liveSetsidGrandchild()
{
    const Live live = startLive();
    QVERIFY(live.main > 0);
    const QList<TreeQuery> queries{{u"svc"_s, live.main, live.main, live.marker}};
    TreeTracker tracker(kKey);
    tracker.setFullPassEvery(1000000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{live.main});

    const pid_t grandchild = command(*live.service, "grandchild");
    QVERIFY(grandchild > 0);
    const ProcFs proc;
    // Settled: the grandchild runs sleep in its own session, no marker, and
    // its parent (the inner shell, now sleep) is the service's child.
    pid_t middle = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const std::optional<ProcInfo> g = proc.process(grandchild);
            if (!g || g->cmdline.value(0) != u"sleep"_s || g->sid != grandchild ||
                proc.hasEnv(grandchild, kKey, live.marker))
                return false;
            const std::optional<ProcInfo> m = proc.process(g->ppid);
            middle = g->ppid;
            return m && m->ppid == live.main && m->cmdline.value(0) == u"sleep"_s;
        }(),
        10000);
    m_strays << middle;
    const QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), sorted({live.main, middle, grandchild}));
    COMPARE_TREES(trees, proc.serviceTrees(queries, kKey));
    // Only descent finds it: not in the group, no marker.
    QCOMPARE(proc.process(grandchild)->pgid, grandchild);
}

void TestTreeTracker::liveEscapeeReparentedToUs()
{
    const Live live = startLive();
    QVERIFY(live.main > 0);
    const QList<TreeQuery> queries{{u"svc"_s, live.main, live.main, live.marker},
                                   {u"bystander"_s, 0, 0, "not-this-one"}};
    TreeTracker tracker(kKey);
    tracker.setFullPassEvery(1000000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), QList<pid_t>{live.main});

    const pid_t escapee = command(*live.service, "escapee");
    QVERIFY(escapee > 0);
    const ProcFs proc;
    // Settled: its parent subshell has exited and it came to us, in a session
    // of its own: no descendant of the service, only the marker says whose it is.
    QTRY_VERIFY_WITH_TIMEOUT(proc.process(escapee) && proc.process(escapee)->ppid == ::getpid() &&
                                 proc.process(escapee)->cmdline.value(0) == u"sleep"_s,
                             10000);
    QCOMPARE(proc.process(escapee)->sid, escapee);
    QVERIFY(!proc.serviceTree(live.main, live.main, {}, {}).contains(escapee));
    const QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), sorted({live.main, escapee}));
    QCOMPARE(trees.value(u"bystander"_s), QList<pid_t>());
    COMPARE_TREES(trees, proc.serviceTrees(queries, kKey));
}

void TestTreeTracker::liveExitedProcessesDropped()
{
    const Live live = startLive();
    QVERIFY(live.main > 0);
    const QList<TreeQuery> queries{{u"svc"_s, live.main, live.main, live.marker}};
    const ProcFs proc;
    const pid_t child = command(*live.service, "child");
    const pid_t escapee = command(*live.service, "escapee");
    QVERIFY(child > 0 && escapee > 0);
    QTRY_VERIFY_WITH_TIMEOUT(proc.process(escapee) && proc.process(escapee)->ppid == ::getpid() &&
                                 proc.process(child) && proc.process(child)->cmdline.value(0) == u"sleep"_s,
                             10000);

    TreeTracker tracker(kKey);
    tracker.setFullPassEvery(1000000);
    QCOMPARE(tracker.trees(queries).value(u"svc"_s), sorted({live.main, child, escapee}));
    QVERIFY(tracker.lastWasFullPass());

    // A zombie (not reaped yet by the shell, or by us for the escapee) is no
    // longer part of the tree; once reaped it is gone altogether.
    ::kill(child, SIGKILL);
    ::kill(escapee, SIGKILL);
    QTRY_VERIFY_WITH_TIMEOUT(!proc.process(child) || proc.process(child)->isZombie(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!proc.process(escapee) || proc.process(escapee)->isZombie(), 10000);
    QHash<QString, QList<pid_t>> trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), QList<pid_t>{live.main});
    COMPARE_TREES(trees, proc.serviceTrees(queries, kKey));
    QList<pid_t> reaped;
    QTRY_VERIFY_WITH_TIMEOUT((reaped += reapOrphans({live.main}), reaped.contains(escapee)), 10000);
    trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), QList<pid_t>{live.main});

    // The main process ends: an empty tree, from the same incremental pass.
    QSignalSpy finished(live.service, &QProcess::finished);
    live.service->kill();
    QVERIFY(finished.wait(10000));
    trees = tracker.trees(queries);
    QVERIFY(!tracker.lastWasFullPass());
    QCOMPARE(trees.value(u"svc"_s), QList<pid_t>());
    COMPARE_TREES(trees, proc.serviceTrees(queries, kKey));
}

// What a supervisor asks on its service's exit: what is left of the tree,
// without a full pass. A child left behind (re-parented to us, found by its
// group) and a double-forked escapee (found by its marker) are found, as a
// full pass finds them; the tracker's own state is left as it was.
void TestTreeTracker::liveTreesNowAfterTheMainExits()
{
    const Live live = startLive();
    QVERIFY(live.main > 0);
    const ProcFs proc;
    const pid_t child = command(*live.service, "child");
    const pid_t escapee = command(*live.service, "escapee");
    QVERIFY(child > 0 && escapee > 0);
    QTRY_VERIFY_WITH_TIMEOUT(proc.process(escapee) && proc.process(escapee)->ppid == ::getpid() &&
                                 proc.process(child) && proc.process(child)->cmdline.value(0) == u"sleep"_s,
                             10000);

    TreeTracker tracker(kKey);
    tracker.setFullPassEvery(1000000);
    const QList<TreeQuery> running{{u"svc"_s, live.main, live.main, live.marker}};
    QVERIFY(!tracker.treesNow(running)); // no full pass yet: it cannot tell
    QCOMPARE(tracker.trees(running).value(u"svc"_s), sorted({live.main, child, escapee}));
    QVERIFY(!tracker.treesNow({{u"other"_s, 0, 0, "x"}})); // not in the last pass: ask a full one

    QSignalSpy finished(live.service, &QProcess::finished);
    live.service->kill();
    QVERIFY(finished.wait(10000));
    QTRY_VERIFY_WITH_TIMEOUT(proc.process(child) && proc.process(child)->ppid == ::getpid(), 10000);
    const QList<TreeQuery> exited{{u"svc"_s, 0, live.main, live.marker}};
    const int fullBefore = tracker.fullPasses();
    const std::optional<QHash<QString, QList<pid_t>>> now = tracker.treesNow(exited);
    QVERIFY(now);
    QCOMPARE(now->value(u"svc"_s), sorted({child, escapee}));
    COMPARE_TREES(*now, proc.serviceTrees(exited, kKey));
    QCOMPARE(tracker.fullPasses(), fullBefore);
    QCOMPARE(tracker.incrementalPasses(), 0);

    ::kill(child, SIGKILL);
    ::kill(escapee, SIGKILL);
    QList<pid_t> reaped;
    QTRY_VERIFY_WITH_TIMEOUT((reaped += reapOrphans({}), reaped.contains(child) && reaped.contains(escapee)),
                             10000);
    QCOMPARE(tracker.treesNow(exited)->value(u"svc"_s), QList<pid_t>());
}

QTEST_GUILESS_MAIN(TestTreeTracker)
#include "tst_treetracker.moc"
