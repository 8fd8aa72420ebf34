// One step of an emergency recovery, as the StepRunner (steprunner.h) runs
// it. `RecoveryStep` (recoverytypes.h) is the step's public record, what the
// UI and reports show; recovery::Step is the code that fills it.
//
// A step is begun once, does its work from signals and timers (never
// blocking), and ends with exactly one verdict through finish(). What it
// listens to goes through listen(), pollTimer() and deadlineTimer(), so that
// everything is dropped before the verdict is recorded. A step whose own
// last actions emit signals it listens to (marking a service fatal makes the
// fleet report "all stopped") calls decide() before those actions, so that
// nothing it does while concluding can re-enter it.
#pragma once

#include "recovery/recoverytypes.h"

#include <QElapsedTimer>
#include <QList>
#include <QMetaObject>
#include <QObject>
#include <QTimer>

#include <functional>

namespace lifeline::recovery {

class StepRunner;

class Step : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Step)

public:
    explicit Step(RecoveryStep::Id id);
    ~Step() override;

    RecoveryStep::Id id() const { return m_id; }

protected:
    // The step's work. It ends with finish(), now or from a later callback.
    virtual void begin() = 0;

    // This run's record of the step: message and items to fill.
    RecoveryStep &record();
    // The record's message or items changed: the runner reports it.
    void changed();
    // The verdict. Drops what the step listens to first; a second verdict is
    // a bug, logged and ignored.
    void finish(RecoveryStepStatus status, const QString &message);
    // Stops listening now: callbacks already queued see listening() false.
    void decide();
    // Begun, and neither decided nor finished: callbacks check this first.
    bool listening() const { return m_listening; }

    // A connection dropped when the step decides.
    void listen(const QMetaObject::Connection &connection);
    // Timers stopped when the step decides: a repeating poll (100 ms) and a
    // single-shot limit.
    QTimer &pollTimer() { return m_poll; }
    QTimer &deadlineTimer() { return m_deadline; }
    // Runs `work` on the next event-loop pass, if the step still listens then.
    void later(std::function<void()> work);
    // Milliseconds since the step began.
    qint64 elapsed() const { return m_timer.elapsed(); }

private:
    friend class StepRunner;
    void start(StepRunner *runner, int index);

    const RecoveryStep::Id m_id;
    StepRunner *m_runner = nullptr;
    int m_index = -1;
    bool m_listening = false;
    bool m_finished = false;
    QElapsedTimer m_timer;
    QList<QMetaObject::Connection> m_connections;
    QTimer m_poll;
    QTimer m_deadline;
};

} // namespace lifeline::recovery
