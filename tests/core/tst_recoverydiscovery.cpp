// Recovery's discovery on fake /proc roots built at test time: what it lists
// to end is only what provably belongs to a service (its marker, a
// descendant of a marked process, a verified pidfile, an attributed escapee);
// a process that merely looks like a service (same command line, same name)
// is never listed, whatever it is called. Port holders not proven ours need
// consent, other users' processes and Lifeline itself are left alone, and a
// dry run's live trees are left out.
#include "platform/procfs.h"
#include "recovery/recoverydiscovery.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <unistd.h>

using namespace lifeline;
using namespace lifeline::recovery;
using namespace Qt::StringLiterals;

namespace {

// Fake pids above any possible pid_max (2^22), so they never name a real process.
constexpr pid_t kFake = 4200000;
const QByteArray kKey = "LIFELINE_SERVICE_ID";
const QString kNoPidfile = QStringLiteral("/nonexistent/lifeline-test.pid");

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

uid_t otherUid()
{
    return ::getuid() == 0 ? 1000 : ::getuid() + 1;
}

struct FakeProc
{
    pid_t pid = 0;
    pid_t ppid = 1;
    QByteArray comm = "python3";
    QByteArray cmdline = "python3\0main.py\0"_ba;
    QByteArray environ = {};
    uid_t uid = ::getuid();
    quint64 start = 777;
    char state = 'S';
};

QByteArray marker(const QByteArray &value)
{
    return "HOME=/home/x\0"_ba + kKey + '=' + value + "\0PATH=/bin\0"_ba;
}

class FakeRoot
{
public:
    FakeRoot()
    {
        // Empty socket tables unless a test listens.
        writeFile(m_dir.path() + u"/net/tcp"_s, kHeader);
        writeFile(m_dir.path() + u"/net/tcp6"_s, kHeader);
    }
    bool isValid() const { return m_dir.isValid(); }
    QString path() const { return m_dir.path(); }

    bool add(const FakeProc &p)
    {
        const QString dir = path() + u'/' + QString::number(p.pid);
        // Fields 3..24, the rest is not read.
        const QByteArray stat = QByteArray::number(p.pid) + " (" + p.comm + ") " + p.state + ' ' +
                                QByteArray::number(p.ppid) + ' ' + QByteArray::number(p.pid) + ' ' +
                                QByteArray::number(p.pid) + " 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 1 0 " +
                                QByteArray::number(p.start) + " 1000 9 0 0\n";
        return writeFile(dir + u"/stat"_s, stat) &&
               writeFile(dir + u"/status"_s, "Name:\t" + p.comm + "\nUid:\t" + QByteArray::number(p.uid) +
                                                 "\t" + QByteArray::number(p.uid) + "\t0\t0\n") &&
               writeFile(dir + u"/cmdline"_s, p.cmdline) && writeFile(dir + u"/environ"_s, p.environ) &&
               QDir().mkpath(dir + u"/fd"_s);
    }

    // A listening socket on `port` in net/tcp; `holder` (0: none seen) has it open.
    bool listen(quint16 port, quint64 inode, uid_t uid, pid_t holder)
    {
        m_tcp += "   " + QByteArray::number(m_tcpLines++) +
                 ": 0100007F:" + QByteArray::number(port, 16).toUpper().rightJustified(4, '0') +
                 " 00000000:0000 0A 00000000:00000000 00:00000000 00000000 " + QByteArray::number(uid) +
                 " 0 " + QByteArray::number(inode) + " 1 0000000000000000 100 0 0 10 0\n";
        if (!writeFile(path() + u"/net/tcp"_s, kHeader + m_tcp))
            return false;
        if (holder <= 0)
            return true;
        const QString fd = path() + u'/' + QString::number(holder) + u"/fd/"_s + QString::number(3 + m_fds++);
        return QFile::link(u"socket:[%1]"_s.arg(inode), fd);
    }

