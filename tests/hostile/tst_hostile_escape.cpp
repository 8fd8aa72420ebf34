// Hostile: a grandchild that clears its environment escapes stop. The
// service does fork -> setsid -> fork -> execve("/bin/sleep", ..., {}): the
// grandchild has no marker, its own session, and once its parent exits it is
// re-parented to Lifeline (the subreaper), outside every service tree.
//  * Holding the service's log pipe as stdout, it is proven the service's:
//    a stop ends it, cycle after cycle; nothing piles up.
//  * With every descriptor on /dev/null nothing proves whose it is: it is
//    reported (status `orphans`, lifeline.log, the recovery plan) and ended
//    only by a recovery the person agreed to.
// This test process is the "Lifeline" (the Fleet makes it the subreaper).
#include "config/configloader.h"
#include "control/statusjson.h"
#include "logs/eventlog.h"
#include "platform/procfs.h"
#include "recovery/recovery.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

const char kPython[] = "/usr/bin/python3";

// argv: RECORD loud|quiet [once]. Appends the escapee's pid to RECORD.
const char kEscaper[] = R"(import os, sys, time
record, quiet = sys.argv[1], sys.argv[2] == 'quiet'
if not (len(sys.argv) > 3 and os.path.exists(record)):
    a = os.fork()
    if a == 0:
        os.setsid()
        b = os.fork()
        if b == 0:
            if quiet:
                fd = os.open('/dev/null', os.O_RDWR)
                for i in (0, 1, 2):
                    os.dup2(fd, i)
            os.closerange(3, 1024)
            os.execve('/bin/sleep', ['/bin/sleep', '1000'], {})
        with open(record, 'a') as f:
            f.write('%d\n' % b)
        os._exit(0)
    os.waitpid(a, 0)
print('escaper ready', flush=True)
while True:
    time.sleep(3600)
)";

bool alive(pid_t pid)
{
    const auto p = ProcFs().process(pid);
    return p && !p->isZombie();
}

// The escapee as it hides: exec'd into the sleep, re-parented to us.
bool hiding(pid_t pid)
{
    const auto p = ProcFs().process(pid);
    return p && !p->isZombie() && p->ppid == ::getpid() && p->cmdline.value(0) == u"/bin/sleep"_s;
}

QList<pid_t> recorded(const QString &path)
{
    QList<pid_t> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (const int pid = line.trimmed().toInt(); pid > 0)
            out.append(pid_t(pid));
    }
    return out;
}

// Live `/bin/sleep 1000` processes whose parent is this process.
QList<pid_t> ourSleepers()
{
    QList<pid_t> out;
    for (const ProcInfo &p : ProcFs().allProcesses()) {
        if (p.ppid == ::getpid() && !p.isZombie() && p.cmdline == QStringList{u"/bin/sleep"_s, u"1000"_s})
            out.append(p.pid);
    }
    return out;
}

QJsonObject orphanEntry(const Fleet &fleet, pid_t pid)
{
    const QJsonArray orphans = statusJson(fleet).value(u"orphans"_s).toArray();
    for (const QJsonValue &v : orphans) {
        if (v.toObject().value(u"pid"_s).toInteger() == pid)
            return v.toObject();
    }
    return {};
}

} // namespace

class TestHostileEscape : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_record;

    Config load(const char *mode, const QByteArray &extra = {})
    {
        const QString script = m_dir->filePath(u"escaper.py"_s);
        QFile f(script);
        if (!f.open(QIODevice::WriteOnly) || f.write(kEscaper) < 0)
            qFatal("cannot write the escaper");
        f.close();
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir->filePath(u"state"_s).toUtf8() +
                                "\"\n[[service]]\nname = \"escaper\"\ncommand = [\"" + kPython + "\", \"" +
                                script.toUtf8() + "\", \"" + m_record.toUtf8() + "\", \"" + mode +
                                "\"]\nstop_timeout = \"3s\"\nrestart = \"never\"\n" + extra;
        const QString path = m_dir->filePath(u"lifeline.toml"_s);
        QFile c(path);
        if (!c.open(QIODevice::WriteOnly) || c.write(toml) < 0)
            qFatal("cannot write the config");
        c.close();
        const LoadResult r = ConfigLoader::loadFile(path);
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        return r.config.value_or(Config{});
    }

