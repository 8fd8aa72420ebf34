// The recovery StepRunner with fake steps: order, one step per event-loop
// pass, a skipped step does not stop the run, a failed one does and the rest
// are reported skipped, an abort fails a step without beginning it, a step
// ends once, callbacks after a verdict are inert, and a step whose last
// actions re-enter it through a signal (e7d897a) keeps its own verdict.
#include "recovery/recoverystep.h"
#include "recovery/steprunner.h"

#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <functional>
#include <memory>

using namespace lifeline;
using namespace lifeline::recovery;
using namespace Qt::StringLiterals;

namespace {

// Stands in for what a step listens to (the fleet's signals).
class Source final : public QObject
{
    Q_OBJECT
signals:
    void ping();
};

// A step whose begin() is the test's: the protected API is opened to it.
class FakeStep final : public Step
{
public:
    using Behaviour = std::function<void(FakeStep &)>;
    FakeStep(RecoveryStep::Id id, QStringList *log, Behaviour behaviour)
        : Step(id)
        , m_log(log)
        , m_behaviour(std::move(behaviour))
    {}

    using Step::changed;
    using Step::decide;
    using Step::finish;
    using Step::later;
    using Step::listen;
    using Step::listening;
    using Step::pollTimer;
    using Step::record;

private:
    void begin() override
    {
        m_log->append(RecoveryStep::keyOf(id()));
        if (m_behaviour)
            m_behaviour(*this);
    }

    QStringList *m_log;
    Behaviour m_behaviour;
};

FakeStep::Behaviour finishing(RecoveryStepStatus status, const QString &message = u"done"_s)
{
    return [status, message](FakeStep &s) { s.finish(status, message); };
}

RecoveryStep::Id idAt(int i)
{
    return RecoveryStep::Id(i);
}

QString key(int i)
{
    return RecoveryStep::keyOf(idAt(i));
}

// Lets everything already queued run: a step the runner would begin after a
// verdict is queued before this marker.
void drainQueued()
{
    bool passed = false;
    QTimer::singleShot(0, [&passed] { passed = true; });
    QTRY_VERIFY(passed);
}

QList<RecoveryStepStatus> statuses(const QList<RecoveryStep> &records)
{
    QList<RecoveryStepStatus> out;
    for (const RecoveryStep &r : records)
        out.append(r.status);
    return out;
}

} // namespace

class TestStepRunner : public QObject
{
    Q_OBJECT

private:
    QStringList m_began;

    std::vector<std::unique_ptr<Step>> steps(const QList<FakeStep::Behaviour> &behaviours)
    {
        std::vector<std::unique_ptr<Step>> out;
        for (int i = 0; i < behaviours.size(); ++i)
            out.push_back(std::make_unique<FakeStep>(idAt(i), &m_began, behaviours.at(i)));
        return out;
    }

private slots:
    void init() { m_began.clear(); }

    void runsStepsInOrderOnePerPass()
    {
        StepRunner runner;
        QSignalSpy changes(&runner, &StepRunner::stepChanged);
        QSignalSpy finished(&runner, &StepRunner::finished);
        // Each step checks that the one before it has ended and that it was
        // not begun from inside that step's verdict.
        bool nested = false;
        bool insideVerdict = false;
        const auto step = [&](FakeStep &s) {
            nested = nested || insideVerdict;
            insideVerdict = true;
            s.finish(RecoveryStepStatus::Ok, u"fine"_s);
            insideVerdict = false;
        };
        runner.run(steps({step, step, step}));
        QVERIFY(runner.isRunning());
        QVERIFY2(m_began.isEmpty(), "the first step begins on the next pass, after the caller connected");
        QCOMPARE(runner.records().size(), 3);
        QCOMPARE(runner.records().at(1).title, RecoveryStep::titleOf(idAt(1)));
        QCOMPARE(runner.records().at(1).status, RecoveryStepStatus::Pending);

        QVERIFY(finished.wait(5000));
        QVERIFY(!nested);
        QVERIFY(!runner.isRunning());
        QCOMPARE(m_began, (QStringList{key(0), key(1), key(2)}));
        QCOMPARE(statuses(runner.records()), (QList<RecoveryStepStatus>(3, RecoveryStepStatus::Ok)));
        QCOMPARE(runner.records().at(2).message, u"fine"_s);
        // Running then the verdict, for each step in turn.
        QCOMPARE(changes.size(), 6);
        for (int i = 0; i < 6; ++i) {
            QCOMPARE(changes.at(i).at(0).toInt(), i / 2);
            QCOMPARE(changes.at(i).at(1).value<RecoveryStep>().status,
                     i % 2 == 0 ? RecoveryStepStatus::Running : RecoveryStepStatus::Ok);
        }
        drainQueued();
        QCOMPARE(finished.size(), 1);
    }