    // A pidfile as ServiceSupervisor writes it.
    QString pidfile(const QString &name, pid_t pid, quint64 start)
    {
        const QString file = path() + u"/run/"_s + name + u".pid"_s;
        writeFile(file, "{\"pid\": " + QByteArray::number(pid) + ", \"start_time\": \"" +
                            QByteArray::number(start) + "\", \"command_hash\": \"x\"}");
        return file;
    }

private:
    static constexpr const char *kHeader =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    QTemporaryDir m_dir;
    QByteArray m_tcp;
    int m_tcpLines = 0;
    int m_fds = 0;
};

DiscoveryInput input(const QList<ServiceProofs> &services)
{
    DiscoveryInput in;
    in.markerKey = kKey;
    in.services = services;
    in.me = ::getuid();
    in.self = ::getpid();
    return in;
}

const RecoveryItem *find(const QList<RecoveryItem> &items, pid_t pid)
{
    const auto it =
        std::find_if(items.cbegin(), items.cend(), [pid](const RecoveryItem &i) { return i.pid == pid; });
    return it == items.cend() ? nullptr : &*it;
}

QList<pid_t> pids(const QList<RecoveryItem> &items)
{
    QList<pid_t> out;
    for (const RecoveryItem &i : items)
        out.append(i.pid);
    std::sort(out.begin(), out.end());
    return out;
}

QList<pid_t> everyPid(const Discovery &d)
{
    return pids(d.leftovers + d.portHolders + d.orphans);
}

} // namespace

class TestRecoveryDiscovery : public QObject
{
    Q_OBJECT

private slots:
    void markerCarriersAndTheirDescendantsAreLeftovers()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        const pid_t carrier = kFake + 1, child = kFake + 2, grandchild = kFake + 3;
        QVERIFY(root.add({.pid = carrier, .environ = marker("api-1")}));
        QVERIFY(root.add({.pid = child, .ppid = carrier, .comm = "sh", .cmdline = "sh\0-c\0work\0"_ba}));
        QVERIFY(root.add({.pid = grandchild, .ppid = child, .comm = "work", .cmdline = "work\0"_ba}));
        // The same marker in another user's process: never ours to end.
        QVERIFY(root.add({.pid = kFake + 4, .environ = marker("api-1"), .uid = otherUid()}));
        // Another Lifeline's instance of "api" (another marker value).
        QVERIFY(root.add({.pid = kFake + 5, .environ = marker("api-0")}));
        // A zombie carrier is gone already.
        QVERIFY(root.add({.pid = kFake + 6, .environ = marker("api-1"), .state = 'Z'}));

        const ProcFs proc(root.path());
        const Discovery d = discover(proc, input({{u"api"_s, "api-1", kNoPidfile, {}}}));
        QCOMPARE(pids(d.leftovers), (QList<pid_t>{carrier, child, grandchild}));
        QVERIFY(d.portHolders.isEmpty());
        QVERIFY(d.orphans.isEmpty());
        QVERIFY(d.stalePidfiles.isEmpty());