private slots:
    void init()
    {
        if (!QFileInfo(QString::fromLatin1(kPython)).isExecutable())
            QSKIP("needs /usr/bin/python3 to fork, setsid and execve with an empty environment");
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_record = m_dir->filePath(u"escapees"_s);
    }

    void cleanup()
    {
        // Whatever a failing run left: by the pids the escapers recorded.
        for (pid_t pid : recorded(m_record)) {
            if (alive(pid))
                ::kill(pid, SIGKILL);
        }
        m_dir.reset();
    }

    void escapeeWithClearedEnvIsEndedByEveryStop()
    {
        const Config cfg = load("loud");
        QCOMPARE(cfg.services.size(), 1);
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *s = fleet.service(u"escaper"_s);
        constexpr int kCycles = 5;
        for (int cycle = 1; cycle <= kCycles; ++cycle) {
            QTRY_COMPARE_WITH_TIMEOUT(s->state(), ServiceState::Running, 15000);
            QTRY_COMPARE_WITH_TIMEOUT(recorded(m_record).size(), cycle, 15000);
            const pid_t escapee = recorded(m_record).constLast();
            QTRY_VERIFY_WITH_TIMEOUT(hiding(escapee), 10000);
            QVERIFY(!ProcFs().hasEnv(escapee, ServiceSupervisor::markerKey(), s->markerValue()));
            if (cycle == 1) {
                // Listed with its service while it runs.
                QTRY_COMPARE_WITH_TIMEOUT(orphanEntry(fleet, escapee).value(u"service"_s).toString(),
                                          u"escaper"_s, 10000);
                QVERIFY(s->treePids().contains(escapee));
            }
            QVERIFY(fleet.stop(u"escaper"_s));
            QTRY_COMPARE_WITH_TIMEOUT(s->state(), ServiceState::Stopped, 15000);
            QVERIFY2(!alive(escapee),
                     qPrintable(u"cycle %1: escapee %2 survived the stop"_s.arg(cycle).arg(escapee)));
            QVERIFY(fleet.start(u"escaper"_s));
        }
        QTRY_COMPARE_WITH_TIMEOUT(recorded(m_record).size(), kCycles + 1, 15000);
        QVERIFY(stopFleet(fleet));
        QCOMPARE(ourSleepers(), QList<pid_t>{});
        for (pid_t pid : recorded(m_record))
            QVERIFY2(!alive(pid), qPrintable(QString::number(pid)));
    }

    void untraceableOrphanIsReportedAndEndedOnlyWithConsent()
    {
        const Config cfg = load("quiet", "[recovery]\nverify_timeout = \"15s\"\n");
        Config once = cfg;
        once.services[0].command.append(u"once"_s);
        TestEngine engine(once);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *s = fleet.service(u"escaper"_s);
        QTRY_COMPARE_WITH_TIMEOUT(s->state(), ServiceState::Running, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(recorded(m_record).size(), 1, 15000);
        const pid_t orphan = recorded(m_record).constFirst();
        QTRY_VERIFY_WITH_TIMEOUT(hiding(orphan), 10000);

        // status --json: listed, whose unknown; lifeline.log says so.
        QTRY_VERIFY_WITH_TIMEOUT(!orphanEntry(fleet, orphan).isEmpty(), 10000);
        const QJsonObject entry = orphanEntry(fleet, orphan);
        QVERIFY(entry.value(u"service"_s).isNull());
        QVERIFY(statusTable(statusJson(fleet)).contains(u"orphan: pid %1 (/bin/sleep 1000)"_s.arg(orphan)));
        QCOMPARE(entry.value(u"cmdline"_s).toArray().first().toString(), u"/bin/sleep"_s);
        QFile log(fleet.eventLog()->path());
        QVERIFY(log.open(QIODevice::ReadOnly));
        QVERIFY(log.readAll().contains(QByteArray("orphan pid " + QByteArray::number(orphan))));

        // Not proven the service's: its stop leaves it.
        QVERIFY(!s->treePids().contains(orphan));

        // The recovery plan lists it for consent; without consent it stays.
        Recovery rec(&fleet);
        const RecoveryPlan plan = rec.plan();
        QVERIFY(std::any_of(plan.orphans.cbegin(), plan.orphans.cend(),
                            [&](const RecoveryItem &i) { return i.pid == orphan && i.needsConsent; }));
        QVERIFY(plan.needsConsent());
        QVERIFY(plan.toText().contains(QString::number(orphan)));
        QSignalSpy finished(&rec, &Recovery::finished);
        QString error;
        QVERIFY2(rec.start({}, &error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(alive(orphan));

        RecoveryOptions consent;
        consent.killForeignPortHolders = true;
        QVERIFY2(rec.start(consent, &error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        const RecoveryReport report = finished.at(1).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(report.toText()));
        QVERIFY2(!alive(orphan), qPrintable(report.toText()));
        QVERIFY(stopFleet(fleet));
    }
};

QTEST_GUILESS_MAIN(TestHostileEscape)
#include "tst_hostile_escape.moc"