    void skippedStepDoesNotStopTheRun()
    {
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        runner.run(steps({finishing(RecoveryStepStatus::Ok),
                          finishing(RecoveryStepStatus::Skipped, u"backup_logs = false"_s),
                          finishing(RecoveryStepStatus::Warning, u"low"_s)}));
        QVERIFY(finished.wait(5000));
        QCOMPARE(m_began, (QStringList{key(0), key(1), key(2)}));
        QCOMPARE(statuses(runner.records()),
                 (QList<RecoveryStepStatus>{RecoveryStepStatus::Ok, RecoveryStepStatus::Skipped,
                                            RecoveryStepStatus::Warning}));
        QCOMPARE(runner.records().at(1).message, u"backup_logs = false"_s);
    }

    void failedStepSkipsTheRest()
    {
        StepRunner runner;
        QSignalSpy changes(&runner, &StepRunner::stepChanged);
        QSignalSpy finished(&runner, &StepRunner::finished);
        runner.run(
            steps({finishing(RecoveryStepStatus::Ok), finishing(RecoveryStepStatus::Failed, u"stuck"_s),
                   finishing(RecoveryStepStatus::Ok), finishing(RecoveryStepStatus::Ok)}));
        QVERIFY(finished.wait(5000));
        drainQueued();
        QCOMPARE(m_began, (QStringList{key(0), key(1)}));
        QCOMPARE(finished.size(), 1);
        const QList<RecoveryStep> records = runner.records();
        QCOMPARE(statuses(records),
                 (QList<RecoveryStepStatus>{RecoveryStepStatus::Ok, RecoveryStepStatus::Failed,
                                            RecoveryStepStatus::Skipped, RecoveryStepStatus::Skipped}));
        QCOMPARE(records.at(1).message, u"stuck"_s);
        const QString skipped = u"skipped: step 2 (%1) failed"_s.arg(RecoveryStep::titleOf(idAt(1)));
        QCOMPARE(records.at(2).message, skipped);
        QCOMPARE(records.at(3).message, skipped);
        // The skipped ones are reported too, after the failure.
        QCOMPARE(changes.constLast().at(0).toInt(), 3);
        QCOMPARE(changes.constLast().at(1).value<RecoveryStep>().status, RecoveryStepStatus::Skipped);
    }

    void stepEndsFromItsOwnCallbacks()
    {
        Source source;
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        int polls = 0;
        int pingsAfterVerdict = 0;
        const auto waiting = [&](FakeStep &s) {
            s.listen(connect(&source, &Source::ping, &s, [&] {
                if (!s.listening()) {
                    ++pingsAfterVerdict;
                    return;
                }
                s.record().message = u"pinged"_s;
                s.changed();
            }));
            s.listen(connect(&s.pollTimer(), &QTimer::timeout, &s, [&] {
                if (++polls == 3)
                    s.finish(RecoveryStepStatus::Ok, u"after three polls"_s);
            }));
            s.pollTimer().start();
        };
        runner.run(steps({waiting, finishing(RecoveryStepStatus::Ok)}));
        QTRY_COMPARE(m_began.size(), 1);
        emit source.ping();
        QCOMPARE(runner.records().at(0).message, u"pinged"_s);
        QVERIFY(finished.wait(5000));
        QCOMPARE(polls, 3);
        QCOMPARE(runner.records().at(0).message, u"after three polls"_s);
        // Everything the step listened to was dropped with its verdict.
        emit source.ping();
        drainQueued();
        QCOMPARE(pingsAfterVerdict, 0);
        QCOMPARE(polls, 3);
    }

