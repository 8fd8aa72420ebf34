// Repair steps that misbehave: a flood of output, one endless line, garbage
// bytes, a program that does not exist, and steps (and their children) that
// ignore SIGTERM. Each ends with a clear message, bounded memory, and no
// process left behind.
#include "config/configloader.h"
#include "repair/commandsteps.h"
#include "repair/repair.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

bool alive(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && stat.size() > close + 2 && stat.at(close + 2) != 'Z';
}

QStringList sh(const QString &script)
{
    return {u"/bin/sh"_s, u"-c"_s, script};
}

} // namespace

class TestHostileRepair : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    CommandSteps::Options options(Millis timeout = Millis(60'000)) const
    {
        CommandSteps::Options o;
        o.workingDirectory = m_dir.path();
        o.timeout = timeout;
        o.killGrace = Millis(300);
        return o;
    }

    Config config(const QByteArray &steps) const
    {
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                                "\"\n[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"600\"]\n"
                                "stop_timeout = \"3s\"\n[service.repair]\ntimeout = \"1s\"\nsteps = " +
                                steps + "\n";
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        if (!r.ok())
            qFatal("%s", qPrintable(r.errors.constFirst().toString()));
        return *r.config;
    }

    static RepairReport repairOnce(Fleet &fleet, Millis grace = Millis(300))
    {
        Repair repair(&fleet);
        repair.setKillGrace(grace);
        QSignalSpy finished(&repair, &Repair::finished);
        if (!repair.start(u"api"_s) || !finished.wait(30000))
            return RepairReport{};
        return finished.at(0).at(0).value<RepairReport>();
    }

private slots:
    void floodKeepsOnlyTheTail()
    {
        TestEngine engine(config("[[\"/bin/sh\", \"-c\", \"yes flood | head -n 400000; echo last line\"]]"));
        const RepairReport r = repairOnce(engine.fleet());
        QVERIFY2(r.ok, qPrintable(r.message));
        QCOMPARE(r.output.size(), Repair::kMaxKeptLines);
        QCOMPARE(r.output.constLast(), u"last line"_s);
        QVERIFY(r.droppedLines > 390'000);
        // The report is as bounded as what was kept.
        QVERIFY(QFileInfo(r.textPath).size() < 200'000);
        QVERIFY(QFile::exists(r.jsonPath));
    }

    void endlessLineIsCut()
    {
        CommandSteps steps;
        QSignalSpy out(&steps, &CommandSteps::output);
        QSignalSpy done(&steps, &CommandSteps::finished);
        QVERIFY(steps.start({sh(u"head -c 3000000 /dev/zero | tr '\\0' a; echo; echo after"_s)}, options()));
        QVERIFY(done.wait(30000));
        QStringList lines;
        for (const QList<QVariant> &args : std::as_const(out))
            lines += args.at(1).toStringList();
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines.at(0).size() <= CommandSteps::kMaxLineChars + 20);
        QVERIFY(lines.at(0).endsWith(u"[line cut]"_s));
        QCOMPARE(lines.at(1), u"after"_s);
    }

    void garbageBytesAreReadable()
    {
        CommandSteps steps;
        QSignalSpy out(&steps, &CommandSteps::output);
        QSignalSpy done(&steps, &CommandSteps::finished);
        QVERIFY(steps.start({sh(u"head -c 200000 /dev/urandom; echo; echo end"_s)}, options()));
        QVERIFY(done.wait(30000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(out.constLast().at(1).toStringList().constLast(), u"end"_s);
    }

    void missingProgramSaysSoAndLeavesTheServiceStopped()
    {
        TestEngine engine(config("[[\"/nonexistent/npm\", \"ci\"], [\"true\"]]"));
        engine.fleet().boot();
        ServiceSupervisor *api = engine.fleet().service(u"api"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        const RepairReport r = repairOnce(engine.fleet());
        QVERIFY(!r.ok);
        QVERIFY2(r.message.startsWith(
                     u"repair of api failed: step 1 of 2 `/nonexistent/npm ci` failed: cannot start: "_s),
                 qPrintable(r.message));
        QVERIFY(r.message.endsWith(u"; api left stopped"_s));
        QCOMPARE(r.steps.at(0).outcome, CommandStepResult::Outcome::CannotStart);
        QCOMPARE(api->state(), ServiceState::Stopped);
    }

    void missingWorkingDirectorySaysSo()
    {
        CommandSteps steps;
        QSignalSpy done(&steps, &CommandSteps::finished);
        CommandSteps::Options o = options();
        o.workingDirectory = m_dir.filePath(u"gone"_s);
        QVERIFY(steps.start({QStringList{u"true"_s}}, o));
        QVERIFY(done.wait(5000));
        QCOMPARE(done.at(0).at(1).toString(),
                 u"step 1 of 1 `true` failed: cannot start: working directory %1 does not exist"_s.arg(
                     o.workingDirectory));
    }

    void stepIgnoringSigtermIsKilled()
    {
        const quint16 port = freePort();
        TestEngine engine(config("[[\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                                 QByteArray::number(port) + "\", \"--ignore-term\"]]"));
        Repair repair(&engine.fleet());
        repair.setKillGrace(Millis(300));
        QSignalSpy finished(&repair, &Repair::finished);
        QVERIFY(repair.start(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(portAnswers(port), 15000);
        QVERIFY(finished.wait(30000));
        const auto r = finished.at(0).at(0).value<RepairReport>();
        QVERIFY2(r.message.contains(u"failed: timed out after 1s; its processes were ended"_s),
                 qPrintable(r.message));
        QTRY_VERIFY_WITH_TIMEOUT(!portAnswers(port), 5000);
    }

    void childrenIgnoringSigtermAreKilled()
    {
        CommandSteps steps;
        QSignalSpy out(&steps, &CommandSteps::output);
        QSignalSpy done(&steps, &CommandSteps::finished);
        // An ignored signal stays ignored across fork and exec: the sleeps ignore it too.
        QVERIFY(steps.start({sh(u"trap '' TERM; sleep 600 & echo $!; sleep 600 & wait"_s)},
                            options(Millis(400))));
        QVERIFY(out.wait(15000));
        const qint64 child = out.at(0).at(1).toStringList().constFirst().toLongLong();
        QVERIFY(alive(child));
        QVERIFY(done.wait(15000));
        QCOMPARE(steps.results().at(0).outcome, CommandStepResult::Outcome::Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
    }
};

QTEST_GUILESS_MAIN(TestHostileRepair)
#include "tst_hostile_repair.moc"