        const RecoveryItem *c = find(d.leftovers, carrier);
        QCOMPARE(c->service, u"api"_s);
        QCOMPARE(c->why, u"carries LIFELINE_SERVICE_ID of api"_s);
        QCOMPARE(c->cmdline, (QStringList{u"python3"_s, u"main.py"_s}));
        QCOMPARE(c->uid, ::getuid());
        QVERIFY(!c->needsConsent);
        QCOMPARE(find(d.leftovers, grandchild)->why, u"descendant of a leftover process of api"_s);
        QCOMPARE(find(d.leftovers, grandchild)->service, u"api"_s);
    }

    // Nothing is ever killed by name pattern: processes that look exactly
    // like the services (command line, name, even "lifeline" in it) but
    // carry no proof are not listed, so nothing can end them.
    void nothingIsFoundByName()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        QVERIFY(root.add({.pid = kFake + 1})); // python3 main.py, api's command
        QVERIFY(root.add({.pid = kFake + 2, .comm = "api", .cmdline = "api\0--port\0008000\0"_ba}));
        QVERIFY(root.add({.pid = kFake + 3, .comm = "worker", .cmdline = "worker\0"_ba}));
        QVERIFY(
            root.add({.pid = kFake + 4, .comm = "lifeline-demo", .cmdline = "lifeline-demo-backend\0"_ba}));
        // A marker variable with a value no service has, and a near miss of the key.
        QVERIFY(root.add({.pid = kFake + 5, .environ = marker("api")}));
        QVERIFY(root.add({.pid = kFake + 6, .environ = "LIFELINE_SERVICE_ID_OLD=api-1\0"_ba}));
        QVERIFY(root.add({.pid = kFake + 7, .environ = "X_LIFELINE_SERVICE_ID=api-1\0"_ba}));

        const ProcFs proc(root.path());
        const Discovery d = discover(proc, input({{u"api"_s, "api-1", kNoPidfile, {8000}},
                                                  {u"worker"_s, "worker-1", kNoPidfile, {}}}));
        QVERIFY2(everyPid(d).isEmpty(), qPrintable(QDebug::toString(everyPid(d))));
        QVERIFY(d.stalePidfiles.isEmpty());
    }

    void pidfileIsProofOnlyWhenVerified()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        const pid_t adopted = kFake + 10, reused = kFake + 11, unmarked = kFake + 12;
        QVERIFY(root.add({.pid = adopted, .environ = marker("worker-1"), .start = 5000}));
        QVERIFY(root.add({.pid = reused, .environ = marker("api-1"), .start = 9000}));
        QVERIFY(root.add({.pid = unmarked, .start = 6000}));

        const QString workerPid = root.pidfile(u"worker"_s, adopted, 5000);
        const QString apiPid = root.pidfile(u"api"_s, reused, 8999);       // the pid was reused since
        const QString dbPid = root.pidfile(u"db"_s, kFake + 99, 1234);     // gone
        const QString cachePid = root.pidfile(u"cache"_s, unmarked, 6000); // same start, no marker

        const ProcFs proc(root.path());
        const Discovery d = discover(proc, input({{u"worker"_s, "worker-1", workerPid, {}},
                                                  {u"api"_s, "api-2", apiPid, {}},
                                                  {u"db"_s, "db-1", dbPid, {}},
                                                  {u"cache"_s, "cache-1", cachePid, {}}}));
        QCOMPARE(pids(d.leftovers), QList<pid_t>{adopted});
        const RecoveryItem *w = find(d.leftovers, adopted);
        QCOMPARE(w->why,
                 u"carries LIFELINE_SERVICE_ID of worker; named by its verified pidfile %1"_s.arg(workerPid));

        QCOMPARE(d.stalePidfiles.size(), 3);
        QHash<QString, QString> stale;
        for (const RecoveryItem &i : d.stalePidfiles) {
            QCOMPARE(i.kind, RecoveryItem::Kind::File);
            stale.insert(i.path, i.why);
        }
        QCOMPARE(stale.value(apiPid), u"stale pidfile: pid %1 is another program now"_s.arg(reused));
        QCOMPARE(stale.value(dbPid), u"stale pidfile: pid %1 is gone"_s.arg(kFake + 99));
        QCOMPARE(stale.value(cachePid), u"stale pidfile: pid %1 is another program now"_s.arg(unmarked));
        QVERIFY(d.portHolders.isEmpty());
    }

    void portHoldersNeedConsentOrAreLeftAlone()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        const pid_t ours = kFake + 20, foreign = kFake + 21, otherUsers = kFake + 22, lifeline = kFake + 23;
        QVERIFY(root.add({.pid = ours, .environ = marker("api-1")}));
        QVERIFY(root.add({.pid = foreign, .comm = "nginx", .cmdline = "nginx\0"_ba}));
        QVERIFY(
            root.add({.pid = otherUsers, .comm = "postgres", .cmdline = "postgres\0"_ba, .uid = otherUid()}));
        QVERIFY(root.add({.pid = lifeline, .comm = "lifeline", .cmdline = "lifeline\0"_ba}));
        QVERIFY(root.listen(8000, 70001, ::getuid(), ours));       // a leftover of api holds its port
        QVERIFY(root.listen(8001, 70002, ::getuid(), foreign));    // ours by uid, not started by Lifeline
        QVERIFY(root.listen(8002, 70003, otherUid(), otherUsers)); // another user's
        QVERIFY(root.listen(8003, 70004, otherUid(), 0));          // its process cannot be seen
        QVERIFY(root.listen(8004, 70005, ::getuid(), lifeline));   // Lifeline itself

        const ProcFs proc(root.path());
        DiscoveryInput in = input({{u"api"_s, "api-1", kNoPidfile, {8000, 8001}},
                                   {u"worker"_s, "worker-1", kNoPidfile, {8002, 8003, 8004, 8005}}});
        in.self = lifeline;
        const Discovery d = discover(proc, in);

        // Listed once, as a leftover, with the port it holds.
        QCOMPARE(pids(d.leftovers), QList<pid_t>{ours});
        QCOMPARE(find(d.leftovers, ours)->port, quint16(8000));
        QCOMPARE(find(d.leftovers, ours)->why,
                 u"carries LIFELINE_SERVICE_ID of api; listens on port 8000 which api needs"_s);

        QCOMPARE(d.portHolders.size(), 4);
        const RecoveryItem *f = find(d.portHolders, foreign);
        QCOMPARE(f->port, quint16(8001));
        QVERIFY(f->needsConsent);
        QVERIFY(f->action.isEmpty());
        QCOMPARE(f->why, u"listens on port 8001 which api needs, not started by Lifeline"_s);

        const RecoveryItem *o = find(d.portHolders, otherUsers);
        QVERIFY(!o->needsConsent);
        QVERIFY2(o->action.startsWith(u"belongs to user "_s) && o->action.endsWith(u": not touched"_s),
                 qPrintable(o->action));

        const RecoveryItem *unseen = find(d.portHolders, 0);
        QCOMPARE(unseen->port, quint16(8003));
        QVERIFY(!unseen->needsConsent);
        QVERIFY2(unseen->action.endsWith(u"its process cannot be seen: not touched"_s),
                 qPrintable(unseen->action));

        const RecoveryItem *self = find(d.portHolders, lifeline);
        QVERIFY(!self->needsConsent);
        QCOMPARE(self->action, u"is Lifeline itself: not touched"_s);
    }

    void orphansAreAttributedOrAskedFor()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        const pid_t escapee = kFake + 30, unknown = kFake + 31, theirs = kFake + 32;
        QVERIFY(root.add({.pid = escapee, .comm = "daemon", .cmdline = "daemon\0"_ba}));
        QVERIFY(root.add({.pid = unknown, .comm = "daemon", .cmdline = "daemon\0"_ba}));
        QVERIFY(root.add({.pid = theirs, .comm = "daemon", .cmdline = "daemon\0"_ba, .uid = otherUid()}));

        const ProcFs proc(root.path());
        DiscoveryInput in = input({{u"worker"_s, "worker-1", kNoPidfile, {}}});
        in.orphans = {
            OrphanProcess{escapee, 777, escapee, ::getuid(), {}, u"worker"_s, u"in worker's session"_s},
            OrphanProcess{unknown, 777, unknown, ::getuid(), {}, {}, {}},
            OrphanProcess{theirs, 777, theirs, otherUid(), {}, {}, {}}};
        const Discovery d = discover(proc, in);

        QCOMPARE(pids(d.leftovers), QList<pid_t>{escapee});
        QCOMPARE(find(d.leftovers, escapee)->service, u"worker"_s);
        QCOMPARE(find(d.leftovers, escapee)->why,
                 u"escaped worker's tree, re-parented to Lifeline: in worker's session"_s);

        QCOMPARE(pids(d.orphans), (QList<pid_t>{unknown, theirs}));
        QVERIFY(find(d.orphans, unknown)->needsConsent);
        QVERIFY(find(d.orphans, unknown)->service.isEmpty());
        QVERIFY(!find(d.orphans, theirs)->needsConsent);
        QVERIFY(find(d.orphans, theirs)->action.endsWith(u": not touched"_s));
    }

    // A dry run lists the live trees as "to stop" and leaves them out here.
    void excludedPidsAreLeftOut()
    {
        FakeRoot root;
        QVERIFY(root.isValid());
        const pid_t main = kFake + 40, child = kFake + 41, stray = kFake + 42;
        QVERIFY(root.add({.pid = main, .environ = marker("api-1")}));
        QVERIFY(root.add({.pid = child, .ppid = main, .environ = marker("api-1")}));
        QVERIFY(root.add({.pid = stray, .environ = marker("api-1")}));
        QVERIFY(root.listen(8000, 70001, ::getuid(), main));
        const QString pidfile = root.pidfile(u"api"_s, main, 777);

        const ProcFs proc(root.path());
        DiscoveryInput in = input({{u"api"_s, "api-1", pidfile, {8000}}});
        in.exclude = {main, child};
        in.orphans = {OrphanProcess{child, 777, main, ::getuid(), {}, u"api"_s, u"x"_s}};
        const Discovery d = discover(proc, in);
        QCOMPARE(pids(d.leftovers), QList<pid_t>{stray});
        QVERIFY(d.portHolders.isEmpty());
        QVERIFY(d.orphans.isEmpty());
        QVERIFY(d.stalePidfiles.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestRecoveryDiscovery)
#include "tst_recoverydiscovery.moc"
