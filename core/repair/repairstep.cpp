#include "repair/repairstep.h"

#include "logs/eventlog.h"
#include "recovery/recoverysteps.h"
#include "repair/repair.h"
#include "supervise/fleet.h"

namespace lifeline::recovery {

using namespace Qt::StringLiterals;

namespace {

// What a failed step printed last, for the report's item.
constexpr qsizetype kTailLines = 3;

struct Job
{
    QString service;
    RepairPlan plan;
};

QList<Job> jobs(const Fleet &fleet)
{
    QList<Job> out;
    for (const QString &name : fleet.config().startOrder()) {
        const RepairPlan plan = RepairPlan::forService(fleet.config(), name);
        if (plan.problem.isEmpty())
            out.append({name, plan});
    }
    return out;
}

RecoveryItem stepItem(const Job &job, qsizetype index)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::Figure;
    item.service = job.service;
    item.path = job.plan.cwd;
    item.why = u"step %1 of %2: %3"_s.arg(index + 1)
                   .arg(job.plan.steps.size())
                   .arg(CommandSteps::display(job.plan.steps.at(index)));
    return item;
}

class RepairAllStep final : public Step
{
public:
    RepairAllStep(RecoveryStep::Id id, RunContext &context)
        : Step(id)
        , m_ctx(context)
    {}

protected:
    void begin() override
    {
        if (!m_ctx.fleet) {
            finish(RecoveryStepStatus::Failed, u"Lifeline is shutting down"_s);
            return;
        }
        m_jobs = jobs(*m_ctx.fleet);
        if (m_jobs.isEmpty()) {
            finish(RecoveryStepStatus::Ok, u"no service has repair steps"_s);
            return;
        }
        next();
    }

private:
    void next()
    {
        if (m_steps) {
            m_steps->deleteLater();
            m_steps = nullptr;
        }
        if (m_done >= m_jobs.size() || !m_ctx.fleet) {
            conclude();
            return;
        }
        const Job &job = m_jobs.at(m_done);
        const ServiceSpec *spec = m_ctx.fleet->config().service(job.service);
        if (!spec) { // removed by a reload meanwhile
            ++m_done;
            later([this] { next(); });
            return;
        }
        m_tail.clear();
        m_steps = new CommandSteps(this);
        listen(connect(m_steps, &CommandSteps::output, this, [this](int, const QStringList &lines) {
            m_tail += lines;
            if (m_tail.size() > kTailLines)
                m_tail.remove(0, m_tail.size() - kTailLines);
        }));
        listen(
            connect(m_steps, &CommandSteps::stepFinished, this,
                    [this](int index, const CommandStepResult &result) { onStepFinished(index, result); }));
        listen(connect(m_steps, &CommandSteps::finished, this, [this](bool ok, const QString &message) {
            const Job &done = m_jobs.at(m_done);
            if (ok) {
                m_repaired.append(done.service);
            } else {
                m_failures.append(done.service + u": "_s + message);
                const QList<CommandStepResult> results = m_steps->results();
                for (qsizetype i = 0; i < results.size(); ++i) {
                    if (results.at(i).outcome != CommandStepResult::Outcome::Skipped)
                        continue;
                    RecoveryItem item = stepItem(done, i);
                    item.action = u"not run: an earlier step failed"_s;
                    record().items.append(item);
                }
            }
            if (m_ctx.fleet)
                m_ctx.fleet->eventLog()->write(done.service,
                                               u"recovery: repair "_s + (ok ? u"succeeded"_s : message));
            ++m_done;
            changed();
            later([this] { next(); });
        }));
        m_steps->start(job.plan.steps, Repair::stepOptions(*spec, m_ctx.fleet->stateDir()));
    }

    void onStepFinished(int index, const CommandStepResult &result)
    {
        RecoveryItem item = stepItem(m_jobs.at(m_done), index);
        item.action = u"%1 (%2)"_s.arg(result.ok() ? u"ok"_s : result.reason,
                                       formatDuration(Millis(result.durationMs), DurationStyle::Coarse));
        if (!result.ok() && !m_tail.isEmpty())
            item.action += u"; last output: "_s + m_tail.join(u" | "_s);
        record().items.append(item);
        changed();
    }

    void conclude()
    {
        if (m_failures.isEmpty()) {
            finish(RecoveryStepStatus::Ok, u"repaired %1"_s.arg(m_repaired.join(u", "_s)));
            return;
        }
        // The services are started all the same: a recovery brings the stack
        // back, and Verify says whether what the failed step left still runs.
        finish(RecoveryStepStatus::Warning,
               u"%1; started anyway with the others"_s.arg(m_failures.join(u"; "_s)));
    }

    RunContext &m_ctx;
    QList<Job> m_jobs;
    qsizetype m_done = 0;
    CommandSteps *m_steps = nullptr;
    QStringList m_tail;
    QStringList m_repaired;
    QStringList m_failures;
};

} // namespace

std::unique_ptr<Step> makeRepairStep(RunContext &context)
{
    return std::make_unique<RepairAllStep>(RecoveryStep::Id::Repair, context);
}

QList<RecoveryItem> planRepairs(const Fleet &fleet)
{
    QList<RecoveryItem> out;
    for (const Job &job : jobs(fleet)) {
        for (qsizetype i = 0; i < job.plan.steps.size(); ++i) {
            RecoveryItem item = stepItem(job, i);
            item.action = u"will run (at most %1)"_s.arg(formatDuration(job.plan.timeout));
            out.append(item);
        }
    }
    return out;
}

} // namespace lifeline::recovery
