// Runs the steps of an emergency recovery in order (recoverystep.h): each
// one begins on the event-loop pass after the previous one ended, a failed
// step ends the run and the ones after it are reported skipped, and an abort
// check asked before each step can end the run there. The runner keeps the
// records (RecoveryStep) and reports every change of them.
#pragma once

#include "recovery/recoverystep.h"
#include "recovery/recoverytypes.h"

#include <QList>
#include <QObject>

#include <functional>
#include <memory>
#include <vector>

namespace lifeline::recovery {

class StepRunner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StepRunner)

public:
    explicit StepRunner(QObject *parent = nullptr);
    ~StepRunner() override;

    // Starts a run of `steps`; the first begins on the next event-loop pass.
    // The steps of an earlier run are deleted later: the last of them may
    // still be on the stack (a receiver of finished() starting a new run).
    void run(std::vector<std::unique_ptr<Step>> steps);
    bool isRunning() const { return m_running; }
    // Asked before each step begins. A non-empty answer aborts the run: that
    // step fails with it without being begun, the rest are skipped.
    void setAbortCheck(std::function<QString()> check) { m_abortCheck = std::move(check); }

    // The records of the current (or last) run, in order.
    QList<RecoveryStep> records() const { return m_records; }

signals:
    // A step changed status, message or items.
    void stepChanged(int index, const lifeline::RecoveryStep &step);
    // Every step has a verdict, or was skipped.
    void finished();

private:
    friend class Step;
    void begin(int index);
    void report(int index);
    void conclude(int index, RecoveryStepStatus status, const QString &message, qint64 durationMs);
    void end();

    QList<Step *> m_steps; // children of this runner
    QList<RecoveryStep> m_records;
    std::function<QString()> m_abortCheck;
    bool m_running = false;
    quint64 m_run = 0; // which run a queued begin belongs to
};

} // namespace lifeline::recovery
