#include "repair/repair.h"

#include "logs/eventlog.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>

#include <algorithm>

namespace lifeline {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kStopSlackMs = 30'000; // beyond the service's stop_timeout

} // namespace

// ---- plan ------------------------------------------------------------------------------

RepairPlan RepairPlan::forService(const Config &config, const QString &name)
{
    RepairPlan p;
    p.service = name;
    const ServiceSpec *spec = config.service(name);
    if (!spec) {
        p.problem = u"unknown service \"%1\""_s.arg(name);
        return p;
    }
    p.cwd = spec->cwd.isEmpty() ? config.settings.stateDir : spec->cwd;
    p.steps = spec->repair.steps;
    p.timeout = spec->repair.timeout;
    if (p.steps.isEmpty())
        p.problem =
            u"%1 has no repair steps (add [service.repair] steps = [[...]] to its [[service]])"_s.arg(name);
    return p;
}

QString RepairPlan::toText() const
{
    QString out = u"in %1, each step at most %2:\n"_s.arg(cwd, formatDuration(timeout));
    for (qsizetype i = 0; i < steps.size(); ++i)
        out += u"  %1. %2\n"_s.arg(i + 1).arg(CommandSteps::display(steps.at(i)));
    return out;
}

// ---- report ----------------------------------------------------------------------------

QString RepairReport::toText() const
{
    QString out = message + u"\n\n"_s;
    out += u"service:  %1\ncwd:      %2\nstarted:  %3\nfinished: %4\n\nsteps:\n"_s.arg(
        service, cwd, startedAt.toString(Qt::ISODateWithMs), finishedAt.toString(Qt::ISODateWithMs));
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const CommandStepResult &s = steps.at(i);
        out += u"  %1. %2: %3"_s.arg(i + 1).arg(CommandSteps::display(s.argv),
                                                s.reason.isEmpty() ? u"not run"_s : s.reason);
        if (s.outcome != CommandStepResult::Outcome::Skipped &&
            s.outcome != CommandStepResult::Outcome::Pending)
            out += u" (%1)"_s.arg(formatDuration(Millis(s.durationMs)));
        out += u'\n';
    }
    out += u"\noutput:\n"_s;
    if (droppedLines > 0)
        out += u"[%1 earlier lines not kept]\n"_s.arg(droppedLines);
    for (const QString &line : output)
        out += line + u'\n';
    return out;
}

QJsonObject RepairReport::toJson() const
{
    QJsonArray stepsJson;
    for (const CommandStepResult &s : steps) {
        stepsJson.append(QJsonObject{{u"argv"_s, QJsonArray::fromStringList(s.argv)},
                                     {u"outcome"_s, CommandStepResult::outcomeName(s.outcome)},
                                     {u"code"_s, s.code},
                                     {u"reason"_s, s.reason},
                                     {u"duration_ms"_s, s.durationMs}});
    }
    return QJsonObject{{u"service"_s, service},
                       {u"ok"_s, ok},
                       {u"message"_s, message},
                       {u"cwd"_s, cwd},
                       {u"started_at"_s, startedAt.toString(Qt::ISODateWithMs)},
                       {u"finished_at"_s, finishedAt.toString(Qt::ISODateWithMs)},
                       {u"steps"_s, stepsJson},
                       {u"output"_s, QJsonArray::fromStringList(output)},
                       {u"dropped_lines"_s, droppedLines},
                       {u"report_path"_s, textPath}};
}

// ---- runs ------------------------------------------------------------------------------

struct Repair::Run
{
    RepairPlan plan;
    ServiceSpec spec;
    QPointer<ServiceSupervisor> service;
    CommandSteps *steps = nullptr;
    QTimer *stopLimit = nullptr;
    QMetaObject::Connection stopWatch;
    RepairReport report;
};

