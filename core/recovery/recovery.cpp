#include "recovery/recovery.h"

#include "health/healthmonitor.h"
#include "logs/eventlog.h"
#include "metrics/metricshistory.h"
#include "recovery/recoverydiscovery.h"
#include "repair/repairstep.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "util/units.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>

#include <algorithm>
#include <csignal>

namespace lifeline {

using namespace Qt::StringLiterals;
using recovery::processItem;

Recovery::Recovery(Fleet *fleet, QObject *parent)
    : QObject(parent)
    , m_fleet(fleet)
    , m_runner(this) // a child: it follows this object to another thread
{
    qRegisterMetaType<RecoveryStep>();
    qRegisterMetaType<RecoveryReport>();
    connect(&m_runner, &recovery::StepRunner::stepChanged, this, &Recovery::stepChanged);
    connect(&m_runner, &recovery::StepRunner::finished, this, &Recovery::finishRun);
    m_runner.setAbortCheck([this] { return m_fleet ? QString() : u"Lifeline is shutting down"_s; });
}

Recovery::~Recovery() = default;

RecoveryPlan Recovery::plan() const
{
    RecoveryPlan p;
    if (!m_fleet)
        return p;
    QList<pid_t> live;
    for (const ServiceSupervisor *s : m_fleet->services()) {
        p.services.append(s->name());
        // A stopped service's marker carriers are leftovers (step 2), not
        // something its supervisor would stop.
        if (isStoppedState(s->state()))
            continue;
        const QList<pid_t> pids = s->treePids();
        for (pid_t pid : pids) {
            RecoveryItem item = processItem(
                m_proc, pid, s->name(),
                pid == s->pid() ? u"main process of %1 (%2)"_s.arg(s->name(), stateName(s->state()))
                                : u"process of %1's tree"_s.arg(s->name()));
            item.action = u"will be stopped (%1, SIGKILL after %2)"_s.arg(
                s->spec().stopSignal == SIGTERM ? u"SIGTERM"_s : u"signal %1"_s.arg(s->spec().stopSignal),
                formatDuration(s->spec().stopTimeout));
            p.toStop.append(item);
        }
        live += pids;
    }
    recovery::Discovery d = recovery::discover(m_proc, recovery::discoveryInput(*m_fleet, live));
    for (RecoveryItem &item : d.leftovers) {
        item.action = u"will be ended (SIGTERM, SIGKILL after %1)"_s.arg(
            formatDuration(Millis(RecoveryOptions{}.termGraceMs)));
        p.leftovers.append(item);
    }
    for (RecoveryItem &item : d.stalePidfiles) {
        item.action = u"will be removed"_s;
        p.leftovers.append(item);
    }
    for (RecoveryItem &item : d.portHolders) {
        if (item.needsConsent)
            item.action = u"will be ended only if you agree (checkbox, or lifelinectl recover --yes)"_s;
        p.portHolders.append(item);
    }
    for (RecoveryItem &item : d.orphans) {
        if (item.needsConsent)
            item.action = u"will be ended only if you agree (checkbox, or lifelinectl recover --yes)"_s;
        p.orphans.append(item);
    }
    p.clean = recovery::planClean(*m_fleet);
    if (m_fleet->config().recovery.repair)
        p.repairs = recovery::planRepairs(*m_fleet);
    p.backupLogs = m_fleet->config().recovery.backupLogs;
    if (p.backupLogs)
        p.logs = recovery::planLogs(*m_fleet);
    return p;
}

// ---- running ------------------------------------------------------------------

bool Recovery::start(const RecoveryOptions &options, QString *error)
{
    const auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (m_runner.isRunning())
        return fail(u"a recovery is already running (started %1)"_s.arg(m_startedAt.toString(u"HH:mm:ss"_s)));
    if (!m_fleet)
        return fail(u"no services to recover"_s);
    const QString dir = m_fleet->stateDir() + u"/recovery"_s;
    if (!QDir().mkpath(dir))
        return fail(u"cannot create %1"_s.arg(dir));
    auto lock = std::make_unique<QLockFile>(dir + u"/.lock"_s);
    lock->setStaleLockTime(0);
    if (!lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        return fail(u"another recovery is already running for %1 (lock %2 held by pid %3)"_s
                        .arg(m_fleet->stateDir(), dir + u"/.lock"_s)
                        .arg(pid));
    }
    m_lock = std::move(lock);
    m_context.fleet = m_fleet;
    m_context.proc = &m_proc;
    m_context.options = options;
    m_startedAt = QDateTime::currentDateTime();
    m_runTimer.start();
    // The first step begins on the next pass, after the caller connected to us.
    m_runner.run(recovery::makeSteps(m_context));
    m_fleet->eventLog()->write(
        QString(),
        u"emergency recovery started%1"_s.arg(
            options.killForeignPortHolders ? u" (with consent to end foreign port holders)"_s : QString()));
    emit started();
    return true;
}

QString Recovery::lastReportPath() const
{
    return m_lastReport ? m_lastReport->textPath : QString();
}

QString Recovery::readLastReport(const QString &stateDir, QString *path, qint64 maxBytes)
{
    const QDir dir(stateDir + u"/recovery"_s);
    const QStringList names = dir.entryList(QStringList{u"*.txt"_s}, QDir::Files, QDir::Name);
    if (names.isEmpty())
        return QString();
    // Names are yyyyMMdd-HHmmss[-N]: the newest sorts last (same-second runs by N).
    QStringList sorted = names;
    std::sort(sorted.begin(), sorted.end(), [](const QString &a, const QString &b) {
        const QString da = a.left(15), db = b.left(15);
        if (da != db)
            return da < db;
        return a.mid(16).section(u'.', 0, 0).toInt() < b.mid(16).section(u'.', 0, 0).toInt();
    });
    QFile f(dir.filePath(sorted.constLast()));
    if (!f.open(QIODevice::ReadOnly))
        return QString();
    if (path)
        *path = f.fileName();
    return QString::fromUtf8(maxBytes < 0 ? f.readAll() : f.read(maxBytes));
}

// ---- the end -----------------------------------------------------------------------------

void Recovery::finishRun()
{
    RecoveryReport r;
    const QList<RecoveryStep> steps = m_runner.records();
    r.ok = std::none_of(steps.cbegin(), steps.cend(),
                        [](const RecoveryStep &s) { return s.status == RecoveryStepStatus::Failed; });
    r.startedAt = m_startedAt;
    r.finishedAt = QDateTime::currentDateTime();
    r.durationMs = m_runTimer.elapsed();
    r.options = m_context.options;
    r.steps = steps;
    if (m_fleet) {
        for (const ServiceSupervisor *s : m_fleet->services()) {
            RecoveryServiceEnd e;
            e.name = s->name();
            e.state = stateName(s->state());
            e.health = s->health() ? healthName(s->health()->health()) : u"none"_s;
            e.pid = s->state() == ServiceState::Running ? s->pid() : 0;
            if (s->state() != ServiceState::Running)
                e.problem = s->lastError().isEmpty() ? m_fleet->waitingReason(s->name()) : s->lastError();
            else if (s->health() && s->health()->health() != Health::Healthy && s->health()->lastResult())
                e.problem = s->health()->lastResult()->reason;
            r.endState.append(e);
        }

        const QString dir = m_fleet->stateDir() + u"/recovery"_s;
        QDir().mkpath(dir);
        const QString stamp = m_startedAt.toString(u"yyyyMMdd-HHmmss"_s);
        QString base = dir + u'/' + stamp;
        for (int n = 2; QFileInfo::exists(base + u".json"_s) || QFileInfo::exists(base + u".txt"_s); ++n)
            base = dir + u'/' + stamp + u'-' + QString::number(n);
        r.jsonPath = base + u".json"_s;
        r.textPath = base + u".txt"_s;
        const auto save = [&r](const QString &path, const QByteArray &data) {
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
                r.saveError = u"cannot write %1: %2"_s.arg(path, f.errorString());
                return false;
            }
            return true;
        };
        // The paths are part of the report, so they are set before it is written.
        if (!save(r.jsonPath, QJsonDocument(r.toJson()).toJson(QJsonDocument::Indented)) ||
            !save(r.textPath, r.toText().toUtf8())) {
            r.jsonPath.clear();
            r.textPath.clear();
        }

        const QString summary = r.summary();
        m_fleet->history()->addEvent(QDateTime::currentMSecsSinceEpoch(), QString(),
                                     HistoryEventKind::Recovery, summary);
        m_fleet->eventLog()->write(QString(),
                                   u"emergency recovery: "_s + summary +
                                       (r.textPath.isEmpty() ? u" (report not saved: "_s + r.saveError + u')'
                                                             : u" (report: "_s + r.textPath + u')'));
    }
    m_lastReport = r;
    m_lock.reset();
    emit finished(r);
}

} // namespace lifeline
