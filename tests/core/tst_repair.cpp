// Repair steps (issue 14, item 2): [service.repair] in the configuration,
// CommandSteps running commands in order with a timeout and streamed
// output, and Repair stopping a service, running its steps and starting it
// again, with a report and event log lines. Real processes and real files.
#include "config/configloader.h"
#include "engine/engine.h"
#include "logs/eventlog.h"
#include "recovery/recovery.h"
#include "repair/commandsteps.h"
#include "repair/repair.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

namespace {

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// Alive and not a zombie waiting to be reaped.
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

class TestRepair : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    CommandSteps::Options options(Millis timeout = Millis(30'000)) const
    {
        CommandSteps::Options o;
        o.workingDirectory = m_dir.path();
        o.timeout = timeout;
        o.killGrace = Millis(300);
        return o;
    }

    Config config(const QByteArray &serviceExtra, const QByteArray &top = {}) const
    {
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() + "\"\non_exit = \"stop\"\n" +
            top + "\n[[service]]\nname = \"api\"\ncwd = \"" + m_dir.path().toUtf8() +
            "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(freePort()) +
            "\"]\nstop_timeout = \"3s\"\nenv = { REPAIR_MODE = \"deps\" }\n" + serviceExtra;
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        if (!r.ok()) {
            for (const Diagnostic &d : r.errors)
                qWarning("%s", qPrintable(d.toString()));
            qFatal("test configuration does not load");
        }
        return *r.config;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void init() { QFile::remove(m_dir.filePath(u"order.txt"_s)); }

    // ---- configuration ------------------------------------------------------------------

    void configReadsStepsAndTimeout()
    {
        const Config c =
            config("[service.repair]\nsteps = [[\"npm\", \"ci\"], [\"python3\", \"-m\", \"pip\", "
                   "\"install\", \"-r\", \"requirements.txt\"]]\ntimeout = \"2m\"\n",
                   "[recovery]\nrepair = true\n");
        const ServiceSpec *api = c.service(u"api"_s);
        QCOMPARE(api->repair.steps.size(), 2);
        QCOMPARE(api->repair.steps.at(0), (QStringList{u"npm"_s, u"ci"_s}));
        QCOMPARE(api->repair.steps.at(1).last(), u"requirements.txt"_s);
        QCOMPARE(api->repair.timeout, Millis(120'000));
        QVERIFY(c.recovery.repair);
        // Without the table: no steps, the default timeout.
        const Config plain = config({});
        QVERIFY(!plain.service(u"api"_s)->repair.enabled());
        QCOMPARE(plain.service(u"api"_s)->repair.timeout, Millis(600'000));
        QVERIFY(!plain.recovery.repair);
    }

    void configErrorsHaveTheirPlace_data()
    {
        QTest::addColumn<QByteArray>("repair");
        QTest::addColumn<int>("line");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("message");
        QTest::newRow("bad timeout") << QByteArray("steps = [[\"true\"]]\ntimeout = \"soon\"\n") << 3 << 11
                                     << u"service \"api\": repair.timeout:"_s;
        QTest::newRow("step not an array") << QByteArray("steps = [\"npm ci\"]\n") << 2 << 10
                                           << u"repair.steps[0]: expected an array of strings"_s;
        QTest::newRow("empty step") << QByteArray("steps = [[]]\n") << 2 << 10
                                    << u"repair.steps[0]: must not be empty"_s;
        QTest::newRow("number in argv") << QByteArray("steps = [[\"npm\", 3]]\n") << 2 << 18
                                        << u"repair.steps[0][1]: expected a string"_s;
        QTest::newRow("no steps") << QByteArray("timeout = \"1m\"\n") << 1 << 1 << u"repair.steps: missing"_s;
    }

    void configErrorsHaveTheirPlace()
    {
        QFETCH(QByteArray, repair);
        QFETCH(int, line);
        QFETCH(int, column);
        QFETCH(QString, message);
        // Lines are counted from the [service.repair] header, three lines down.
        const QByteArray text =
            "[[service]]\nname = \"api\"\ncommand = [\"true\"]\n[service.repair]\n" + repair;
        const LoadResult r = ConfigLoader::loadString(text, u"/etc/lifeline.toml"_s);
        QVERIFY(!r.ok());
        const Diagnostic &d = r.errors.constFirst();
        QVERIFY2(d.message.contains(message), qPrintable(d.toString()));
        QCOMPARE(d.line, line + 3);
        QCOMPARE(d.column, column);
        QVERIFY(d.toString().startsWith(u"/etc/lifeline.toml:%1:%2: error:"_s.arg(line + 3).arg(column)));
    }

    // ---- CommandSteps -------------------------------------------------------------------

    void stepsRunInOrder()
    {
        CommandSteps steps;
        QSignalSpy done(&steps, &CommandSteps::finished);
        QSignalSpy begun(&steps, &CommandSteps::stepStarted);
        QVERIFY(steps.start({sh(u"echo 1 >> order.txt"_s), sh(u"echo 2 >> order.txt"_s),
                             sh(u"echo $REPAIR_STEP_ENV >> order.txt"_s)},
                            [this] {
                                CommandSteps::Options o = options();
                                o.environment.insert(u"REPAIR_STEP_ENV"_s, u"3"_s);
                                return o;
                            }()));
        QVERIFY(!steps.start({sh(u"true"_s)}, options())); // one run at a time
        QVERIFY(done.wait(15000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(readAll(m_dir.filePath(u"order.txt"_s)), u"1\n2\n3\n"_s);
        QCOMPARE(begun.size(), 3);
        for (const CommandStepResult &r : steps.results())
            QCOMPARE(r.outcome, CommandStepResult::Outcome::Ok);
        QVERIFY(!steps.isRunning());
    }

    void failingStepStopsTheRest()
    {
        CommandSteps steps;
        QSignalSpy done(&steps, &CommandSteps::finished);
        QVERIFY(steps.start({sh(u"echo 1 >> order.txt"_s), sh(u"echo 2 >> order.txt; exit 3"_s),
                             sh(u"echo 3 >> order.txt"_s)},
                            options()));
        QVERIFY(done.wait(15000));
        QCOMPARE(done.at(0).at(0).toBool(), false);
        QCOMPARE(done.at(0).at(1).toString(),
                 u"step 2 of 3 `/bin/sh -c 'echo 2 >> order.txt; exit 3'` failed: exit code 3"_s);
        QCOMPARE(readAll(m_dir.filePath(u"order.txt"_s)), u"1\n2\n"_s);
        const QList<CommandStepResult> r = steps.results();
        QCOMPARE(r.at(1).outcome, CommandStepResult::Outcome::ExitCode);
        QCOMPARE(r.at(1).code, 3);
        QCOMPARE(r.at(2).outcome, CommandStepResult::Outcome::Skipped);
    }

    void stepKilledBySignalSaysWhich()
    {
        CommandSteps steps;
        QSignalSpy done(&steps, &CommandSteps::finished);
        QVERIFY(steps.start({sh(u"kill -SEGV $$"_s)}, options()));
        QVERIFY(done.wait(15000));
        QVERIFY2(done.at(0).at(1).toString().endsWith(u"failed: killed by SIGSEGV"_s),
                 qPrintable(done.at(0).at(1).toString()));
    }

    void timeoutKillsTheStepAndItsChildren()
    {
        CommandSteps steps;
        QSignalSpy done(&steps, &CommandSteps::finished);
        QSignalSpy lines(&steps, &CommandSteps::output);
        QVERIFY(steps.start({sh(u"sleep 600 & echo $!; exec sleep 600"_s), sh(u"echo never >> order.txt"_s)},
                            options(Millis(500))));
        QVERIFY(lines.wait(15000));
        const qint64 child = lines.at(0).at(1).toStringList().constFirst().toLongLong();
        QVERIFY(child > 0);
        QVERIFY(alive(child));
        QVERIFY(done.wait(15000));
        QVERIFY2(
            done.at(0).at(1).toString().startsWith(
                u"step 1 of 2 `/bin/sh -c 'sleep 600 & echo $!; exec sleep 600'` failed: timed out after 500ms"_s),
            qPrintable(done.at(0).at(1).toString()));
        QCOMPARE(steps.results().at(0).outcome, CommandStepResult::Outcome::Timeout);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(child), 5000);
        QVERIFY(!QFile::exists(m_dir.filePath(u"order.txt"_s)));
    }

    void outputStreamsBeforeTheStepEnds()
    {
        auto *steps = new CommandSteps;
        QSignalSpy lines(steps, &CommandSteps::output);
        QSignalSpy ended(steps, &CommandSteps::stepFinished);
        // The step prints, then waits for a file the test writes after seeing the line.
        const QString gate = m_dir.filePath(u"gate"_s);
        QVERIFY(
            steps->start({sh(u"echo first; printf 'partial'; while [ ! -e gate ]; do sleep 0.05; done; echo; "
                             u"echo second"_s)},
                         options()));
        QTRY_VERIFY_WITH_TIMEOUT(!lines.isEmpty(), 15000);
        QCOMPARE(lines.at(0).at(1).toStringList().constFirst(), u"first"_s);
        QCOMPARE(ended.size(), 0); // still running
        QFile(gate).open(QIODevice::WriteOnly);
        QVERIFY(ended.wait(15000));
        QStringList all;
        for (const QList<QVariant> &args : std::as_const(lines))
            all += args.at(1).toStringList();
        QCOMPARE(all, (QStringList{u"first"_s, u"partial"_s, u"second"_s}));
        QFile::remove(gate);
        delete steps;
    }

    void deletingARunEndsItsProcess()
    {
        auto *steps = new CommandSteps;
        QSignalSpy lines(steps, &CommandSteps::output);
        QVERIFY(steps->start({sh(u"echo $$; exec sleep 600"_s)}, options()));
        QVERIFY(lines.wait(15000));
        const qint64 pid = lines.at(0).at(1).toStringList().constFirst().toLongLong();
        QVERIFY(alive(pid));
        delete steps; // never waits
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), 5000);
    }

    void displayQuotesWhatNeedsIt()
    {
        QCOMPARE(CommandSteps::display({u"npm"_s, u"ci"_s}), u"npm ci"_s);
        QCOMPARE(CommandSteps::display({u"sh"_s, u"-c"_s, u"it's"_s}), u"sh -c 'it'\\''s'"_s);
    }

    // ---- Repair of a supervised service -------------------------------------------------

    void repairStopsRunsAndStartsAgain()
    {
        TestEngine engine(
            config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo one >> order.txt\"], "
                   "[\"/bin/sh\", \"-c\", \"echo $REPAIR_MODE >> order.txt\"]]\n"));
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        fleet.boot();
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        const pid_t before = api->pid();

        Repair repair(&fleet);
        QSignalSpy finished(&repair, &Repair::finished);
        QStringList statesDuringSteps;
        connect(&repair, &Repair::stepStarted, this, [&](const QString &, int, const QStringList &) {
            statesDuringSteps.append(stateName(api->state()));
        });
        QString error;
        QVERIFY2(repair.start(u"api"_s, &error), qPrintable(error));
        QVERIFY(!repair.start(u"api"_s, &error));
        QCOMPARE(error, u"a repair of api is already running"_s);
        QVERIFY(finished.wait(20000));
        const auto report = finished.at(0).at(0).value<RepairReport>();
        QVERIFY2(report.ok, qPrintable(report.message));
        QVERIFY(report.message.startsWith(u"repair of api succeeded (2 steps in "_s));
        QVERIFY(report.message.endsWith(u"api started again"_s));
        QCOMPARE(statesDuringSteps, (QStringList{u"stopped"_s, u"stopped"_s}));
        // In the service's cwd, with its env.
        QCOMPARE(readAll(m_dir.filePath(u"order.txt"_s)), u"one\ndeps\n"_s);
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        QVERIFY(api->pid() != before);

        // The report, with the output of each step, and the event log.
        QVERIFY(report.textPath.startsWith(m_dir.filePath(u"state/repair/api-"_s)));
        const QString text = readAll(report.textPath);
        QVERIFY(text.startsWith(report.message));
        QVERIFY(text.contains(u"$ /bin/sh -c 'echo one >> order.txt'"_s));
        QVERIFY(QFile::exists(report.jsonPath));
        const QString events = readAll(fleet.eventLog()->path());
        QVERIFY(events.contains(u"repair started: 2 steps in "_s));
        QVERIFY(events.contains(u"repair step 2 of 2: /bin/sh -c 'echo $REPAIR_MODE >> order.txt'"_s));
        QVERIFY(events.contains(report.message));
        QVERIFY(stopFleet(fleet));
    }

    void failedRepairLeavesTheServiceStopped()
    {
        TestEngine engine(config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo 1 >> order.txt\"], "
                                 "[\"false\"], [\"/bin/sh\", \"-c\", \"echo 3 >> order.txt\"]]\n"));
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *api = fleet.service(u"api"_s);
        fleet.boot();
        QTRY_COMPARE_WITH_TIMEOUT(api->state(), ServiceState::Running, 15000);
        Repair repair(&fleet);
        QSignalSpy finished(&repair, &Repair::finished);
        QVERIFY(repair.start(u"api"_s));
        QVERIFY(finished.wait(20000));
        const auto report = finished.at(0).at(0).value<RepairReport>();
        QVERIFY(!report.ok);
        QCOMPARE(report.message,
                 u"repair of api failed: step 2 of 3 `false` failed: exit code 1; api left stopped"_s);
        QCOMPARE(readAll(m_dir.filePath(u"order.txt"_s)), u"1\n"_s);
        QCOMPARE(report.steps.at(2).outcome, CommandStepResult::Outcome::Skipped);
        QVERIFY(readAll(report.textPath).contains(u"3. /bin/sh -c 'echo 3 >> order.txt': skipped"_s));
        QCOMPARE(api->state(), ServiceState::Stopped);
        QVERIFY(readAll(fleet.eventLog()->path()).contains(report.message));
    }

    void repairRefusesWhatItCannotDo()
    {
        TestEngine engine(config({}));
        Repair repair(&engine.fleet());
        QString error;
        QVERIFY(!repair.start(u"api"_s, &error));
        QVERIFY2(error.startsWith(u"api has no repair steps"_s), qPrintable(error));
        QVERIFY(!repair.start(u"nope"_s, &error));
        QCOMPARE(error, u"unknown service \"nope\""_s);
        const RepairPlan plan = RepairPlan::forService(engine.fleet().config(), u"api"_s);
        QVERIFY(!plan.problem.isEmpty());
    }

    void repairWaitsForARecovery()
    {
        TestEngine engine(config("[service.repair]\nsteps = [[\"true\"]]\n"));
        QVERIFY(engine.engine().recovery()->start());
        QString error;
        QVERIFY(!engine.engine().repair()->start(u"api"_s, &error));
        QCOMPARE(error, u"an emergency recovery is running"_s);
        QSignalSpy finished(engine.engine().recovery(), &Recovery::finished);
        QVERIFY(finished.wait(30000));
        QVERIFY(stopFleet(engine.fleet()));
    }

    // ---- as a step of emergency recovery (recovery.repair = true) -----------------------

    void recoveryRunsRepairStepsWhileStopped()
    {
        TestEngine engine(config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo repaired >> "
                                 "order.txt\"]]\n",
                                 "[recovery]\nrepair = true\n"));
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"api"_s)->state(), ServiceState::Running, 15000);
        Recovery &recovery = *engine.engine().recovery();

        // The dry run lists what will run.
        const RecoveryPlan plan = recovery.plan();
        QCOMPARE(plan.repairs.size(), 1);
        QVERIFY(
            plan.toText().contains(u"Repair steps to run (recovery.repair):\n  [api] "_s + m_dir.path() +
                                   u" — step 1 of 1: /bin/sh -c 'echo repaired >> order.txt' — will run"_s));
        QVERIFY(!QFile::exists(m_dir.filePath(u"order.txt"_s)));

        QSignalSpy finished(&recovery, &Recovery::finished);
        QVERIFY(recovery.start());
        QVERIFY(finished.wait(60000));
        const auto report = finished.at(0).at(0).value<RecoveryReport>();
        QVERIFY2(report.ok, qPrintable(report.toText()));
        QCOMPARE(report.steps.size(), RecoveryStep::Count + 1);
        // After Clean, before Start: everything is stopped while it runs.
        QCOMPARE(report.steps.at(4).id, RecoveryStep::Id::Clean);
        const RecoveryStep &repair = report.steps.at(5);
        QCOMPARE(repair.id, RecoveryStep::Id::Repair);
        QCOMPARE(repair.title, u"Run repair steps"_s);
        QCOMPARE(repair.status, RecoveryStepStatus::Ok);
        QCOMPARE(repair.message, u"repaired api"_s);
        QCOMPARE(repair.items.size(), 1);
        QVERIFY(repair.items.at(0).action.startsWith(u"ok ("_s));
        QCOMPARE(report.steps.at(6).id, RecoveryStep::Id::Start);
        QCOMPARE(readAll(m_dir.filePath(u"order.txt"_s)), u"repaired\n"_s);
        QVERIFY(readAll(report.textPath).contains(u"Run repair steps"_s));
        QVERIFY(stopFleet(fleet));
    }

    void recoveryWithAFailedRepairSaysWhichAndStartsAnyway()
    {
        TestEngine engine(
            config("[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo bad wheel; exit 2\"], "
                   "[\"true\"]]\n",
                   "[recovery]\nrepair = true\n"));
        Fleet &fleet = engine.fleet();
        Recovery &recovery = *engine.engine().recovery();
        QSignalSpy finished(&recovery, &Recovery::finished);
        QVERIFY(recovery.start());
        QVERIFY(finished.wait(60000));
        const auto report = finished.at(0).at(0).value<RecoveryReport>();
        const RecoveryStep &repair = report.steps.at(5);
        QCOMPARE(repair.status, RecoveryStepStatus::Warning);
        QCOMPARE(repair.message,
                 u"api: step 1 of 2 `/bin/sh -c 'echo bad wheel; exit 2'` failed: exit code 2; "
                 u"started anyway with the others"_s);
        QCOMPARE(repair.items.size(), 2);
        QVERIFY2(repair.items.at(0).action.contains(u"exit code 2"_s) &&
                     repair.items.at(0).action.contains(u"last output: bad wheel"_s),
                 qPrintable(repair.items.at(0).action));
        QCOMPARE(repair.items.at(1).action, u"not run: an earlier step failed"_s);
        QVERIFY2(report.ok, qPrintable(report.toText())); // a warning, not a failure
        QTRY_COMPARE_WITH_TIMEOUT(fleet.service(u"api"_s)->state(), ServiceState::Running, 15000);
        QVERIFY(stopFleet(fleet));
    }
};

QTEST_GUILESS_MAIN(TestRepair)
#include "tst_repair.moc"