Repair::Repair(Fleet *fleet, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
{
    qRegisterMetaType<RepairPlan>();
    qRegisterMetaType<RepairReport>();
    qRegisterMetaType<CommandStepResult>(); // queued to the UI before any CommandSteps exists
}

Repair::~Repair()
{
    // The steps are children: deleting them ends what they run, without waiting.
    qDeleteAll(m_runs);
}

CommandSteps::Options Repair::stepOptions(const ServiceSpec &spec, const QString &stateDir)
{
    CommandSteps::Options o;
    o.workingDirectory = spec.cwd.isEmpty() ? stateDir : spec.cwd;
    for (auto it = spec.env.cbegin(); it != spec.env.cend(); ++it)
        o.environment.insert(it.key(), it.value());
    o.timeout = spec.repair.timeout;
    return o;
}

bool Repair::start(const QString &name, QString *error)
{
    const auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (!m_fleet)
        return fail(u"no services to repair"_s);
    if (m_fleet->isShuttingDown())
        return fail(u"Lifeline is shutting down"_s);
    const RepairPlan plan = RepairPlan::forService(m_fleet->config(), name);
    if (!plan.problem.isEmpty())
        return fail(plan.problem);
    ServiceSupervisor *service = m_fleet->service(name);
    if (!service)
        return fail(u"unknown service \"%1\""_s.arg(name));
    if (m_runs.contains(name))
        return fail(u"a repair of %1 is already running"_s.arg(name));
    if (m_busyCheck) {
        if (const QString busy = m_busyCheck(); !busy.isEmpty())
            return fail(busy);
    }

    auto *run = new Run;
    run->plan = plan;
    run->spec = *m_fleet->config().service(name);
    run->service = service;
    run->report.service = name;
    run->report.cwd = plan.cwd;
    run->report.startedAt = QDateTime::currentDateTime();
    m_runs.insert(name, run);
    m_fleet->eventLog()->write(name,
                               u"repair started: %1 steps in %2"_s.arg(plan.steps.size()).arg(plan.cwd));
    emit started(plan);

    if (isStoppedState(service->state())) {
        QTimer::singleShot(0, this, [this, name, run] {
            if (m_runs.value(name) == run)
                runSteps(run);
        });
        return true;
    }
    // Stop first: the steps replace what the running service uses.
    run->stopWatch =
        connect(service, &ServiceSupervisor::stateChanged, this, [this, run](ServiceState, ServiceState to) {
            if (isStoppedState(to))
                runSteps(run);
        });
    run->stopLimit = new QTimer(this);
    run->stopLimit->setSingleShot(true);
    const qint64 limit = run->spec.stopTimeout.count() + kStopSlackMs;
    connect(run->stopLimit, &QTimer::timeout, this, [this, run, limit] {
        end(run, false, u"%1 did not stop within %2"_s.arg(run->plan.service, formatDuration(Millis(limit))));
    });
    run->stopLimit->start(int(limit));
    m_fleet->stop(name);
    return true;
}

void Repair::runSteps(Run *run)
{
    disconnect(run->stopWatch);
    if (run->stopLimit)
        run->stopLimit->stop();
    if (run->steps)
        return;
    const QString name = run->plan.service;
    CommandSteps::Options options = stepOptions(run->spec, m_fleet ? m_fleet->stateDir() : QString());
    options.killGrace = m_killGrace;
    run->steps = new CommandSteps(this);
    const auto keep = [run](const QStringList &lines) {
        QStringList &out = run->report.output;
        out += lines;
        const qsizetype over = out.size() - kMaxKeptLines;
        if (over > 0) {
            out.remove(0, over);
            run->report.droppedLines += over;
        }
    };
    connect(run->steps, &CommandSteps::stepStarted, this,
            [this, run, name, keep](int index, const QStringList &argv) {
                const QString header = u"$ "_s + CommandSteps::display(argv);
                keep({header});
                if (m_fleet)
                    m_fleet->eventLog()->write(name, u"repair step %1 of %2: %3"_s.arg(index + 1)
                                                         .arg(run->plan.steps.size())
                                                         .arg(header.mid(2)));
                emit stepStarted(name, index, argv);
                emit output(name, {header});
            });
    connect(run->steps, &CommandSteps::output, this, [this, name, keep](int, const QStringList &lines) {
        keep(lines);
        emit output(name, lines);
    });
    connect(
        run->steps, &CommandSteps::stepFinished, this,
        [this, name](int index, const CommandStepResult &result) { emit stepFinished(name, index, result); });
    connect(run->steps, &CommandSteps::finished, this,
            [this, run](bool ok, const QString &message) { end(run, ok, message); });
    run->steps->start(run->plan.steps, options);
}

void Repair::end(Run *run, bool ok, const QString &why)
{
    const QString name = run->plan.service;
    disconnect(run->stopWatch);
    RepairReport r = run->report;
    r.ok = ok;
    r.finishedAt = QDateTime::currentDateTime();
    if (run->steps) {
        r.steps = run->steps->results();
    } else {
        for (const QStringList &argv : run->plan.steps) {
            CommandStepResult s;
            s.argv = argv;
            s.outcome = CommandStepResult::Outcome::Skipped;
            s.reason = u"skipped"_s;
            r.steps.append(s);
        }
    }
    const QString took = formatDuration(Millis(r.startedAt.msecsTo(r.finishedAt)), DurationStyle::Coarse);
    if (ok) {
        QString error;
        const bool restarted = m_fleet && m_fleet->start(name, &error);
        r.message = restarted ? u"repair of %1 succeeded (%2 steps in %3); %1 started again"_s.arg(name)
                                    .arg(r.steps.size())
                                    .arg(took)
                              : u"repair of %1 succeeded (%2 steps in %3), but %1 could not be started: %4"_s
                                    .arg(name)
                                    .arg(r.steps.size())
                                    .arg(took, error);
    } else {
        // Starting what a failed step left half done would only crash-loop it.
        r.message = u"repair of %1 failed: %2; %1 left stopped"_s.arg(name, why);
    }
    save(r);
    if (m_fleet)
        m_fleet->eventLog()->write(name, r.message + (r.textPath.isEmpty()
                                                          ? u" (report not saved: "_s + r.saveError + u')'
                                                          : u" (report: "_s + r.textPath + u')'));
    m_runs.remove(name);
    if (run->steps)
        run->steps->deleteLater();
    if (run->stopLimit)
        run->stopLimit->deleteLater();
    delete run;
    emit finished(r);
}

void Repair::save(RepairReport &r) const
{
    if (!m_fleet)
        return;
    const QString dir = m_fleet->stateDir() + u"/repair"_s;
    if (!QDir().mkpath(dir)) {
        r.saveError = u"cannot create %1"_s.arg(dir);
        return;
    }
    const QString stamp = r.service + u'-' + r.startedAt.toString(u"yyyyMMdd-HHmmss"_s);
    QString base = dir + u'/' + stamp;
    for (int n = 2; QFileInfo::exists(base + u".json"_s) || QFileInfo::exists(base + u".txt"_s); ++n)
        base = dir + u'/' + stamp + u'-' + QString::number(n);
    r.textPath = base + u".txt"_s;
    r.jsonPath = base + u".json"_s;
    const auto write = [&r](const QString &path, const QByteArray &data) {
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
            r.saveError = u"cannot write %1: %2"_s.arg(path, f.errorString());
            return false;
        }
        return true;
    };
    if (!write(r.textPath, r.toText().toUtf8()) ||
        !write(r.jsonPath, QJsonDocument(r.toJson()).toJson(QJsonDocument::Indented))) {
        r.textPath.clear();
        r.jsonPath.clear();
    }
}

} // namespace lifeline
