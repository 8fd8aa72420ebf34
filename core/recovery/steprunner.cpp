#include "recovery/steprunner.h"

namespace lifeline::recovery {

using namespace Qt::StringLiterals;

namespace {
constexpr int kPollMs = 100;
}

// The timers are children so that they follow the step to another thread.
Step::Step(RecoveryStep::Id id)
    : m_id(id)
    , m_poll(this)
    , m_deadline(this)
{
    m_poll.setInterval(kPollMs);
    m_deadline.setSingleShot(true);
}

Step::~Step() = default;

void Step::start(StepRunner *runner, int index)
{
    m_runner = runner;
    m_index = index;
    m_listening = true;
    m_timer.start();
    begin();
}

RecoveryStep &Step::record()
{
    return m_runner->m_records[m_index];
}

void Step::changed()
{
    m_runner->report(m_index);
}

void Step::decide()
{
    m_listening = false;
    for (const QMetaObject::Connection &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    m_poll.stop();
    m_deadline.stop();
}

void Step::finish(RecoveryStepStatus status, const QString &message)
{
    decide();
    // A step ends once. A second verdict (a signal re-entering a step's
    // check while it decides) would queue the next step behind a run that
    // has already finished.
    if (m_finished || !m_runner) {
        qWarning("recovery: step \"%s\" gave a second verdict (%s: %s); ignored",
                 qPrintable(RecoveryStep::keyOf(m_id)), qPrintable(recoveryStepStatusName(status)),
                 qPrintable(message));
        return;
    }
    m_finished = true;
    m_runner->conclude(m_index, status, message, elapsed());
}

void Step::listen(const QMetaObject::Connection &connection)
{
    m_connections.append(connection);
}

void Step::later(std::function<void()> work)
{
    QTimer::singleShot(0, this, [this, work = std::move(work)] {
        if (m_listening)
            work();
    });
}

StepRunner::StepRunner(QObject *parent)
    : QObject(parent)
{}

StepRunner::~StepRunner() = default;

void StepRunner::run(std::vector<std::unique_ptr<Step>> steps)
{
    for (Step *old : std::as_const(m_steps))
        old->deleteLater();
    m_steps.clear();
    m_records.clear();
    for (std::unique_ptr<Step> &step : steps) {
        RecoveryStep record;
        record.id = step->id();
        record.title = RecoveryStep::titleOf(record.id);
        m_records.append(record);
        step->setParent(this);
        m_steps.append(step.release());
    }
    m_running = true;
    const quint64 run = ++m_run;
    QTimer::singleShot(0, this, [this, run] {
        if (run == m_run)
            begin(0);
    });
}

void StepRunner::begin(int index)
{
    if (index >= m_steps.size()) {
        end();
        return;
    }
    m_records[index].status = RecoveryStepStatus::Running;
    report(index);
    if (m_abortCheck) {
        if (const QString why = m_abortCheck(); !why.isEmpty()) {
            conclude(index, RecoveryStepStatus::Failed, why, 0);
            return;
        }
    }
    m_steps.at(index)->start(this, index);
}

void StepRunner::report(int index)
{
    emit stepChanged(index, m_records.at(index));
}

void StepRunner::conclude(int index, RecoveryStepStatus status, const QString &message, qint64 durationMs)
{
    RecoveryStep &record = m_records[index];
    record.status = status;
    record.message = message;
    record.durationMs = durationMs;
    report(index);

    if (status == RecoveryStepStatus::Failed) {
        for (int i = index + 1; i < m_records.size(); ++i) {
            m_records[i].status = RecoveryStepStatus::Skipped;
            m_records[i].message = u"skipped: step %1 (%2) failed"_s.arg(index + 1).arg(record.title);
            report(i);
        }
        end();
        return;
    }
    if (index + 1 < m_records.size()) {
        const quint64 run = m_run;
        QTimer::singleShot(0, this, [this, run, next = index + 1] {
            if (run == m_run)
                begin(next);
        });
        return;
    }
    end();
}

void StepRunner::end()
{
    m_running = false;
    emit finished();
}

} // namespace lifeline::recovery