    void secondVerdictIsIgnored()
    {
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"second verdict \\(failed: late\\); ignored"_s));
        runner.run(steps({[](FakeStep &s) {
                              s.finish(RecoveryStepStatus::Ok, u"first"_s);
                              s.finish(RecoveryStepStatus::Failed, u"late"_s);
                          },
                          finishing(RecoveryStepStatus::Ok)}));
        QVERIFY(finished.wait(5000));
        drainQueued();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(m_began, (QStringList{key(0), key(1)}));
        QCOMPARE(runner.records().at(0).status, RecoveryStepStatus::Ok);
        QCOMPARE(runner.records().at(0).message, u"first"_s);
    }

    // e7d897a: the stop step's last action (marking the last stuck service
    // fatal) made the fleet report "all stopped" synchronously, which
    // re-entered the step's check and passed it before it failed. decide()
    // before such actions keeps the step's own verdict.
    void decidingStepIsNotReenteredByItsOwnActions()
    {
        Source fleet;
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        const auto stop = [&fleet](FakeStep &s) {
            s.listen(connect(&fleet, &Source::ping, &s, [&s] {
                if (s.listening())
                    s.finish(RecoveryStepStatus::Ok, u"all stopped"_s);
            }));
            s.later([&fleet, &s] { // the hard limit
                s.decide();
                emit fleet.ping(); // abandonStop() of the last one
                s.finish(RecoveryStepStatus::Failed, u"marked fatal"_s);
            });
        };
        runner.run(steps({stop, finishing(RecoveryStepStatus::Ok), finishing(RecoveryStepStatus::Ok)}));
        QVERIFY(finished.wait(5000));
        drainQueued();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(m_began, QStringList{key(0)});
        QCOMPARE(statuses(runner.records()),
                 (QList<RecoveryStepStatus>{RecoveryStepStatus::Failed, RecoveryStepStatus::Skipped,
                                            RecoveryStepStatus::Skipped}));
        QCOMPARE(runner.records().at(0).message, u"marked fatal"_s);
    }

    void laterWorkAfterTheVerdictDoesNotRun()
    {
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        bool ran = false;
        runner.run(steps({[&ran](FakeStep &s) {
            s.later([&ran] { ran = true; });
            s.finish(RecoveryStepStatus::Ok, u"done"_s);
        }}));
        QVERIFY(finished.wait(5000));
        drainQueued();
        QVERIFY(!ran);
    }

    void abortFailsTheNextStepWithoutBeginningIt()
    {
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        QString abortWhy;
        runner.setAbortCheck([&abortWhy] { return abortWhy; });
        runner.run(steps({finishing(RecoveryStepStatus::Ok),
                          [&abortWhy](FakeStep &s) {
                              abortWhy = u"Lifeline is shutting down"_s;
                              s.finish(RecoveryStepStatus::Ok, u"done"_s);
                          },
                          finishing(RecoveryStepStatus::Ok), finishing(RecoveryStepStatus::Ok)}));
        QVERIFY(finished.wait(5000));
        drainQueued();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(m_began, (QStringList{key(0), key(1)}));
        const QList<RecoveryStep> records = runner.records();
        QCOMPARE(statuses(records),
                 (QList<RecoveryStepStatus>{RecoveryStepStatus::Ok, RecoveryStepStatus::Ok,
                                            RecoveryStepStatus::Failed, RecoveryStepStatus::Skipped}));
        QCOMPARE(records.at(2).message, u"Lifeline is shutting down"_s);
        QCOMPARE(records.at(3).message, u"skipped: step 3 (%1) failed"_s.arg(RecoveryStep::titleOf(idAt(2))));
    }

    // A receiver of finished() may start the next run at once, while the
    // last step of the previous run is still on the stack.
    void newRunFromFinishedKeepsTheOldStepsAlive()
    {
        StepRunner runner;
        QSignalSpy finished(&runner, &StepRunner::finished);
        QPointer<Step> oldStep;
        bool oldAliveAfterRun = false;
        bool readAfterVerdict = true;
        bool again = true;
        connect(&runner, &StepRunner::finished, this, [&] {
            if (!again)
                return;
            again = false;
            runner.run(steps({finishing(RecoveryStepStatus::Warning, u"second run"_s)}));
            oldAliveAfterRun = !oldStep.isNull();
        });
        runner.run(steps({[&oldStep, &readAfterVerdict](FakeStep &s) {
            oldStep = &s;
            s.finish(RecoveryStepStatus::Ok, u"first run"_s);
            // Still on this step's stack: it must not have been deleted.
            readAfterVerdict = s.listening();
        }}));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        QVERIFY(oldAliveAfterRun);
        QVERIFY(!readAfterVerdict);
        QTRY_VERIFY(oldStep.isNull());
        QCOMPARE(runner.records().size(), 1);
        QCOMPARE(runner.records().at(0).message, u"second run"_s);
        QCOMPARE(m_began, (QStringList{key(0), key(0)}));
    }
};

QTEST_GUILESS_MAIN(TestStepRunner)
#include "tst_steprunner.moc"
